"""新班次 on WeChat: a leader sets up a one-off or recurring shift by numbered questions
and typed answers (the same services/shift_setup steps as /newshift on Telegram)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from services import drafts, posts, shift_setup
from services.errors import UnknownChoice
from services.i18n import format_day
from services.recurrence import Repeat
from services.shift_setup import DATE_PICK_LABELS, OPEN_TO_ALL, REPEAT_LABELS, SetupState, SetupStep

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn

CANCEL_HINT = "(reply 取消 to stop)"


async def begin(turn: Turn) -> str:
    state = await shift_setup.current(turn.session, turn.person)
    if state is not None:
        return (
            turn.tr("Let us continue the new shift where you left off.")
            + "\n"
            + await prompt(turn, state)
        )
    state = await shift_setup.begin(turn.session, turn.person, now=turn.now)
    return await prompt(turn, state)


async def _team_choices(turn: Turn) -> list[tuple[int, str]]:
    led = await shift_setup.team_choices(turn.session, turn.person)
    choices = [(team.id, team.name) for team in led]
    if turn.person.is_admin:
        choices.append((OPEN_TO_ALL, turn.tr("All volunteers (open shift)")))
    return choices


def _numbered(lines: list[str]) -> list[str]:
    return [f"{n}. {line}" for n, line in enumerate(lines, start=1)]


async def prompt(turn: Turn, state: SetupState) -> str:
    tr, settings = turn.tr, turn.settings
    step = state.step
    if step is SetupStep.TEAM:
        names = [name for _, name in await _team_choices(turn)]
        lines = [tr("New shift. For which team? Reply its number:"), *_numbered(names)]
    elif step is SetupStep.KIND:
        kinds = [k.label(tr.language) for k in settings.shifts.kinds]
        lines = [tr("What kind of duty? Reply its number:"), *_numbered(kinds)]
    elif step is SetupStep.POST:
        found = await posts.list_posts(turn.session)
        needs_post = settings.shifts.kind(state.kind).needs_post
        if not found and needs_post:
            return tr(
                "There are no posts yet: reply 岗点 to add one, then 新班次 again (your "
                "choices so far are kept)."
            )
        lines = [tr("Where? Reply the post's number (check-in happens there):")]
        lines += _numbered([p.name for p in found])
        if not needs_post:
            lines.append("0. " + tr("No post"))
    elif step is SetupStep.REPEAT:
        lines = [tr("Does it repeat? Reply its number:")]
        lines += _numbered([tr(label) for label in REPEAT_LABELS.values()])
    elif step is SetupStep.DATE:
        question = (
            tr("Which date is the first one?") if state.repeat != Repeat.ONCE else tr("Which date?")
        )
        lines = [question + " " + tr("Reply its number, or type a date like 12-04:")]
        lines += _numbered([_pick_label(turn, pick) for pick in _date_picks(turn)])
    elif step is SetupStep.TIME:
        lines = [tr("What time does it start? Type it like 07:30.")]
    elif step is SetupStep.DURATION:
        default = settings.shifts.kind(state.kind).default_minutes
        lines = [tr("How long, in minutes? Type a number like {minutes}.").format(minutes=default)]
    elif step is SetupStep.CAPACITY:
        lines = [tr("How many volunteers at most? Type a number.")]
    elif step is SetupStep.MINIMUM:
        lines = [
            tr(
                "How many are needed at least? (You will be warned if fewer sign up.) "
                "Type a number, or 0 for no minimum."
            )
        ]
    else:
        team, post = await shift_setup.summary_parts(turn.session, state)
        lines = shift_setup.summary_lines(tr, state, team, post, settings)
        lines += ["", tr("1. Create and announce · 0. Cancel")]
        return "\n".join(lines)
    return "\n".join([*lines, tr(CANCEL_HINT)])


def _date_picks(turn: Turn) -> list[shift_setup.DatePick]:
    return shift_setup.date_picks(turn.now, turn.settings.bot.zone)


def _pick_label(turn: Turn, pick: shift_setup.DatePick) -> str:
    tr = turn.tr
    day = format_day(pick.day, tr.language)
    return f"{tr(DATE_PICK_LABELS[pick.name])} · {day}" if pick.name in DATE_PICK_LABELS else day


def _pick(choices: list, said: str):
    if said.isdigit() and 1 <= int(said) <= len(choices):
        return choices[int(said) - 1]
    raise UnknownChoice()


async def answer(turn: Turn, state: SetupState, said: str, text: str) -> str:
    """A reply to the current question: a number from its list, or a typed value."""
    try:
        return await _answer(turn, state, said, text)
    except UnknownChoice:
        return turn.tr("Please reply with one of the numbers.") + "\n" + await prompt(turn, state)


async def _answer(turn: Turn, state: SetupState, said: str, text: str) -> str:
    session, person, now = turn.session, turn.person, turn.now
    settings, zone = turn.settings, turn.settings.bot.zone
    step = state.step
    if step is SetupStep.TEAM:
        team_id, _ = _pick(await _team_choices(turn), said)
        state = await shift_setup.choose_team(session, person, team_id, now=now)
    elif step is SetupStep.KIND:
        kind = _pick(settings.shifts.kinds, said)
        state = await shift_setup.choose_kind(
            session, person, kind.code, settings=settings.shifts, now=now
        )
    elif step is SetupStep.POST:
        post_id = None if said == "0" else _pick(await posts.list_posts(session), said).id
        state = await shift_setup.choose_post(
            session, person, post_id, settings=settings.shifts, now=now
        )
    elif step is SetupStep.REPEAT:
        repeat = _pick(list(REPEAT_LABELS), said)
        state = await shift_setup.choose_repeat(session, person, repeat, now=now)
    elif step is SetupStep.DATE and said.isdigit():
        day: date = _pick(_date_picks(turn), said).day
        state = await shift_setup.choose_date(session, person, day, zone=zone, now=now)
    elif step is SetupStep.SUMMARY:
        if said == "0":
            await drafts.discard(session, person.id, shift_setup.FLOW)
            return turn.tr("Cancelled. Nothing was changed.")
        if said != "1":
            raise UnknownChoice()
        created = await shift_setup.confirm(
            session, person, settings=settings.shifts, zone=zone, now=now
        )
        turn.publish = True
        head = await shift_setup.created_text(turn.tr, session, created, settings)
        return head + "\n\n" + turn.tr("Reply 名单 to follow sign-ups and check-ins.")
    else:  # date, time, length, places, minimum: typed
        state = await shift_setup.typed(session, person, text, zone=zone, now=now)
    return await prompt(turn, state)
