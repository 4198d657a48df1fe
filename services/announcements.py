"""Which shifts to announce, to whom, and which announcements are out of date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ChatIdentity, Shift, ShiftAnnouncement, ShiftStatus, Team, TeamMember, Volunteer
from services.settings import ShiftSettings


async def due(session: AsyncSession, *, settings: ShiftSettings, now: datetime) -> list[int]:
    """Open future shifts not yet announced: one-off ones at once, generated ones
    `announce_days_ahead` before they start."""
    horizon = now + timedelta(days=settings.announce_days_ahead)
    result = await session.exec(
        select(Shift.id)
        .where(
            Shift.status == ShiftStatus.OPEN,
            Shift.announced_at.is_(None),
            Shift.starts_at > now,
            or_(Shift.template_id.is_(None), Shift.starts_at <= horizon),
        )
        .order_by(col(Shift.starts_at))
    )
    return list(result.all())


@dataclass(frozen=True)
class Audience:
    people: list[int]  # volunteers to tell privately
    group_chat_id: str | None  # the team's linked group, if any


def _volunteers_for(shift: Shift):
    """A team shift is for its members; an open one for every volunteer."""
    if shift.team_id is None:
        return select(Volunteer.person_id)
    return (
        select(Volunteer.person_id)
        .join(TeamMember, TeamMember.person_id == Volunteer.person_id)
        .where(TeamMember.team_id == shift.team_id, TeamMember.left_at.is_(None))
    )


def _reachable_on(channel: str):
    return select(ChatIdentity.person_id).where(
        ChatIdentity.channel == channel, ChatIdentity.reachable
    )


async def audience(session: AsyncSession, shift: Shift, *, channel: str) -> Audience:
    """A team shift goes to its members (and group); an open one to every volunteer."""
    group = None
    if shift.team_id is not None:
        group = (await session.get_one(Team, shift.team_id)).group_chat_id
    people = await session.exec(
        _volunteers_for(shift)
        .where(col(Volunteer.person_id).in_(_reachable_on(channel)))
        .order_by(col(Volunteer.person_id))
    )
    return Audience(list(people.all()), group)


async def audience_elsewhere(session: AsyncSession, shift: Shift, *, channel: str) -> list[int]:
    """Volunteers the shift is for who cannot be reached on `channel` but can on another
    (WeChat only): they get a copy through the outbox, without the live counts."""
    elsewhere = select(ChatIdentity.person_id).where(
        ChatIdentity.channel != channel, ChatIdentity.reachable
    )
    people = await session.exec(
        _volunteers_for(shift)
        .where(
            col(Volunteer.person_id).in_(elsewhere),
            col(Volunteer.person_id).not_in(_reachable_on(channel)),
        )
        .order_by(col(Volunteer.person_id))
    )
    return list(people.all())


async def sent_chats(session: AsyncSession, shift_id: int, channel: str) -> set[str]:
    result = await session.exec(
        select(ShiftAnnouncement.chat_id).where(
            ShiftAnnouncement.shift_id == shift_id, ShiftAnnouncement.channel == channel
        )
    )
    return set(result.all())


async def record(
    session: AsyncSession,
    shift: Shift,
    *,
    channel: str,
    chat_id: str,
    message_id: str,
    person_id: int | None,
    now: datetime,
) -> None:
    session.add(
        ShiftAnnouncement(
            shift_id=shift.id,
            channel=channel,
            chat_id=chat_id,
            message_id=message_id,
            person_id=person_id,
            shown_version=shift.version,
            sent_at=now,
        )
    )
    await session.flush()


async def mark_announced(session: AsyncSession, shift_id: int, *, now: datetime) -> None:
    shift = await session.get_one(Shift, shift_id)
    shift.announced_at = now
    await session.flush()


async def out_of_date(session: AsyncSession, shift_id: int) -> list[ShiftAnnouncement]:
    shift = await session.get(Shift, shift_id)
    if shift is None:
        return []
    result = await session.exec(
        select(ShiftAnnouncement).where(
            ShiftAnnouncement.shift_id == shift_id,
            ShiftAnnouncement.shown_version < shift.version,
        )
    )
    return list(result.all())


async def mark_shown(session: AsyncSession, announcement_id: int, version: int) -> None:
    row = await session.get_one(ShiftAnnouncement, announcement_id)
    row.shown_version = max(row.shown_version, version)
    await session.flush()


async def sent_people(session: AsyncSession, shift_id: int, channel: str) -> set[int]:
    result = await session.exec(
        select(ShiftAnnouncement.person_id).where(
            ShiftAnnouncement.shift_id == shift_id,
            ShiftAnnouncement.channel == channel,
            ShiftAnnouncement.person_id.is_not(None),
        )
    )
    return set(result.all())
