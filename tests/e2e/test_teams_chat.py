"""Teams and roles, end to end: invite links, /promote, /team, removal, rotation."""

from __future__ import annotations

import re

import pytest

from models import MemberRole
from tests.e2e import flows
from tests.e2e.flows import stored


@pytest.fixture
async def team_setup(db, admin, make_user):
    """A team with a leader (promoted by the admin) and a member, joined by the link."""
    payload = await flows.create_team(admin)
    leader = make_user("Lead", language_code="zh-hans")
    member = make_user("Mem", language_code="zh-hans")
    for user, name, phone in [(leader, "刘队长", "13800000001"), (member, "陈队员", "13800000002")]:
        intro, _ = await user.send(f"/start {payload}")
        assert "您受邀加入“东风清洁队”" in intro.text
        await flows.register(user, name=name, phone=phone, started=True)
        welcome = (await user.all_messages())[-1]
        assert "您已加入“东风清洁队”" in welcome.text
    (members,) = await admin.send("/promote")
    assert "刘队长 ⬆" in members.button_texts and "陈队员 ⬆" in members.button_texts
    assert await admin.press("刘队长") == []
    assert admin.last_answer.text == "已保存。"
    (told,) = await leader.new_messages()
    return {"payload": payload, "leader": leader, "member": member, "told": told}


async def test_invite_link_registers_and_joins(db, team_setup):
    for user in (team_setup["leader"], team_setup["member"]):
        state = await stored(db, user)
        assert len(state.memberships) == 1
    # Opening the link again does no harm.
    (again,) = await team_setup["member"].send(f"/start {team_setup['payload']}")
    assert again.text == "您已经是“东风清洁队”的队员了。"


async def test_registered_volunteer_joins_with_one_tap(db, admin, make_user):
    payload = await flows.create_team(admin, name="建设交通劝导队", community="建设社区")
    user = make_user()
    await flows.register(user, community="建设社区", grid="建设第一网格")
    (joined,) = await user.send(f"/start {payload}")
    assert joined.text.startswith("✓ 您已加入“建设交通劝导队”")


async def test_promotion_is_announced_and_changes_the_menu(db, emulator, bot_settings, team_setup):
    leader = team_setup["leader"]
    assert team_setup["told"].text.startswith("您已被任命为“东风清洁队”的队长")
    assert (await stored(db, leader)).memberships[0].role == MemberRole.LEADER

    menus = await emulator.call("commands", token=bot_settings.telegram.token)
    personal = next(m for m in menus if m["scope"] == {"type": "chat", "chat_id": leader.user_id})
    assert {"invite", "team"} <= {c["command"] for c in personal["commands"]}
    (help_text,) = await leader.send("/help")
    assert "/invite" in help_text.text and "/newteam" not in help_text.text


async def test_leader_sees_phones_volunteer_sees_names(db, team_setup):
    (as_leader,) = await team_setup["leader"].send("/team")
    assert "东风清洁队 · 东风社区" in as_leader.text
    assert "1. 刘队长 · 13800000001（队长）\n2. 陈队员 · 13800000002" in as_leader.text
    assert "➖ 移出队员" in as_leader.button_texts

    (as_member,) = await team_setup["member"].send("/team")
    assert "刘队长" in as_member.text and "陈队员" in as_member.text
    assert not re.search(r"\d{11}", as_member.text)
    assert as_member.buttons == []


async def test_forged_callbacks_are_refused(db, admin, team_setup):
    member = team_setup["member"]
    me = await stored(db, member)
    team_id = me.memberships[0].team_id
    leader_id = (await stored(db, team_setup["leader"])).person.id
    (any_message,) = await member.send("/me")

    for forged in [
        f"pro:up:{team_id}:{me.person.id}",  # promote oneself
        f"pro:down:{team_id}:{leader_id}",  # demote the leader
        f"team:rmy:{team_id}:{leader_id}",  # remove the leader
        f"inv:roty:{team_id}",  # rotate the invite link
        f"team:rm:{team_id}:0",  # open the removal list
    ]:
        assert await member.press_data(forged, any_message) == []
        assert member.last_answer.show_alert
        assert member.last_answer.text == "抱歉，您没有权限进行这项操作。"

    assert (await stored(db, member)).memberships[0].role == MemberRole.MEMBER
    leader_state = await stored(db, team_setup["leader"])
    assert leader_state.memberships[0].role == MemberRole.LEADER
    # Commands too: a volunteer cannot create teams or promote.
    (refused,) = await member.send("/newteam")
    assert refused.text == "抱歉，您没有权限进行这项操作。"
    (refused,) = await member.send("/promote")
    assert refused.text == "抱歉，您没有权限进行这项操作。"
    (refused,) = await member.send("/invite")
    assert "只有队长和管理员" in refused.text


async def test_leader_removes_a_member(db, team_setup):
    leader, member = team_setup["leader"], team_setup["member"]
    (roster,) = await leader.send("/team")
    assert await leader.press("移出队员", roster) == []
    choose = await leader.message(roster.message_id)
    assert choose.button_texts == ["陈队员", "◀ 返回"]  # not themselves
    await leader.press("陈队员")
    question = await leader.message(roster.message_id)
    assert "确定将陈队员移出东风清洁队吗" in question.text
    await leader.press("确定移出")
    assert leader.last_answer.text == "已移出。"
    after = await leader.message(roster.message_id)
    assert "陈队员" not in after.text

    (told,) = await member.new_messages()
    assert told.text == "您已被移出“东风清洁队”。"
    assert (await stored(db, member)).memberships == []
    (no_team,) = await member.send("/team")
    assert "您还没有加入队伍" in no_team.text


async def test_admin_rotates_the_invite_link(db, admin, make_user, team_setup):
    old_payload = team_setup["payload"]
    (invite,) = await admin.send("/invite")
    assert old_payload in invite.text
    await admin.press("更换链接")
    question = await admin.message(invite.message_id)
    assert "确定更换东风清洁队的邀请链接吗" in question.text
    await admin.press("确定更换")
    rotated = await admin.message(invite.message_id)
    assert rotated.text.startswith("✓ 已生成新链接，旧链接已失效。")
    new_payload = flows.INVITE.search(rotated.text).group(1)
    assert new_payload != old_payload

    latecomer = make_user()
    invalid, greeting = await latecomer.send(f"/start {old_payload}")
    assert invalid.text == "这个邀请链接已失效，请向队长索取新的链接。"
    assert "🙋 我要当志愿者" in greeting.button_texts
    intro, _ = await latecomer.send(f"/start {new_payload}")
    assert "您受邀加入“东风清洁队”" in intro.text

    # The leader can show the link but not replace it.
    (leader_invite,) = await team_setup["leader"].send("/invite")
    assert new_payload in leader_invite.text and leader_invite.buttons == []


async def test_team_names_are_checked(db, admin):
    await flows.create_team(admin)
    await admin.send("/newteam")
    await admin.press("东风社区")
    (too_long,) = await admin.send("队" * 31)
    assert "2–30 个字" in too_long.text
    (taken,) = await admin.send("东风清洁队")
    assert taken.text == "本社区已有名为“东风清洁队”的队伍，请换一个名字。"
    (created,) = await admin.send("东风助老队")
    assert created.text.startswith("✓ 队伍已创建：东风助老队")
