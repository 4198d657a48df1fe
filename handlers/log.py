"""/log: a volunteer records service done outside a shift, for a leader to approve."""

from __future__ import annotations

from datetime import date

from telegram import Update

from handlers.common import (
    Message,
    Response,
    Work,
    answered,
    button,
    callback_args,
    in_rows,
    int_arg,
    keyboard,
    respond,
    tell,
    work,
)
from handlers.context import BotContext
from handlers.minutes import approval_notices
from models import Team
from services import log_setup
from services.errors import StaleAction
from services.i18n import N_, format_day, format_duration
from services.ledger_text import EntryLabel
from services.log_setup import LogState, LogStep

PREFIX = "lo"
DAY_NAMES = {0: N_("Today"), 1: N_("Yesterday")}


async def prompt(w: Work, state: LogState) -> list[Message]:
    tr = w.tr
    step = state.step
    if step is LogStep.DATE:
        today = w.now.astimezone(w.deps.settings.bot.zone).date()
        picks = log_setup.date_picks(today)
        buttons = [
            button(
                (tr(DAY_NAMES[n]) + " · " if n in DAY_NAMES else "") + format_day(day, tr.language),
                f"{PREFIX}:date:{day.isoformat()}",
            )
            for n, day in enumerate(picks)
        ]
        text = tr("Log service done outside a shift. Which day? Or type a date, like 11-20.")
        return [Message(text, keyboard(in_rows(buttons, 2)))]
    if step is LogStep.DURATION:
        buttons = [
            button(format_duration(tr, m), f"{PREFIX}:dur:{m}") for m in log_setup.DURATION_CHOICES
        ]
        text = tr("How long did you serve? Or type it, like 90 or 1.5h.")
        return [Message(text, keyboard(in_rows(buttons, 3)))]
    if step is LogStep.ACTIVITY:
        kinds = w.deps.settings.shifts.kinds
        buttons = [button(k.label(tr.language), f"{PREFIX}:act:{k.code}") for k in kinds]
        return [Message(tr("What kind of service?"), keyboard(in_rows(buttons, 2)))]
    if step is LogStep.TEAM:
        teams = await log_setup.team_choices(w.session, w.person)
        buttons = [button(t.name, f"{PREFIX}:team:{t.id}") for t in teams]
        return [Message(tr("For which team?"), keyboard(in_rows(buttons, 1)))]
    if step is LogStep.NOTE:
        text = tr(
            "What did you do? A short note for your leader (up to 200 characters), or tap “Skip”."
        )
        return [Message(text, keyboard([[button(tr("Skip"), f"{PREFIX}:note")]]))]
    if step is LogStep.PHOTO:
        text = tr("You can send a photo of the service as evidence, or tap “Skip”.")
        return [Message(text, keyboard([[button(tr("Skip"), f"{PREFIX}:photo")]]))]
    if step is LogStep.SUMMARY:
        return [await _summary(w, state)]
    raise AssertionError(step)


async def _summary(w: Work, state: LogState) -> Message:
    tr = w.tr
    kind = w.deps.settings.shifts.kind(state.activity)
    team = await w.session.get(Team, state.team_id) if state.team_id else None
    lines = [
        tr("Please check:"),
        "",
        tr("Date: {date}").format(
            date=format_day(date.fromisoformat(state.service_date), tr.language)
        ),
        tr("Duration: {duration}").format(duration=format_duration(tr, state.minutes)),
        tr("Kind: {kind}").format(kind=kind.label(tr.language) if kind else state.activity),
        tr("Team: {team}").format(team=team.name if team else tr("none")),
        tr("Note: {note}").format(note=state.note or "—"),
        tr("Photo: {photo}").format(photo=tr("yes") if state.photo_file_id else tr("no")),
    ]
    rows = [[button(tr("✅ Send for approval"), f"{PREFIX}:ok")]]
    return Message("\n".join(lines) + "\n\n" + tr("Send /cancel to start over."), keyboard(rows))


async def on_log(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        state = await log_setup.begin(w.session, w.person, now=w.now)
        response = Response(messages=await prompt(w, state))
    await respond(update, response)


async def on_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    async with work(update, context) as w:
        zone = w.deps.settings.bot.zone
        session, person, now = w.session, w.person, w.now
        if action == "ok":
            entry = await log_setup.confirm(
                session,
                person,
                settings=w.deps.settings.ledger,
                shift_settings=w.deps.settings.shifts,
                zone=zone,
                now=now,
            )
            await tell(w, await approval_notices(w, entry))
            text = w.tr("📨 Sent for approval: {entry}. You will be told the answer.").format(
                entry=EntryLabel(entry, w.deps.settings.shifts).localize(w.tr)
            )
            response = Response(edit=Message(text))
        else:
            if action == "date":
                (value,) = callback_args(update, 1)
                try:
                    day = date.fromisoformat(value)
                except ValueError as exc:
                    raise StaleAction() from exc
                state = await log_setup.choose_date(session, person, day, zone=zone, now=now)
            elif action == "dur":
                (value,) = callback_args(update, 1)
                state = await log_setup.choose_duration(session, person, int_arg(value), now=now)
            elif action == "act":
                (value,) = callback_args(update, 1)
                state = await log_setup.choose_activity(
                    session, person, value, shift_settings=w.deps.settings.shifts, now=now
                )
            elif action == "team":
                (value,) = callback_args(update, 1)
                state = await log_setup.choose_team(session, person, int_arg(value), now=now)
            elif action == "note":
                state = await log_setup.give_note(session, person, None, now=now)
            elif action == "photo":
                state = await log_setup.give_photo(session, person, None, now=now)
            else:
                raise StaleAction()
            response = Response(edit=answered(update), messages=await prompt(w, state))
    await respond(update, response)


async def on_text(w: Work, text: str) -> Response:
    state = await log_setup.typed(
        w.session, w.person, text, zone=w.deps.settings.bot.zone, now=w.now
    )
    return Response(messages=await prompt(w, state))


async def on_photo(w: Work, file_id: str) -> Response:
    state = await log_setup.give_photo(w.session, w.person, file_id, now=w.now)
    return Response(messages=await prompt(w, state))
