"""Elder care end to end: an admin appoints a grid officer, the officer registers an
elder and the leader picks the carers; the daily call is not answered, retried, handed
to the backup, escalated at 18:00, taken by the leader, and cleared."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e import flows

FAMILY_LINK = re.compile(r"start=(family_[\w-]+)")


def shanghai(hour: int, minute: int = 0, day: int = 26) -> datetime:
    return datetime(2026, 11, day, hour - 8, minute, tzinfo=UTC)


async def _tick(bot, clock, moment: datetime) -> None:
    clock.set(moment)
    await bot.jobs.jobs.maintenance()
    await bot.jobs.run_pending()


@pytest.fixture
async def crew(db, admin, make_user):
    return await flows.shift_crew(admin, make_user)


async def _register_elder(bot, officer) -> None:
    (listing,) = await officer.send("/elders")
    assert listing.text == "还没有登记老人。"
    (ask,) = await officer.press("➕ 登记老人", listing)
    assert "老人姓名" in ask.text
    await officer.send("王秀英")
    (wrong,) = await officer.send("打电话给我")
    assert wrong.text.startswith("请发送电话号码")
    (ask,) = await officer.send("0571-8888 1234")
    assert "家庭住址" in ask.text
    await officer.send("东风路 12 号 3 单元 201")
    # A restart in the middle keeps what was entered.
    await bot.restart()
    hint, team_question = await officer.send("一张贴纸")  # text where a button is expected
    assert "请点击下面的按钮选择" in hint.text and "哪支队伍" in team_question.text
    (ask,) = await officer.press("东风清洁队")
    assert "出生日期" in ask.text
    (wrong,) = await officer.send("12-07")
    assert "带年份" in wrong.text
    await officer.send("1941-03-15")
    await officer.send("王强 13700001111")
    (summary,) = await officer.press("跳过")
    for line in [
        "👵 王秀英",
        "📞 057188881234 · 📍 东风路 12 号 3 单元 201",
        "网格：东风第二网格 · 队伍：东风清洁队",
        "家属：王强 13700001111",
    ]:
        assert line in summary.text
    (card,) = await officer.press("✅ 登记", summary)
    done = await officer.message(summary.message_id)
    assert done.text.startswith("✓ 已登记王秀英。")
    assert "每日电话：暂无 · 替补：无" in card.text


async def test_daily_call_retry_backup_escalation_and_all_clear(
    db, bot, clock, admin, make_user, crew
):
    leader, chen, lin = crew["leader"], crew["chen"], crew["lin"]
    officer = make_user("周敏")
    await flows.appoint_officer(admin, officer)
    await _register_elder(bot, officer)

    # The leader picks Chen as the caller and Lin as the backup.
    (listing,) = await leader.send("/elders")
    assert "1. 王秀英 · 东风第二网格" in listing.text
    await leader.press("1", listing)
    await leader.press("👥 问候人和替补")
    await leader.press("陈队员")
    await leader.press("Lin Na")
    await leader.press("📞 Lin Na")
    choices = await leader.message(listing.message_id)
    assert "📞 陈队员" in choices.button_texts and "🔁 Lin Na" in choices.button_texts

    # Thursday 10:00: past the 09:00 call time, so Chen is asked now.
    await _tick(bot, clock, shanghai(10))
    (prompt,) = await chen.new_messages()
    assert prompt.text.startswith("📞 请今天给王秀英打个电话，问问近况。")
    assert "8888" not in prompt.text
    await chen.press("📱 显示电话", prompt)
    shown = await chen.message(prompt.message_id)
    assert "📞 057188881234 · 📍 东风路 12 号 3 单元 201" in shown.text
    assert "📱 显示电话" not in shown.button_texts
    await chen.press("📵 没联系上", shown)
    noted = await chen.message(prompt.message_id)
    assert "12:00 我会提醒您再试一次" in noted.text

    # 12:00 the retry; Chen does not answer it; at 14:00 Lin, the backup, is asked.
    await _tick(bot, clock, shanghai(11, 59))
    assert await chen.new_messages() == []
    await _tick(bot, clock, shanghai(12))
    (retry,) = await chen.new_messages()
    assert retry.text.startswith("📞 请再试着联系王秀英。")
    await _tick(bot, clock, shanghai(14))
    (backup_prompt,) = await lin.new_messages()
    assert backup_prompt.text.startswith("📞 Please call 王秀英 today and see how they are.")
    assert "陈队员 cannot do it today; you are the backup." in backup_prompt.text
    await lin.press("📵 Could not reach", backup_prompt)
    assert "16:00" in (await lin.message(backup_prompt.message_id)).text
    # The officer is busy in a restart; the bot comes back and sends nothing twice.
    await bot.restart()
    await _tick(bot, clock, shanghai(16))
    (lin_retry,) = await lin.new_messages()
    assert lin_retry.text.startswith("📞 Please try 王秀英 again.")
    await bot.restart()
    await _tick(bot, clock, shanghai(16, 1))
    assert await lin.new_messages() == []

    # 18:00: nobody reached her. The leader and the officer are alerted, once.
    await _tick(bot, clock, shanghai(17, 59))
    assert await leader.new_messages() == []
    await _tick(bot, clock, shanghai(18))
    (alert,) = await leader.new_messages()
    assert alert.text.startswith("🚨 今天（11月26日周四）还没有人联系上王秀英。")
    assert "负责电话：Lin Na · 未接通次数：2" in alert.text
    assert "📞 057188881234" in alert.text and "家属：王强 13700001111" in alert.text
    (officer_alert,) = await officer.new_messages()
    await _tick(bot, clock, shanghai(18, 5))
    assert await leader.new_messages() == [] and await officer.new_messages() == []

    # The leader takes it; the officer sees who; the officer cannot take it twice.
    await leader.press("🙋 我来处理", alert)
    taken = await leader.message(alert.message_id)
    assert "由您处理" in taken.text
    (told,) = await officer.new_messages()
    assert told.text == "👍 刘队长正在处理王秀英的情况。"
    await officer.press("🙋 我来处理", officer_alert)
    assert officer.last_answer.text == "刘队长 已经在处理了。"

    # The leader reaches her: the all-clear goes to the officer.
    clock.set(shanghai(18, 40))
    await leader.press("✅ 已联系上，一切都好", taken)
    await bot.jobs.run_pending()
    (clear,) = await officer.new_messages()
    assert clear.text == "✅ 警报解除：刘队长已于 18:40 联系上王秀英。"

    # The officer's record of the week.
    (listing,) = await officer.send("/elders")
    await officer.press("📊 最近 7 天", listing)
    record = await officer.message(listing.message_id)
    assert "······☑️ 王秀英" in record.text
    assert "每天都已联系或已上报：1/1 · 预警：1 次" in record.text


async def test_needs_help_and_the_family_link(db, bot, clock, admin, make_user, crew):
    leader, chen = crew["leader"], crew["chen"]
    officer = make_user("周敏")
    family = make_user("王强")
    await flows.appoint_officer(admin, officer)
    await _register_elder(bot, officer)
    (listing,) = await officer.send("/elders")
    await officer.press("1", listing)
    card = await officer.message(listing.message_id)
    (link,) = await officer.press("👪 家属链接", card)
    payload = FAMILY_LINK.search(link.text).group(1)
    (thanks,) = await family.send(f"/start {payload}")
    assert thanks.text.startswith("✓ 谢谢。哪天志愿者联系不上王秀英")

    (listing,) = await leader.send("/elders")
    await leader.press("1", listing)
    await leader.press("👥 问候人和替补")
    await leader.press("陈队员")
    await _tick(bot, clock, shanghai(10))
    (prompt,) = await chen.new_messages()

    # Needs help: the leader and the officer hear it at once, with Chen's note after.
    clock.set(shanghai(10, 15))
    await chen.press("🆘 需要帮助", prompt)
    asked = await chen.message(prompt.message_id)
    assert "需要什么帮助" in asked.text
    await bot.jobs.run_pending()
    (alert,) = await leader.new_messages()
    assert alert.text.startswith("🆘 陈队员和王秀英通了电话：需要帮助。")
    (too_long,) = await chen.send("药" * 400)
    assert "不超过 300 个字" in too_long.text
    (passed,) = await chen.send("降压药吃完了，需要帮忙去药店")
    assert passed.text == "✓ 您的说明已转达，谢谢。"
    await bot.jobs.run_pending()
    (note,) = await leader.new_messages()
    assert note.text == "📝 陈队员关于王秀英：降压药吃完了，需要帮忙去药店"
    # The family is not alarmed: she was reached.
    assert await family.new_messages() == []

    # A stranger cannot open the elder's card or the number.
    stranger = crew["lin"]
    await stranger.press_data(f"ca:num:{1}", prompt)
    assert stranger.last_answer.show_alert


async def test_nobody_reached_tells_the_family(db, bot, clock, admin, make_user, crew):
    officer, family = make_user("周敏"), make_user("王强")
    await flows.appoint_officer(admin, officer)
    await _register_elder(bot, officer)
    (listing,) = await officer.send("/elders")
    await officer.press("1", listing)
    card = await officer.message(listing.message_id)
    (link,) = await officer.press("👪 家属链接", card)
    await family.send(f"/start {FAMILY_LINK.search(link.text).group(1)}")
    await family.new_messages()
    # Nobody is assigned yet: nobody is asked, and 18:00 still raises the alarm.
    await _tick(bot, clock, shanghai(10))
    await _tick(bot, clock, shanghai(18) + timedelta(minutes=1))
    (told,) = await family.new_messages()
    assert told.text.startswith("🚨 我们的志愿者今天没能通过电话联系上王秀英。")
    (alert,) = await officer.new_messages()
    assert "负责电话：未安排" in alert.text


async def test_correcting_details_and_removing_an_elder(db, bot, clock, admin, make_user, crew):
    officer, chen = make_user("周敏"), crew["chen"]
    await flows.appoint_officer(admin, officer)
    await _register_elder(bot, officer)
    (listing,) = await officer.send("/elders")
    await officer.press("1", listing)
    await officer.press("✏️ 修改信息")
    (ask,) = await officer.press("电话")
    assert "联系电话" in ask.text
    (wrong,) = await officer.send("不知道")
    assert wrong.text.startswith("请发送电话号码")
    saved, card = await officer.send("13912345678")
    assert saved.text == "✓ 已保存。" and "📞 13912345678" in card.text

    # Chen is the caller; then the elder moves away and is removed: no more calls.
    await officer.press("👥 问候人和替补", card)
    await officer.press("陈队员")
    await officer.press("◀ 返回")
    await officer.press("🗑 移出名册")
    await officer.press("确定")
    assert "还没有登记老人" in (await officer.message(card.message_id)).text
    await _tick(bot, clock, shanghai(10))
    assert await chen.new_messages() == []
