"""/broadcast end to end: a leader tells the team in Chinese, an admin tells everyone in
English; the preview, editing, cancelling, wrong input, a restart mid-conversation,
the progress message and its final counts, a blocked user, quiet hours, and a
broadcast to thousands at the configured rate."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlmodel import col, select

from models import Broadcast, ChatIdentity, Grid, Notification, Person, Volunteer
from tests.e2e import flows
from tests.e2e.conftest import ADMIN_ID

# The bot's overall pace in these tests: high, so thousands go out in seconds.
RATE = 200.0
TEXT = "本周五上午 8:30 在东风路口集合，清洁家园，请带好手套。\n谢谢大家！"


@pytest.fixture
def bot_settings(bot_settings):
    telegram = bot_settings.telegram.model_copy(update={"messages_per_second": RATE})
    return bot_settings.model_copy(update={"telegram": telegram})


@pytest.fixture
async def crew(db, admin, make_user):
    return await flows.shift_crew(admin, make_user)


def _status(message) -> str:
    return message.text.split("\n")[0]


async def _broadcasts(db) -> list[Broadcast]:
    async with db.session_factory() as session:
        return list((await session.exec(select(Broadcast).order_by(col(Broadcast.id)))).all())


async def _to_the_team(leader, text: str = TEXT):
    """/broadcast as the leader of one team, up to the preview."""
    (ask,) = await leader.send("/broadcast")
    assert "东风清洁队" in ask.text
    (preview,) = await leader.send(text)
    return preview


async def test_a_leader_tells_the_team(db, bot, crew):
    leader, chen, lin = crew["leader"], crew["chen"], crew["lin"]
    # One team led: no question whom, straight to the text.
    (ask,) = await leader.send("/broadcast")
    assert ask.text == (
        "请输入要发给 东风清洁队 的通知内容，一条文字消息（最多 3500 字）。发送 /cancel 可放弃。"
    )
    # Wrong input gets a clear answer and changes nothing.
    hint, again = await leader.send_sticker()
    assert hint.text == "抱歉，这里不能使用这种消息。请回答下面的问题。"
    assert again.text == ask.text
    (empty,) = await leader.send("   ")
    assert empty.text == "请以文字消息输入通知内容（最多 3500 字）。"
    (too_long,) = await leader.send("字" * 3501)
    assert too_long.text == "这段内容有 3501 字，通知最多 3500 字。请删减后重新发送。"

    (first,) = await leader.send("周五集合")
    (edit_prompt,) = await leader.press("修改内容", first)
    assert edit_prompt.text == ask.text
    assert (await leader.message(first.message_id)).buttons == []  # the old text stays
    (preview,) = await leader.send(TEXT)
    assert preview.text == "\n".join(
        [
            "通知预览：发给 东风清洁队。",
            "将送达 2 人。",
            "",
            "📢 来自 刘队长（东风清洁队）的通知：",
            TEXT,
        ]
    )
    assert preview.button_texts == ["📤 发送", "✏️ 修改内容", "✖️ 取消"]

    # The bot restarts before the leader decides: the preview still works.
    await bot.restart()
    # The first preview's Send is out of date (its text was replaced).
    assert await leader.press_data("bc:send:1", first) == []
    assert leader.last_answer.text == "这个按钮已过期，请使用最新的消息。"
    assert await _broadcasts(db) == []

    assert await leader.press("发送", preview) == []
    sending = await leader.message(preview.message_id)
    assert _status(sending) == "📤 正在发送给 东风清洁队：0/2"
    assert sending.text.endswith("📢 来自 刘队长（东风清洁队）的通知：\n" + TEXT)
    assert sending.buttons == []
    # Send pressed twice (a second tap, or a modified client): sent once.
    data = preview.button("发送")["callback_data"]
    assert await leader.press_data(data, preview) == []
    assert leader.last_answer.text == "这个按钮已过期，请使用最新的消息。"

    await bot.jobs.run_pending()
    (to_chen,) = await chen.new_messages()
    assert to_chen.text == "📢 来自 刘队长（东风清洁队）的通知：\n" + TEXT
    (to_lin,) = await lin.new_messages()
    assert to_lin.text == "📢 Announcement from 刘队长 (东风清洁队):\n" + TEXT
    assert await leader.new_messages() == []
    done = await leader.message(preview.message_id)
    assert _status(done) == (
        "✅ 发给 东风清洁队 的通知已发送完毕：送达 2 人，失败 0 人，跳过 0 人（已屏蔽机器人）。"
    )
    (broadcast,) = await _broadcasts(db)
    assert broadcast.finished_at is not None and broadcast.recipients == 2
    await bot.jobs.run_pending()
    assert await chen.new_messages() == [] and await lin.new_messages() == []


async def test_refusals_cancel_and_a_restart_while_typing(db, bot, crew, make_user):
    leader, chen = crew["leader"], crew["chen"]
    refusal = "只有队长、网格员和管理员可以发送通知。如有事项需要通知，请联系您的队长。"
    (reply,) = await chen.send("/broadcast")
    assert reply.text == refusal
    (reply,) = await make_user("路人").send("/broadcast")
    assert reply.text == refusal

    (ask,) = await leader.send("/broadcast")
    await bot.restart()  # the question survives
    # A forged choice changes nothing.
    await leader.press_data("bc:all", ask)
    assert leader.last_answer.text == "这个按钮已过期，请使用最新的消息。"
    (preview,) = await leader.send("明天的活动取消。")
    assert "明天的活动取消。" in preview.text
    # Typing while the preview waits: it is asked again.
    hint, again = await leader.send("发送")
    assert hint.text == "请点击下面的按钮选择。"
    assert again.text == preview.text

    assert await leader.press("取消", preview) == []
    assert (await leader.message(preview.message_id)).text == "已取消，通知没有发送。"
    await leader.press_data(preview.button("发送")["callback_data"], preview)
    assert leader.last_answer.text == "这个按钮已过期，请使用最新的消息。"
    # /cancel ends it as well.
    await leader.send("/broadcast")
    (cancelled,) = await leader.send("/cancel")
    assert cancelled.text == "已取消，没有做任何更改。"
    await bot.jobs.run_pending()
    assert await _broadcasts(db) == []
    assert await chen.new_messages() == []


async def test_a_blocked_user_fails_once_and_is_skipped_next_time(
    db, bot, crew, emulator, bot_settings
):
    leader, chen, lin = crew["leader"], crew["chen"], crew["lin"]
    token = bot_settings.telegram.token
    await emulator.call("block", token=token, chat_id=lin.user_id, blocked=True)

    preview = await _to_the_team(leader)
    assert "将送达 2 人。" in preview.text  # nobody knows yet
    await leader.press("发送", preview)
    # One message goes out; the progress message follows.
    await bot.jobs.dispatcher.run(limit=1)
    await bot.jobs.progress.update()
    assert _status(await leader.message(preview.message_id)) == "📤 正在发送给 东风清洁队：1/2"
    await bot.jobs.run_pending()
    assert _status(await leader.message(preview.message_id)) == (
        "✅ 发给 东风清洁队 的通知已发送完毕：送达 1 人，失败 1 人，跳过 0 人（已屏蔽机器人）。"
    )
    assert len(await chen.new_messages()) == 1

    # The next announcement skips Lin, and says so.
    preview = await _to_the_team(leader, "下周一开会。")
    assert "将送达 1 人。\n另有 1 人已屏蔽机器人，将跳过。" in preview.text
    await leader.press("发送", preview)
    await bot.jobs.run_pending()
    assert _status(await leader.message(preview.message_id)) == (
        "✅ 发给 东风清洁队 的通知已发送完毕：送达 1 人，失败 0 人，跳过 1 人（已屏蔽机器人）。"
    )
    assert await lin.new_messages() == []  # neither reached the chat

    # Lin unblocks the bot and writes to it: reachable again.
    await emulator.call("block", token=token, chat_id=lin.user_id, blocked=False)
    await lin.send("/help")
    preview = await _to_the_team(leader, "再通知一次。")
    assert "将送达 2 人。" in preview.text and "跳过" not in preview.text


async def test_at_night_the_announcement_waits_for_the_morning(db, bot, clock, crew):
    leader, chen = crew["leader"], crew["chen"]
    clock.set(datetime(2026, 11, 26, 15, 0, tzinfo=UTC))  # Thursday 23:00 in Shanghai
    preview = await _to_the_team(leader)
    assert "🌙 现在是免打扰时段，将于 07:00 开始发送。" in preview.text
    await leader.press("发送", preview)
    await bot.jobs.run_pending()
    assert await chen.new_messages() == []
    assert _status(await leader.message(preview.message_id)) == (
        "🌙 免打扰时段：发给 东风清洁队 的通知将在 07:00 后发送（0/2）。"
    )
    clock.set(datetime(2026, 11, 26, 23, 0, tzinfo=UTC))  # Friday 07:00
    await bot.jobs.run_pending()
    assert len(await chen.new_messages()) == 1
    assert _status(await leader.message(preview.message_id)).startswith("✅ 发给 东风清洁队")


async def _many_volunteers(db, count: int, *, first_chat_id: int, blocked: int = 0) -> list[int]:
    """Registered volunteers with a Telegram chat, written straight into the database."""
    now = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    async with db.session_factory.begin() as session:
        grid = (await session.exec(select(Grid).where(Grid.code == "dongfeng-1"))).one()
        connection = await session.connection()
        people = (
            await connection.execute(
                insert(Person.__table__).returning(
                    Person.__table__.c.id, sort_by_parameter_order=True
                ),
                [
                    {
                        "language": "zh_Hans",
                        "language_chosen": False,
                        "is_admin": False,
                        "created_at": now,
                    }
                    for _ in range(count + blocked)
                ],
            )
        ).scalars()
        people = list(people)
        chat_ids = [first_chat_id + i for i in range(len(people))]
        await connection.execute(
            insert(ChatIdentity.__table__),
            [
                {
                    "person_id": person_id,
                    "channel": "telegram",
                    "external_id": str(chat_id),
                    "chat_id": str(chat_id),
                    "display_name": f"志愿者{i}",
                    "reachable": i < count,
                    "created_at": now,
                    "last_seen_at": now,
                }
                for i, (person_id, chat_id) in enumerate(zip(people, chat_ids, strict=True))
            ],
        )
        await connection.execute(
            insert(Volunteer.__table__),
            [
                {
                    "person_id": person_id,
                    "number": 500_000 + i,
                    "in_rankings": True,
                    "muted_kinds": [],
                    "real_name": f"志愿者{i}",
                    "phone": "13800000000",
                    "phone_verified": False,
                    "grid_id": grid.id,
                    "availability": ["friday"],
                    "skills": [],
                    "consent_at": now,
                    "registered_at": now,
                    "updated_at": now,
                }
                for i, person_id in enumerate(people)
            ],
        )
    return chat_ids[:count]


MANY = 3000


async def test_an_admin_tells_thousands_in_english_at_the_configured_rate(
    db, bot, emulator, bot_settings, make_user
):
    admin = make_user("Admin", user_id=ADMIN_ID, language_code="en")
    chats = await _many_volunteers(db, MANY, first_chat_id=3_000_001, blocked=1)

    (ask,) = await admin.send("/broadcast")
    assert ask.text == "Whom is the announcement for?"
    assert ask.button_texts == ["👥 All volunteers", "A team…", "A grid…"]
    assert await admin.press("A grid…", ask) == []
    listing = await admin.message(ask.message_id)
    assert listing.text == "Which grid?"
    assert "Dongfeng Community · Dongfeng Grid 1" in listing.button_texts
    assert await admin.press("◀ Back", listing) == []
    (ask_text,) = await admin.press("All volunteers", ask)
    assert (await admin.message(ask.message_id)).text == (
        "Whom is the announcement for? → 👥 All volunteers"
    )
    assert ask_text.text.startswith("Type the announcement for all volunteers as one text")
    (preview,) = await admin.send("The city inspection is on Monday. Thank you all!")
    assert preview.text.split("\n")[:3] == [
        "Preview of your announcement to all volunteers.",
        f"It will reach {MANY} people.",
        "1 person who blocked the bot will be skipped.",
    ]

    await admin.press("Send", preview)
    assert _status(await admin.message(preview.message_id)) == (
        f"📤 Sending to all volunteers: 0/{MANY}"
    )
    await bot.jobs.run_pending()
    assert _status(await admin.message(preview.message_id)) == (
        f"✅ Announcement to all volunteers sent: {MANY} delivered, 0 failed, "
        "1 skipped (blocked the bot)."
    )

    sent = await emulator.call("sent", token=bot_settings.telegram.token)
    to_volunteers = [m for m in sent if m["chat_id"] in set(chats)]
    assert sorted(m["chat_id"] for m in to_volunteers) == chats  # each exactly once
    (one,) = await emulator.call("messages", token=bot_settings.telegram.token, chat_id=chats[7])
    assert one["text"] == (
        "📢 来自 Admin（全体志愿者）的通知：\nThe city inspection is on Monday. Thank you all!"
    )
    # An upper-bound sanity check of the pace: no second saw more than the configured rate
    # (with a little room for arrival jitter; the limiter spaces sends evenly).
    per_second = Counter(m["time"] // 1000 for m in to_volunteers)
    assert max(per_second.values()) <= RATE * 1.1
    async with db.session_factory() as session:
        rows = await session.exec(
            select(Notification.status).where(Notification.kind == "broadcast")
        )
        assert Counter(rows.all()) == {"sent": MANY, "cancelled": 1}
