"""Shifts: creating them (one-off or recurring), keeping templates topped up,
listing what a volunteer may join, cancelling."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    ACTIVE,
    HOLDING,
    Person,
    Post,
    Shift,
    ShiftSignup,
    ShiftStatus,
    ShiftTemplate,
    Team,
    Volunteer,
)
from services.errors import (
    InvalidNumber,
    PermissionDenied,
    PostRequired,
    ShiftNotFound,
    ShiftNotOpen,
    StartsInPast,
    UnknownChoice,
)
from services.i18n import Translator, format_span
from services.posts import get_post
from services.recurrence import Repeat, occurrences, rule_for, to_utc
from services.roles import require_admin, require_leader_or_admin
from services.settings import ShiftKindSettings, ShiftSettings
from services.teams import led_teams, team_ids_of
from services.validation import clean_text

CAPACITY_RANGE = (1, 500)
DURATION_RANGE = (15, 12 * 60)


@dataclass(frozen=True)
class ShiftPlan:
    """What a leader chose in the "new shift" conversation."""

    team_id: int | None  # None: open to all volunteers (admins only)
    kind: str
    post_id: int | None
    first_date: date
    start_time: time
    duration_minutes: int
    capacity: int
    min_volunteers: int
    repeat: Repeat


@dataclass(frozen=True)
class Created:
    shifts: list[Shift]
    template: ShiftTemplate | None = None


@dataclass(frozen=True)
class ShiftLabel:
    """A shift as one line: 清洁家园 · 11月27日周五 08:30–10:30 · 东风路口 (localizable)."""

    kind: ShiftKindSettings | None
    kind_code: str
    starts_at: datetime
    ends_at: datetime
    zone: ZoneInfo
    post_name: str | None = None

    def localize(self, tr: Translator) -> str:
        parts = [
            self.kind.label(tr.language) if self.kind else self.kind_code,
            format_span(self.starts_at, self.ends_at, self.zone, tr.language),
        ]
        if self.post_name:
            parts.append(self.post_name)
        return " · ".join(parts)


@dataclass(frozen=True)
class ShiftInfo:
    shift: Shift
    post: Post | None
    team: Team | None
    taken: int  # places held (confirmed or invited)
    waitlisted: int
    my_status: str | None = None

    @property
    def full(self) -> bool:
        return self.taken >= self.shift.capacity

    def label(self, settings: ShiftSettings, zone: ZoneInfo) -> ShiftLabel:
        return shift_label(self.shift, settings, zone, self.post)


def shift_label(
    shift: Shift, settings: ShiftSettings, zone: ZoneInfo, post: Post | None = None
) -> ShiftLabel:
    return ShiftLabel(
        settings.kind(shift.kind),
        shift.kind,
        shift.starts_at,
        shift.ends_at,
        zone,
        post.name if post else None,
    )


# --- who may manage --------------------------------------------------------------------


async def require_manager(session: AsyncSession, actor: Person, team_id: int | None) -> None:
    """A team's shifts are run by its leaders and admins; open shifts by admins."""
    if team_id is None:
        require_admin(actor)
    else:
        await require_leader_or_admin(session, actor, team_id)


async def managed_team_ids(session: AsyncSession, actor: Person) -> list[int] | None:
    """Teams whose shifts the person runs; None means all (admins)."""
    if actor.is_admin:
        return None
    return [team.id for team in await led_teams(session, actor)]


# --- creating ----------------------------------------------------------------------------


def _in_range(value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise InvalidNumber(low=low, high=high)
    return value


async def create_shifts(
    session: AsyncSession,
    actor: Person,
    plan: ShiftPlan,
    *,
    settings: ShiftSettings,
    zone: ZoneInfo,
    now: datetime,
) -> Created:
    await require_manager(session, actor, plan.team_id)
    kind = settings.kind(plan.kind)
    if kind is None:
        raise UnknownChoice()
    if plan.post_id is not None:
        post = await get_post(session, plan.post_id)
        if not post.active:
            raise UnknownChoice()
    elif kind.needs_post:
        raise PostRequired()
    capacity = _in_range(plan.capacity, *CAPACITY_RANGE)
    _in_range(plan.min_volunteers, 0, capacity)
    _in_range(plan.duration_minutes, *DURATION_RANGE)
    if to_utc(plan.first_date, plan.start_time, zone) <= now:
        raise StartsInPast()

    rule = rule_for(plan.repeat, plan.first_date)
    if rule is None:
        starts_at = to_utc(plan.first_date, plan.start_time, zone)
        shift = Shift(
            team_id=plan.team_id,
            kind=plan.kind,
            post_id=plan.post_id,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=plan.duration_minutes),
            capacity=plan.capacity,
            min_volunteers=plan.min_volunteers,
            created_by=actor.id,
            created_at=now,
        )
        session.add(shift)
        await session.flush()
        return Created(shifts=[shift])

    template = ShiftTemplate(
        team_id=plan.team_id,
        kind=plan.kind,
        post_id=plan.post_id,
        rule=rule,
        first_date=plan.first_date,
        start_time=plan.start_time,
        timezone=zone.key,
        duration_minutes=plan.duration_minutes,
        capacity=plan.capacity,
        min_volunteers=plan.min_volunteers,
        created_by=actor.id,
        created_at=now,
    )
    session.add(template)
    await session.flush()
    shifts = await generate(session, template, weeks_ahead=settings.weeks_ahead, now=now)
    return Created(shifts=shifts, template=template)


async def generate(
    session: AsyncSession, template: ShiftTemplate, *, weeks_ahead: int, now: datetime
) -> list[Shift]:
    """Create the template's missing shifts from now to `weeks_ahead` weeks on."""
    until = now + timedelta(weeks=weeks_ahead)
    planned = occurrences(
        template.rule,
        first_date=template.first_date,
        start_time=template.start_time,
        duration=timedelta(minutes=template.duration_minutes),
        zone=ZoneInfo(template.timezone),
        start_from=now,
        until=until,
        skipped=frozenset(date.fromisoformat(d) for d in template.skipped_dates),
    )
    if not planned:
        return []
    existing = set(
        (
            await session.exec(
                select(Shift.occurrence).where(
                    Shift.template_id == template.id,
                    col(Shift.occurrence).in_([o.local_date for o in planned]),
                )
            )
        ).all()
    )
    created = []
    for occurrence in planned:
        if occurrence.local_date in existing:
            continue
        shift = Shift(
            template_id=template.id,
            occurrence=occurrence.local_date,
            team_id=template.team_id,
            kind=template.kind,
            post_id=template.post_id,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            capacity=template.capacity,
            min_volunteers=template.min_volunteers,
            created_by=template.created_by,
            created_at=now,
        )
        session.add(shift)
        created.append(shift)
    await session.flush()
    return created


async def top_up_templates(
    session: AsyncSession, *, settings: ShiftSettings, now: datetime
) -> list[Shift]:
    """Keep every active template's shifts generated `weeks_ahead` weeks ahead."""
    templates = (
        await session.exec(select(ShiftTemplate).where(ShiftTemplate.active).with_for_update())
    ).all()
    created: list[Shift] = []
    for template in templates:
        created += await generate(session, template, weeks_ahead=settings.weeks_ahead, now=now)
    return created


# --- reading -------------------------------------------------------------------------------


async def get_shift(session: AsyncSession, shift_id: int, *, lock: bool = False) -> Shift:
    query = select(Shift).where(Shift.id == shift_id)
    if lock:  # serialises sign-ups for one shift (PostgreSQL; SQLite locks the database)
        query = query.with_for_update()
    shift = (await session.exec(query)).first()
    if shift is None:
        raise ShiftNotFound()
    return shift


async def counts(session: AsyncSession, shift_ids: list[int]) -> dict[int, dict[str, int]]:
    """Sign-ups per shift and status."""
    result: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if not shift_ids:
        return result
    rows = await session.exec(
        select(ShiftSignup.shift_id, ShiftSignup.status, func.count())
        .where(col(ShiftSignup.shift_id).in_(shift_ids))
        .group_by(ShiftSignup.shift_id, ShiftSignup.status)
    )
    for shift_id, status, number in rows.all():
        result[shift_id][status] = number
    return result


async def infos(
    session: AsyncSession, shifts: list[Shift], *, person: Person | None = None
) -> list[ShiftInfo]:
    ids = [s.id for s in shifts]
    numbers = await counts(session, ids)
    posts = await _by_id(session, Post, {s.post_id for s in shifts if s.post_id})
    teams = await _by_id(session, Team, {s.team_id for s in shifts if s.team_id})
    mine: dict[int, str] = {}
    if person is not None and ids:
        rows = await session.exec(
            select(ShiftSignup.shift_id, ShiftSignup.status).where(
                ShiftSignup.person_id == person.id, col(ShiftSignup.shift_id).in_(ids)
            )
        )
        mine = dict(rows.all())
    return [
        ShiftInfo(
            shift=s,
            post=posts.get(s.post_id),
            team=teams.get(s.team_id),
            taken=sum(numbers[s.id][status] for status in HOLDING),
            waitlisted=numbers[s.id]["waitlisted"],
            my_status=mine.get(s.id),
        )
        for s in shifts
    ]


async def _by_id(session: AsyncSession, model, ids: set[int]) -> dict:
    if not ids:
        return {}
    rows = await session.exec(select(model).where(col(model.id).in_(ids)))
    return {row.id: row for row in rows.all()}


async def info(session: AsyncSession, shift_id: int, *, person: Person | None = None) -> ShiftInfo:
    (found,) = await infos(session, [await get_shift(session, shift_id)], person=person)
    return found


async def may_join(session: AsyncSession, person: Person, shift: Shift) -> bool:
    """Open shifts are for every volunteer; a team's shifts for its members."""
    if await session.get(Volunteer, person.id) is None:
        return False
    return shift.team_id is None or shift.team_id in await team_ids_of(session, person.id)


async def joinable(
    session: AsyncSession, person: Person, *, now: datetime, kind: str | None = None
) -> list[ShiftInfo]:
    """Upcoming shifts the person may sign up for (or is already on)."""
    teams = await team_ids_of(session, person.id)
    query = (
        select(Shift)
        .where(
            Shift.status == ShiftStatus.OPEN,
            Shift.starts_at > now,
            or_(Shift.team_id.is_(None), col(Shift.team_id).in_(teams)),
        )
        .order_by(col(Shift.starts_at), col(Shift.id))
    )
    if kind:
        query = query.where(Shift.kind == kind)
    return await infos(session, list((await session.exec(query)).all()), person=person)


async def managed(
    session: AsyncSession, actor: Person, *, since: datetime, until: datetime
) -> list[ShiftInfo]:
    """Shifts the person runs between two times (for /roster), cancelled ones excluded."""
    team_ids = await managed_team_ids(session, actor)
    if team_ids == []:
        raise PermissionDenied()
    query = (
        select(Shift)
        .where(
            Shift.status != ShiftStatus.CANCELLED,
            Shift.ends_at >= since,
            Shift.starts_at <= until,
        )
        .order_by(col(Shift.starts_at), col(Shift.id))
    )
    if team_ids is not None:
        query = query.where(col(Shift.team_id).in_(team_ids))
    return await infos(session, list((await session.exec(query)).all()))


# --- cancelling ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cancelled:
    shift: Shift
    people: list[int]  # everyone who was on it (to tell)


async def cancel_shift(
    session: AsyncSession,
    actor: Person,
    shift_id: int,
    *,
    reason: str,
    now: datetime,
    skip_date: bool = True,
) -> Cancelled:
    """Cancel one shift; for a recurring one only this date (the rule goes on)."""
    shift = await get_shift(session, shift_id, lock=True)
    await require_manager(session, actor, shift.team_id)
    if shift.status != ShiftStatus.OPEN or shift.ends_at <= now:
        raise ShiftNotOpen()
    shift.status = ShiftStatus.CANCELLED
    shift.cancel_reason = clean_text(reason)[:200] or None
    shift.version += 1
    if skip_date and shift.template_id is not None and shift.occurrence is not None:
        template = await session.get_one(ShiftTemplate, shift.template_id)
        template.skipped_dates = sorted({*template.skipped_dates, shift.occurrence.isoformat()})
    people = (
        await session.exec(
            select(ShiftSignup.person_id).where(
                ShiftSignup.shift_id == shift.id, col(ShiftSignup.status).in_(ACTIVE)
            )
        )
    ).all()
    await session.flush()
    return Cancelled(shift=shift, people=list(people))


async def stop_repeating(
    session: AsyncSession, actor: Person, template_id: int, *, now: datetime
) -> list[Cancelled]:
    """End a recurring shift: no more dates, and future ones are cancelled."""
    template = await session.get(ShiftTemplate, template_id)
    if template is None:
        raise ShiftNotFound()
    await require_manager(session, actor, template.team_id)
    template.active = False
    future = (
        await session.exec(
            select(Shift.id).where(
                Shift.template_id == template_id,
                Shift.status == ShiftStatus.OPEN,
                Shift.starts_at > now,
            )
        )
    ).all()
    return [
        await cancel_shift(session, actor, shift_id, reason="", now=now, skip_date=False)
        for shift_id in future
    ]
