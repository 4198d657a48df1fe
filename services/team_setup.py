"""The /newteam conversation: choose a community, then name the team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Community, Person, Team
from services import drafts, teams
from services.errors import StaleAction, UnknownChoice
from services.roles import require_admin

FLOW = "newteam"
STEP_COMMUNITY = "community"
STEP_NAME = "name"


@dataclass(frozen=True)
class TeamSetupState:
    step: str
    community_id: int | None = None


async def begin(session: AsyncSession, actor: Person, *, now: datetime) -> TeamSetupState:
    require_admin(actor)
    await drafts.save(session, actor.id, FLOW, step=STEP_COMMUNITY, data={}, now=now)
    return TeamSetupState(step=STEP_COMMUNITY)


async def current(session: AsyncSession, actor: Person) -> TeamSetupState | None:
    draft = await drafts.load(session, actor.id, FLOW)
    if draft is None:
        return None
    return TeamSetupState(step=draft.step, community_id=draft.data.get("community_id"))


async def choose_community(
    session: AsyncSession, actor: Person, community_id: int, *, now: datetime
) -> TeamSetupState:
    require_admin(actor)
    state = await current(session, actor)
    if state is None or state.step != STEP_COMMUNITY:
        raise StaleAction()
    community = await session.get(Community, community_id)
    if community is None or not community.active:
        raise UnknownChoice()
    await drafts.save(
        session, actor.id, FLOW, step=STEP_NAME, data={"community_id": community_id}, now=now
    )
    return TeamSetupState(step=STEP_NAME, community_id=community_id)


async def submit_name(session: AsyncSession, actor: Person, text: str, *, now: datetime) -> Team:
    """Create the team; a bad or taken name keeps the conversation at this step."""
    require_admin(actor)
    state = await current(session, actor)
    if state is None or state.step != STEP_NAME or state.community_id is None:
        raise StaleAction()
    team = await teams.create_team(
        session, actor, name=text, community_id=state.community_id, now=now
    )
    await drafts.discard(session, actor.id, FLOW)
    return team
