"""/wechat: one person on Telegram and WeChat, joined by a one-time code."""

from __future__ import annotations

from telegram import Update

from handlers.common import Response, respond, work
from handlers.context import BotContext
from services import channel_link, identity


async def on_wechat(update: Update, context: BotContext) -> None:
    code = " ".join(context.args or []).strip()
    async with work(update, context) as w:
        if code:
            # A code asked for on WeChat: this Telegram account joins that person.
            await channel_link.redeem(
                w.session, w.person, channel=identity.TELEGRAM, code=code, now=w.now
            )
            text = w.tr(
                "✓ Linked: this Telegram account and your WeChat account are now one "
                "profile, with one service record."
            )
        else:
            issued = await channel_link.issue_code(
                w.session, w.person, channel=identity.TELEGRAM, now=w.now
            )
            text = w.tr(
                "To use the bot on WeChat too, send this to our Official Account within 15 "
                "minutes:\n绑定 {code}\nYour profile, service minutes and roles are then the "
                "same on both."
            ).format(code=issued)
    await respond(update, Response.say(text))
