"""记录 on WeChat: a volunteer records service done outside a shift, for their leader's
approval (the same services/log_setup steps as /log on Telegram, typed or numbered)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from services import drafts, ledger_text, log_setup
from services.errors import UnknownChoice
from services.i18n import format_day, format_duration
from services.ledger_text import EntryLabel
from services.log_setup import LogState, LogStep

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn


async def begin(turn: Turn) -> str:
    state = await log_setup.begin(turn.session, turn.person, now=turn.now)
    return await prompt(turn, state)


async def prompt(turn: Turn, state: LogState) -> str:
    tr, settings = turn.tr, turn.settings
    if state.step is LogStep.DATE:
        return tr("📝 Which day was the service? Type the date, like 11-26 (or reply 取消).")
    if state.step is LogStep.DURATION:
        return tr("How long did it take? Type it like 90 or 1.5h.")
    if state.step is LogStep.ACTIVITY:
        lines = [tr("What kind of service was it? Reply its number:")]
        lines += [f"{i}. {k.label(tr.language)}" for i, k in enumerate(settings.shifts.kinds, 1)]
        return "\n".join(lines)
    if state.step is LogStep.TEAM:
        teams = await log_setup.team_choices(turn.session, turn.person)
        lines = [tr("For which team? Reply its number:")]
        lines += [f"{i}. {team.name}" for i, team in enumerate(teams, 1)]
        return "\n".join(lines)
    if state.step is LogStep.NOTE:
        return tr("What did you do? A few words for your leader (or reply 0).")
    kind = settings.shifts.kind(state.activity)
    return "\n".join(
        [
            tr("Please check:"),
            " · ".join(
                [
                    format_day(date.fromisoformat(state.service_date), tr.language),
                    kind.label(tr.language) if kind else state.activity,
                    format_duration(tr, state.minutes),
                ]
            ),
            state.note or "—",
            tr("1. Send for approval · 0. Cancel"),
        ]
    )


async def answer(turn: Turn, state: LogState, said: str, text: str) -> str:
    session, person, now, settings = turn.session, turn.person, turn.now, turn.settings
    zone = settings.bot.zone
    if state.step in (LogStep.DATE, LogStep.DURATION):
        state = await log_setup.typed(session, person, text, zone=zone, now=now)
    elif state.step is LogStep.ACTIVITY:
        kinds = settings.shifts.kinds
        state = await log_setup.choose_activity(
            session, person, _pick(kinds, said).code, shift_settings=settings.shifts, now=now
        )
    elif state.step is LogStep.TEAM:
        teams = await log_setup.team_choices(session, person)
        state = await log_setup.choose_team(session, person, _pick(teams, said).id, now=now)
    elif state.step is LogStep.NOTE:
        state = await log_setup.give_note(session, person, None if said == "0" else text, now=now)
        # Evidence photos are attached on Telegram; here the log goes on without one.
        state = await log_setup.give_photo(session, person, None, now=now)
    elif state.step is LogStep.PHOTO:
        state = await log_setup.give_photo(session, person, None, now=now)
    elif said == "1":
        entry = await log_setup.confirm(
            session,
            person,
            settings=settings.ledger,
            shift_settings=settings.shifts,
            zone=zone,
            now=now,
        )
        for person_id, notice in await ledger_text.approval_notices(
            session, entry, settings.shifts
        ):
            await turn.enqueue(person_id, notice)
        return turn.tr("📨 Sent for approval: {entry}. You will be told the answer.").format(
            entry=EntryLabel(entry, settings.shifts).localize(turn.tr)
        )
    elif said == "0":
        await drafts.discard(session, person.id, log_setup.FLOW)
        return turn.tr("Cancelled. Nothing was changed.")
    else:
        raise UnknownChoice()
    return await prompt(turn, state)


def _pick(options: list, said: str):
    if not said.isdigit() or not 1 <= int(said) <= len(options):
        raise UnknownChoice()
    return options[int(said) - 1]
