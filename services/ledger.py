"""The service-minutes ledger: what is credited, who approves, corrections, totals.

Totals are always summed from the entries (no counter that could drift). An
entry is decided once (approved or rejected) and never changes afterwards; a
correction is a new entry referencing the original, with who made it and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    Attendance,
    AttendanceStatus,
    CheckMethod,
    EntrySource,
    EntryStatus,
    LedgerEntry,
    MemberRole,
    Person,
    Post,
    Shift,
    Team,
    TeamMember,
    Volunteer,
)
from services.errors import (
    AlreadyDecided,
    DayFull,
    DisputeTooLate,
    FutureDate,
    InvalidNumber,
    InvalidReason,
    NotRegistered,
    NotTeamMember,
    OwnEntry,
    PermissionDenied,
    StaleAction,
    UnknownChoice,
)
from services.roles import leads_team
from services.settings import LedgerSettings, ShiftSettings
from services.teams import team_ids_of
from services.validation import clean_text

DAY_MINUTES = 24 * 60
MANUAL_MINUTES = (15, 12 * 60)
VERIFIED_METHODS = (CheckMethod.QR, CheckMethod.LOCATION)


# --- crediting attendance ---------------------------------------------------------------


def served_minutes(shift: Shift, checked_in: datetime, checked_out: datetime) -> int:
    """Minutes at the post within the shift: arriving early or leaving late is not service."""
    start, end = max(checked_in, shift.starts_at), min(checked_out, shift.ends_at)
    return max(0, int((end - start).total_seconds() // 60))


async def _team_of(session: AsyncSession, person_id: int) -> int | None:
    """The team a person's service counts for when nothing says otherwise: their first."""
    teams = await team_ids_of(session, person_id)
    return teams[0] if teams else None


async def credit_attendance(
    session: AsyncSession,
    attendance: Attendance,
    *,
    settings: LedgerSettings,
    zone: ZoneInfo,
    now: datetime,
) -> LedgerEntry | None:
    """Turn closed attendance into a ledger entry (once: the same attendance twice
    credits once). A leader's confirmation approves it; verified check-in and -out
    may approve it at once; otherwise it waits for a leader."""
    if attendance.status not in (AttendanceStatus.CHECKED_OUT, AttendanceStatus.CONFIRMED):
        return None
    if attendance.checked_in_at is None or attendance.checked_out_at is None:
        return None
    leader_confirmed = attendance.status == AttendanceStatus.CONFIRMED
    existing = (
        await session.exec(select(LedgerEntry).where(LedgerEntry.attendance_id == attendance.id))
    ).first()
    if existing is not None:
        if existing.status == EntryStatus.PENDING and leader_confirmed:
            _decide(existing, EntryStatus.APPROVED, attendance.reviewed_by, now, None)
            await session.flush()
        return existing

    shift = await session.get_one(Shift, attendance.shift_id)
    post = await session.get(Post, shift.post_id) if shift.post_id else None
    volunteer = await session.get_one(Volunteer, attendance.person_id)
    verified = (
        attendance.check_in_method in VERIFIED_METHODS
        and attendance.check_out_method in VERIFIED_METHODS
    )
    entry = LedgerEntry(
        person_id=attendance.person_id,
        team_id=shift.team_id or await _team_of(session, attendance.person_id),
        grid_id=post.grid_id if post else volunteer.grid_id,
        activity=shift.kind,
        source=EntrySource.SHIFT,
        shift_id=shift.id,
        attendance_id=attendance.id,
        post_id=shift.post_id,
        service_date=shift.starts_at.astimezone(zone).date(),
        started_at=max(attendance.checked_in_at, shift.starts_at),
        ended_at=min(attendance.checked_out_at, shift.ends_at),
        minutes=served_minutes(shift, attendance.checked_in_at, attendance.checked_out_at),
        verified=verified,
        status=EntryStatus.PENDING,
        created_at=now,
        created_by=attendance.reviewed_by or attendance.person_id,
    )
    if leader_confirmed:
        _decide(entry, EntryStatus.APPROVED, attendance.reviewed_by, now, None)
    elif verified and settings.auto_approve_verified:
        # Approved by the record itself (decided_by stays empty: "verified at the post").
        _decide(entry, EntryStatus.APPROVED, None, now, None)
    session.add(entry)
    await session.flush()
    return entry


def _decide(
    entry: LedgerEntry, status: EntryStatus, by: int | None, now: datetime, note: str | None
) -> None:
    entry.status, entry.decided_by, entry.decided_at, entry.decision_note = status, by, now, note


# --- manual entries ---------------------------------------------------------------------


async def day_minutes(session: AsyncSession, person_id: int, day: date) -> int:
    """Minutes recorded (approved or waiting) on one day."""
    total = await session.exec(
        select(func.coalesce(func.sum(LedgerEntry.minutes), 0)).where(
            LedgerEntry.person_id == person_id,
            LedgerEntry.service_date == day,
            LedgerEntry.status != EntryStatus.REJECTED,
        )
    )
    return int(total.one())


async def log_manual(
    session: AsyncSession,
    person: Person,
    *,
    service_date: date,
    minutes: int,
    activity: str,
    note: str | None,
    photo_file_id: str | None = None,
    team_id: int | None = None,
    settings: LedgerSettings,
    shift_settings: ShiftSettings,
    zone: ZoneInfo,
    now: datetime,
) -> LedgerEntry:
    """A volunteer records service done outside a shift; a leader will decide."""
    volunteer = await session.get(Volunteer, person.id)
    if volunteer is None:
        raise NotRegistered()
    today = now.astimezone(zone).date()
    if service_date > today:
        raise FutureDate()
    if not MANUAL_MINUTES[0] <= minutes <= MANUAL_MINUTES[1]:
        raise InvalidNumber(low=MANUAL_MINUTES[0], high=MANUAL_MINUTES[1])
    if shift_settings.kind(activity) is None:
        raise UnknownChoice()
    text = clean_text(note or "")
    if len(text) > 200:
        raise InvalidReason()
    if await day_minutes(session, person.id, service_date) + minutes > DAY_MINUTES:
        raise DayFull()
    if team_id is None:
        team_id = await _team_of(session, person.id)
    elif team_id not in await team_ids_of(session, person.id):
        raise NotTeamMember()
    entry = LedgerEntry(
        person_id=person.id,
        team_id=team_id,
        grid_id=volunteer.grid_id,
        activity=activity,
        source=EntrySource.MANUAL,
        service_date=service_date,
        minutes=minutes,
        note=text or None,
        photo_file_id=photo_file_id,
        status=EntryStatus.PENDING,
        needs_admin=service_date < today - timedelta(days=settings.manual_max_age_days),
        created_at=now,
        created_by=person.id,
    )
    session.add(entry)
    await session.flush()
    return entry


# --- deciding ---------------------------------------------------------------------------


async def may_decide(session: AsyncSession, actor: Person, entry: LedgerEntry) -> bool:
    """Leaders of the entry's team and admins; admins only for old entries; never one's own."""
    if actor.id == entry.person_id:
        return False
    if actor.is_admin:
        return True
    return (
        not entry.needs_admin
        and entry.team_id is not None
        and await leads_team(session, actor, entry.team_id)
    )


async def require_decider(session: AsyncSession, actor: Person, entry: LedgerEntry) -> None:
    if entry.person_id == actor.id:
        raise OwnEntry()
    if not await may_decide(session, actor, entry):
        raise PermissionDenied()


async def approvers(session: AsyncSession, entry: LedgerEntry) -> list[int]:
    """Whom to ask about a pending entry."""
    admins = select(Person.id).where(Person.is_admin)
    if entry.needs_admin or entry.team_id is None:
        query = admins
    else:
        query = select(TeamMember.person_id).where(
            TeamMember.team_id == entry.team_id,
            TeamMember.role == MemberRole.LEADER,
            TeamMember.left_at.is_(None),
        )
    people = [p for p in (await session.exec(query)).all() if p != entry.person_id]
    if not people and not entry.needs_admin:
        # A team without another leader: the administrators decide.
        people = [p for p in (await session.exec(admins)).all() if p != entry.person_id]
    return people


async def get_entry(session: AsyncSession, entry_id: int, *, lock: bool = False) -> LedgerEntry:
    query = select(LedgerEntry).where(LedgerEntry.id == entry_id)
    if lock:
        query = query.with_for_update()
    entry = (await session.exec(query)).first()
    if entry is None:
        raise StaleAction()
    return entry


async def decide(
    session: AsyncSession,
    actor: Person,
    entry_id: int,
    *,
    approve: bool,
    reason: str | None = None,
    now: datetime,
) -> LedgerEntry:
    entry = await get_entry(session, entry_id, lock=True)
    await require_decider(session, actor, entry)
    if entry.status != EntryStatus.PENDING:
        raise AlreadyDecided()
    note = clean_text(reason or "")[:200] or None
    if not approve and note is None:
        raise InvalidReason()
    _decide(entry, EntryStatus.APPROVED if approve else EntryStatus.REJECTED, actor.id, now, note)
    await session.flush()
    return entry


async def pending_for(session: AsyncSession, actor: Person) -> list[LedgerEntry]:
    """Entries waiting for this person's decision."""
    query = select(LedgerEntry).where(
        LedgerEntry.status == EntryStatus.PENDING, LedgerEntry.person_id != actor.id
    )
    if not actor.is_admin:
        led = select(TeamMember.team_id).where(
            TeamMember.person_id == actor.id,
            TeamMember.role == MemberRole.LEADER,
            TeamMember.left_at.is_(None),
        )
        query = query.where(col(LedgerEntry.team_id).in_(led), ~col(LedgerEntry.needs_admin))
    result = await session.exec(query.order_by(col(LedgerEntry.created_at)))
    return list(result.all())


# --- corrections ------------------------------------------------------------------------


async def effective_minutes(session: AsyncSession, entry: LedgerEntry) -> int:
    """An entry's minutes after its approved corrections."""
    corrections = await session.exec(
        select(func.coalesce(func.sum(LedgerEntry.minutes), 0)).where(
            LedgerEntry.corrects_id == entry.id, LedgerEntry.status == EntryStatus.APPROVED
        )
    )
    return entry.minutes + int(corrections.one())


async def _correction(
    session: AsyncSession,
    original: LedgerEntry,
    *,
    new_minutes: int,
    started_at: datetime | None,
    ended_at: datetime | None,
    reason: str,
    by: Person,
    now: datetime,
) -> LedgerEntry:
    why = clean_text(reason)
    if not 1 <= len(why) <= 200:
        raise InvalidReason()
    delta = new_minutes - await effective_minutes(session, original)
    return LedgerEntry(
        person_id=original.person_id,
        team_id=original.team_id,
        grid_id=original.grid_id,
        activity=original.activity,
        source=EntrySource.CORRECTION,
        shift_id=original.shift_id,
        post_id=original.post_id,
        service_date=original.service_date,
        started_at=started_at,
        ended_at=ended_at,
        minutes=delta,
        note=why,
        status=EntryStatus.PENDING,
        created_at=now,
        created_by=by.id,
        corrects_id=original.id,
    )


async def correct(
    session: AsyncSession,
    actor: Person,
    entry_id: int,
    *,
    new_minutes: int,
    reason: str,
    now: datetime,
) -> LedgerEntry:
    """A leader or admin corrects an approved entry: a new, approved entry with the difference."""
    original = await get_entry(session, entry_id, lock=True)
    if original.source == EntrySource.CORRECTION or original.status != EntryStatus.APPROVED:
        raise StaleAction()
    await require_decider(session, actor, original)
    if not 0 <= new_minutes <= DAY_MINUTES:
        raise InvalidNumber(low=0, high=DAY_MINUTES)
    entry = await _correction(
        session,
        original,
        new_minutes=new_minutes,
        started_at=None,
        ended_at=None,
        reason=reason,
        by=actor,
        now=now,
    )
    _decide(entry, EntryStatus.APPROVED, actor.id, now, None)
    session.add(entry)
    await session.flush()
    return entry


async def request_correction(
    session: AsyncSession,
    person: Person,
    entry_id: int,
    *,
    started_at: datetime,
    ended_at: datetime,
    reason: str,
    settings: LedgerSettings,
    now: datetime,
) -> LedgerEntry:
    """A volunteer disputes a shift's recorded times (within the dispute window);
    the leader accepts or declines the pending correction."""
    original = await get_entry(session, entry_id, lock=True)
    if original.person_id != person.id or original.source != EntrySource.SHIFT:
        raise PermissionDenied()
    # A pending entry is settled by its leader first: correcting it now could let a
    # correction count for an entry that is later rejected.
    if original.status != EntryStatus.APPROVED:
        raise StaleAction()
    shift = await session.get_one(Shift, original.shift_id)
    if now - shift.ends_at > timedelta(days=settings.dispute_days):
        raise DisputeTooLate(days=settings.dispute_days)
    waiting = await session.exec(
        select(LedgerEntry.id).where(
            LedgerEntry.corrects_id == original.id, LedgerEntry.status == EntryStatus.PENDING
        )
    )
    if waiting.first() is not None:
        raise AlreadyDecided()
    if ended_at <= started_at:
        raise InvalidNumber(low=1, high=DAY_MINUTES)
    entry = await _correction(
        session,
        original,
        new_minutes=served_minutes(shift, started_at, ended_at),
        started_at=max(started_at, shift.starts_at),
        ended_at=min(ended_at, shift.ends_at),
        reason=reason,
        by=person,
        now=now,
    )
    session.add(entry)
    await session.flush()
    return entry


# --- totals, stars, history -------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    total: int
    this_month: int
    this_year: int
    by_activity: dict[str, int]
    pending: int


async def totals(session: AsyncSession, person_id: int, *, today: date) -> Totals:
    approved = (LedgerEntry.person_id == person_id, LedgerEntry.status == EntryStatus.APPROVED)

    async def summed(*conditions) -> int:
        result = await session.exec(
            select(func.coalesce(func.sum(LedgerEntry.minutes), 0)).where(*conditions)
        )
        return int(result.one())

    by_activity = await session.exec(
        select(LedgerEntry.activity, func.sum(LedgerEntry.minutes))
        .where(*approved)
        .group_by(LedgerEntry.activity)
    )
    return Totals(
        total=await summed(*approved),
        this_month=await summed(*approved, LedgerEntry.service_date >= today.replace(day=1)),
        this_year=await summed(*approved, LedgerEntry.service_date >= date(today.year, 1, 1)),
        by_activity={kind: int(m) for kind, m in by_activity.all() if m},
        pending=await summed(
            LedgerEntry.person_id == person_id, LedgerEntry.status == EntryStatus.PENDING
        ),
    )


@dataclass(frozen=True)
class Stars:
    level: int  # 0 to len(thresholds)
    next_hours: int | None  # the next threshold, None at the top
    minutes_to_next: int | None


def stars(total_minutes: int, thresholds_hours: list[int]) -> Stars:
    level = sum(1 for hours in thresholds_hours if total_minutes >= hours * 60)
    if level == len(thresholds_hours):
        return Stars(level, None, None)
    following = thresholds_hours[level]
    return Stars(level, following, following * 60 - total_minutes)


async def history(
    session: AsyncSession, person_id: int, *, limit: int, offset: int = 0
) -> list[LedgerEntry]:
    result = await session.exec(
        select(LedgerEntry)
        .where(LedgerEntry.person_id == person_id)
        .order_by(col(LedgerEntry.service_date).desc(), col(LedgerEntry.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return list(result.all())


async def disputable(
    session: AsyncSession, person_id: int, *, settings: LedgerSettings, now: datetime
) -> list[LedgerEntry]:
    """The person's shift entries still within the dispute window."""
    since = now - timedelta(days=settings.dispute_days)
    result = await session.exec(
        select(LedgerEntry)
        .join(Shift, Shift.id == LedgerEntry.shift_id)
        .where(
            LedgerEntry.person_id == person_id,
            LedgerEntry.source == EntrySource.SHIFT,
            LedgerEntry.status == EntryStatus.APPROVED,
            Shift.ends_at >= since,
        )
        .order_by(col(LedgerEntry.service_date).desc())
    )
    return list(result.all())


# --- rankings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ranked:
    rank: int
    person_id: int
    name: str | None  # None: the volunteer asked not to appear by name
    minutes: int


async def ranking(
    session: AsyncSession, *, start: date, end: date, team_id: int | None = None, limit: int = 20
) -> list[Ranked]:
    """Approved minutes per volunteer in [start, end], most first (ties share a rank)."""
    query = (
        select(
            LedgerEntry.person_id,
            func.sum(LedgerEntry.minutes).label("served"),
            Volunteer.real_name,
            Volunteer.in_rankings,
        )
        .join(Volunteer, Volunteer.person_id == LedgerEntry.person_id)
        .where(
            LedgerEntry.status == EntryStatus.APPROVED,
            LedgerEntry.service_date >= start,
            LedgerEntry.service_date <= end,
        )
        .group_by(LedgerEntry.person_id, Volunteer.real_name, Volunteer.in_rankings)
        .having(func.sum(LedgerEntry.minutes) > 0)
        .order_by(func.sum(LedgerEntry.minutes).desc(), col(LedgerEntry.person_id))
        .limit(limit)
    )
    if team_id is not None:
        query = query.where(LedgerEntry.team_id == team_id)
    rows = (await session.exec(query)).all()
    ranked, previous, rank = [], None, 0
    for position, (person_id, served, name, shown) in enumerate(rows, start=1):
        if served != previous:
            rank, previous = position, served
        ranked.append(Ranked(rank, person_id, name if shown else None, int(served)))
    return ranked


@dataclass(frozen=True)
class TeamTotal:
    team: Team
    minutes: int
    volunteers: int


async def team_totals(session: AsyncSession, *, start: date, end: date) -> list[TeamTotal]:
    rows = await session.exec(
        select(
            Team,
            func.coalesce(func.sum(LedgerEntry.minutes), 0),
            func.count(func.distinct(LedgerEntry.person_id)),
        )
        .join(
            LedgerEntry,
            (LedgerEntry.team_id == Team.id)
            & (LedgerEntry.status == EntryStatus.APPROVED)
            & (LedgerEntry.service_date >= start)
            & (LedgerEntry.service_date <= end),
            isouter=True,
        )
        .group_by(Team.id)
        .order_by(func.coalesce(func.sum(LedgerEntry.minutes), 0).desc(), col(Team.name))
    )
    return [TeamTotal(team, int(minutes), int(people)) for team, minutes, people in rows.all()]


async def set_in_rankings(session: AsyncSession, person: Person, shown: bool) -> None:
    volunteer = await session.get(Volunteer, person.id)
    if volunteer is None:
        raise NotRegistered()
    volunteer.in_rankings = shown
    await session.flush()


def month_bounds(day: date) -> tuple[date, date]:
    start = day.replace(day=1)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following - timedelta(days=1)
