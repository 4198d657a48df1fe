"""Building test data through the real services (no mocks of our own code)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Community, Grid, Person, Team
from services import identity, registration, teams
from services.settings import RegistrationSettings

NOW = datetime(2026, 11, 27, 1, 30, tzinfo=UTC)  # a Friday morning in Shanghai
_ids = itertools.count(5_000_001)


async def person(
    session: AsyncSession,
    *,
    admin: bool = False,
    language_code: str | None = "zh-hans",
    external_id: str | None = None,
) -> Person:
    external_id = external_id or str(next(_ids))
    user = identity.ChatUser(
        channel=identity.TELEGRAM,
        external_id=external_id,
        chat_id=external_id,
        display_name="Test",
        language_code=language_code,
    )
    return await identity.resolve_person(
        session,
        user,
        now=NOW,
        default_language="zh_Hans",
        admin_ids=frozenset({external_id}) if admin else frozenset(),
    )


async def community(session: AsyncSession, code: str = "dongfeng") -> Community:
    return (await session.exec(select(Community).where(Community.code == code))).one()


async def grid(session: AsyncSession, code: str = "dongfeng-1") -> Grid:
    return (await session.exec(select(Grid).where(Grid.code == code))).one()


async def register(
    session: AsyncSession,
    who: Person,
    settings: RegistrationSettings,
    *,
    name: str = "张伟",
    phone: str = "13812345678",
    grid_code: str = "dongfeng-2",
    join_code: str | None = None,
) -> registration.Completion:
    """Walk the whole registration as a person would."""
    kwargs = {"settings": settings, "now": NOW}
    target = await grid(session, grid_code)
    await registration.begin(session, who, now=NOW, join_code=join_code)
    await registration.submit_name(session, who, name, **kwargs)
    await registration.submit_phone(session, who, typed=phone, **kwargs)
    state = await registration.choose_community(session, who, target.community_id, **kwargs)
    if state.step is registration.Step.GRID:
        await registration.choose_grid(session, who, target.id, **kwargs)
    await registration.toggle_availability(session, who, "friday", now=NOW)
    await registration.finish_availability(session, who, **kwargs)
    await registration.finish_skills(session, who, skip=True, **kwargs)
    await registration.answer_consent(session, who, True, **kwargs)
    return await registration.confirm(session, who, now=NOW)


async def team(session: AsyncSession, admin: Person, name: str = "东风清洁队") -> Team:
    place = await community(session)
    return await teams.create_team(session, admin, name=name, community_id=place.id, now=NOW)
