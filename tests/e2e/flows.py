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


# --- shifts ---

POST_LAT, POST_LON = 31.2304, 121.4737


async def shift_crew(admin, make_user) -> dict:
    """A team with a leader and two members (one uses the bot in English)."""
    payload = await create_team(admin)
    leader = make_user("Liu")
    chen = make_user("Chen")
    lin = make_user("Lin", language_code="en")
    for user, name, phone, language in [
        (leader, "刘队长", "13800000001", "zh"),
        (chen, "陈队员", "13800000002", "zh"),
        (lin, "Lin Na", "13800000003", "en"),
    ]:
        await user.send(f"/start {payload}")
        await register(
            user,
            name=name,
            phone=phone,
            started=True,
            language=language,
            community="Dongfeng Community" if language == "en" else "东风社区",
            grid="Dongfeng Grid 2" if language == "en" else "东风第二网格",
            availability=("Fridays",) if language == "en" else ("周五",),
        )
    await admin.send("/promote")
    await admin.press("刘队长")
    for user in (leader, chen, lin):
        await user.new_messages()
    return {"leader": leader, "chen": chen, "lin": lin, "payload": payload}


async def create_post(leader) -> str:
    """Leader creates the post in chat; returns its check-in payload."""
    (posts,) = await leader.send("/posts")
    assert posts.text == "还没有岗点。"
    (ask,) = await leader.press("新建岗点")
    assert "岗点名称" in ask.text
    (ask,) = await leader.send("东风路与建设路口")
    assert "地址" in ask.text
    (ask,) = await leader.send("东风路 88 号")
    # A leader adds posts in the community of their team only.
    assert ask.button_texts == ["东风社区"]
    (ask,) = await leader.press("东风社区")
    (ask,) = await leader.press("东风第一网格")
    assert ask.reply_keyboard[0]["request_location"] is True
    (hint,) = await leader.send("就在路口")
    assert "经纬度" in hint.text
    (ask,) = await leader.send_location(POST_LAT, POST_LON)
    assert "多少米以内" in ask.text
    done, view = await leader.press("150 米")
    assert done.text.startswith("✓ 岗点已创建") and done.removes_keyboard
    assert "📍 东风路与建设路口" in view.text and "150 米内可签到" in view.text
    (qr,) = await leader.press("打印签到二维码", view)
    assert qr.raw["photo"] and "签到二维码" in qr.text
    return re.search(r"start=(checkin_[\w-]+)", view.text).group(1)


async def create_weekly_cleanup(leader) -> None:
    (ask,) = await leader.send("/newshift")
    assert ask.text == "什么类型的服务？"  # one team: no team question
    await leader.press("清洁家园")
    await leader.press("东风路与建设路口")
    (ask,) = await leader.press("每周")
    # It is Thursday: this Friday is "tomorrow", next Friday has its own button.
    assert "明天 · 11月27日周五" in ask.button_texts and "下周五 · 12月4日周五" in ask.button_texts
    await leader.press("11月27日周五")
    await leader.press("08:30")
    (ask,) = await leader.press("2 小时")
    await leader.press("20")
    (summary,) = await leader.press("8")
    for line in [
        "队伍：东风清洁队",
        "服务类型：清洁家园",
        "岗点：东风路与建设路口",
        "时间：11月27日周五 08:30–10:30",
        "重复：每周",
        "名额：20 人（至少 8 人）",
    ]:
        assert line in summary.text
    assert await leader.press("创建并发布") == []
    created = await leader.message(summary.message_id)
    assert created.text.startswith("✓ 重复班次已创建：目前已排出 4 个日期")


# --- grid officers ---

OFFICER_LINK = re.compile(r"start=(officer_[\w-]+)")


async def appoint_officer(admin, officer) -> None:
    """The admin makes `officer` the grid officer of 东风第二网格 by a one-time link."""
    (overview,) = await admin.send("/officers")
    assert "东风第二网格：暂无" in overview.text
    await admin.press("东风第二网格", overview)
    (link,) = await admin.press("🔗 新网格员邀请链接")
    payload = OFFICER_LINK.search(link.text).group(1)
    (welcome,) = await officer.send(f"/start {payload}")
    assert welcome.text.startswith("✓ 您现在是东风第二网格的网格员。")
    # The link is used up.
    (again,) = await officer.send(f"/start {payload}")
    assert "网格员" not in again.text
