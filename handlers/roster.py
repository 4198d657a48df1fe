"""/roster: a leader's view of a shift and what they can do with it."""

from __future__ import annotations

from datetime import timedelta

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
from handlers.shifts import invitation_notice, promoted_notice, shift_line
from models import AttendanceStatus, CheckMethod, ShiftStatus, SignupStatus
from services import attendance, shifts, signups, teams
from services.attendance import RosterLine, ShiftRoster
from services.errors import StaleAction
from services.i18n import N_
from services.notifier import Notice
from services.profile import real_name
from services.shift_cards import places
from services.shifts import shift_label

SHIFTS_PER_PAGE = 8
PEOPLE_PER_PAGE = 12
# /roster shows shifts from this long ago (for reviewing) to this far ahead.
LOOK_BACK = timedelta(days=3)
LOOK_AHEAD = timedelta(days=14)

METHOD_LABELS = {
    CheckMethod.QR: N_("QR code"),
    CheckMethod.LOCATION: N_("location"),
    CheckMethod.LEADER: N_("by the leader"),
    CheckMethod.LEADER_ALL: N_("confirmed by the leader"),
    CheckMethod.SELF: N_("self-reported"),
}


def _hhmm(w: Work, moment) -> str:
    return f"{moment.astimezone(w.deps.settings.bot.zone):%H:%M}"


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


def _line(w: Work, number: int, line: RosterLine) -> str:
    tr = w.tr
    text = f"{number}. {line.name} · {line.phone}"
    record = line.attendance
    if record and record.checked_in_at:
        method = tr(METHOD_LABELS[record.check_in_method])
        if record.check_in_distance_m is not None:
            method += " " + tr("{distance} m").format(distance=round(record.check_in_distance_m))
        text += " · " + tr("in {time} ({method})").format(
            time=_hhmm(w, record.checked_in_at), method=method
        )
    if record and record.checked_out_at:
        text += " · " + tr("out {time}").format(time=_hhmm(w, record.checked_out_at))
    if record and record.status == AttendanceStatus.NO_SHOW:
        text += " · " + tr("no-show")
    if record and record.status == AttendanceStatus.NEEDS_REVIEW:
        text += " · " + tr("did not check out")
    if record and record.status == AttendanceStatus.CONFIRMED:
        text += " ✓"
    return text


async def roster_message(w: Work, shift_id: int) -> Message:
    tr = w.tr
    roster = await attendance.shift_roster(w.session, w.person, shift_id)
    info = roster.info
    shift = info.shift
    lines = ["📋 " + shift_line(w, info), places(info, tr)]
    if shift.status == ShiftStatus.CANCELLED:
        lines.append(tr("❌ Cancelled: {reason}").format(reason=shift.cancel_reason or "—"))
    started = w.now >= shift.starts_at
    opens = shift.starts_at - timedelta(minutes=w.deps.settings.shifts.checkin_opens_minutes)
    sections = []
    if w.now >= opens:
        not_in = [
            line
            for line in roster.with_status(SignupStatus.CONFIRMED)
            if line not in roster.checked_in
        ]
        sections.append((tr("✅ Checked in"), roster.checked_in))
        sections.append((tr("⚠️ Not checked in") if started else tr("🕗 Not here yet"), not_in))
    else:
        sections.append((tr("🙋 Signed up"), roster.with_status(SignupStatus.CONFIRMED)))
    sections.append((tr("✉️ Assigned, not yet answered"), roster.with_status(SignupStatus.INVITED)))
    sections.append((tr("⏳ Waitlist"), roster.with_status(SignupStatus.WAITLISTED)))
    number = 0
    for title, people in sections:
        if not people:
            continue
        lines += ["", f"{title} ({len(people)})"]
        for line in people:
            number += 1
            lines.append(_line(w, number, line))
    if not roster.lines:
        lines += ["", tr("Nobody has signed up yet.")]
    return Message("\n".join(lines), keyboard(_actions(w, roster)))


def _actions(w: Work, roster: ShiftRoster) -> list[list]:
    tr = w.tr
    shift = roster.info.shift
    sid = shift.id
    is_open = shift.status == ShiftStatus.OPEN
    started, ended = w.now >= shift.starts_at, w.now >= shift.ends_at
    opens = shift.starts_at - timedelta(minutes=w.deps.settings.shifts.checkin_opens_minutes)
    not_in = [
        line
        for line in roster.with_status(SignupStatus.CONFIRMED)
        if not (line.attendance and line.attendance.checked_in_at)
    ]
    unsettled = [
        line
        for line in not_in
        if not (line.attendance and line.attendance.status == AttendanceStatus.NO_SHOW)
    ]
    still_in = [
        line
        for line in roster.lines
        if line.attendance
        and line.attendance.status in (AttendanceStatus.CHECKED_IN, AttendanceStatus.NEEDS_REVIEW)
    ]
    rows = []
    if is_open and not started:
        rows.append([button(tr("➕ Assign a volunteer"), f"ro:add:{sid}:0")])
        if roster.with_status(SignupStatus.WAITLISTED):
            rows.append([button(tr("⬆ Give a waitlisted volunteer a place"), f"ro:up:{sid}")])
    if is_open and opens <= w.now < shift.ends_at and not_in:
        rows.append([button(tr("✋ Check someone in"), f"ro:in:{sid}")])
    if started and shift.status != ShiftStatus.CANCELLED:
        if unsettled and shift.status == ShiftStatus.OPEN:
            rows.append([button(tr("🚫 Mark a no-show"), f"ro:ns:{sid}")])
        if unsettled and shift.status == ShiftStatus.CLOSED:
            rows.append([button(tr("📝 Review the absent"), f"ro:rv:{sid}")])
        if still_in:
            rows.append([button(tr("✅ Confirm everyone checked in as present"), f"ro:all:{sid}")])
    if is_open and not ended:
        rows.append([button(tr("❌ Cancel this shift"), f"ro:cx:{sid}")])
        if shift.template_id is not None:
            rows.append([button(tr("🛑 Stop repeating"), f"ro:stop:{sid}")])
    rows.append([button(tr("🔄 Refresh"), f"ro:v:{sid}"), button(tr("◀ All shifts"), "ro:list:0")])
    return rows


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
            change = await signups.invite(
                w.session, w.person, sid, pid, settings=settings, zone=zone, now=w.now
            )
            info = await shifts.info(w.session, sid)
            label = shift_label(info.shift, settings, zone, info.post)
            if not change.already:
                leader_name = await real_name(w.session, w.person.id)
                await w.enqueue(pid, invitation_notice(label, leader_name, sid))
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
            await signups.move_up(w.session, w.person, sid, pid, now=w.now)
            info = await shifts.info(w.session, sid)
            await w.enqueue(
                pid, promoted_notice(shift_label(info.shift, settings, zone, info.post))
            )
            refresh = sid
            message = await roster_message(w, sid)
        elif action == "in":
            (sid,) = callback_args(update, 1)
            roster = await attendance.shift_roster(w.session, w.person, int_arg(sid))
            people = [
                (line.person_id, line.name)
                for line in roster.with_status(SignupStatus.CONFIRMED)
                if not (line.attendance and line.attendance.checked_in_at)
            ]
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
            people = [
                (line.person_id, line.name)
                for line in roster.missing(w.now)
                if not (line.attendance and line.attendance.status == AttendanceStatus.NO_SHOW)
            ]
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
            if action == "cxy":
                results = [
                    await shifts.cancel_shift(
                        w.session, w.person, int_arg(sid), reason="", now=w.now
                    )
                ]
            else:
                info = await shifts.info(w.session, int_arg(sid))
                if info.shift.template_id is None:
                    raise StaleAction()
                results = await shifts.stop_repeating(
                    w.session, w.person, info.shift.template_id, now=w.now
                )
            for result in results:
                post = (await shifts.info(w.session, result.shift.id)).post
                label = shift_label(result.shift, settings, zone, post)
                notice = Notice(
                    N_("❌ Cancelled by your leader: {shift}. Thank you all the same!"),
                    {"shift": label},
                )
                await tell(w, [(pid, notice) for pid in result.people])
            popup = w.tr("Cancelled; everyone on it is being told.")
            message = await _shift_list(w, 0)
            refresh = [r.shift.id for r in results]
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
