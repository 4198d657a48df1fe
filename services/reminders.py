"""Pushes about shifts, worked out from the database at a given moment:
reminders (the first asks "still coming?"), the unconfirmed and missing lists
for leaders, under-staffing warnings, the Friday call-up, the weekly digest.

Each planner writes outbox notifications under keys that name the occurrence
(reminder:<shift>:<person>:<offset>…), so running it every minute, twice, or
after a restart sends each once. A push due while the bot was down is still
written within the grace window (and goes out marked late), not dropped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    OPEN_STATUSES,
    Attendance,
    AttendanceStatus,
    EntryStatus,
    Grid,
    LedgerEntry,
    MemberRole,
    Notification,
    NotificationStatus,
    Person,
    Post,
    Report,
    Shift,
    ShiftSignup,
    ShiftStatus,
    SignupStatus,
    Team,
    TeamMember,
    Volunteer,
)
from services import outbox, shifts
from services.errors import NotSignedUp, ShiftNotOpen, UnknownChoice
from services.i18n import N_, Catalogs, Translator, format_day, format_duration
from services.notifier import Action, Notice
from services.report_labels import CategoryLabel, ticket
from services.reports import overdue as report_overdue
from services.settings import Settings, ShiftSettings
from services.shifts import ShiftInfo, ShiftLabel, shift_label
from services.teams import leader_ids

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Moment:
    """What every planner needs: the settings, the catalogs, and now."""

    settings: Settings
    catalogs: Catalogs
    now: datetime

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.bot.zone

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.settings.reminders.grace_hours)

    def local(self) -> datetime:
        return self.now.astimezone(self.zone)

    def weekly_slot(self, weekday: int, at_time: time) -> datetime | None:
        """This week's moment for a weekly push (the call-up, the digest) when it is due
        now, within the grace window; None otherwise."""
        local = self.local()
        slot = local.replace(hour=at_time.hour, minute=at_time.minute, second=0, microsecond=0)
        if local.weekday() != weekday or not slot <= local <= slot + self.grace:
            return None
        return slot


def _first_offset(settings: Settings) -> int:
    return max(settings.reminders.offsets_minutes)


def _reminder_key(shift_id: int, person_id: int, offset: int) -> str:
    return f"reminder:{shift_id}:{person_id}:{offset}"


async def _enqueue(
    session: AsyncSession, at: Moment, notice: Notice, *, key: str, kind: str, **options
) -> bool:
    return (
        await outbox.enqueue(
            session, notice, catalogs=at.catalogs, now=at.now, key=key, kind=kind, **options
        )
        is not None
    )


# --- reminders --------------------------------------------------------------------------


async def plan_reminders(session: AsyncSession, at: Moment) -> int:
    """The reminder due now for each confirmed volunteer (only the latest one due: after
    downtime nobody gets the 24-hour and the 1-hour reminder at once)."""
    offsets = at.settings.reminders.offsets_minutes
    horizon = at.now + timedelta(minutes=max(offsets))
    rows = await session.exec(
        select(Shift, ShiftSignup, Volunteer, Post)
        .join(ShiftSignup, ShiftSignup.shift_id == Shift.id)
        .join(Volunteer, Volunteer.person_id == ShiftSignup.person_id)
        .join(Post, Post.id == Shift.post_id, isouter=True)
        .where(
            Shift.status == ShiftStatus.OPEN,
            Shift.starts_at > at.now,
            Shift.starts_at <= horizon,
            ShiftSignup.status == SignupStatus.CONFIRMED,
        )
    )
    written = 0
    for shift, signup, volunteer, post in rows.all():
        if shift.kind in volunteer.muted_kinds:
            continue
        due = [o for o in offsets if shift.starts_at - timedelta(minutes=o) <= at.now]
        offset = min(due)
        due_at = shift.starts_at - timedelta(minutes=offset)
        # Too late to be useful, or they signed up after this reminder's moment.
        if at.now - due_at > at.grace or signup.updated_at > due_at:
            continue
        written += await _enqueue(
            session,
            at,
            _reminder(shift, post, offset == max(offsets), at),
            key=_reminder_key(shift.id, signup.person_id, offset),
            kind="reminder",
            person_id=signup.person_id,
            due_at=due_at,
            location=(post.latitude, post.longitude) if post else None,
            # The last one before an early shift (06:00 for 07:00) cannot wait for
            # the end of quiet hours; earlier ones can.
            urgent=offset == min(offsets),
        )
    return written


@dataclass(frozen=True)
class ReminderText:
    """The reminder: the shift, where it is, and (a day before) the question."""

    shift: ShiftLabel
    post: Post | None
    asks: bool

    def localize(self, tr: Translator) -> str:
        shift = self.shift.localize(tr)
        if self.asks:
            lines = [tr("⏰ Reminder: {shift}.").format(shift=shift)]
        else:
            lines = [tr("⏰ {shift} starts soon.").format(shift=shift)]
        if self.post:
            lines.append(
                tr("📍 {post} ({address})").format(post=self.post.name, address=self.post.address)
            )
        if self.asks:
            lines.append(tr("Are you still coming?"))
        return "\n".join(lines)


def _reminder(shift: Shift, post: Post | None, first: bool, at: Moment) -> Notice:
    text = ReminderText(shift_label(shift, at.settings.shifts, at.zone, post), post, asks=first)
    if not first:
        return Notice(text)
    return Notice(
        text,
        actions=(
            (Action(N_("✅ Yes, I am coming"), f"rm:yes:{shift.id}"),),
            (Action(N_("❌ I cannot make it"), f"my:cx:{shift.id}"),),
        ),
    )


async def answer_coming(
    session: AsyncSession, person: Person, shift_id: int, *, now: datetime
) -> Shift:
    """ "Still coming?" — yes."""
    shift = await shifts.get_shift(session, shift_id)
    if shift.status != ShiftStatus.OPEN or shift.starts_at <= now:
        raise ShiftNotOpen()
    signup = (
        await session.exec(
            select(ShiftSignup).where(
                ShiftSignup.shift_id == shift_id,
                ShiftSignup.person_id == person.id,
                ShiftSignup.status == SignupStatus.CONFIRMED,
            )
        )
    ).first()
    if signup is None:
        raise NotSignedUp()
    signup.confirmed_coming_at = signup.confirmed_coming_at or now
    await session.flush()
    return shift


async def set_muted(
    session: AsyncSession, person: Person, kind: str, *, muted: bool, shifts: ShiftSettings
) -> list[str]:
    if shifts.kind(kind) is None:
        raise UnknownChoice()
    volunteer = await session.get_one(Volunteer, person.id)
    chosen = set(volunteer.muted_kinds) | {kind} if muted else set(volunteer.muted_kinds) - {kind}
    volunteer.muted_kinds = [k.code for k in shifts.kinds if k.code in chosen]
    await session.flush()
    return volunteer.muted_kinds


# --- for leaders ------------------------------------------------------------------------


async def _names(session: AsyncSession, person_ids: list[int]) -> str:
    rows = await session.exec(
        select(Volunteer.real_name, Volunteer.phone).where(col(Volunteer.person_id).in_(person_ids))
    )
    return ", ".join(f"{name} {phone}" for name, phone in rows.all())


def _roster_button(shift_id: int) -> tuple[tuple[Action, ...], ...]:
    return ((Action(N_("📋 Roster"), f"ro:n:{shift_id}"),),)


async def _to_leaders(
    session: AsyncSession,
    at: Moment,
    shift: Shift,
    notice: Notice,
    *,
    key: str,
    kind: str,
    due_at: datetime,
) -> int:
    if shift.team_id is None:
        return 0
    written = 0
    for leader in await leader_ids(session, shift.team_id):
        written += await _enqueue(
            session, at, notice, key=f"{key}:{leader}", kind=kind, person_id=leader, due_at=due_at
        )
    return written


async def _open_shifts(session: AsyncSession, *conditions) -> list[tuple[Shift, Post | None]]:
    rows = await session.exec(
        select(Shift, Post)
        .join(Post, Post.id == Shift.post_id, isouter=True)
        .where(Shift.status == ShiftStatus.OPEN, *conditions)
    )
    return [tuple(row) for row in rows.all()]


async def plan_unconfirmed(session: AsyncSession, at: Moment) -> int:
    """Asked "still coming?" and silent by the deadline: the leader may find replacements."""
    before = timedelta(hours=at.settings.reminders.confirm_by_hours)
    first = _first_offset(at.settings)
    written = 0
    for shift, post in await _open_shifts(
        session,
        # The deadline (start - before) has passed, by no more than the grace period.
        Shift.starts_at <= at.now + before,
        Shift.starts_at > at.now,
        Shift.starts_at >= at.now + before - at.grace,
    ):
        asked = select(Notification.person_id).where(
            Notification.status == NotificationStatus.SENT,
            col(Notification.key).startswith(f"reminder:{shift.id}:"),
            col(Notification.key).endswith(f":{first}"),
        )
        silent = (
            await session.exec(
                select(ShiftSignup.person_id).where(
                    ShiftSignup.shift_id == shift.id,
                    ShiftSignup.status == SignupStatus.CONFIRMED,
                    ShiftSignup.confirmed_coming_at.is_(None),
                    col(ShiftSignup.person_id).in_(asked),
                )
            )
        ).all()
        if not silent:
            continue
        notice = Notice(
            N_("❓ Not yet confirmed for {shift}: {names}. You may want to find replacements."),
            {
                "shift": shift_label(shift, at.settings.shifts, at.zone, post),
                "names": await _names(session, list(silent)),
            },
            actions=_roster_button(shift.id),
        )
        written += await _to_leaders(
            session,
            at,
            shift,
            notice,
            key=f"unconfirmed:{shift.id}",
            kind="unconfirmed",
            due_at=shift.starts_at - before,
        )
    return written


async def plan_missing(session: AsyncSession, at: Moment) -> int:
    """A while after the start: who has not checked in."""
    after = timedelta(minutes=at.settings.reminders.missing_after_minutes)
    written = 0
    for shift, post in await _open_shifts(
        session, Shift.starts_at <= at.now - after, Shift.ends_at > at.now
    ):
        checked_in = select(Attendance.person_id).where(
            Attendance.shift_id == shift.id, Attendance.checked_in_at.is_not(None)
        )
        missing = (
            await session.exec(
                select(ShiftSignup.person_id).where(
                    ShiftSignup.shift_id == shift.id,
                    ShiftSignup.status == SignupStatus.CONFIRMED,
                    col(ShiftSignup.person_id).not_in(checked_in),
                )
            )
        ).all()
        if not missing:
            continue
        notice = Notice(
            N_("⚠️ Not checked in {minutes} minutes after the start of {shift}: {names}."),
            {
                "minutes": at.settings.reminders.missing_after_minutes,
                "shift": shift_label(shift, at.settings.shifts, at.zone, post),
                "names": await _names(session, list(missing)),
            },
            actions=_roster_button(shift.id),
        )
        written += await _to_leaders(
            session,
            at,
            shift,
            notice,
            key=f"missing:{shift.id}",
            kind="missing",
            due_at=shift.starts_at + after,
        )
    return written


async def plan_understaffed(session: AsyncSession, at: Moment) -> int:
    """A shift soon and below its minimum: the leader is warned once."""
    window = timedelta(hours=at.settings.reminders.understaffed_hours)
    candidates = await _open_shifts(
        session,
        Shift.starts_at > at.now,
        Shift.starts_at <= at.now + window,
        Shift.min_volunteers > 0,
    )
    if not candidates:
        return 0
    infos = await shifts.infos(session, [shift for shift, _ in candidates])
    written = 0
    for info in infos:
        if info.taken >= info.shift.min_volunteers:
            continue
        notice = Notice(
            N_("⚠️ {shift} has {taken} of at least {minimum} volunteers ({waiting} waiting)."),
            {
                "shift": info.label(at.settings.shifts, at.zone),
                "taken": info.taken,
                "minimum": info.shift.min_volunteers,
                "waiting": info.waitlisted,
            },
            actions=_roster_button(info.shift.id),
        )
        written += await _to_leaders(
            session,
            at,
            info.shift,
            notice,
            key=f"understaffed:{info.shift.id}",
            kind="understaffed",
            due_at=at.now,
        )
    return written


# --- the Friday call-up ------------------------------------------------------------------


def is_statutory_holiday(day: date) -> bool:
    """A working weekday that is a public holiday in mainland China (chinese-calendar).
    Unknown years count as ordinary days (the library covers years it was released for)."""
    try:
        return day.weekday() < 5 and chinese_calendar.is_holiday(day)
    except NotImplementedError:
        log.warning("chinese-calendar has no data for %s; treating it as an ordinary day", day)
        return False


async def plan_callups(session: AsyncSession, at: Moment) -> int:
    """On the call-up day at the call-up time: under-filled shifts of tomorrow get a call."""
    settings = at.settings.reminders
    moment = at.weekly_slot(settings.callup_weekday, settings.callup_time)
    if moment is None:
        return 0
    tomorrow = moment.date() + timedelta(days=1)
    if settings.callup_on_holiday == "skip" and is_statutory_holiday(tomorrow):
        return 0
    start = datetime.combine(tomorrow, datetime.min.time(), tzinfo=at.zone)
    candidates = await _open_shifts(
        session,
        Shift.starts_at >= start,
        Shift.starts_at < start + timedelta(days=1),
        col(Shift.kind).in_(settings.callup_kinds),
        Shift.team_id.is_not(None),
    )
    if not candidates:
        return 0
    written = 0
    for info in await shifts.infos(session, [shift for shift, _ in candidates]):
        missing = info.shift.capacity - info.taken
        if missing <= 0:
            continue
        written += await _call_up(session, at, info, missing, moment)
    return written


async def _call_up(
    session: AsyncSession, at: Moment, info: ShiftInfo, missing: int, moment: datetime
) -> int:
    already = await session.exec(
        select(Notification.id)
        .where(col(Notification.key).startswith(f"callup:{info.shift.id}:"))
        .limit(1)
    )
    if already.first() is not None:
        return 0  # one call per shift, even if the team linked its group since
    label = info.label(at.settings.shifts, at.zone)
    call = Notice(
        N_("📣 Call-up: {shift} still needs {missing} volunteers. Can you help?"),
        {"shift": label, "missing": missing},
        actions=((Action(N_("🙋 Sign up"), f"sh:join:{info.shift.id}"),),),
    )
    written = 0
    team = await session.get_one(Team, info.shift.team_id)
    if team.group_chat_id:
        written += await _enqueue(
            session,
            at,
            call,
            key=f"callup:{info.shift.id}:group",
            kind="callup",
            chat_id=team.group_chat_id,
            language=at.settings.bot.default_language,
            due_at=moment,
        )
    else:
        on_it = select(ShiftSignup.person_id).where(
            ShiftSignup.shift_id == info.shift.id,
            col(ShiftSignup.status).in_(
                [SignupStatus.CONFIRMED, SignupStatus.WAITLISTED, SignupStatus.INVITED]
            ),
        )
        # Leaders get the report below instead of the call.
        members = await session.exec(
            select(TeamMember.person_id).where(
                TeamMember.team_id == team.id,
                TeamMember.left_at.is_(None),
                TeamMember.role == MemberRole.MEMBER,
                col(TeamMember.person_id).not_in(on_it),
            )
        )
        for person_id in members.all():
            written += await _enqueue(
                session,
                at,
                call,
                key=f"callup:{info.shift.id}:{person_id}",
                kind="callup",
                person_id=person_id,
                due_at=moment,
            )
    report = Notice(
        N_("📣 The call-up for {shift} went out: {missing} places are still open."),
        {"shift": label, "missing": missing},
        actions=_roster_button(info.shift.id),
    )
    written += await _to_leaders(
        session,
        at,
        info.shift,
        report,
        key=f"callup-leader:{info.shift.id}",
        kind="callup",
        due_at=moment,
    )
    return written


# --- the weekly digest ------------------------------------------------------------------


@dataclass(frozen=True)
class Digest:
    """A team's week, as the leader reads it on Monday morning."""

    team: str
    week_start: date
    shifts: int
    attended: int
    no_shows: int
    minutes: int
    gaps: list[tuple[ShiftLabel, int, int, int]]  # label, taken, capacity, minimum
    # Residents' reports in the team's community: open now, and those past their deadline.
    open_reports: int = 0
    overdue_reports: tuple[tuple[str, CategoryLabel], ...] = ()

    def localize(self, tr: Translator) -> str:
        lines = [
            tr("📊 {team}: the week from {day}").format(
                team=self.team, day=format_day(self.week_start, tr.language)
            ),
            tr("Shifts: {shifts} · attended: {attended} · no-shows: {no_shows}").format(
                shifts=self.shifts, attended=self.attended, no_shows=self.no_shows
            ),
            tr("Service approved: {duration}").format(duration=format_duration(tr, self.minutes)),
            "",
        ]
        if self.gaps:
            lines.append(tr("Next week still needs people:"))
            for label, taken, capacity, minimum in self.gaps:
                line = f"• {label.localize(tr)} {taken}/{capacity}"
                if minimum:
                    line += " " + tr("(at least {minimum})").format(minimum=minimum)
                lines.append(line)
        else:
            lines.append(tr("Next week's shifts are all full."))
        lines.append("")
        lines.append(
            tr("Residents' reports open in your community: {count}").format(count=self.open_reports)
        )
        if self.overdue_reports:
            lines.append(tr("Past their deadline (please see to them):"))
            lines.extend(
                f"• {number} {label.localize(tr)}" for number, label in self.overdue_reports
            )
        return "\n".join(lines)


async def plan_digests(session: AsyncSession, at: Moment) -> int:
    settings = at.settings.reminders
    moment = at.weekly_slot(settings.digest_weekday, settings.digest_time)
    if moment is None:
        return 0
    this_week = moment.date() - timedelta(days=moment.weekday())
    last_week = this_week - timedelta(days=7)
    written = 0
    for team in (await session.exec(select(Team))).all():
        leaders = await leader_ids(session, team.id)
        if not leaders:
            continue
        digest = await _digest(session, at, team, last_week, this_week)
        for leader in leaders:
            written += await _enqueue(
                session,
                at,
                Notice(digest),
                key=f"digest:{this_week}:{team.id}:{leader}",
                kind="digest",
                person_id=leader,
                due_at=moment,
            )
    return written


async def _digest(
    session: AsyncSession, at: Moment, team: Team, last_week: date, this_week: date
) -> Digest:
    zone = at.zone
    start = datetime.combine(last_week, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(this_week, datetime.min.time(), tzinfo=zone)
    past = (
        await session.exec(
            select(Shift.id).where(
                Shift.team_id == team.id,
                Shift.starts_at >= start,
                Shift.starts_at < end,
                Shift.status != ShiftStatus.CANCELLED,
            )
        )
    ).all()
    statuses = (
        await session.exec(
            select(Attendance.status, func.count())
            .where(col(Attendance.shift_id).in_(past))
            .group_by(Attendance.status)
        )
    ).all()
    counted = dict(statuses)
    attended = sum(
        counted.get(s, 0)
        for s in (
            AttendanceStatus.CHECKED_OUT,
            AttendanceStatus.CONFIRMED,
            AttendanceStatus.NEEDS_REVIEW,
            AttendanceStatus.CHECKED_IN,
        )
    )
    no_shows = counted.get(AttendanceStatus.NO_SHOW, 0) + counted.get(AttendanceStatus.ABSENT, 0)
    minutes = (
        await session.exec(
            select(func.coalesce(func.sum(LedgerEntry.minutes), 0)).where(
                LedgerEntry.team_id == team.id,
                LedgerEntry.status == EntryStatus.APPROVED,
                LedgerEntry.service_date >= last_week,
                LedgerEntry.service_date < this_week,
            )
        )
    ).one()
    upcoming = (
        await session.exec(
            select(Shift)
            .where(
                Shift.team_id == team.id,
                Shift.status == ShiftStatus.OPEN,
                Shift.starts_at >= end,
                Shift.starts_at < end + timedelta(days=7),
            )
            .order_by(col(Shift.starts_at))
        )
    ).all()
    gaps = [
        (
            info.label(at.settings.shifts, zone),
            info.taken,
            info.shift.capacity,
            info.shift.min_volunteers,
        )
        for info in await shifts.infos(session, list(upcoming))
        if info.taken < info.shift.capacity
    ]
    open_reports = (
        await session.exec(
            select(Report)
            .join(Grid, Grid.id == Report.grid_id)
            .where(Grid.community_id == team.community_id, col(Report.status).in_(OPEN_STATUSES))
            .order_by(Report.id)
        )
    ).all()
    overdue = tuple(
        (ticket(r.id), CategoryLabel(at.settings.reports, r.category))
        for r in open_reports
        if report_overdue(r, at.settings.reports, at.now)
    )
    return Digest(
        team.name,
        last_week,
        len(past),
        attended,
        no_shows,
        int(minutes),
        gaps,
        open_reports=len(open_reports),
        overdue_reports=overdue,
    )


async def plan_all(session: AsyncSession, at: Moment) -> int:
    written = 0
    for planner in (
        plan_reminders,
        plan_unconfirmed,
        plan_missing,
        plan_understaffed,
        plan_callups,
        plan_digests,
    ):
        written += await planner(session, at)
    return written
