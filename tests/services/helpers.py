"""Building test data through the real services (no mocks of our own code)."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Community, Grid, Person, Post, Shift, Team
from services import identity, posts, registration, shifts, teams
from services.recurrence import Repeat
from services.settings import RegistrationSettings, ShiftSettings

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
        admins={identity.TELEGRAM: frozenset({external_id}) if admin else frozenset()},
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


SHANGHAI = ZoneInfo("Asia/Shanghai")
# Posts in Shanghai's Huangpu district (WGS-84).
POST_LAT, POST_LON = 31.2304, 121.4737


async def post(session: AsyncSession, actor: Person, name: str = "东风路口") -> Post:
    place = await grid(session)
    return await posts.create_post(
        session,
        actor,
        name=name,
        address="东风路与建设路交叉口",
        grid_id=place.id,
        latitude=POST_LAT,
        longitude=POST_LON,
        radius_m=150,
        now=NOW,
    )


async def shift(
    session: AsyncSession,
    actor: Person,
    settings: ShiftSettings,
    *,
    team_id: int | None,
    post_id: int | None = None,
    kind: str = "cleanup",
    day: date = date(2026, 11, 27),
    start: time = time(8, 30),
    minutes: int = 120,
    capacity: int = 3,
    repeat: Repeat = Repeat.ONCE,
    now: datetime = NOW - timedelta(days=1),
) -> Shift:
    created = await shifts.create_shifts(
        session,
        actor,
        shifts.ShiftPlan(
            team_id=team_id,
            kind=kind,
            post_id=post_id,
            first_date=day,
            start_time=start,
            duration_minutes=minutes,
            capacity=capacity,
            min_volunteers=0,
            repeat=repeat,
        ),
        settings=settings,
        zone=SHANGHAI,
        now=now,
    )
    return created.shifts[0]
