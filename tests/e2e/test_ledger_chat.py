"""The minutes ledger in chat: log → leader approves → /minutes; rejection with a reason;
the inspection export arrives as a file; a certificate is issued and its serial verifies."""

from __future__ import annotations

import base64
import io
import re

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from models import EntryStatus, LedgerEntry
from tests.e2e import flows


@pytest.fixture
async def crew(db, admin, make_user):
    payload = await flows.create_team(admin)
    leader, chen = make_user("Liu"), make_user("Chen")
    for user, name, phone in [(leader, "刘队长", "13800000001"), (chen, "陈队员", "13800000002")]:
        await user.send(f"/start {payload}")
        await flows.register(user, name=name, phone=phone, started=True)
    await admin.send("/promote")
    await admin.press("刘队长")
    for user in (leader, chen, admin):
        await user.new_messages()
    return {"leader": leader, "chen": chen, "admin": admin}


async def _log(user, *, day="今天", duration="2 小时", kind="助老探访", note="陪王奶奶聊天"):
    (ask,) = await user.send("/log")
    assert "哪一天" in ask.text
    await user.press(day)
    await user.press(duration)
    await user.press(kind)
    if note:
        await user.send(note)
    else:
        await user.press("跳过")
    (summary,) = await user.press("跳过")  # no photo
    assert "请核对" in summary.text
    await user.press("提交审核")
    return await user.message(summary.message_id)


async def test_log_approve_and_minutes(db, crew):
    leader, chen = crew["leader"], crew["chen"]
    sent = await _log(chen)
    assert sent.text.startswith("📨 已提交审核：11月26日周四 · 助老探访 · 2 小时")
    (ask,) = await leader.new_messages()
    assert ask.text.startswith("📝 记录服务：11月26日周四 · 助老探访 · 2 小时（陈队员）")
    assert "陪王奶奶聊天" in ask.text
    await leader.press("批准", ask)
    assert (await leader.message(ask.message_id)).text.startswith("✅ 已批准")
    (told,) = await chen.new_messages()
    assert told.text.startswith("✅ 刘队长批准了：11月26日周四 · 助老探访 · 2 小时")

    (minutes,) = await chen.send("/minutes")
    assert "累计：2 小时" in minutes.text
    assert "本月：2 小时" in minutes.text and "助老探访 2 小时" in minutes.text
    assert "距一星（100 小时）还差 98 小时" in minutes.text
    await chen.press("明细", minutes)
    history = await chen.message(minutes.message_id)
    assert re.search(r"✅ #\d+ 11月26日周四 · 助老探访 · 2 小时 · 陪王奶奶聊天", history.text)

    # Pressing "approve" again (or from another device) changes nothing.
    await leader.press_data(ask.button("批准")["callback_data"], ask)
    assert leader.last_answer.text == "这项已经处理过了。"


async def test_rejection_with_a_typed_reason_and_no_self_approval(db, crew):
    leader, chen = crew["leader"], crew["chen"]
    await _log(chen, day="昨天", duration="1 小时", note=None)
    (ask,) = await leader.new_messages()
    await leader.press("驳回", ask)
    await leader.press("其他原因", ask)
    (done,) = await leader.send("那天没有活动安排")
    assert done.text.startswith("❌ 未批准")
    (told,) = await chen.new_messages()
    assert told.text.endswith("原因：那天没有活动安排")

    # A leader's own entry goes to the administrators, not to the leader.
    await _log(leader, duration="30 分钟", note=None)
    (approvals,) = await leader.send("/approvals")
    assert approvals.text == "没有等待您审核的记录。"
    (for_admin,) = await crew["admin"].new_messages()
    assert "刘队长" in for_admin.text
    async with db.session_factory() as session:
        statuses = (await session.exec(select(LedgerEntry.status))).all()
    assert sorted(statuses) == [EntryStatus.PENDING, EntryStatus.REJECTED]


async def test_junk_in_the_log_flow(db, crew):
    chen = crew["chen"]
    await chen.send("/log")
    (hint,) = await chen.send("后天")
    assert "例如 2026-12-04 或 12-04" in hint.text
    (hint,) = await chen.send("/help")
    (ask,) = await chen.send("11-20")  # typed: the latest 20 November, in the past
    assert "服务了多长时间" in ask.text
    (hint,) = await chen.send("25h")
    assert "15 分钟到 12 小时" in hint.text
    (ask,) = await chen.send("1.5h")
    assert "什么类型" in ask.text
    hint, again = await chen.send("助老")
    assert hint.text == "请点击下面的按钮选择。" and "什么类型" in again.text
    await chen.press("助老探访")
    (ask,) = await chen.send("字" * 201)
    assert "200" in ask.text
    await chen.send("陪老人散步")
    (summary,) = await chen.send_photo()
    assert "照片：有" in summary.text and "日期：11月20日周五" in summary.text
    assert "时长：1 小时 30 分钟" in summary.text


async def test_export_arrives_as_a_file(db, emulator, crew):
    leader, chen = crew["leader"], crew["chen"]
    await _log(chen)
    (ask,) = await leader.new_messages()
    await leader.press("批准", ask)
    (choose,) = await leader.send("/export")
    await leader.press("本月", choose)
    (document,) = await leader.press("Excel", choose)
    assert document.raw["document"]["file_name"].endswith(".xlsx")
    content = await emulator.call("download", file_id=document.raw["document"]["file_id"])
    workbook = load_workbook(io.BytesIO(base64.b64decode(content["content_base64"])))
    sheet = workbook.worksheets[0]
    values = [cell.value for cell in sheet[2]]
    assert "陈队员" in values and 120 in values
    await chen.new_messages()  # the approval notice
    (refused,) = await chen.send("/export")
    assert refused.text == "抱歉，您没有权限进行这项操作。"


async def test_certificate_is_issued_and_verifies(db, emulator, crew, make_user):
    leader, chen = crew["leader"], crew["chen"]
    await _log(chen)
    (ask,) = await leader.new_messages()
    await leader.press("批准", ask)
    await chen.new_messages()

    (choose,) = await chen.send("/certificate")
    await chen.press("今年", choose)
    assert "已发送" in (await chen.message(choose.message_id)).text
    (request,) = await leader.new_messages()
    assert "陈队员申请服务证明" in request.text
    await leader.press("开具", request)
    (pdf,) = await chen.new_messages()
    assert pdf.raw["document"]["file_name"].endswith(".pdf")
    serial = re.search(r"编号 ([A-Z0-9-]+)", pdf.text).group(1)

    stranger = make_user("Stranger", language_code="en")
    (checked,) = await stranger.send(f"/verify {serial.lower()}")
    assert checked.text.startswith(f"✅ Certificate {serial} is genuine: 陈**, 2 hours")
    assert "13800000002" not in checked.text
    (unknown,) = await stranger.send("/verify CDZY-2026-NOPE1234")
    assert unknown.text.startswith("❌")


async def test_leader_corrects_an_entry(db, crew):
    leader, chen = crew["leader"], crew["chen"]
    await _log(chen)
    (ask,) = await leader.new_messages()
    await leader.press("批准", ask)
    await chen.new_messages()
    async with db.session_factory() as session:
        entry_id = (await session.exec(select(LedgerEntry.id))).one()
    (question,) = await leader.send(f"/correct {entry_id}")
    assert "现在计 120 分钟" in question.text
    (hint,) = await leader.send("两个小时")
    assert "0 到 1440 之间的整数" in hint.text
    await leader.send("90")
    (done,) = await leader.send("实际只服务了一个半小时")
    assert done.text.startswith("✓ 已记录更正")
    (told,) = await chen.new_messages()
    assert told.text.startswith(f"✏️ 刘队长更正了您的记录 #{entry_id}")
    (minutes,) = await chen.send("/minutes")
    assert "累计：1 小时 30 分钟" in minutes.text
    # Volunteers cannot correct, not even their own entries.
    (refused,) = await chen.send(f"/correct {entry_id}")
    assert refused.text == "任何人都不能审核或更正自己的服务时长。"
