"""An office that runs on WeChat alone: its administrator, named by OpenID, sets up a
team and a duty post by number and typed answers, and gets their QR codes (joining,
checking in) as pictures to show or print; others are refused."""

from __future__ import annotations

from sqlmodel import select

from models import Post, Team
from services import identity
from tests.services import helpers
from tests.wechat_server import ADMIN_USER

SOMEONE = "oSomeone00000000000000000001"


async def test_the_admin_sets_up_a_team_and_a_post_on_wechat(server, stand_in):
    assert "新队伍" in await server.text(ADMIN_USER, "帮助")
    communities = await server.text(ADMIN_USER, "新队伍")
    assert "1. 东风社区" in communities
    assert "请回复列表中的编号" in await server.text(ADMIN_USER, "9")
    assert "队伍叫什么名字" in await server.text(ADMIN_USER, "1")
    created = await server.text(ADMIN_USER, "东风巡逻队")
    async with server.db.session_factory() as session:
        team = (await session.exec(select(Team).where(Team.name == "东风巡逻队"))).one()
    assert "东风巡逻队" in created and f"加入 {team.invite_code}" in created
    assert stand_in.scenes == [f"join_{team.invite_code}"]
    (qr,) = stand_in.pictures_to(ADMIN_USER)
    assert qr.startswith(b"\x89PNG")
    assert "扫码" in stand_in.texts_to(ADMIN_USER)[-1]

    # Someone else who is not an admin cannot.
    assert "没有权限" in await server.text(SOMEONE, "新队伍")
    assert "没有权限" in await server.text(SOMEONE, "岗点")

    assert "还没有岗点" in await server.text(ADMIN_USER, "岗点")
    assert "名称" in await server.text(ADMIN_USER, "1")  # ➕ new post
    assert "地址" in await server.text(ADMIN_USER, "东风路口")
    where = await server.text(ADMIN_USER, "东风路与建设路交叉口")
    assert "1. 东风社区" in where
    grids = await server.text(ADMIN_USER, "1")
    assert "东风第二网格" in grids
    asked = await server.text(ADMIN_USER, "2")
    assert "位置" in asked
    assert "经纬度" in await server.text(ADMIN_USER, "东风路口旁边")  # not a place
    radius = await server.location(ADMIN_USER, 30.2725, 120.1675)
    assert "米" in radius
    done = await server.text(ADMIN_USER, "2")
    async with server.db.session_factory() as session:
        post = (await session.exec(select(Post).where(Post.name == "东风路口"))).one()
    assert "岗点已创建" in done and f"签到 {post.code}" in done
    assert post.radius_m == 100 and abs(post.latitude - 30.2725) < 1e-6
    assert stand_in.scenes[-1] == f"checkin_{post.code}"
    assert len(stand_in.pictures_to(ADMIN_USER)) == 2

    listing = await server.text(ADMIN_USER, "岗点")
    assert "【1】东风路口" in listing
    shown = await server.text(ADMIN_USER, "1")
    assert "100" in shown and "【1】⏸" in shown
    assert len(stand_in.pictures_to(ADMIN_USER)) == 3
    paused = await server.text(ADMIN_USER, "1")  # pause it: no shifts can use it
    assert "已保存" in paused and "已暂停" in paused and "【1】▶" in paused
    assert "⏸ 东风路口" in await server.text(ADMIN_USER, "岗点")
    assert len(stand_in.pictures_to(ADMIN_USER)) == 3  # no new picture for a change

    invite = await server.text(ADMIN_USER, "邀请")  # the only team: its invite at once
    assert f"加入 {team.invite_code}" in invite
    assert len(stand_in.pictures_to(ADMIN_USER)) == 4


async def test_an_admin_known_by_no_name_announces_to_everyone(server, stand_in):
    volunteer_user = "oEveryone0000000000000000001"
    async with server.db.session_factory.begin() as session:
        volunteer = await identity.resolve_person(
            session,
            identity.ChatUser(channel="wechat", external_id=volunteer_user, chat_id=volunteer_user),
            now=server.clock.now(),
            default_language="zh_Hans",
        )
        await helpers.register(
            session, volunteer, server.settings.registration, name="陈大家", phone="13800000110"
        )
    choices = await server.text(ADMIN_USER, "群发")
    assert "1. 👥 全体志愿者" in choices
    await server.text(ADMIN_USER, "1")
    assert "将送达 1 人" in await server.text(ADMIN_USER, "周六全体大扫除。")
    await server.text(ADMIN_USER, "1")
    await server.runner.dispatch()
    (told,) = stand_in.texts_to(volunteer_user)
    assert told.startswith("📢 通知（全体志愿者）：") and "周六全体大扫除" in told

    # Named once, the admin's announcements carry the name.
    assert "真实姓名" in await server.text(ADMIN_USER, "名字 1")  # not a name: refused
    assert "刘主任" in await server.text(ADMIN_USER, "名字 刘主任")
    await server.text(ADMIN_USER, "群发")
    await server.text(ADMIN_USER, "1")
    await server.text(ADMIN_USER, "周日照常。")
    await server.text(ADMIN_USER, "1")
    await server.runner.dispatch()
    assert stand_in.texts_to(volunteer_user)[-1].startswith("📢 来自 刘主任（全体志愿者）的通知")
