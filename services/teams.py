"""Teams: creation, invite links, joining, roles, the roster, removal."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Community, MemberRole, Person, Team, TeamMember, Volunteer
from services.errors import (
    CannotRemoveSelf,
    InvalidInvite,
    NotRegistered,
    NotTeamMember,
    PermissionDenied,
    TeamNameTaken,
    TeamNotFound,
    UnknownChoice,
)
from services.roles import active_membership, require_admin, require_leader_or_admin
from services.validation import normalize_team_name

INVITE_PAYLOAD_PREFIX = "join_"
# Telegram deep-link payloads allow 64 characters of [A-Za-z0-9_-].
_INVITE_CODE_BYTES = 9


@dataclass(frozen=True)
class JoinOutcome:
    team: Team
    already_member: bool


@dataclass(frozen=True)
class RosterEntry:
    person_id: int
    name: str
    role: MemberRole
    joined_at: datetime
    # Only leaders of the team and admins see phone numbers.
    phone: str | None


@dataclass(frozen=True)
class Roster:
    team: Team
    entries: list[RosterEntry]
    shows_phones: bool
    # Whom the viewer may remove (leaders remove members; admins anyone but themselves).
    removable: frozenset[int]


def new_invite_code() -> str:
    return secrets.token_urlsafe(_INVITE_CODE_BYTES)


async def create_team(
    session: AsyncSession, actor: Person, *, name: str, community_id: int, now: datetime
) -> Team:
    require_admin(actor)
    clean_name = normalize_team_name(name)
    community = await session.get(Community, community_id)
    if community is None or not community.active:
        raise UnknownChoice()
    await ensure_team_name_free(session, community_id=community_id, name=clean_name)
    team = Team(
        name=clean_name,
        community_id=community_id,
        invite_code=new_invite_code(),
        created_by=actor.id,
        created_at=now,
    )
    try:
        async with session.begin_nested():  # another admin, the same name, the same moment
            session.add(team)
    except IntegrityError as exc:
        raise TeamNameTaken(name=clean_name) from exc
    return team


async def ensure_team_name_free(session: AsyncSession, *, community_id: int, name: str) -> None:
    taken = await session.exec(
        select(Team.id).where(Team.community_id == community_id, Team.name == name)
    )
    if taken.first() is not None:
        raise TeamNameTaken(name=name)


async def get_team(session: AsyncSession, team_id: int) -> Team:
    team = await session.get(Team, team_id)
    if team is None:
        raise TeamNotFound()
    return team


async def team_by_invite(session: AsyncSession, code: str) -> Team:
    team = (await session.exec(select(Team).where(Team.invite_code == code))).first()
    if team is None:
        raise InvalidInvite()
    return team


async def join_team(
    session: AsyncSession, person: Person, team: Team, *, now: datetime
) -> JoinOutcome:
    if await session.get(Volunteer, person.id) is None:
        raise NotRegistered()
    membership = await session.get(TeamMember, (team.id, person.id))
    if membership is not None and membership.left_at is None:
        return JoinOutcome(team=team, already_member=True)
    if membership is None:
        membership = TeamMember(team_id=team.id, person_id=person.id, joined_at=now)
        session.add(membership)
    else:  # rejoining after removal starts afresh as a member
        membership.role = MemberRole.MEMBER
        membership.joined_at = now
        membership.left_at = None
        membership.removed_by = None
    await session.flush()
    return JoinOutcome(team=team, already_member=False)


async def teams_of(session: AsyncSession, person: Person) -> list[Team]:
    """Teams the person may open with /team: their own, or every team for admins."""
    query = select(Team).order_by(col(Team.community_id), col(Team.name))
    if not person.is_admin:
        query = query.join(TeamMember, TeamMember.team_id == Team.id).where(
            TeamMember.person_id == person.id, TeamMember.left_at.is_(None)
        )
    return list((await session.exec(query)).all())


async def led_teams(session: AsyncSession, person: Person) -> list[Team]:
    """Teams whose invite link the person may hand out: led ones, or all for admins."""
    if person.is_admin:
        return await teams_of(session, person)
    query = (
        select(Team)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(
            TeamMember.person_id == person.id,
            TeamMember.left_at.is_(None),
            TeamMember.role == MemberRole.LEADER,
        )
        .order_by(col(Team.name))
    )
    return list((await session.exec(query)).all())


async def roster(session: AsyncSession, actor: Person, team_id: int) -> Roster:
    team = await get_team(session, team_id)
    own = await active_membership(session, team_id=team_id, person_id=actor.id)
    if own is None and not actor.is_admin:
        raise PermissionDenied()
    is_leader = own is not None and own.role == MemberRole.LEADER
    shows_phones = actor.is_admin or is_leader

    rows = await session.exec(
        select(TeamMember, Volunteer)
        .join(Volunteer, Volunteer.person_id == TeamMember.person_id)
        .where(TeamMember.team_id == team_id, TeamMember.left_at.is_(None))
    )
    entries = [
        RosterEntry(
            person_id=member.person_id,
            name=volunteer.real_name,
            role=MemberRole(member.role),
            joined_at=member.joined_at,
            phone=volunteer.phone if shows_phones else None,
        )
        for member, volunteer in rows.all()
    ]
    entries.sort(key=lambda e: (e.role != MemberRole.LEADER, e.name))
    removable = frozenset(
        e.person_id
        for e in entries
        if e.person_id != actor.id
        and (actor.is_admin or (is_leader and e.role == MemberRole.MEMBER))
    )
    return Roster(team=team, entries=entries, shows_phones=shows_phones, removable=removable)


async def removal_candidates(
    session: AsyncSession, actor: Person, team_id: int
) -> tuple[Team, list[RosterEntry]]:
    """Whom a leader (members) or an admin (anyone else) may remove."""
    await require_leader_or_admin(session, actor, team_id)
    listed = await roster(session, actor, team_id)
    return listed.team, [e for e in listed.entries if e.person_id in listed.removable]


async def set_member_role(
    session: AsyncSession, actor: Person, *, team_id: int, person_id: int, role: MemberRole
) -> TeamMember:
    require_admin(actor)
    await get_team(session, team_id)
    membership = await active_membership(session, team_id=team_id, person_id=person_id)
    if membership is None:
        raise NotTeamMember()
    membership.role = role
    await session.flush()
    return membership


async def remove_member(
    session: AsyncSession, actor: Person, *, team_id: int, person_id: int, now: datetime
) -> TeamMember:
    await get_team(session, team_id)
    await require_leader_or_admin(session, actor, team_id)
    if person_id == actor.id:
        raise CannotRemoveSelf()
    membership = await active_membership(session, team_id=team_id, person_id=person_id)
    if membership is None:
        raise NotTeamMember()
    if membership.role == MemberRole.LEADER and not actor.is_admin:
        raise PermissionDenied()
    membership.left_at = now
    membership.removed_by = actor.id
    membership.role = MemberRole.MEMBER
    await session.flush()
    return membership


async def invite_team(session: AsyncSession, actor: Person, team_id: int) -> Team:
    """The team, for showing its invite link to a leader or an admin."""
    team = await get_team(session, team_id)
    await require_leader_or_admin(session, actor, team_id)
    return team


async def rotate_invite(
    session: AsyncSession, actor: Person, *, team_id: int, now: datetime
) -> Team:
    require_admin(actor)
    team = await get_team(session, team_id)
    team.invite_code = new_invite_code()
    team.invite_rotated_at = now
    await session.flush()
    return team


async def team_ids_of(session: AsyncSession, person_id: int) -> list[int]:
    """The teams a person is an active member of, in the order they joined."""
    result = await session.exec(
        select(TeamMember.team_id)
        .where(TeamMember.person_id == person_id, TeamMember.left_at.is_(None))
        .order_by(col(TeamMember.joined_at), col(TeamMember.team_id))
    )
    return list(result.all())


async def leader_ids(session: AsyncSession, team_id: int) -> list[int]:
    result = await session.exec(
        select(TeamMember.person_id).where(
            TeamMember.team_id == team_id,
            TeamMember.role == MemberRole.LEADER,
            TeamMember.left_at.is_(None),
        )
    )
    return list(result.all())


def invite_payload(team: Team) -> str:
    return INVITE_PAYLOAD_PREFIX + team.invite_code


async def link_group(session: AsyncSession, actor: Person, team_id: int, chat_id: str) -> Team:
    """Make a group chat the team's: its leaders (or admins) do this from the group."""
    team = await get_team(session, team_id)
    await require_leader_or_admin(session, actor, team_id)
    others = await session.exec(select(Team).where(Team.group_chat_id == chat_id))
    for other in others.all():  # one group serves one team
        other.group_chat_id = None
    team.group_chat_id = chat_id
    await session.flush()
    return team


async def unlink_group(session: AsyncSession, actor: Person, chat_id: str) -> bool:
    team = (await session.exec(select(Team).where(Team.group_chat_id == chat_id))).first()
    if team is None:
        return False
    await require_leader_or_admin(session, actor, team.id)
    team.group_chat_id = None
    await session.flush()
    return True
