"""Delivering notices on Telegram, in each recipient's language."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import ExtBot

from handlers.common import send_photo
from models.db import SessionFactory
from services import identity
from services.i18n import Catalogs, Translator, render
from services.notifier import Delivery, Notice, TemporaryFailure, Unreachable

log = logging.getLogger(__name__)


def notice_markup(notice: Notice, tr: Translator) -> InlineKeyboardMarkup | None:
    if not notice.actions:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(render(tr, a.label, a.params), callback_data=a.data) for a in row]
            for row in notice.actions
        ]
    )


class TelegramNotifier:
    def __init__(self, bot: ExtBot, session_factory: SessionFactory, catalogs: Catalogs) -> None:
        self._bot = bot
        self._session_factory = session_factory
        self._catalogs = catalogs

    async def notify(self, person_id: int, notice: Notice) -> Delivery | None:
        return await self._to_person(person_id, lambda chat_id, tr: self._send(chat_id, notice, tr))

    async def send_document(
        self, person_id: int, filename: str, content: bytes, notice: Notice
    ) -> Delivery | None:
        async def send(chat_id: str, tr: Translator) -> Delivery:
            message = await self._bot.send_document(
                chat_id=chat_id,
                document=InputFile(content, filename=filename),
                caption=notice.text(tr)[:1024],
                reply_markup=notice_markup(notice, tr),
            )
            return Delivery(identity.TELEGRAM, str(message.chat_id), str(message.message_id))

        return await self._to_person(person_id, send)

    async def _to_person(
        self, person_id: int, send: Callable[[str, Translator], Awaitable[Delivery]]
    ) -> Delivery | None:
        async with self._session_factory() as session:
            account = await identity.identity_of(session, person_id, identity.TELEGRAM)
            language = await identity.language_of_person(session, person_id)
        if account is None or not account.reachable:
            return None
        try:
            return await send(account.chat_id, self._catalogs.translator(language))
        except Forbidden:
            async with self._session_factory.begin() as session:
                await identity.mark_unreachable(session, person_id, identity.TELEGRAM)
        except TelegramError as exc:
            log.warning("notice to person %s failed: %s", person_id, exc)
        return None

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
        if person_id is not None:
            async with self._session_factory() as session:
                account = await identity.identity_of(session, person_id, identity.TELEGRAM)
            if account is None or not account.reachable:
                raise Unreachable(f"person {person_id} has no reachable Telegram chat")
            chat_id = account.chat_id
        markup = (
            InlineKeyboardMarkup(
                [
                    [InlineKeyboardButton(b["label"], callback_data=b["data"]) for b in row]
                    for row in buttons
                ]
            )
            if buttons
            else None
        )
        try:
            for photo in photos:
                await send_photo(self._bot, chat_id, photo)
            message = await self._bot.send_message(chat_id=chat_id, text=text, reply_markup=markup)
            if location:
                await self._bot.send_location(
                    chat_id=chat_id, latitude=location["latitude"], longitude=location["longitude"]
                )
        except Forbidden as exc:
            if person_id is not None:
                async with self._session_factory.begin() as session:
                    await identity.mark_unreachable(session, person_id, identity.TELEGRAM)
            raise Unreachable(str(exc)) from exc
        except (RetryAfter, NetworkError) as exc:  # TimedOut is a NetworkError
            raise TemporaryFailure(str(exc)) from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise Unreachable(str(exc)) from exc
            raise
        return Delivery(identity.TELEGRAM, str(message.chat_id), str(message.message_id))

    async def post(self, chat_id: str, notice: Notice, *, language: str) -> Delivery | None:
        try:
            return await self._send(chat_id, notice, self._catalogs.translator(language))
        except TelegramError as exc:
            log.warning("post to chat %s failed: %s", chat_id, exc)
            return None

    async def edit(self, delivery: Delivery, notice: Notice, *, language: str) -> bool:
        tr = self._catalogs.translator(language)
        try:
            await self._bot.edit_message_text(
                chat_id=delivery.chat_id,
                message_id=int(delivery.message_id),
                text=notice.text(tr),
                reply_markup=notice_markup(notice, tr),
            )
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return True
            log.info("could not edit message %s: %s", delivery, exc)
            return False
        except TelegramError as exc:
            log.info("could not edit message %s: %s", delivery, exc)
            return False
        return True

    async def _send(self, chat_id: str, notice: Notice, tr: Translator) -> Delivery:
        message = await self._bot.send_message(
            chat_id=chat_id, text=notice.text(tr), reply_markup=notice_markup(notice, tr)
        )
        return Delivery(identity.TELEGRAM, str(message.chat_id), str(message.message_id))
