"""A person's profile as /me shows it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ChatIdentity, Community, Grid, MemberRole, Person, Team, TeamMember, Volunteer
from services.roles import Role, roles_of


@dataclass(frozen=True)
class Membership:
    team: Team
    role: MemberRole


@dataclass(frozen=True)
class Profile:
    person: Person
    roles: frozenset[Role]
    volunteer: Volunteer | None = None
    grid: Grid | None = None
    community: Community | None = None
    memberships: tuple[Membership, ...] = ()


async def profile_of(session: AsyncSession, person: Person) -> Profile:
    roles = await roles_of(session, person)
    volunteer = await session.get(Volunteer, person.id)
    if volunteer is None:
        return Profile(person=person, roles=roles)
    grid = await session.get_one(Grid, volunteer.grid_id)
    community = await session.get_one(Community, grid.community_id)
    rows = await session.exec(
        select(Team, TeamMember.role)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(TeamMember.person_id == person.id, TeamMember.left_at.is_(None))
        .order_by(col(Team.name))
    )
    memberships = tuple(Membership(team, MemberRole(role)) for team, role in rows.all())
    return Profile(person, roles, volunteer, grid, community, memberships)


async def real_name(session: AsyncSession, person_id: int) -> str:
    """The registered name, for telling others who did something (for someone who is
    not a volunteer, such as a grid officer, the name their chat shows)."""
    volunteer = await session.get(Volunteer, person_id)
    if volunteer is not None:
        return volunteer.real_name
    shown = await session.exec(
        select(ChatIdentity.display_name)
        .where(ChatIdentity.person_id == person_id, col(ChatIdentity.display_name).is_not(None))
        .order_by(col(ChatIdentity.last_seen_at).desc())
        .limit(1)
    )
    return shown.first() or ""
