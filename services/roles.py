"""Roles and the permission checks every service applies (never only the UI)."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import GridOfficer, MemberRole, Person, TeamMember, Volunteer
from services.errors import PermissionDenied


class Role(StrEnum):
    VOLUNTEER = "volunteer"
    LEADER = "leader"
    GRID_OFFICER = "grid_officer"
    ADMIN = "admin"


async def roles_of(session: AsyncSession, person: Person) -> frozenset[Role]:
    roles: set[Role] = set()
    if person.is_admin:
        roles.add(Role.ADMIN)
    if await session.get(Volunteer, person.id) is not None:
        roles.add(Role.VOLUNTEER)
    leading = await session.exec(
        select(TeamMember.team_id)
        .where(
            TeamMember.person_id == person.id,
            TeamMember.role == MemberRole.LEADER,
            TeamMember.left_at.is_(None),
        )
        .limit(1)
    )
    if leading.first() is not None:
        roles.add(Role.LEADER)
    officer = await session.exec(
        select(GridOfficer.grid_id).where(GridOfficer.person_id == person.id).limit(1)
    )
    if officer.first() is not None:
        roles.add(Role.GRID_OFFICER)
    return frozenset(roles)


async def require_any_role(session: AsyncSession, person: Person, *roles: Role) -> None:
    if not await roles_of(session, person) & set(roles):
        raise PermissionDenied()


def require_admin(person: Person) -> None:
    if not person.is_admin:
        raise PermissionDenied()


async def active_membership(
    session: AsyncSession, *, team_id: int, person_id: int
) -> TeamMember | None:
    membership = await session.get(TeamMember, (team_id, person_id))
    if membership is None or membership.left_at is not None:
        return None
    return membership


async def leads_team(session: AsyncSession, person: Person, team_id: int) -> bool:
    membership = await active_membership(session, team_id=team_id, person_id=person.id)
    return membership is not None and membership.role == MemberRole.LEADER


async def require_leader_or_admin(session: AsyncSession, person: Person, team_id: int) -> None:
    if not person.is_admin and not await leads_team(session, person, team_id):
        raise PermissionDenied()
