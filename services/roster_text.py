"""A shift's roster in words, and what its leader can do with it now (both channels)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from models import AttendanceStatus, CheckMethod, ShiftStatus, SignupStatus
from services.attendance import RosterLine, ShiftRoster
from services.i18n import N_, Translator
from services.settings import Settings
from services.shift_cards import places
from services.shifts import ShiftInfo

# The roster lists shifts from this long ago (for reviewing) to this far ahead.
LOOK_BACK = timedelta(days=3)
LOOK_AHEAD = timedelta(days=14)

METHOD_LABELS = {
    CheckMethod.QR: N_("QR code"),
    CheckMethod.LOCATION: N_("location"),
    CheckMethod.LEADER: N_("by the leader"),
    CheckMethod.LEADER_ALL: N_("confirmed by the leader"),
    CheckMethod.SELF: N_("self-reported"),
}


class RosterAction(StrEnum):
    ASSIGN = "add"
    GIVE_PLACE = "up"
    CHECK_IN = "in"
    NO_SHOW = "ns"
    REVIEW = "rv"
    ALL_PRESENT = "all"
    CANCEL = "cx"
    STOP_REPEATING = "stop"


ACTION_LABELS = {
    RosterAction.ASSIGN: N_("➕ Assign a volunteer"),
    RosterAction.GIVE_PLACE: N_("⬆ Give a waitlisted volunteer a place"),
    RosterAction.CHECK_IN: N_("✋ Check someone in"),
    RosterAction.NO_SHOW: N_("🚫 Mark a no-show"),
    RosterAction.REVIEW: N_("📝 Review the absent"),
    RosterAction.ALL_PRESENT: N_("✅ Confirm everyone checked in as present"),
    RosterAction.CANCEL: N_("❌ Cancel this shift"),
    RosterAction.STOP_REPEATING: N_("🛑 Stop repeating"),
}


def shift_line(tr: Translator, info: ShiftInfo, settings: Settings) -> str:
    """The shift's label with its places taken, as in lists."""
    label = info.label(settings.shifts, settings.bot.zone).localize(tr)
    return f"{label} ({info.taken}/{info.shift.capacity})"


def _hhmm(moment: datetime, settings: Settings) -> str:
    return f"{moment.astimezone(settings.bot.zone):%H:%M}"


def person_line(tr: Translator, number: int, line: RosterLine, settings: Settings) -> str:
    text = f"{number}. {line.name} · {line.phone}"
    record = line.attendance
    if record and record.checked_in_at:
        method = tr(METHOD_LABELS[record.check_in_method])
        if record.check_in_distance_m is not None:
            method += " " + tr("{distance} m").format(distance=round(record.check_in_distance_m))
        text += " · " + tr("in {time} ({method})").format(
            time=_hhmm(record.checked_in_at, settings), method=method
        )
    if record and record.checked_out_at:
        text += " · " + tr("out {time}").format(time=_hhmm(record.checked_out_at, settings))
    if record and record.status == AttendanceStatus.NO_SHOW:
        text += " · " + tr("no-show")
    if record and record.status == AttendanceStatus.NEEDS_REVIEW:
        text += " · " + tr("did not check out")
    if record and record.status == AttendanceStatus.CONFIRMED:
        text += " ✓"
    return text


def _check_in_opens(roster: ShiftRoster, settings: Settings) -> datetime:
    minutes = settings.shifts.checkin_opens_minutes
    return roster.info.shift.starts_at - timedelta(minutes=minutes)


def roster_lines(
    tr: Translator, roster: ShiftRoster, settings: Settings, now: datetime
) -> list[str]:
    """Who is on the shift, grouped by where they stand (checked in, not yet, waiting)."""
    info = roster.info
    shift = info.shift
    lines = ["📋 " + shift_line(tr, info, settings), places(info, tr)]
    if shift.status == ShiftStatus.CANCELLED:
        lines.append(tr("❌ Cancelled: {reason}").format(reason=shift.cancel_reason or "—"))
    started = now >= shift.starts_at
    sections = []
    if now >= _check_in_opens(roster, settings):
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
            lines.append(person_line(tr, number, line, settings))
    if not roster.lines:
        lines += ["", tr("Nobody has signed up yet.")]
    return lines


def not_checked_in(roster: ShiftRoster) -> list[RosterLine]:
    return [
        line
        for line in roster.with_status(SignupStatus.CONFIRMED)
        if not (line.attendance and line.attendance.checked_in_at)
    ]


def unsettled(roster: ShiftRoster, now: datetime) -> list[RosterLine]:
    """Missing people not yet marked as no-shows."""
    return [
        line
        for line in roster.missing(now)
        if not (line.attendance and line.attendance.status == AttendanceStatus.NO_SHOW)
    ]


def available_actions(roster: ShiftRoster, settings: Settings, now: datetime) -> list[RosterAction]:
    """What the leader can do with the shift at this moment, in the order shown."""
    shift = roster.info.shift
    is_open = shift.status == ShiftStatus.OPEN
    started, ended = now >= shift.starts_at, now >= shift.ends_at
    missing = [
        line
        for line in not_checked_in(roster)
        if not (line.attendance and line.attendance.status == AttendanceStatus.NO_SHOW)
    ]
    still_in = [
        line
        for line in roster.lines
        if line.attendance
        and line.attendance.status in (AttendanceStatus.CHECKED_IN, AttendanceStatus.NEEDS_REVIEW)
    ]
    actions = []
    if is_open and not started:
        actions.append(RosterAction.ASSIGN)
        if roster.with_status(SignupStatus.WAITLISTED):
            actions.append(RosterAction.GIVE_PLACE)
    if (
        is_open
        and _check_in_opens(roster, settings) <= now < shift.ends_at
        and not_checked_in(roster)
    ):
        actions.append(RosterAction.CHECK_IN)
    if started and shift.status != ShiftStatus.CANCELLED:
        if missing and shift.status == ShiftStatus.OPEN:
            actions.append(RosterAction.NO_SHOW)
        if missing and shift.status == ShiftStatus.CLOSED:
            actions.append(RosterAction.REVIEW)
        if still_in:
            actions.append(RosterAction.ALL_PRESENT)
    if is_open and not ended:
        actions.append(RosterAction.CANCEL)
        if shift.template_id is not None:
            actions.append(RosterAction.STOP_REPEATING)
    return actions
