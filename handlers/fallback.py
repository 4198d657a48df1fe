"""Replies for what no other handler takes: unknown commands, stale buttons, groups."""

from __future__ import annotations

from telegram import Update

from handlers.common import Response, respond, work
from handlers.context import BotContext
from services.errors import StaleAction


async def on_unknown_command(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        text = w.tr("Sorry, I do not know that command. Send /help to see what I can do.")
    await respond(update, Response.say(text))


async def on_stale_button(update: Update, context: BotContext) -> None:
    raise StaleAction()


async def on_group_command(update: Update, context: BotContext) -> None:
    """In groups the bot only points people to a private chat (personal data stays there)."""
    async with work(update, context) as w:
        text = w.tr("Please talk to me in a private chat: {link}").format(
            link=f"https://t.me/{context.bot.username}"
        )
    await update.effective_chat.send_message(text)
