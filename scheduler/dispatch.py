"""Sending the outbox: due notifications, exactly once, within Telegram's limits.

The overall rate (30 messages a second) and groups' limits are kept by
python-telegram-bot's AIORateLimiter, which also waits out RetryAfter; this adds
the per-chat pace (one message a second to the same chat) and quiet hours.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from models.db import SessionFactory
from services import outbox
from services.clock import Clock
from services.notifier import Sender, TemporaryFailure, Unreachable
from services.outbox import QuietHours

log = logging.getLogger(__name__)


@dataclass
class DispatchResult:
    sent: int = 0
    failed: int = 0


class Dispatcher:
    def __init__(
        self,
        session_factory: SessionFactory,
        sender: Sender,
        clock: Clock,
        *,
        quiet: QuietHours | None,
        per_chat_interval: float = 1.0,
    ) -> None:
        self.session_factory = session_factory
        self.sender = sender
        self.clock = clock
        self.quiet = quiet
        self.per_chat_interval = per_chat_interval
        self._last_sent: dict[str, float] = {}

    async def run(self, ids: list[int] | None = None, *, limit: int = 200) -> DispatchResult:
        """Send due notifications (only `ids` if given). Safe to run concurrently:
        each claim is exclusive."""
        now = self.clock.now()
        async with self.session_factory.begin() as session:
            if ids is None:
                interrupted = await outbox.recover_interrupted(session, now=now)
                if interrupted:
                    log.error("%d notifications were interrupted mid-send, not resent", interrupted)
            claimed = await outbox.claim_due(
                session, now=now, quiet=self.quiet, ids=ids, limit=limit
            )
        result = DispatchResult()
        for row in claimed:
            await self._pace(row.person_id, row.chat_id)
            try:
                delivery = await self.sender.deliver(
                    person_id=row.person_id,
                    chat_id=row.chat_id,
                    text=row.text,
                    buttons=row.buttons,
                    location=row.location,
                )
            except Unreachable as exc:
                await self._failed(row.id, str(exc), retry=False)
                result.failed += 1
            except TemporaryFailure as exc:
                await self._failed(row.id, str(exc), retry=True)
                result.failed += 1
            except Exception as exc:  # a bug or an unexpected answer: keep the rest going
                log.exception("notification %s could not be sent", row.id)
                await self._failed(row.id, repr(exc), retry=False)
                result.failed += 1
            else:
                async with self.session_factory.begin() as session:
                    await outbox.mark_sent(
                        session,
                        row.id,
                        chat_id=delivery.chat_id,
                        message_id=delivery.message_id,
                        now=self.clock.now(),
                    )
                result.sent += 1
        return result

    async def _failed(self, notification_id: int, error: str, *, retry: bool) -> None:
        async with self.session_factory.begin() as session:
            await outbox.mark_failed(
                session, notification_id, error=error, retry=retry, now=self.clock.now()
            )

    async def _pace(self, person_id: int | None, chat_id: str | None) -> None:
        if not self.per_chat_interval:
            return
        key = chat_id or f"person:{person_id}"
        wait = self._last_sent.get(key, 0.0) + self.per_chat_interval - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_sent[key] = time.monotonic()
        if len(self._last_sent) > 10_000:  # forget old chats now and then
            cutoff = time.monotonic() - self.per_chat_interval
            self._last_sent = {k: v for k, v in self._last_sent.items() if v > cutoff}
