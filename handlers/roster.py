"""/roster: a leader's view of a shift and what they can do with it."""

from __future__ import annotations

from telegram import Update

from handlers.common import (
    Message,
    Response,
    Work,
    button,
    callback_args,
    in_rows,
    int_arg,
    keyboard,
    pager_row,
    paginate,
    respond,
    tell,
    work,
)
from handlers.context import BotContext
from handlers.shifts import shift_line
from models import SignupStatus
from services import attendance, roster_text, shift_actions, shifts, teams
from services.errors import StaleAction
from services.roster_text import ACTION_LABELS, LOOK_AHEAD, LOOK_BACK

SHIFTS_PER_PAGE = 8
PEOPLE_PER_PAGE = 12


async def on_roster(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        message = await _shift_list(w, 0)
    await respond(update, Response(messages=[message]))


async def _shift_list(w: Work, page: int) -> Message:
    tr = w.tr
    found = await shifts.managed(
        w.session, w.person, since=w.now - LOOK_BACK, until=w.now + LOOK_AHEAD
    )
    if not found:
        return Message(
            tr("No shifts in the last three days or the next two weeks. Create one with /newshift.")
        )
    shown = paginate(found, page, SHIFTS_PER_PAGE)
    buttons = [button(shift_line(w, info), f"ro:v:{info.shift.id}") for info in shown.items]
    rows = [*in_rows(buttons, 1), pager_row(shown, tr, lambda n: f"ro:list:{n}")]
    return Message(tr("Which shift?"), keyboard(rows))


async def roster_message(w: Work, shift_id: int) -> Message:
    roster = await attendance.shift_roster(w.session, w.person, shift_id)
    settings = w.deps.settings
    text = "\n".join(roster_text.roster_lines(w.tr, roster, settings, w.now))
    sid = roster.info.shift.id
    rows = [
        [
            button(
                w.tr(ACTION_LABELS[action]),
                f"ro:{action}:{sid}" + (":0" if action == "add" else ""),
            )
        ]
        for action in roster_text.available_actions(roster, settings, w.now)
    ]
    rows.append(
        [button(w.tr("🔄 Refresh"), f"ro:v:{sid}"), button(w.tr("◀ All shifts"), "ro:list:0")]
    )
    return Message(text, keyboard(rows))


async def _people_choice(
    w: Work, shift_id: int, people: list[tuple[int, str]], action: str, question: str, page: int = 0
) -> Message:
    shown = paginate(people, page, PEOPLE_PER_PAGE)
    buttons = [button(name, f"ro:{action}:{shift_id}:{pid}") for pid, name in shown.items]
    rows = [
        *in_rows(buttons, 2),
        pager_row(shown, w.tr, lambda n: f"ro:add:{shift_id}:{n}") if action == "asg" else [],
        [button(w.tr("◀ Back"), f"ro:v:{shift_id}")],
    ]
    return Message(question, keyboard(rows))


async def on_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    refresh = None
    async with work(update, context) as w:
        settings = w.deps.settings.shifts
        zone = w.deps.settings.bot.zone
        popup = None
        if action == "list":
            (page,) = callback_args(update, 1)
            message = await _shift_list(w, int_arg(page))
        elif action in ("v", "n"):  # "n": from an alert, which stays as it is
            (sid,) = callback_args(update, 1)
            message = await roster_message(w, int_arg(sid))
        elif action == "add":
            sid, page = (int_arg(a) for a in callback_args(update, 2))
            roster = await attendance.shift_roster(w.session, w.person, sid)
            on_it = {line.person_id for line in roster.lines}
            team_id = roster.info.shift.team_id
            if team_id is None:
                raise StaleAction()
            members = (await teams.roster(w.session, w.person, team_id)).entries
            people = [(m.person_id, m.name) for m in members if m.person_id not in on_it]
            question = w.tr("Whom do you want to put on this shift? They will be asked to confirm.")
            if not people:
                question = w.tr("Everyone in the team is already on this shift.")
            message = await _people_choice(w, sid, people, "asg", question, page)
        elif action == "asg":
            sid, pid = (int_arg(a) for a in callback_args(update, 2))
            outcome = await shift_actions.invite(
                w.session, w.person, sid, pid, settings=w.deps.settings, now=w.now
            )
            await tell(w, outcome.outgoing)
            if not outcome.already:
                refresh = sid
            popup = w.tr("Asked. You will see the answer here.")
            message = await roster_message(w, sid)
        elif action == "up":
            (sid,) = callback_args(update, 1)
            roster = await attendance.shift_roster(w.session, w.person, int_arg(sid))
            waiting = roster.with_status(SignupStatus.WAITLISTED)
            people = [(line.person_id, line.name) for line in waiting]
            message = await _people_choice(
                w, int_arg(sid), people, "upp", w.tr("Who gets a place?")
            )
        elif action == "upp":
            sid, pid = (int_arg(a) for a in callback_args(update, 2))
            outcome = await shift_actions.give_place(
                w.session, w.person, sid, pid, settings=w.deps.settings, now=w.now
            )
            await tell(w, outcome.outgoing)
            refresh = sid
            message = await roster_message(w, sid)
        elif action == "in":
            (sid,) = callback_args(update, 1)
            roster = await attendance.shift_roster(w.session, w.person, int_arg(sid))
            people = [(line.person_id, line.name) for line in roster_text.not_checked_in(roster)]
            message = await _people_choice(w, int_arg(sid), people, "inp", w.tr("Who is here?"))
        elif action == "inp":
            sid, pid = (int_arg(a) for a in callback_args(update, 2))
            await attendance.leader_check_in(
                w.session, w.person, sid, pid, settings=settings, now=w.now
            )
            popup = w.tr("Checked in.")
            message = await roster_message(w, sid)
        elif action in ("ns", "rv"):
            (sid,) = callback_args(update, 1)
            roster = await attendance.shift_roster(w.session, w.person, int_arg(sid))
            people = [(line.person_id, line.name) for line in roster_text.unsettled(roster, w.now)]
            if action == "ns":
                message = await _people_choice(
                    w, int_arg(sid), people, "nsp", w.tr("Who did not come?")
                )
            else:
                message = _review_choice(w, int_arg(sid), people)
        elif action in ("nsp", "okp"):
            sid, pid = (int_arg(a) for a in callback_args(update, 2))
            await attendance.review(
                w.session,
                w.person,
                sid,
                pid,
                present=action == "okp",
                ledger=w.deps.settings.ledger,
                zone=zone,
                now=w.now,
            )
            popup = w.tr("Saved.")
            message = await roster_message(w, sid)
        elif action == "all":
            (sid,) = callback_args(update, 1)
            count = await attendance.confirm_all_present(
                w.session,
                w.person,
                int_arg(sid),
                ledger=w.deps.settings.ledger,
                zone=zone,
                now=w.now,
            )
            popup = w.tr.plural(
                "{count} person confirmed.", "{count} people confirmed.", count
            ).format(count=count)
            message = await roster_message(w, int_arg(sid))
        elif action in ("cx", "stop"):
            (sid,) = callback_args(update, 1)
            info = await shifts.info(w.session, int_arg(sid))
            await shifts.require_manager(w.session, w.person, info.shift.team_id)
            question = (
                w.tr("Cancel {shift}? Everyone on it will be told.")
                if action == "cx"
                else w.tr(
                    "Stop repeating this shift? All its future dates are cancelled and "
                    "everyone on them is told."
                )
            ).format(shift=shift_line(w, info))
            rows = [
                [
                    button(w.tr("Yes"), f"ro:{action}y:{info.shift.id}"),
                    button(w.tr("No"), f"ro:v:{info.shift.id}"),
                ]
            ]
            message = Message(question, keyboard(rows))
        elif action in ("cxy", "stopy"):
            (sid,) = callback_args(update, 1)
            outcomes = await shift_actions.cancel_shifts(
                w.session,
                w.person,
                int_arg(sid),
                stop_repeating=action == "stopy",
                settings=w.deps.settings,
                now=w.now,
            )
            for outcome in outcomes:
                await tell(w, outcome.outgoing)
            popup = w.tr("Cancelled; everyone on it is being told.")
            message = await _shift_list(w, 0)
            refresh = [outcome.shift_id for outcome in outcomes]
        else:
            raise StaleAction()
    if action == "n":
        await respond(update, Response(messages=[message]))
    else:
        await respond(update, Response(edit=message, popup=popup))
    for shift_id in refresh if isinstance(refresh, list) else [refresh] if refresh else []:
        context.deps.jobs.request_refresh(shift_id)


def _review_choice(w: Work, shift_id: int, people: list[tuple[int, str]]) -> Message:
    rows = [
        [
            button(f"✓ {name}", f"ro:okp:{shift_id}:{pid}"),
            button(f"✗ {name}", f"ro:nsp:{shift_id}:{pid}"),
        ]
        for pid, name in people[:PEOPLE_PER_PAGE]
    ]
    rows.append([button(w.tr("◀ Back"), f"ro:v:{shift_id}")])
    text = w.tr(
        "For each person who did not check in: ✓ was there (the whole shift is "
        "recorded, confirmed by you), ✗ did not come."
    )
    return Message(text, keyboard(rows))
