"""Common chat sequences, done the way a person does them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import select

from models import ChatIdentity, Person, TeamMember, Volunteer
from services import registration
from services.registration import RegistrationState
from tests.conftest import Database
from tests.e2e.harness import TelegramUser

INVITE = re.compile(r"https://t\.me/CivicTestBot\?start=(join_[\w-]+)")

LABELS = {
    "zh": {"volunteer": "我要当志愿者", "done": "完成", "agree": "我同意", "confirm": "确认"},
    "en": {
        "volunteer": "I want to volunteer",
        "done": "Done",
        "agree": "I agree",
        "confirm": "Confirm",
    },
}


async def register(
    user: TelegramUser,
    *,
    name: str = "张伟",
    phone: str = "13812345678",
    community: str = "东风社区",
    grid: str = "东风第二网格",
    availability: tuple[str, ...] = ("周五",),
    language: str = "zh",
    started: bool = False,
) -> None:
    """Register from /start (or from the name question, if `started`)."""
    words = LABELS[language]
    if not started:
        await user.send("/start")
        await user.press(words["volunteer"])
    await user.send(name)
    await user.send(phone)
    await user.press(community)
    if grid:
        await user.press(grid)
    for slot in availability:
        await user.press(slot)
    await user.press(words["done"])
    await user.press(words["done"])  # skills: none
    await user.press(words["agree"])
    await user.press(words["confirm"])


@dataclass
class Stored:
    """What the database holds about a chat user (for checking "nothing changed")."""

    person: Person | None
    volunteer: Volunteer | None
    draft: RegistrationState | None
    memberships: list[TeamMember]


async def stored(db: Database, user: TelegramUser) -> Stored:
    async with db.session_factory() as session:
        account = (
            await session.exec(
                select(ChatIdentity).where(ChatIdentity.external_id == str(user.user_id))
            )
        ).first()
        if account is None:
            return Stored(None, None, None, [])
        person = await session.get_one(Person, account.person_id)
        memberships = (
            await session.exec(
                select(TeamMember).where(
                    TeamMember.person_id == person.id, TeamMember.left_at.is_(None)
                )
            )
        ).all()
        return Stored(
            person,
            await session.get(Volunteer, person.id),
            await registration.current(session, person),
            list(memberships),
        )


async def create_team(admin, name="东风清洁队", community="东风社区") -> str:
    """Returns the invite payload (join_…) the admin receives."""
    (ask_community,) = await admin.send("/newteam")
    assert "属于哪个社区" in ask_community.text
    (ask_name,) = await admin.press(community)
    assert "队伍叫什么名字" in ask_name.text
    (created,) = await admin.send(name)
    assert created.text.startswith(f"✓ 队伍已创建：{name} · {community}")
    assert "🔄 更换链接（旧链接失效）" in created.button_texts
    return INVITE.search(created.text).group(1)
