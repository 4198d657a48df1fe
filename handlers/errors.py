"""The error handler: domain errors become polite replies; bugs are logged."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import NetworkError, TelegramError

from handlers.common import remove_keyboard, shorten
from handlers.context import BotContext
from services import identity
from services.errors import AlreadyProcessed, DomainError, StaleAction
from services.i18n import N_, Translator, language_from_client, render

log = logging.getLogger(__name__)

UNEXPECTED = N_("Sorry, something went wrong on our side. Please try again in a moment.")


async def on_error(update: object, context: BotContext) -> None:
    error = context.error
    if isinstance(error, AlreadyProcessed):
        log.info("update %s was already processed; ignored", error)
        return
    if not isinstance(update, Update):
        if isinstance(error, NetworkError):
            log.warning("network trouble: %s", error)
        else:
            log.error("error outside an update", exc_info=error)
        return

    if isinstance(error, DomainError):
        log.info("update %s refused: %r", update.update_id, error)
    else:
        log.error("update %s failed", update.update_id, exc_info=error)
    tr = await _translator(update, context)
    if isinstance(error, DomainError):
        text = render(tr, error.message, error.params)
    else:
        text = tr(UNEXPECTED)

    try:
        if update.callback_query is not None:
            if isinstance(error, StaleAction):
                await remove_keyboard(update)
            # A popup that stays until dismissed, except for the harmless stale case.
            await update.callback_query.answer(
                shorten(text), show_alert=not isinstance(error, StaleAction)
            )
        elif update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE:
            await update.effective_chat.send_message(text)
    except TelegramError as exc:
        log.warning("could not tell the user about the error: %s", exc)


async def _translator(update: Update, context: BotContext) -> Translator:
    deps = context.deps
    user = update.effective_user
    language = None
    if user is not None:
        async with deps.session_factory() as session:
            language = await identity.language_of(
                session, channel=identity.TELEGRAM, external_id=str(user.id)
            )
        language = language or language_from_client(
            user.language_code, deps.settings.bot.default_language
        )
    return deps.catalogs.translator(language)
