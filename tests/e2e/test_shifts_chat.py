"""Shifts end to end: a leader sets up a post and a recurring Friday cleanup, volunteers
sign up from the announcement, check in by location (outside and inside the radius)
and by the post's QR code; the roster; waitlist promotion; groups; cancellations."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from models import MemberRole, Shift, ShiftTemplate
from services.registration import Step
from tests.e2e import flows
from tests.e2e.flows import POST_LAT, POST_LON, stored

# Friday 27 November 2026 in Shanghai (UTC+8).
FRIDAY_0820 = datetime(2026, 11, 27, 0, 20, tzinfo=UTC)
FRIDAY_1035 = datetime(2026, 11, 27, 2, 35, tzinfo=UTC)
FRIDAY_1105 = datetime(2026, 11, 27, 3, 5, tzinfo=UTC)


@pytest.fixture
async def crew(db, admin, make_user):
    return await flows.shift_crew(admin, make_user)


async def test_friday_cleanup_from_setup_to_check_out(db, bot, clock, emulator, crew):
    leader, chen, lin = crew["leader"], crew["chen"], crew["lin"]
    checkin_payload = await flows.create_post(leader)
    await flows.create_weekly_cleanup(leader)

    # Only this Friday is within the 7-day announcement window.
    await bot.jobs.run_pending()
    (announcement,) = await chen.new_messages()
    assert announcement.text.startswith("📣 清洁家园 · 东风清洁队\n🕗 11月27日周五 08:30–10:30")
    assert "📍 东风路与建设路口（东风路 88 号）" in announcement.text
    assert announcement.button_texts == ["🙋 报名（0/20）"]
    (in_english,) = await lin.new_messages()
    assert in_english.text.startswith(
        "📣 Neighbourhood cleanup · 东风清洁队\n🕗 Fri, Nov 27 08:30–10:30"
    )
    (leader_copy,) = await leader.new_messages()

    # Chen signs up from the announcement.
    (confirmation,) = await chen.press("报名", announcement)
    assert chen.last_answer.text.startswith("✅ 报名成功：清洁家园 · 11月27日周五 08:30–10:30")
    assert "✅ 您已报名。" in confirmation.text and "取消报名" in confirmation.button_texts

    # Lin finds it with /shifts and signs up from its detail.
    (listing,) = await lin.send("/shifts")
    assert (
        "1. Neighbourhood cleanup · Fri, Nov 27 08:30–10:30 · 东风路与建设路口 (1/20)"
        in listing.text
    )
    assert await lin.press("1", listing) == []
    assert await lin.press("Sign up", listing) == []
    detail = await lin.message(listing.message_id)
    assert "✅ You are signed up." in detail.text

    # The announcements catch up with the count.
    await bot.jobs.run_pending()
    assert (await leader.message(leader_copy.message_id)).button_texts == ["🙋 报名（2/20）"]

    # Calendar file.
    (mine,) = await chen.send("/myshifts")
    assert "1. ✅清洁家园 · 11月27日周五 08:30–10:30 · 东风路与建设路口 (2/20)" in mine.text
    (calendar,) = await chen.press("加入我的日历", mine)
    assert calendar.raw["document"]["file_name"] == "my-shifts.ics"
    content = await emulator.call("download", file_id=calendar.raw["document"]["file_id"])
    ics = base64.b64decode(content["content_base64"]).decode()
    assert "BEGIN:VEVENT" in ics and "DTSTART:20261127T003000Z" in ics
    assert "LOCATION:东风路与建设路口\\, 东风路 88 号" in ics

    # Friday 08:20: Chen shares his location 300 m away, then at the post.
    clock.set(FRIDAY_0820)
    too_far, pin = await chen.send_location(POST_LAT + 0.0027, POST_LON)
    assert re.search(
        r"您距离岗点“东风路与建设路口”（东风路 88 号）\d+ 米，需在 150 米以内", too_far.text
    )
    assert pin.raw["location"] == {"latitude": POST_LAT, "longitude": POST_LON}
    (checked_in,) = await chen.send_location(POST_LAT + 0.0002, POST_LON)
    assert checked_in.text.startswith("✅ 08:20 签到成功：清洁家园")
    (again,) = await chen.send_location(POST_LAT, POST_LON)
    assert again.text == "您已于 08:20 签到。离开时请再次扫码或发送位置签退。"

    # Lin scans the printed QR code.
    (checked_in,) = await lin.send(f"/start {checkin_payload}")
    assert checked_in.text.startswith("✅ Checked in at 08:20: Neighbourhood cleanup")

    # The leader's roster: phones, times, methods.
    (choose,) = await leader.send("/roster")
    await leader.press("11月27日", choose)
    roster = await leader.message(choose.message_id)
    assert "✅ 已签到 (2)" in roster.text
    assert re.search(r"陈队员 · 13800000002 · 08:20 签到（定位 \d+ 米）", roster.text)
    assert "Lin Na · 13800000003 · 08:20 签到（扫码）" in roster.text

    # 10:35 Chen checks out; at 11:05 the shift closes and Lin is still checked in.
    clock.set(FRIDAY_1035)
    (out,) = await chen.send_location(POST_LAT, POST_LON)
    assert out.text.startswith("👋 10:35 签退") and "本次在岗 2 小时 15 分钟" in out.text
    clock.set(FRIDAY_1105)
    await bot.jobs.jobs.maintenance()
    await bot.jobs.run_pending()  # the outbox
    # Next Friday is now within a week: announced; and the leader is asked to review.
    next_week, review = await leader.new_messages()
    assert next_week.text.startswith("📣 清洁家园 · 东风清洁队\n🕗 12月4日周五 08:30–10:30")
    assert review.text.startswith("班次已结束：清洁家园 · 11月27日周五 08:30–10:30")
    assert "1 人未签退，0 人未签到" in review.text
    roster = await leader.message(choose.message_id)
    await leader.press("刷新", roster)
    await leader.press("确认所有已签到的人在岗", roster)
    assert leader.last_answer.text == "已确认 1 人。"
    roster = await leader.message(choose.message_id)
    assert "Lin Na · 13800000003 · 08:20 签到（扫码） · 10:30 签退 ✓" in roster.text


async def test_full_shift_waitlists_and_promotes(db, bot, crew):
    leader, chen, lin = crew["leader"], crew["chen"], crew["lin"]
    await flows.create_post(leader)
    await leader.send("/newshift")
    await leader.press("文明交通劝导")
    await leader.press("东风路与建设路口")
    await leader.press("只有一次")
    await leader.press("明天")
    (ask,) = await leader.send("7:30")  # typed instead of tapped
    assert "持续多长时间" in ask.text
    await leader.press("1 小时")
    (ask,) = await leader.send("1")
    await leader.press("不限")
    await leader.press("创建并发布")
    await bot.jobs.run_pending()
    (for_chen,) = await chen.new_messages()
    (for_lin,) = await lin.new_messages()
    (_for_leader,) = await leader.new_messages()

    # Chen is already on an overlapping shift (the same morning at the same post).
    await leader.send("/newshift")
    await leader.press("文明交通劝导")
    await leader.press("东风路与建设路口")
    await leader.press("只有一次")
    await leader.press("明天")
    await leader.send("8:00")
    await leader.press("1 小时")
    await leader.press("5")
    await leader.press("不限")
    await leader.press("创建并发布")
    await bot.jobs.run_pending()
    (other_for_chen,) = await chen.new_messages()
    await lin.new_messages()
    await leader.new_messages()

    await chen.press("报名", for_chen)
    assert await chen.press("报名", other_for_chen) == []
    assert chen.last_answer.show_alert
    assert chen.last_answer.text == (
        "您在这个时间已有其他班次：文明交通劝导 · 11月27日周五 07:30–08:30 · 东风路与建设路口。"
    )
    await bot.jobs.run_pending()
    updated = await lin.message(for_lin.message_id)
    assert updated.button_texts == ["⏳ Join the waitlist (1/1)"]
    (waiting,) = await lin.press("Join the waitlist", updated)
    assert "⏳ You are on the waitlist." in waiting.text
    assert lin.last_answer.text == "⏳ The shift is full: you are on the waitlist."

    (mine,) = await chen.send("/myshifts")
    await chen.press("1", mine)
    await chen.press("取消报名", mine)
    reasons = await chen.message(mine.message_id)
    assert "请告诉队长原因" in reasons.text
    await chen.press("我生病了", reasons)
    assert (await chen.message(mine.message_id)).text.startswith("已取消：文明交通劝导")

    (promoted,) = await lin.new_messages()
    assert promoted.text.startswith(
        "🎉 A place opened up: you are now signed up for Traffic persuasion"
    )
    # Cancelling a day ahead (before the 12 h cutoff) does not bother the leader.
    assert await leader.new_messages() == []


async def test_late_cancellation_with_a_typed_reason_tells_the_leader(db, bot, clock, crew):
    leader, chen = crew["leader"], crew["chen"]
    await flows.create_post(leader)
    await flows.create_weekly_cleanup(leader)
    await bot.jobs.run_pending()
    (announcement,) = await chen.new_messages()
    await chen.press("报名", announcement)
    await leader.new_messages()

    clock.set(FRIDAY_0820.replace(hour=0, minute=0))  # 08:00, half an hour before
    (detail,) = await chen.send("/myshifts")
    await chen.press("1", detail)
    await chen.press("取消报名", detail)
    await chen.press("其他原因", detail)
    (done,) = await chen.send("孩子发烧了")
    assert "已通知您的队长" in done.text
    (told,) = await leader.new_messages()
    assert told.text.startswith("⚠️ 陈队员在临近开始时取消了清洁家园")
    assert told.text.endswith("原因：孩子发烧了")


async def test_volunteers_cannot_run_shifts(db, bot, crew):
    leader, chen = crew["leader"], crew["chen"]
    await flows.create_post(leader)
    await flows.create_weekly_cleanup(leader)
    (refused,) = await chen.send("/newshift")
    assert refused.text == "抱歉，您没有权限进行这项操作。"
    (refused,) = await chen.send("/roster")
    assert refused.text == "抱歉，您没有权限进行这项操作。"
    (refused,) = await chen.send("/posts")
    assert refused.text == "抱歉，您没有权限进行这项操作。"
    async with db.session_factory() as session:
        shift_ids = (await session.exec(select(Shift.id))).all()
    (any_message,) = await chen.send("/me")
    refusals = {"抱歉，您没有权限进行这项操作。", "这个按钮已过期，请使用最新的消息。"}
    for forged in [
        *(f"ro:cxy:{sid}" for sid in shift_ids),
        f"ro:v:{shift_ids[0]}",
        f"ro:all:{shift_ids[0]}",
        f"ro:stopy:{shift_ids[0]}",
        "po:new",
        "ns:ok",
    ]:
        await chen.press_data(forged, any_message)
        assert chen.last_answer.text in refusals, forged
    async with db.session_factory() as session:
        statuses = (await session.exec(select(Shift.status))).all()
        assert set(statuses) == {"open"}
        template = (await session.exec(select(ShiftTemplate))).one()
        assert template.active


async def test_leader_cancels_and_everyone_is_told(db, bot, crew):
    leader, chen, lin = crew["leader"], crew["chen"], crew["lin"]
    await flows.create_post(leader)
    await flows.create_weekly_cleanup(leader)
    await bot.jobs.run_pending()
    (for_chen,) = await chen.new_messages()
    await chen.press("报名", for_chen)
    await lin.new_messages()
    await leader.new_messages()
    (choose,) = await leader.send("/roster")
    await leader.press("11月27日", choose)
    await leader.press("取消这个班次")
    await leader.press("确定")
    assert leader.last_answer.text == "已取消，正在通知已报名的人。"
    (told,) = await chen.new_messages()
    assert told.text.startswith("❌ 队长已取消：清洁家园 · 11月27日周五")
    await bot.jobs.run_pending()
    cancelled = await chen.message(for_chen.message_id)
    assert "❌ 已取消" in cancelled.text and cancelled.buttons == []


async def test_team_group_gets_announcements_and_sign_ups(
    db, bot, emulator, bot_settings, crew, make_user
):
    leader, chen = crew["leader"], crew["chen"]
    token = bot_settings.telegram.token
    group = {"id": -1001234, "type": "supergroup", "title": "东风清洁队群"}

    async def in_group(user, text):
        message = {
            "from": user.profile,
            "chat": group,
            "date": 1_790_000_000,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        }
        result = await emulator.call("send", token=token, message=message)
        await bot.wait_processed(result["update_id"])

    await in_group(chen, "/link")
    (refused,) = await emulator.call("messages", token=token, chat_id=group["id"])
    assert refused["text"] == "只有队长可以关联队伍的群。"
    await in_group(leader, "/link")
    linked = (await emulator.call("messages", token=token, chat_id=group["id"]))[-1]
    assert linked["text"].startswith("✓ 本群已关联“东风清洁队”")

    await flows.create_post(leader)
    await flows.create_weekly_cleanup(leader)
    await bot.jobs.run_pending()
    posted = (await emulator.call("messages", token=token, chat_id=group["id"]))[-1]
    assert posted["text"].startswith("📣 清洁家园 · 东风清洁队")
    assert "138" not in posted["text"]  # no personal data in the group

    async def tap(user):
        result = await emulator.call(
            "callback",
            token=token,
            **{"from": user.profile},
            chat_id=group["id"],
            message_id=posted["message_id"],
            data=posted["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        )
        await bot.wait_processed(result["update_id"])
        answers = await emulator.call("callbackAnswers", token=token)
        return next(a for a in answers if a["callback_query_id"] == result["callback_query_id"])

    answer = await tap(chen)
    assert answer["text"].startswith("✅ 报名成功")
    stranger = make_user("Stranger")
    answer = await tap(stranger)
    assert answer["text"] == "请先注册成为志愿者：发送 /start。" and answer["show_alert"]
    # Nothing but the announcement and the link reply was posted in the group.
    assert len(await emulator.call("messages", token=token, chat_id=group["id"])) == 3
    assert (await stored(db, chen)).memberships[0].role == MemberRole.MEMBER
    assert (await stored(db, stranger)).draft is None or (
        await stored(db, stranger)
    ).draft.step is Step.NAME


async def test_leader_assigns_and_marks_a_no_show(db, bot, clock, crew):
    leader, chen, lin = crew["leader"], crew["chen"], crew["lin"]
    await flows.create_post(leader)
    await leader.send("/newshift")
    await leader.press("文明交通劝导")
    await leader.press("东风路与建设路口")
    await leader.press("只有一次")
    await leader.press("今天")
    await leader.send("11:00")
    await leader.press("1 小时")
    await leader.press("5")
    await leader.press("不限")
    await leader.press("创建并发布")
    await bot.jobs.run_pending()
    for user in (leader, chen, lin):
        await user.new_messages()

    (choose,) = await leader.send("/roster")
    await leader.press("11:00", choose)
    await leader.press("安排志愿者", choose)
    assert "要安排谁参加" in (await leader.message(choose.message_id)).text
    await leader.press("陈队员", choose)
    assert leader.last_answer.text == "已发出邀请，对方回复后会在这里显示。"
    (asked,) = await chen.new_messages()
    assert asked.text.startswith("✉️ 刘队长安排您参加文明交通劝导")
    await chen.press("我不能参加", asked)
    assert (await chen.message(asked.message_id)).text.startswith("好的，您不参加")
    (told,) = await leader.new_messages()
    assert told.text.startswith("陈队员不能参加文明交通劝导")

    await leader.press("安排志愿者", choose)
    await leader.press("Lin Na", choose)
    (asked,) = await lin.new_messages()
    assert asked.text.startswith("✉️ 刘队长 has put you on Traffic persuasion")
    await lin.press("I will come", asked)
    roster = await leader.message(choose.message_id)
    await leader.press("刷新", roster)
    roster = await leader.message(choose.message_id)
    assert "🙋 已报名 (1)\n1. Lin Na · 13800000003" in roster.text

    clock.set(datetime(2026, 11, 26, 3, 10, tzinfo=UTC))  # 11:10, ten minutes in
    await leader.press("刷新", roster)
    roster = await leader.message(choose.message_id)
    assert "⚠️ 未签到 (1)" in roster.text
    await leader.press("标记未到岗", roster)
    await leader.press("Lin Na", roster)
    assert leader.last_answer.text == "已保存。"
    roster = await leader.message(choose.message_id)
    assert "Lin Na · 13800000003 · 未到岗" in roster.text


async def test_a_reason_typed_after_the_shift_started_ends_the_question(db, bot, clock, crew):
    leader, chen = crew["leader"], crew["chen"]
    await flows.create_post(leader)
    await flows.create_weekly_cleanup(leader)
    await bot.jobs.run_pending()
    (announcement,) = await chen.new_messages()
    await chen.press("报名", announcement)
    (detail,) = await chen.send("/myshifts")
    await chen.press("1", detail)
    await chen.press("取消报名", detail)
    await chen.press("其他原因", detail)

    clock.set(FRIDAY_0820.replace(minute=40))  # 08:40: the shift has started
    (refused,) = await chen.send("临时有事")
    assert refused.text == "这个班次已经开始，不能再报名或取消。"
    # The question is over: ordinary text is ordinary again.
    (reply,) = await chen.send("你好")
    assert "没有理解" in reply.text
