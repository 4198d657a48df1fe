"""/export: the inspection ledger (台账) for a period, as an Excel or CSV file."""

from __future__ import annotations

from telegram import InputFile, Update

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
from services import teams
from services.errors import PermissionDenied, StaleAction
from services.exports import export_ledger
from services.periods import PERIODS, period_bounds

ALL_TEAMS = 0
FORMATS = {"xlsx": "📊 Excel", "csv": "📄 CSV"}


async def on_export(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        if not w.person.is_admin and not await teams.led_teams(w.session, w.person):
            raise PermissionDenied()
        rows = [[button(w.tr(label), f"ex:p:{code}")] for code, label in PERIODS.items()]
        response = Response.say(w.tr("Export the service ledger for which period?"), keyboard(rows))
    await respond(update, response)


async def _scopes(w: Work, period: str) -> Message:
    led = await teams.led_teams(w.session, w.person)
    rows = [[button(t.name, f"ex:t:{period}:{t.id}")] for t in led]
    if w.person.is_admin:
        rows.insert(0, [button(w.tr("All teams"), f"ex:t:{period}:{ALL_TEAMS}")])
    return Message(w.tr("Which team?"), keyboard(rows))


def _formats(w: Work, period: str, team_id: int) -> Message:
    rows = [[button(label, f"ex:go:{period}:{team_id}:{fmt}") for fmt, label in FORMATS.items()]]
    return Message(w.tr("Which format?"), keyboard(rows))


async def on_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    if action == "go":
        await _send(update, context)
        return
    async with work(update, context) as w:
        if action == "p":
            (period,) = callback_args(update, 1)
            if period not in PERIODS:
                raise StaleAction()
            led = await teams.led_teams(w.session, w.person)
            if len(led) == 1 and not w.person.is_admin:
                message = _formats(w, period, led[0].id)
            else:
                message = await _scopes(w, period)
        elif action == "t":
            period, team_id = callback_args(update, 2)
            message = _formats(w, period, int_arg(team_id))
        else:
            raise StaleAction()
    await respond(update, Response(edit=message))


async def _send(update: Update, context: BotContext) -> None:
    period, team_id, fmt = callback_args(update, 3)
    async with work(update, context) as w:
        bounds = period_bounds(period, w.now.astimezone(w.deps.settings.bot.zone).date())
        if bounds is None or fmt not in FORMATS:
            raise StaleAction()
        exported = await export_ledger(
            w.session,
            w.person,
            start=bounds[0],
            end=bounds[1],
            team_id=int_arg(team_id) or None,
            fmt=fmt,
            tr=w.tr,
            zone=w.deps.settings.bot.zone,
            number_prefix=w.deps.settings.organisation.volunteer_number_prefix,
            shift_settings=w.deps.settings.shifts,
        )
        caption = w.tr("Service ledger {start} – {end}: {count} entries.").format(
            start=bounds[0].isoformat(), end=bounds[1].isoformat(), count=exported.entries
        )
    await respond(update, Response(edit=Message(caption)))
    await update.effective_chat.send_document(
        InputFile(exported.content, filename=exported.filename), caption=caption
    )
