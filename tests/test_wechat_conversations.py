"""Which conversation a WeChat reply answers: a number does not confirm a preview the
person has moved on from, a later conversation takes the reply, a command word ends an
open reason question, and a reason whose shift has gone ends its conversation."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from models import Broadcast, ChatIdentity, Person, ShiftSignup
from services import outbox, shift_actions, shifts
from tests.test_wechat_shifts import (
    FRIDAY_2000,
    _leader_and_member_on_wechat,
    _signed_up_on_wechat,
)

LEADER, MEMBER = "oConvLeader00000000000000001", "oConvMember00000000000000001"


async def _broadcasts(server) -> int:
    async with server.db.session_factory() as session:
        return len((await session.exec(select(Broadcast))).all())


async def test_a_number_does_not_send_a_broadcast_the_leader_moved_on_from(server):
    server.clock.moment = FRIDAY_2000
    await _leader_and_member_on_wechat(server, LEADER, MEMBER, with_post=True)
    await server.text(LEADER, "群发")
    assert "1. 发送" in await server.text(LEADER, "周日早上八点集合。")
    server.clock.moment += timedelta(minutes=2)
    assert "您想做什么" in await server.text(LEADER, "帮助")
    server.clock.moment += timedelta(minutes=1)
    again = await server.text(LEADER, "1")  # meant for something else: shown once more
    assert "请再核对一次" in again and "周日早上八点集合" in again
    assert await _broadcasts(server) == 0
    server.clock.moment += timedelta(seconds=20)
    assert "正在发送" in await server.text(LEADER, "1")
    assert await _broadcasts(server) == 1

    # A new conversation takes the numbers; the one left at its preview does not.
    await server.text(LEADER, "群发")
    await server.text(LEADER, "周一也集合。")
    server.clock.moment += timedelta(minutes=1)
    assert "1. 清洁家园" in await server.text(LEADER, "新班次")
    server.clock.moment += timedelta(seconds=20)
    answered = await server.text(LEADER, "1")  # 新班次's first question: the duty
    assert "东风路口" in answered
    assert await _broadcasts(server) == 1


async def test_a_command_ends_an_open_reason_question(server):
    signed_up = await _signed_up_on_wechat(server, MEMBER, "陈队员", "13800000100")
    await server.text(MEMBER, "我的班次")
    await server.text(MEMBER, "1")
    await server.text(MEMBER, "1")  # cancel my place
    assert "原因" in await server.text(MEMBER, "5")  # another reason…
    assert "陈队员" in await server.text(MEMBER, "时长")  # moved on
    await server.text(MEMBER, "记录")
    assert "12-04" in await server.text(MEMBER, "1")  # a date is asked, nothing cancelled
    assert "取消" in await server.text(MEMBER, "取消")
    assert "没看懂" in await server.text(MEMBER, "家里有事")
    async with server.db.session_factory() as session:
        status = (
            await session.exec(
                select(ShiftSignup.status).where(col(ShiftSignup.shift_id) == signed_up.shift_id)
            )
        ).one()
    assert status == "confirmed"

    # Another reason asked, then the shift is cancelled: the reason ends the question.
    await server.text(MEMBER, "我的班次")
    await server.text(MEMBER, "1")
    await server.text(MEMBER, "1")
    await server.text(MEMBER, "5")
    async with server.db.session_factory.begin() as session:
        admin = await session.get_one(Person, signed_up.admin_id)
        await shifts.cancel_shift(session, admin, signed_up.shift_id, reason="", now=FRIDAY_2000)
    refused = await server.text(MEMBER, "发烧了")
    assert "这个班次已取消或已结束" in refused
    assert "没看懂" in await server.text(MEMBER, "还是发烧")  # the question is gone


async def test_a_number_typed_for_a_question_answers_it_after_a_notice(server, catalogs):
    """At 'how many places?' a notice with buttons arrives: "10" is still the answer."""
    server.clock.moment = FRIDAY_2000
    await _leader_and_member_on_wechat(server, LEADER, MEMBER, with_post=True)
    for answer in ("新班次", "1", "1", "1", "3", "8:00", "120"):
        server.clock.moment += timedelta(seconds=20)
        await server.text(LEADER, answer)
    async with server.db.session_factory.begin() as session:
        leader_id = (
            await session.exec(
                select(ChatIdentity.person_id).where(ChatIdentity.external_id == LEADER)
            )
        ).one()
        server.clock.moment += timedelta(seconds=20)
        await outbox.enqueue(
            session,
            shift_actions.invitation_notice("清洁家园", "王队长", 99),
            catalogs=catalogs,
            now=server.clock.now(),
            person_id=leader_id,
        )
    await server.runner.dispatch()
    server.clock.moment += timedelta(seconds=20)
    assert "至少" in await server.text(LEADER, "10")  # the places, not the notice's "1"


async def test_a_refused_command_still_ends_an_open_reason_question(server):
    signed_up = await _signed_up_on_wechat(server, MEMBER, "陈队员", "13800000120")
    for answer in ("我的班次", "1", "1", "5"):  # cancel, another reason…
        await server.text(MEMBER, answer)
    assert "权限" in await server.text(MEMBER, "导出")  # refused, but moved on all the same
    assert "没看懂" in await server.text(MEMBER, "好的谢谢")
    async with server.db.session_factory() as session:
        status = (
            await session.exec(
                select(ShiftSignup.status).where(ShiftSignup.shift_id == signed_up.shift_id)
            )
        ).one()
    assert status == "confirmed"
