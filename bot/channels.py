"""Delivering the outbox on whichever channel reaches the person.

A person linked on Telegram and WeChat gets a notification on the channel they used
last; if that one cannot take it (blocked, WeChat's 48-hour window closed), the next
one is tried, and only when none can is the notification marked failed.
"""

from __future__ import annotations

import logging
from typing import Any

from models.db import SessionFactory
from services import identity
from services.notifier import Delivery, Sender, Unreachable

log = logging.getLogger(__name__)


class ChannelRouter:
    def __init__(
        self, senders: dict[str, Sender], session_factory: SessionFactory, *, groups: str
    ) -> None:
        self._senders = senders
        self._session_factory = session_factory
        # Group chats (team announcements) exist on this channel.
        self._groups = groups

    async def deliver(
        self,
        *,
        person_id: int | None,
        chat_id: str | None,
        text: str,
        buttons: list[list[dict[str, Any]]],
        location: dict[str, float] | None,
        photos: list[dict[str, str]],
    ) -> Delivery:
        message = {
            "text": text,
            "buttons": buttons,
            "location": location,
            "photos": photos,
        }
        if person_id is None:
            return await self._senders[self._groups].deliver(
                person_id=None, chat_id=chat_id, **message
            )
        async with self._session_factory() as session:
            channels = await identity.channels_of(session, person_id)
        reasons = []
        for channel in channels:
            sender = self._senders.get(channel)
            if sender is None:
                continue
            try:
                return await sender.deliver(person_id=person_id, chat_id=None, **message)
            except Unreachable as exc:
                log.info("person %s not reachable on %s: %s", person_id, channel, exc)
                reasons.append(f"{channel}: {exc}")
        raise Unreachable("; ".join(reasons) or f"person {person_id} has no chat account")
