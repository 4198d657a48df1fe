"""Signing up for shifts: capacity, waitlist, overlaps, cancellation, leader assignment.

Every change locks the shift's row first (SELECT … FOR UPDATE on PostgreSQL;
SQLite's write transactions are serialised by BEGIN IMMEDIATE), so two people
tapping the last place at once cannot both get it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    ACTIVE,
    HOLDING,
    Person,
    Post,
    Shift,
    ShiftSignup,
    ShiftStatus,
    SignupStatus,
    Volunteer,
)
from services.errors import (
    InvalidReason,
    NotEligible,
    NotRegistered,
    NotSignedUp,
    NotTeamMember,
    ShiftClash,
    ShiftNotOpen,
    ShiftStarted,
    StaleAction,
)
from services.settings import ShiftSettings
from services.shifts import get_shift, may_join, require_manager, shift_label
from services.teams import leader_ids
from services.validation import clean_text


@dataclass(frozen=True)
class Change:
    """What a sign-up action did, and whom to tell about it."""

    shift: Shift
    signup: ShiftSignup | None
    already: bool = False
    # People moved from the waitlist into a place.
    promoted: list[int] = field(default_factory=list)
    # Leaders to tell about a late cancellation.
    late_to: list[int] = field(default_factory=list)


def _open_for_changes(shift: Shift, now: datetime) -> None:
    if shift.status != ShiftStatus.OPEN:
        raise ShiftNotOpen()
    if shift.starts_at <= now:
        raise ShiftStarted()


async def _taken(session: AsyncSession, shift_id: int) -> int:
    rows = await session.exec(
        select(ShiftSignup.id).where(
            ShiftSignup.shift_id == shift_id, col(ShiftSignup.status).in_(HOLDING)
        )
    )
    return len(rows.all())


async def clash_for(
    session: AsyncSession, person_id: int, shift: Shift
) -> tuple[Shift, Post | None] | None:
    """Another active shift of the person overlapping this one in time."""
    row = (
        await session.exec(
            select(Shift, Post)
            .join(ShiftSignup, ShiftSignup.shift_id == Shift.id)
            .join(Post, Post.id == Shift.post_id, isouter=True)
            .where(
                ShiftSignup.person_id == person_id,
                col(ShiftSignup.status).in_(ACTIVE),
                Shift.id != shift.id,
                Shift.status == ShiftStatus.OPEN,
                Shift.starts_at < shift.ends_at,
                Shift.ends_at > shift.starts_at,
            )
            .limit(1)
        )
    ).first()
    return tuple(row) if row else None


async def _refuse_clash(
    session: AsyncSession, person_id: int, shift: Shift, settings: ShiftSettings, zone: ZoneInfo
) -> None:
    clash = await clash_for(session, person_id, shift)
    if clash is not None:
        other, post = clash
        raise ShiftClash(shift=shift_label(other, settings, zone, post))


def _set(signup: ShiftSignup, status: SignupStatus, now: datetime) -> None:
    signup.status = status
    signup.updated_at = now


async def sign_up(
    session: AsyncSession,
    person: Person,
    shift_id: int,
    *,
    settings: ShiftSettings,
    zone: ZoneInfo,
    now: datetime,
) -> Change:
    """Take a place, or join the waitlist when the shift is full."""
    shift = await get_shift(session, shift_id, lock=True)
    _open_for_changes(shift, now)
    if await session.get(Volunteer, person.id) is None:
        raise NotRegistered()
    if not await may_join(session, person, shift):
        raise NotEligible()
    signup = await _signup(session, shift.id, person.id)
    if signup is not None and signup.status in ACTIVE:
        return Change(shift=shift, signup=signup, already=True)
    await _refuse_clash(session, person.id, shift, settings, zone)

    status = (
        SignupStatus.CONFIRMED
        if await _taken(session, shift.id) < shift.capacity
        else SignupStatus.WAITLISTED
    )
    if signup is None:
        signup = ShiftSignup(
            shift_id=shift.id, person_id=person.id, status=status, queued_at=now, updated_at=now
        )
        session.add(signup)
    else:  # signing up again after cancelling: to the back of the queue
        _set(signup, status, now)
        signup.queued_at, signup.cancel_reason, signup.late = now, None, False
    shift.version += 1
    await session.flush()
    return Change(shift=shift, signup=signup)


async def _signup(session: AsyncSession, shift_id: int, person_id: int) -> ShiftSignup | None:
    return (
        await session.exec(
            select(ShiftSignup).where(
                ShiftSignup.shift_id == shift_id, ShiftSignup.person_id == person_id
            )
        )
    ).first()


async def cancel(
    session: AsyncSession,
    person: Person,
    shift_id: int,
    *,
    reason: str,
    settings: ShiftSettings,
    zone: ZoneInfo,
    now: datetime,
) -> Change:
    """Cancel one's place (with a reason); after the cutoff the leaders are told."""
    shift = await get_shift(session, shift_id, lock=True)
    _open_for_changes(shift, now)
    signup = await _signup(session, shift.id, person.id)
    if signup is None or signup.status not in ACTIVE:
        raise NotSignedUp()
    why = clean_text(reason)
    if not 1 <= len(why) <= 200:
        raise InvalidReason()
    held_place = signup.status in HOLDING
    _set(signup, SignupStatus.CANCELLED, now)
    signup.cancel_reason = why
    signup.late = shift.starts_at - now < timedelta(hours=settings.cancel_cutoff_hours)
    shift.version += 1
    promoted = await fill_from_waitlist(session, shift, settings=settings, zone=zone, now=now)
    late_to = await _leaders_of(session, shift) if signup.late and held_place else []
    await session.flush()
    return Change(shift=shift, signup=signup, promoted=promoted, late_to=late_to)


async def fill_from_waitlist(
    session: AsyncSession, shift: Shift, *, settings: ShiftSettings, zone: ZoneInfo, now: datetime
) -> list[int]:
    """Give free places to the waitlist in order (skipping anyone now busy elsewhere)."""
    free = shift.capacity - await _taken(session, shift.id)
    if free <= 0:
        return []
    waiting = (
        await session.exec(
            select(ShiftSignup)
            .where(
                ShiftSignup.shift_id == shift.id,
                ShiftSignup.status == SignupStatus.WAITLISTED,
            )
            .order_by(col(ShiftSignup.queued_at), col(ShiftSignup.id))
        )
    ).all()
    promoted = []
    for signup in waiting:
        if len(promoted) == free:
            break
        if await clash_for(session, signup.person_id, shift) is not None:
            continue
        _set(signup, SignupStatus.CONFIRMED, now)
        promoted.append(signup.person_id)
    if promoted:
        shift.version += 1
    return promoted


async def _leaders_of(session: AsyncSession, shift: Shift) -> list[int]:
    return await leader_ids(session, shift.team_id) if shift.team_id else []


# --- leaders ---------------------------------------------------------------------------------


async def invite(
    session: AsyncSession,
    actor: Person,
    shift_id: int,
    person_id: int,
    *,
    settings: ShiftSettings,
    zone: ZoneInfo,
    now: datetime,
) -> Change:
    """A leader puts a named volunteer on the shift; they accept or decline.

    Leaders may go over capacity: the limit is for self sign-ups.
    """
    shift = await get_shift(session, shift_id, lock=True)
    await require_manager(session, actor, shift.team_id)
    _open_for_changes(shift, now)
    volunteer_person = await session.get(Person, person_id)
    if volunteer_person is None or not await may_join(session, volunteer_person, shift):
        raise NotTeamMember()
    signup = await _signup(session, shift.id, person_id)
    if signup is not None and signup.status in HOLDING:
        return Change(shift=shift, signup=signup, already=True)
    await _refuse_clash(session, person_id, shift, settings, zone)
    if signup is None:
        signup = ShiftSignup(
            shift_id=shift.id,
            person_id=person_id,
            status=SignupStatus.INVITED,
            queued_at=now,
            updated_at=now,
        )
        session.add(signup)
    else:
        _set(signup, SignupStatus.INVITED, now)
    signup.invited_by = actor.id
    shift.version += 1
    await session.flush()
    return Change(shift=shift, signup=signup)


async def answer_invitation(
    session: AsyncSession,
    person: Person,
    shift_id: int,
    *,
    accept: bool,
    settings: ShiftSettings,
    zone: ZoneInfo,
    now: datetime,
) -> Change:
    shift = await get_shift(session, shift_id, lock=True)
    _open_for_changes(shift, now)
    signup = await _signup(session, shift.id, person.id)
    if signup is None or signup.status != SignupStatus.INVITED:
        raise StaleAction()
    if accept:
        _set(signup, SignupStatus.CONFIRMED, now)
        shift.version += 1
        await session.flush()
        return Change(shift=shift, signup=signup)
    _set(signup, SignupStatus.DECLINED, now)
    shift.version += 1
    promoted = await fill_from_waitlist(session, shift, settings=settings, zone=zone, now=now)
    await session.flush()
    return Change(shift=shift, signup=signup, promoted=promoted, late_to=[signup.invited_by])


async def move_up(
    session: AsyncSession, actor: Person, shift_id: int, person_id: int, *, now: datetime
) -> Change:
    """A leader gives a waitlisted volunteer a place (over capacity if need be)."""
    shift = await get_shift(session, shift_id, lock=True)
    await require_manager(session, actor, shift.team_id)
    _open_for_changes(shift, now)
    signup = await _signup(session, shift.id, person_id)
    if signup is None or signup.status != SignupStatus.WAITLISTED:
        raise StaleAction()
    _set(signup, SignupStatus.CONFIRMED, now)
    shift.version += 1
    await session.flush()
    return Change(shift=shift, signup=signup, promoted=[person_id])


# --- a volunteer's own ---------------------------------------------------------------------------


async def my_upcoming(
    session: AsyncSession, person: Person, *, now: datetime
) -> list[tuple[Shift, ShiftSignup, Post | None]]:
    rows = await session.exec(
        select(Shift, ShiftSignup, Post)
        .join(ShiftSignup, ShiftSignup.shift_id == Shift.id)
        .join(Post, Post.id == Shift.post_id, isouter=True)
        .where(
            ShiftSignup.person_id == person.id,
            col(ShiftSignup.status).in_(ACTIVE),
            Shift.status == ShiftStatus.OPEN,
            Shift.ends_at > now,
        )
        .order_by(col(Shift.starts_at))
    )
    return [tuple(row) for row in rows.all()]
