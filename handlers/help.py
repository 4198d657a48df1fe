"""/help: the commands this person's roles allow."""

from __future__ import annotations

from telegram import Update

from handlers.common import Response, respond, work
from handlers.context import BotContext
from handlers.menu import help_text
from services.roles import roles_of


async def on_help(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        roles = await roles_of(w.session, w.person)
        text = help_text(w.tr, roles)
    await respond(update, Response.say(text))
