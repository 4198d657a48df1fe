"""Shift reminders end to end: "still coming?" a day before, the answers, the leader's
alerts, muting a kind with /reminders, and exactly one reminder across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e import flows
from tests.e2e.flows import POST_LAT, POST_LON

# The shift: Saturday 28 November 2026, 09:00–11:00 in Shanghai (01:00 UTC).
SATURDAY_0900 = datetime(2026, 11, 28, 1, 0, tzinfo=UTC)


@pytest.fixture
async def crew(db, admin, make_user):
    return await flows.shift_crew(admin, make_user)


async def _saturday_cleanup(bot, crew) -> None:
    """A one-off Saturday cleanup; the leader, Chen and Lin sign up on Thursday."""
    leader = crew["leader"]
    await flows.create_post(leader)
    await leader.send("/newshift")
    await leader.press("清洁家园")
    await leader.press("东风路与建设路口")
    await leader.press("只有一次")
    await leader.send("11-28")
    await leader.press("09:00")
    await leader.press("2 小时")
    await leader.press("5")
    await leader.press("不限")
    await leader.press("创建并发布")
    await bot.jobs.run_pending()
    for who, label in (("leader", "报名"), ("chen", "报名"), ("lin", "Sign up")):
        user = crew[who]
        announcement = next(
            m for m in await user.new_messages() if m.text.startswith(("📣 清洁", "📣 Neigh"))
        )
        await user.press(label, announcement)
        await user.new_messages()


async def _tick(bot, clock, moment: datetime) -> None:
    clock.set(moment)
    await bot.jobs.jobs.maintenance()
    await bot.jobs.run_pending()


async def test_still_coming_the_answers_and_the_leaders_alerts(db, bot, clock, crew):
    leader, chen, lin = crew["leader"], crew["chen"], crew["lin"]
    await _saturday_cleanup(bot, crew)

    # Friday 09:00, a day before: everyone on the shift is asked, in their language.
    await _tick(bot, clock, SATURDAY_0900 - timedelta(hours=24))
    asked, pin = await chen.new_messages()
    assert pin.raw["location"] == {"latitude": POST_LAT, "longitude": POST_LON}
    assert asked.text.startswith(
        "⏰ 提醒：清洁家园 · 11月28日周六 09:00–11:00 · 东风路与建设路口。"
    )
    assert "📍 东风路与建设路口（东风路 88 号）" in asked.text and "您还能来吗？" in asked.text
    assert asked.button_texts == ["✅ 能来", "❌ 来不了"]
    in_english, _pin = await lin.new_messages()
    assert in_english.text.startswith("⏰ Reminder: Neighbourhood cleanup · Sat, Nov 28 09:00")
    assert in_english.button_texts == ["✅ Yes, I am coming", "❌ I cannot make it"]
    for_leader, _pin = await leader.new_messages()

    # A minute later nothing is asked again.
    await _tick(bot, clock, SATURDAY_0900 - timedelta(hours=23, minutes=59))
    assert await chen.new_messages() == [] and await lin.new_messages() == []

    # Chen is coming; pressing twice is harmless.
    assert await chen.press("能来", asked) == []
    thanked = await chen.message(asked.message_id)
    assert thanked.text == "✅ 谢谢！清洁家园 · 11月28日周六 09:00–11:00 · 东风路与建设路口 见。"
    assert thanked.button_texts == []
    await chen.press_data("rm:yes:" + asked.button("能来")["callback_data"].split(":")[2], asked)
    assert await chen.new_messages() == []

    # The leader cannot make it: the reminder turns into the cancel question.
    await leader.press("来不了", for_leader)
    question = await leader.message(for_leader.message_id)
    assert question.text.startswith("取消清洁家园 · 11月28日周六")
    await leader.press("家里有事", question)
    assert (await leader.message(for_leader.message_id)).text.startswith("已取消")

    # Lin does not answer: at 21:00, twelve hours before, the leader hears it once.
    await _tick(bot, clock, SATURDAY_0900 - timedelta(hours=12, minutes=1))
    assert await leader.new_messages() == []
    await _tick(bot, clock, SATURDAY_0900 - timedelta(hours=12))
    (unconfirmed,) = await leader.new_messages()
    assert unconfirmed.text == (
        "❓ 清洁家园 · 11月28日周六 09:00–11:00 · 东风路与建设路口 尚未确认能来："
        "Lin Na 13800000003。您可能需要安排替补。"
    )
    assert unconfirmed.button_texts == ["📋 名单"]
    await _tick(bot, clock, SATURDAY_0900 - timedelta(hours=11))
    assert await leader.new_messages() == []

    # An hour before: a short reminder with the place, and the post's pin.
    await _tick(bot, clock, SATURDAY_0900 - timedelta(hours=1))
    soon, pin = await chen.new_messages()
    assert soon.text.startswith(
        "⏰ 清洁家园 · 11月28日周六 09:00–11:00 · 东风路与建设路口 即将开始。"
    )
    assert soon.button_texts == []
    assert pin.raw["location"] == {"latitude": POST_LAT, "longitude": POST_LON}

    # Chen checks in; fifteen minutes after the start the leader hears Lin is missing.
    await _tick(bot, clock, SATURDAY_0900 - timedelta(minutes=5))
    await chen.send_location(POST_LAT, POST_LON)
    await _tick(bot, clock, SATURDAY_0900 + timedelta(minutes=15))
    (missing,) = await leader.new_messages()
    assert missing.text == (
        "⚠️ 清洁家园 · 11月28日周六 09:00–11:00 · 东风路与建设路口 开始 15 分钟后仍未签到："
        "Lin Na 13800000003。"
    )
    (roster,) = await leader.press("名单", missing)
    assert "陈队员" in roster.text and "Lin Na" in roster.text


async def test_muting_a_kind_in_reminders(db, bot, clock, crew):
    lin, chen = crew["lin"], crew["chen"]
    await _saturday_cleanup(bot, crew)
    (choices,) = await lin.send("/reminders")
    assert choices.text.startswith("Reminders before your shifts, by kind.")
    assert "🔔 Neighbourhood cleanup" in choices.button_texts
    assert await lin.press("🔔 Neighbourhood cleanup", choices) == []
    muted = await lin.message(choices.message_id)
    assert "🔕 Neighbourhood cleanup" in muted.button_texts
    # A forged kind is refused and changes nothing.
    await lin.press_data("rm:mute:rockets:1", muted)
    assert lin.last_answer.show_alert

    await _tick(bot, clock, SATURDAY_0900 - timedelta(hours=24))
    assert await lin.new_messages() == []
    asked, _pin = await chen.new_messages()
    assert "您还能来吗" in asked.text
    # Muted reminders do not count as unanswered for the leader.
    await _tick(bot, clock, SATURDAY_0900 - timedelta(hours=12))
    unconfirmed = [m for m in await crew["leader"].new_messages() if "尚未确认" in m.text]
    assert len(unconfirmed) == 1 and "Lin Na" not in unconfirmed[0].text

    # Turned back on, the next reminder comes.
    (choices,) = await lin.send("/reminders")
    await lin.press("🔕 Neighbourhood cleanup", choices)
    await _tick(bot, clock, SATURDAY_0900 - timedelta(hours=1))
    soon, _pin = await lin.new_messages()
    assert soon.text.startswith("⏰ Neighbourhood cleanup · Sat, Nov 28 09:00–11:00")


async def test_exactly_one_reminder_across_restarts_and_downtime(db, bot, clock, crew):
    chen = crew["chen"]
    await _saturday_cleanup(bot, crew)
    # The bot is down from Friday 08:00 to 10:30 (the 24-hour reminder was due at 09:00).
    await bot.stop()
    clock.set(SATURDAY_0900 - timedelta(hours=22, minutes=30))
    await bot.start()
    await bot.jobs.jobs.maintenance()
    await bot.restart()  # and once more before anything is sent
    await bot.jobs.jobs.maintenance()
    await bot.jobs.run_pending()
    late, _pin = await chen.new_messages()
    assert "您还能来吗" in late.text
    await bot.restart()
    await _tick(bot, clock, SATURDAY_0900 - timedelta(hours=22))
    assert await chen.new_messages() == []

    # Down across the 1-hour mark until 08:30: one short reminder, not two.
    await bot.stop()
    clock.set(SATURDAY_0900 - timedelta(minutes=30))
    await bot.start()
    await _tick(bot, clock, SATURDAY_0900 - timedelta(minutes=30))
    messages = await chen.new_messages()
    assert [m.text.split("\n")[0] for m in messages if m.text] == [
        "⏰ 清洁家园 · 11月28日周六 09:00–11:00 · 东风路与建设路口 即将开始。"
    ]
