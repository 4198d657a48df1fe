"""Delivering notices to people on Telegram, in their own language."""

from __future__ import annotations

import logging

from telegram.error import Forbidden, TelegramError
from telegram.ext import ExtBot

from models.db import SessionFactory
from services import identity
from services.i18n import Catalogs
from services.notifier import Notice

log = logging.getLogger(__name__)


class TelegramNotifier:
    def __init__(self, bot: ExtBot, session_factory: SessionFactory, catalogs: Catalogs) -> None:
        self._bot = bot
        self._session_factory = session_factory
        self._catalogs = catalogs

    async def notify(self, person_id: int, notice: Notice) -> bool:
        async with self._session_factory() as session:
            account = await identity.identity_of(session, person_id, identity.TELEGRAM)
            person_language = await identity.language_of_person(session, person_id)
        if account is None or not account.reachable:
            return False
        tr = self._catalogs.translator(person_language)
        text = tr(notice.message).format(**notice.params)
        try:
            await self._bot.send_message(chat_id=account.chat_id, text=text)
        except Forbidden:
            await self._mark_unreachable(person_id)
            return False
        except TelegramError as exc:
            log.warning("notice to person %s failed: %s", person_id, exc)
            return False
        return True

    async def _mark_unreachable(self, person_id: int) -> None:
        async with self._session_factory.begin() as session:
            await identity.mark_unreachable(session, person_id, identity.TELEGRAM)
