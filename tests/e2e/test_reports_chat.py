"""Residents' reports end to end: a resident reports a street vendor with a photo and the
location, the grid officer assigns it, the volunteer resolves it with an after photo,
and the resident sees the after photo and confirms. A typed address goes to triage."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.e2e import flows

# Inside 东风第二网格 in the shipped grids.geojson.
VENDOR_LAT, VENDOR_LON = 30.2725, 120.1675
BEFORE = b"\xff\xd8\xff\xe0vendor-before"
AFTER = b"\xff\xd8\xff\xe0pavement-clear"


@pytest.fixture
async def crew(db, admin, make_user):
    crew = await flows.shift_crew(admin, make_user)
    officer = make_user("Officer")
    await flows.appoint_officer(admin, officer)
    crew["officer"] = officer
    return crew


def _photo_ids(messages) -> list[str]:
    return [m.raw["photo"][-1]["file_id"] for m in messages if m.raw.get("photo")]


async def _downloaded(emulator, file_id: str) -> bytes:
    import base64

    result = await emulator.call("download", file_id=file_id)
    return base64.b64decode(result["content_base64"])


async def test_resident_reports_vendor_officer_assigns_volunteer_resolves(
    bot, crew, make_user, emulator
):
    resident = make_user("居民")
    officer, leader, chen = crew["officer"], crew["leader"], crew["chen"]

    # No registration needed: the /start button leads straight in.
    (welcome,) = await resident.send("/start")
    (ask_category,) = await resident.press("📢 我要反映问题", welcome)
    assert "什么问题" in ask_category.text
    assert "占道经营" in ask_category.button_texts
    (ask_photos,) = await resident.press("占道经营", ask_category)
    assert "最多 3 张" in ask_photos.text
    (more,) = await resident.send_photo(BEFORE)
    assert "已收到照片：1" in more.text

    # A restart in the middle keeps the photo and the step.
    await bot.restart()
    (hint, again) = await resident.send("你好")
    assert "请点击下面的按钮" in hint.text and "已收到照片：1" in again.text
    (ask_place,) = await resident.press("✅ 照片发完了", again)
    assert ask_place.reply_keyboard[0]["request_location"] is True

    # A sticker is not a place.
    (hint, _) = await resident.send_sticker()
    assert "不能使用" in hint.text
    (got, describe) = await resident.send_location(VENDOR_LAT, VENDOR_LON)
    assert got.removes_keyboard and "补充几句" in describe.text
    (too_long,) = await resident.send("摊" * 501)
    assert "500" in too_long.text
    (ask_anonymous,) = await resident.send("水果摊占用人行道，行人只能走机动车道")
    assert "手机号" in ask_anonymous.text
    (summary,) = await resident.press("🙈 匿名", ask_anonymous)
    for line in ["类别：占道经营", "照片：1", "举报人：匿名", "水果摊占用人行道"]:
        assert line in summary.text
    (_,) = await resident.press("📨 提交", summary) or [None]
    done = await resident.message(summary.message_id)
    assert "R000001" in done.text and "东风第二网格" in done.text

    # The grid officer (and the community's team leader) get the photo, card and pin.
    arrived = await officer.new_messages()
    card = next(m for m in arrived if "R000001" in m.text)
    assert "🆕 新举报" in card.text and "举报人：匿名" in card.text
    assert "居民" not in card.text
    assert len(_photo_ids(arrived)) == 1
    assert await _downloaded(emulator, _photo_ids(arrived)[0]) == BEFORE
    assert any(m.raw.get("location") for m in arrived)
    assert any("R000001" in m.text for m in await leader.new_messages())

    # Nothing may be resolved before it is accepted, even by a forged button.
    await chen.press_data("rp:fix:1", card)
    assert chen.last_answer.show_alert

    (choices,) = await officer.press("👤 指派", card) or [None]
    choices = await officer.message(card.message_id)
    assert "陈队员" in choices.button_texts
    await officer.press("陈队员", choices)
    assert "已指派" in officer.last_answer.text
    told = await resident.new_messages()
    assert any("已交给志愿者" in m.text for m in told)

    task_messages = await chen.new_messages()
    task = next(m for m in task_messages if "R000001" in m.text)
    assert "举报人：匿名" in task.text
    await chen.press("🚶", task)
    assert any("正在处理" in m.text for m in await resident.new_messages())
    (ask_after,) = await chen.press("✅ 已处理", task)
    assert "处理后" in ask_after.text
    (repeat,) = await chen.send("好了")
    assert "处理后" in repeat.text
    (ask_note,) = await chen.send_photo(AFTER)
    assert "做了什么" in ask_note.text
    (resolved,) = await chen.send("已劝离摊主，人行道已恢复通行")
    assert "R000001 已处理" in resolved.text

    update = await resident.new_messages()
    after_ids = _photo_ids(update)
    assert len(after_ids) == 1 and await _downloaded(emulator, after_ids[0]) == AFTER
    verdict = next(m for m in update if "已处理" in m.text)
    assert "已劝离摊主" in verdict.text
    await resident.press("👍", verdict)
    closed = await resident.message(verdict.message_id)
    assert "已关闭" in closed.text

    (mine,) = await resident.send("/myreports")
    assert any("R000001" in t and "已关闭" in t for t in mine.button_texts)


async def test_typed_address_goes_to_triage_and_the_officer_places_it(bot, crew, make_user):
    visitor = make_user("Visitor", language_code="en")
    officer = crew["officer"]
    (ask_category,) = await visitor.send("/report")
    assert "What kind of problem" in ask_category.text
    await visitor.press("Dumped rubbish", ask_category)
    (ask_place,) = await visitor.press("No photo")
    assert "type the address" in ask_place.text
    (short,) = await visitor.send("x")
    assert "4 to 200 characters" in short.text
    await visitor.send("Dongfeng Road 12, by the bus stop")
    await visitor.press("Skip")
    (summary,) = await visitor.press("Show my name")
    assert "Your name is shown" in summary.text
    await visitor.press("Send the report", summary)
    done = await visitor.message(summary.message_id)
    assert "triage queue" in done.text

    arrived = await officer.new_messages()
    card = next(m for m in arrived if "R000001" in m.text)
    assert "待分派" in card.text
    # Not anonymous: the officer sees the name, never a phone number.
    assert "举报人：Visitor" in card.text
    await officer.press("📍 放入网格", card)
    placed = await officer.message(card.message_id)
    await officer.press("东风第二网格", placed)
    told = await visitor.new_messages()
    assert any("Dongfeng Grid 2" in m.text for m in told)


async def test_unaccepted_report_escalates_to_admins_once(bot, crew, make_user, admin, clock):
    resident = make_user("居民")
    await resident.send("/report")
    await resident.press("乱停乱放")
    await resident.press("没有照片")
    await resident.send_location(VENDOR_LAT, VENDOR_LON)
    await resident.press("跳过")
    await resident.press("👤 显示我的名字")
    await resident.press("📨 提交")
    await admin.new_messages()

    async def tick(hours: int) -> list:
        clock.advance(timedelta(hours=hours))
        await bot.jobs.jobs.maintenance()
        await bot.jobs.run_pending()
        return [m for m in await admin.new_messages() if "未及时受理" in m.text]

    assert await tick(3) == []  # within the 4 hours
    escalations = await tick(2)
    assert len(escalations) == 1 and "R000001" in escalations[0].text
    assert await tick(1) == []  # told once
    # The admin sees the audit button; the audit names the reporter.
    (audit,) = await admin.press("🔍", escalations[0])
    assert "居民" in audit.text and "审计" not in escalations[0].text
    assert "举报" in audit.text and "上报管理员" in audit.text  # the trail
    # Blocking the reporter: their next report is refused politely.
    await admin.press("🚫", audit)
    (refused,) = await resident.send("/report")
    assert "不能提交举报" in refused.text


async def test_a_forgotten_report_does_not_swallow_a_check_in_location(bot, make_user):
    """Only the report's "where is it?" question takes a location."""
    resident = make_user("居民")
    await resident.send("/report")  # then forgotten at the category question
    (reply,) = await resident.send_location(VENDOR_LAT, VENDOR_LON)
    assert "是什么问题" not in reply.text and "不能使用" not in reply.text
