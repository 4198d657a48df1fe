"""Team group chats: a leader links the group; announcements then go there too."""

from __future__ import annotations

from telegram import Update

from handlers.common import (
    Message,
    Response,
    Work,
    button,
    callback_args,
    int_arg,
    keyboard,
    respond,
    work,
)
from handlers.context import BotContext
from models import Team
from services import teams
from services.errors import StaleAction


def _linked(w: Work, team: Team) -> str:
    return w.tr(
        "✓ This group is now linked to the team “{team}”: new shifts are announced "
        "here, and members can sign up with the buttons."
    ).format(team=team.name)


async def on_link(update: Update, context: BotContext) -> None:
    chat_id = str(update.effective_chat.id)
    async with work(update, context) as w:
        led = await teams.led_teams(w.session, w.person)
        if len(led) == 1:
            team = await teams.link_group(w.session, w.person, led[0].id, chat_id)
            response = Response.say(_linked(w, team))
        elif led:
            rows = [[button(t.name, f"grp:link:{t.id}")] for t in led]
            response = Response.say(w.tr("Link this group to which team?"), keyboard(rows))
        else:
            response = Response.say(w.tr("Only a team's leaders can link its group."))
    await respond(update, response)


async def on_unlink(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        unlinked = await teams.unlink_group(w.session, w.person, str(update.effective_chat.id))
        text = (
            w.tr("✓ This group is no longer linked to a team.")
            if unlinked
            else w.tr("This group is not linked to a team.")
        )
    await respond(update, Response.say(text))


async def on_button(update: Update, context: BotContext) -> None:
    if not (update.callback_query.data or "").startswith("grp:link:"):
        raise StaleAction()
    (team_id,) = callback_args(update, 1)
    async with work(update, context) as w:
        team = await teams.link_group(
            w.session, w.person, int_arg(team_id), str(update.effective_chat.id)
        )
        text = _linked(w, team)
    await respond(update, Response(edit=Message(text)))
