"""A leader's roster on WeChat (名单): their shifts by number, one shift's people with
phones and attendance, and what can be done with it now, each step by number."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.wechat import menus
from models import SignupStatus
from services import attendance, roster_text, shift_actions, shifts, teams
from services.errors import StaleAction
from services.roster_text import ACTION_LABELS, LOOK_AHEAD, LOOK_BACK, RosterAction

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn

SHIFTS_SHOWN = 15
# Names offered at once; more would not fit one WeChat message.
PEOPLE_SHOWN = 30


async def shift_list(turn: Turn) -> str:
    tr = turn.tr
    found = await shifts.managed(
        turn.session, turn.person, since=turn.now - LOOK_BACK, until=turn.now + LOOK_AHEAD
    )
    if not found:
        return tr("No shifts in the last three days or the next two weeks.")
    options = [
        (roster_text.shift_line(tr, info, turn.settings), f"ro:v:{info.shift.id}")
        for info in found[:SHIFTS_SHOWN]
    ]
    return "\n".join([tr("Which shift? Reply its number:"), *await menus.offer(turn, options)])


async def roster(turn: Turn, shift_id: int, done: str | None = None) -> str:
    """The roster and its actions by number; `done` says what was just done."""
    tr, settings = turn.tr, turn.settings
    found = await attendance.shift_roster(turn.session, turn.person, shift_id)
    lines = [done] if done else []
    lines += roster_text.roster_lines(tr, found, settings, turn.now)
    options = [
        (tr(ACTION_LABELS[action]), f"ro:{action}:{shift_id}")
        for action in roster_text.available_actions(found, settings, turn.now)
    ]
    options.append((tr("🔄 Refresh"), f"ro:v:{shift_id}"))
    return "\n".join([*lines, "", *await menus.offer(turn, options)])


async def _choose_person(
    turn: Turn, shift_id: int, question: str, people: list[tuple[int, str]], verb: str
) -> str:
    if not people:
        return await roster(turn, shift_id, turn.tr("Nobody to choose here."))
    options = [(name, f"ro:{verb}:{shift_id}:{pid}") for pid, name in people[:PEOPLE_SHOWN]]
    options.append((turn.tr("◀ Back"), f"ro:v:{shift_id}"))
    return "\n".join([question, *await menus.offer(turn, options)])


async def _review_choice(turn: Turn, shift_id: int, people: list[tuple[int, str]]) -> str:
    tr = turn.tr
    options = []
    for pid, name in people[: PEOPLE_SHOWN // 2]:
        options.append((tr("✓ {name} was there").format(name=name), f"ro:okp:{shift_id}:{pid}"))
        options.append((tr("✗ {name} did not come").format(name=name), f"ro:nsp:{shift_id}:{pid}"))
    options.append((tr("◀ Back"), f"ro:v:{shift_id}"))
    question = tr(
        "For each person who did not check in: ✓ was there (the whole shift is "
        "recorded, confirmed by you), ✗ did not come."
    )
    return "\n".join([question, *await menus.offer(turn, options)])


async def _tell(turn: Turn, outcome: shift_actions.Outcome) -> None:
    for person_id, notice in outcome.outgoing:
        await turn.enqueue(person_id, notice)
    turn.refresh.add(outcome.shift_id)


async def press(turn: Turn, verb: str, args: list[int]) -> str:
    """ro:<verb>:<shift>[:<person>], the same data as the Telegram roster's buttons."""
    tr, settings, session, person = turn.tr, turn.settings, turn.session, turn.person
    if not args:
        raise StaleAction()
    sid = args[0]
    pid = args[1] if len(args) > 1 else None
    if verb in ("v", "n"):
        return await roster(turn, sid)
    found = await attendance.shift_roster(session, person, sid)
    if verb == RosterAction.ASSIGN:
        if found.info.shift.team_id is None:
            raise StaleAction()
        on_it = {line.person_id for line in found.lines}
        members = (await teams.roster(session, person, found.info.shift.team_id)).entries
        people = [(m.person_id, m.name) for m in members if m.person_id not in on_it]
        question = tr("Whom do you want to put on this shift? They will be asked to confirm.")
        return await _choose_person(turn, sid, question, people, "asg")
    if verb == RosterAction.GIVE_PLACE:
        waiting = [(ln.person_id, ln.name) for ln in found.with_status(SignupStatus.WAITLISTED)]
        return await _choose_person(turn, sid, tr("Who gets a place?"), waiting, "upp")
    if verb == RosterAction.CHECK_IN:
        people = [(ln.person_id, ln.name) for ln in roster_text.not_checked_in(found)]
        return await _choose_person(turn, sid, tr("Who is here?"), people, "inp")
    if verb in (RosterAction.NO_SHOW, RosterAction.REVIEW):
        people = [(ln.person_id, ln.name) for ln in roster_text.unsettled(found, turn.now)]
        if verb == RosterAction.NO_SHOW:
            return await _choose_person(turn, sid, tr("Who did not come?"), people, "nsp")
        return await _review_choice(turn, sid, people)
    if verb in (RosterAction.CANCEL, RosterAction.STOP_REPEATING):
        line = roster_text.shift_line(tr, found.info, settings)
        question = (
            tr("Cancel {shift}? Everyone on it will be told.")
            if verb == RosterAction.CANCEL
            else tr(
                "Stop repeating this shift? All its future dates are cancelled and "
                "everyone on them is told."
            )
        ).format(shift=line)
        options = [(tr("Yes"), f"ro:{verb}y:{sid}"), (tr("No"), f"ro:v:{sid}")]
        return "\n".join([question, *await menus.offer(turn, options)])
    if verb in ("cxy", "stopy"):
        outcomes = await shift_actions.cancel_shifts(
            session, person, sid, stop_repeating=verb == "stopy", settings=settings, now=turn.now
        )
        for outcome in outcomes:
            await _tell(turn, outcome)
        await menus.offer(turn, [])  # the roster's numbers are gone with the shift
        return tr("Cancelled; everyone on it is being told.")
    if verb == RosterAction.ALL_PRESENT:
        count = await attendance.confirm_all_present(
            session, person, sid, ledger=settings.ledger, zone=settings.bot.zone, now=turn.now
        )
        done = tr.plural("{count} person confirmed.", "{count} people confirmed.", count)
        return await roster(turn, sid, done.format(count=count))
    if pid is None:
        raise StaleAction()
    if verb == "asg":
        outcome = await shift_actions.invite(
            session, person, sid, pid, settings=settings, now=turn.now
        )
        await _tell(turn, outcome)
        return await roster(turn, sid, tr("Asked. You will see the answer here."))
    if verb == "upp":
        await _tell(
            turn,
            await shift_actions.give_place(
                session, person, sid, pid, settings=settings, now=turn.now
            ),
        )
        return await roster(turn, sid, tr("Saved."))
    if verb == "inp":
        await attendance.leader_check_in(
            session, person, sid, pid, settings=settings.shifts, now=turn.now
        )
        return await roster(turn, sid, tr("Checked in."))
    if verb in ("nsp", "okp"):
        await attendance.review(
            session,
            person,
            sid,
            pid,
            present=verb == "okp",
            ledger=settings.ledger,
            zone=settings.bot.zone,
            now=turn.now,
        )
        return await roster(turn, sid, tr("Saved."))
    raise StaleAction()
