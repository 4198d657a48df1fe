"""Attendance at a shift: check-in and check-out at the post, leader confirmation,
closing ended shifts for review. What is recorded is what happened, and how it was
confirmed; nothing is credited silently."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    Attendance,
    AttendanceStatus,
    CheckMethod,
    Person,
    Post,
    Shift,
    ShiftSignup,
    ShiftStatus,
    SignupStatus,
    Volunteer,
)
from services.errors import (
    AlreadyCheckedIn,
    AlreadyCheckedOut,
    NoCurrentShift,
    NotSignedUp,
    ShiftNotOpen,
    ShiftNotStarted,
    StaleAction,
    TooFar,
)
from services.geo import distance_m
from services.i18n import Translator, format_duration
from services.ledger import credit_attendance
from services.posts import post_by_code
from services.settings import LedgerSettings, Settings, ShiftSettings
from services.shifts import ShiftInfo, get_shift, info, require_manager, shift_label

# A second scan this soon after checking in is taken as a slip, not a check-out.
MIN_STAY = timedelta(minutes=10)


@dataclass(frozen=True)
class LocalTime:
    """A moment shown as HH:MM in the configured zone (localizable param)."""

    moment: datetime
    zone: ZoneInfo

    def localize(self, tr) -> str:
        return f"{self.moment.astimezone(self.zone):%H:%M}"


@dataclass(frozen=True)
class CheckResult:
    checked_in: bool  # False: this was the check-out
    shift: Shift
    post: Post | None
    attendance: Attendance


def _window(shift: Shift, settings: ShiftSettings) -> tuple[datetime, datetime]:
    opens = shift.starts_at - timedelta(minutes=settings.checkin_opens_minutes)
    closes = shift.ends_at + timedelta(minutes=settings.checkout_grace_minutes)
    return opens, closes


async def _current(
    session: AsyncSession,
    person: Person,
    *,
    settings: ShiftSettings,
    zone: ZoneInfo,
    now: datetime,
) -> list[tuple[Shift, Post | None]]:
    """The person's confirmed shifts whose check-in/out window is open now, minus those
    already checked out of; the one they are checked in to first, then by start.
    (Back-to-back shifts at one post: scanning at 08:05 checks in to the 08:00 shift
    even though the 07:00 one is still in its check-out grace.)"""
    rows = await session.exec(
        select(Shift, Post, Attendance)
        .join(ShiftSignup, ShiftSignup.shift_id == Shift.id)
        .join(Post, Post.id == Shift.post_id, isouter=True)
        .join(
            Attendance,
            (Attendance.shift_id == Shift.id) & (Attendance.person_id == ShiftSignup.person_id),
            isouter=True,
        )
        .where(
            ShiftSignup.person_id == person.id,
            ShiftSignup.status == SignupStatus.CONFIRMED,
            Shift.status == ShiftStatus.OPEN,
            Shift.starts_at <= now + timedelta(minutes=settings.checkin_opens_minutes),
            Shift.ends_at >= now - timedelta(minutes=settings.checkout_grace_minutes),
        )
        .order_by(col(Shift.starts_at))
    )
    found = rows.all()
    open_rows = [row for row in found if row[2] is None or row[2].checked_out_at is None]
    if not open_rows:
        finished = [record for _, _, record in found if record is not None]
        if finished:  # a second scan after checking out: say so, kindly
            last = max(finished, key=lambda record: record.checked_out_at)
            raise AlreadyCheckedOut(time=LocalTime(last.checked_out_at, zone))
    open_rows.sort(key=lambda row: row[2] is None or row[2].checked_in_at is None)
    return [(shift, post) for shift, post, _ in open_rows]


async def check_by_post_code(
    session: AsyncSession,
    person: Person,
    code: str,
    *,
    settings: ShiftSettings,
    zone: ZoneInfo,
    now: datetime,
) -> CheckResult:
    """Scanning the post's QR code: check in, or (later) check out."""
    post = await post_by_code(session, code)
    here = [
        (s, p)
        for s, p in await _current(session, person, settings=settings, zone=zone, now=now)
        if p and p.id == post.id
    ]
    if not here:
        raise NoCurrentShift(minutes=settings.checkin_opens_minutes)
    shift, _ = here[0]
    return await _check(session, person, shift, post, CheckMethod.QR, None, zone=zone, now=now)


async def check_by_location(
    session: AsyncSession,
    person: Person,
    latitude: float,
    longitude: float,
    *,
    settings: ShiftSettings,
    zone: ZoneInfo,
    now: datetime,
) -> CheckResult:
    """Sharing one's location at the post: check in, or (later) check out."""
    candidates = [
        (distance_m(latitude, longitude, p.latitude, p.longitude), s, p)
        for s, p in await _current(session, person, settings=settings, zone=zone, now=now)
        if p is not None
    ]
    if not candidates:
        raise NoCurrentShift(minutes=settings.checkin_opens_minutes)
    distance, shift, post = min(candidates, key=lambda c: c[0])
    if distance > post.radius_m:
        raise TooFar(
            distance=round(distance),
            post=post.name,
            address=post.address,
            radius=post.radius_m,
            latitude=post.latitude,
            longitude=post.longitude,
        )
    return await _check(
        session, person, shift, post, CheckMethod.LOCATION, distance, zone=zone, now=now
    )


async def _attendance(session: AsyncSession, shift_id: int, person_id: int) -> Attendance | None:
    return (
        await session.exec(
            select(Attendance).where(
                Attendance.shift_id == shift_id, Attendance.person_id == person_id
            )
        )
    ).first()


async def _check(
    session: AsyncSession,
    person: Person,
    shift: Shift,
    post: Post | None,
    method: CheckMethod,
    distance: float | None,
    *,
    zone: ZoneInfo,
    now: datetime,
) -> CheckResult:
    record = await _attendance(session, shift.id, person.id)
    if record is None or record.checked_in_at is None:
        if now > shift.ends_at:
            raise ShiftNotOpen()
        record = record or Attendance(
            shift_id=shift.id,
            person_id=person.id,
            status=AttendanceStatus.CHECKED_IN,
            updated_at=now,
        )
        record.status = AttendanceStatus.CHECKED_IN
        record.checked_in_at, record.check_in_method = now, method
        record.check_in_distance_m, record.updated_at = distance, now
        session.add(record)
        await session.flush()
        return CheckResult(True, shift, post, record)
    if record.checked_out_at is not None:
        raise AlreadyCheckedOut(time=LocalTime(record.checked_out_at, zone))
    if now - record.checked_in_at < MIN_STAY:
        raise AlreadyCheckedIn(time=LocalTime(record.checked_in_at, zone))
    record.status = AttendanceStatus.CHECKED_OUT
    record.checked_out_at, record.check_out_method = now, method
    record.check_out_distance_m, record.updated_at = distance, now
    await session.flush()
    return CheckResult(False, shift, post, record)


# --- leaders -------------------------------------------------------------------------------


async def _confirmed(session: AsyncSession, shift_id: int, person_id: int) -> None:
    signup = (
        await session.exec(
            select(ShiftSignup).where(
                ShiftSignup.shift_id == shift_id,
                ShiftSignup.person_id == person_id,
                ShiftSignup.status == SignupStatus.CONFIRMED,
            )
        )
    ).first()
    if signup is None:
        raise NotSignedUp()


async def leader_check_in(
    session: AsyncSession,
    actor: Person,
    shift_id: int,
    person_id: int,
    *,
    settings: ShiftSettings,
    now: datetime,
) -> Attendance:
    """The leader checks someone in by hand (phone dead, no signal); recorded as such."""
    shift = await get_shift(session, shift_id)
    await require_manager(session, actor, shift.team_id)
    opens, _ = _window(shift, settings)
    if shift.status != ShiftStatus.OPEN or now > shift.ends_at:
        raise ShiftNotOpen()
    if now < opens:
        raise ShiftNotStarted()
    await _confirmed(session, shift_id, person_id)
    record = await _attendance(session, shift_id, person_id)
    if record is not None and record.checked_in_at is not None:
        raise StaleAction()
    record = record or Attendance(
        shift_id=shift_id, person_id=person_id, status=AttendanceStatus.CHECKED_IN, updated_at=now
    )
    record.status = AttendanceStatus.CHECKED_IN
    record.checked_in_at, record.check_in_method = now, CheckMethod.LEADER
    record.recorded_by, record.updated_at = actor.id, now
    session.add(record)
    await session.flush()
    return record


async def confirm_all_present(
    session: AsyncSession,
    actor: Person,
    shift_id: int,
    *,
    ledger: LedgerSettings,
    zone: ZoneInfo,
    now: datetime,
) -> int:
    """At the end, the leader confirms everyone still checked in: out at the end (or now)."""
    shift = await get_shift(session, shift_id)
    await require_manager(session, actor, shift.team_id)
    if now < shift.starts_at:
        raise ShiftNotStarted()
    records = (
        await session.exec(
            select(Attendance).where(
                Attendance.shift_id == shift_id,
                col(Attendance.status).in_(
                    [AttendanceStatus.CHECKED_IN, AttendanceStatus.NEEDS_REVIEW]
                ),
            )
        )
    ).all()
    for record in records:
        record.status = AttendanceStatus.CONFIRMED
        record.checked_out_at = min(now, shift.ends_at)
        record.check_out_method = CheckMethod.LEADER_ALL
        record.reviewed_by, record.reviewed_at, record.updated_at = actor.id, now, now
        await session.flush()
        await credit_attendance(session, record, settings=ledger, zone=zone, now=now)
    return len(records)


async def review(
    session: AsyncSession,
    actor: Person,
    shift_id: int,
    person_id: int,
    *,
    present: bool,
    ledger: LedgerSettings,
    zone: ZoneInfo,
    now: datetime,
) -> Attendance:
    """After the start, the leader settles one person: present (the whole shift where
    nothing else was recorded) or no-show."""
    shift = await get_shift(session, shift_id)
    await require_manager(session, actor, shift.team_id)
    if shift.status == ShiftStatus.CANCELLED:
        raise ShiftNotOpen()
    if now < shift.starts_at:
        raise ShiftNotStarted()
    await _confirmed(session, shift_id, person_id)
    record = await _attendance(session, shift_id, person_id)
    if record is None:
        record = Attendance(
            shift_id=shift_id, person_id=person_id, status=AttendanceStatus.ABSENT, updated_at=now
        )
        session.add(record)
    if present:
        if record.checked_in_at is None:
            record.checked_in_at, record.check_in_method = shift.starts_at, CheckMethod.LEADER
        if record.checked_out_at is None:
            record.checked_out_at = min(now, shift.ends_at)
            record.check_out_method = CheckMethod.LEADER
        record.status = AttendanceStatus.CONFIRMED
    else:
        if record.checked_in_at is not None:
            raise StaleAction()  # they were there: not a no-show
        record.status = AttendanceStatus.NO_SHOW
    record.reviewed_by, record.reviewed_at, record.updated_at = actor.id, now, now
    await session.flush()
    await credit_attendance(session, record, settings=ledger, zone=zone, now=now)
    return record


@dataclass(frozen=True)
class Closed:
    shift: Shift
    needs_review: int
    absent: int


async def close_ended(
    session: AsyncSession,
    *,
    settings: ShiftSettings,
    ledger: LedgerSettings,
    zone: ZoneInfo,
    now: datetime,
) -> list[Closed]:
    """Close shifts past their check-out grace: missing check-outs and check-ins are
    marked for the leader's review (never credited silently). Safe to run repeatedly."""
    cutoff = now - timedelta(minutes=settings.checkout_grace_minutes)
    due = (
        await session.exec(
            select(Shift)
            .where(Shift.status == ShiftStatus.OPEN, Shift.ends_at <= cutoff)
            .with_for_update()
        )
    ).all()
    closed = []
    for shift in due:
        confirmed = (
            await session.exec(
                select(ShiftSignup.person_id).where(
                    ShiftSignup.shift_id == shift.id,
                    ShiftSignup.status == SignupStatus.CONFIRMED,
                )
            )
        ).all()
        records = {
            r.person_id: r
            for r in (
                await session.exec(select(Attendance).where(Attendance.shift_id == shift.id))
            ).all()
        }
        needs_review = absent = 0
        for person_id in confirmed:
            record = records.get(person_id)
            if record is None:
                session.add(
                    Attendance(
                        shift_id=shift.id,
                        person_id=person_id,
                        status=AttendanceStatus.ABSENT,
                        updated_at=now,
                    )
                )
                absent += 1
            elif record.status == AttendanceStatus.CHECKED_IN:
                record.status, record.updated_at = AttendanceStatus.NEEDS_REVIEW, now
                needs_review += 1
            else:  # checked out (or confirmed): the minutes go into the ledger
                await credit_attendance(session, record, settings=ledger, zone=zone, now=now)
        shift.status, shift.closed_at = ShiftStatus.CLOSED, now
        shift.version += 1
        closed.append(Closed(shift, needs_review, absent))
    await session.flush()
    return closed


# --- the roster -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterLine:
    person_id: int
    name: str
    phone: str
    status: SignupStatus
    attendance: Attendance | None


@dataclass(frozen=True)
class ShiftRoster:
    info: ShiftInfo
    lines: list[RosterLine]

    def with_status(self, *statuses: SignupStatus) -> list[RosterLine]:
        return [line for line in self.lines if line.status in statuses]

    @property
    def checked_in(self) -> list[RosterLine]:
        return [
            line
            for line in self.with_status(SignupStatus.CONFIRMED)
            if line.attendance and line.attendance.checked_in_at
        ]

    def missing(self, now: datetime) -> list[RosterLine]:
        """Confirmed but not checked in, once the shift has started."""
        if now < self.info.shift.starts_at:
            return []
        return [
            line
            for line in self.with_status(SignupStatus.CONFIRMED)
            if not (line.attendance and line.attendance.checked_in_at)
        ]


async def shift_roster(session: AsyncSession, actor: Person, shift_id: int) -> ShiftRoster:
    """Everyone on a shift, with phones and attendance: for its leaders and admins."""
    found = await info(session, shift_id)
    await require_manager(session, actor, found.shift.team_id)
    rows = await session.exec(
        select(ShiftSignup, Volunteer)
        .join(Volunteer, Volunteer.person_id == ShiftSignup.person_id)
        .where(
            ShiftSignup.shift_id == shift_id,
            col(ShiftSignup.status).in_(
                [SignupStatus.CONFIRMED, SignupStatus.INVITED, SignupStatus.WAITLISTED]
            ),
        )
        .order_by(col(ShiftSignup.queued_at), col(ShiftSignup.id))
    )
    records = {
        r.person_id: r
        for r in (
            await session.exec(select(Attendance).where(Attendance.shift_id == shift_id))
        ).all()
    }
    lines = [
        RosterLine(
            signup.person_id,
            volunteer.real_name,
            volunteer.phone,
            SignupStatus(signup.status),
            records.get(signup.person_id),
        )
        for signup, volunteer in rows.all()
    ]
    return ShiftRoster(found, lines)


def _minutes_there(result: CheckResult) -> int:
    record = result.attendance
    return int((record.checked_out_at - record.checked_in_at).total_seconds() // 60)


def check_text(tr: Translator, result: CheckResult, settings: Settings) -> str:
    """What a volunteer is told on checking in or out (any channel)."""
    zone = settings.bot.zone
    label = shift_label(result.shift, settings.shifts, zone, result.post).localize(tr)
    record = result.attendance
    if result.checked_in:
        return tr(
            "✅ Checked in at {time}: {shift}. Have a good shift! When you leave, scan the "
            "code or share your location again to check out."
        ).format(time=f"{record.checked_in_at.astimezone(zone):%H:%M}", shift=label)
    return tr("👋 Checked out at {time}: {shift}. You were there {duration}. Thank you!").format(
        time=f"{record.checked_out_at.astimezone(zone):%H:%M}",
        shift=label,
        duration=format_duration(tr, _minutes_there(result)),
    )
