"""The outbox: written once, claimed once, sent once; quiet hours; failures."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from models import Notification, NotificationStatus
from scheduler.dispatch import Dispatcher
from services import outbox
from services.i18n import N_, Catalogs
from services.notifier import Action, Delivery, Notice, TemporaryFailure, Unreachable
from services.outbox import QuietHours
from tests.services import helpers

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUIET = QuietHours(time(22, 0), time(7, 0), SHANGHAI)
NOON = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
NIGHT = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai
NOTICE = Notice(
    N_("You have been removed from the team “{team}”."),
    {"team": "东风清洁队"},
    actions=((Action(N_("✅ Approve"), "lg:ok:1"),),),
)


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


class RecordingSender:
    """Stands in for the chat channel (the outbox's boundary to Telegram)."""

    def __init__(self, failures: dict[int, Exception] | None = None) -> None:
        self.sent: list[tuple[int | None, str]] = []
        self.failures = failures or {}

    async def deliver(self, *, person_id, chat_id, text, buttons, location, photos) -> Delivery:
        if person_id in self.failures:
            raise self.failures[person_id]
        self.sent.append((person_id, text))
        return Delivery("test", str(person_id or chat_id), str(len(self.sent)))


@pytest.fixture
async def people(db):
    async with db.session_factory.begin() as session:
        zh = await helpers.person(session, language_code="zh-hans")
        en = await helpers.person(session, language_code="en")
    return zh, en


async def _enqueue(db, person, *, key=None, urgent=False, due_at=NOON, now=NOON):
    async with db.session_factory.begin() as session:
        return await outbox.enqueue(
            session,
            NOTICE,
            catalogs=Catalogs(),
            now=now,
            person_id=person.id,
            key=key,
            urgent=urgent,
            due_at=due_at,
        )


async def _rows(db) -> list[Notification]:
    async with db.session_factory() as session:
        return list((await session.exec(select(Notification).order_by(Notification.id))).all())


async def test_rendered_in_the_recipients_language_and_written_once_per_key(db, people):
    zh, en = people
    first = await _enqueue(db, zh, key="reminder:shift:1:person:1:1440")
    again = await _enqueue(db, zh, key="reminder:shift:1:person:1:1440")
    await _enqueue(db, en)
    assert first is not None and again is None
    chinese, english = await _rows(db)
    assert chinese.text == "您已被移出“东风清洁队”。"
    assert chinese.buttons == [[{"label": "✅ 批准", "data": "lg:ok:1"}]]
    assert english.text == "You have been removed from the team “东风清洁队”."


async def test_sent_once_even_when_dispatched_twice_at_once(db, people):
    zh, en = people
    for _ in range(10):
        await _enqueue(db, zh)
        await _enqueue(db, en)
    sender = RecordingSender()
    dispatcher = Dispatcher(
        db.session_factory, sender, FixedClock(NOON), quiet=QUIET, per_chat_interval=0
    )
    results = await asyncio.gather(
        dispatcher.run(limit=7), dispatcher.run(limit=7), dispatcher.run(limit=7)
    )
    # Three claims of up to 7 cover the 20 rows between them, none twice.
    assert sum(r.sent for r in results) == 20
    assert (await dispatcher.run()).sent == 0
    assert len(sender.sent) == 20
    assert {row.status for row in await _rows(db)} == {NotificationStatus.SENT}


async def test_quiet_hours_hold_ordinary_notices_but_not_urgent_ones(db, people):
    zh, _ = people
    await _enqueue(db, zh, due_at=NIGHT, now=NIGHT)
    await _enqueue(db, zh, urgent=True, due_at=NIGHT, now=NIGHT)
    sender = RecordingSender()
    night = Dispatcher(
        db.session_factory, sender, FixedClock(NIGHT), quiet=QUIET, per_chat_interval=0
    )
    assert (await night.run()).sent == 1
    morning = NIGHT + timedelta(hours=8, minutes=1)  # 07:01
    assert QUIET.next_end(NIGHT) == datetime(2026, 11, 28, 7, 0, tzinfo=SHANGHAI)
    later = Dispatcher(
        db.session_factory, sender, FixedClock(morning), quiet=QUIET, per_chat_interval=0
    )
    assert (await later.run()).sent == 1
    urgent, ordinary = sorted(await _rows(db), key=lambda r: r.sent_at)
    assert urgent.urgent and not urgent.late
    assert not ordinary.urgent and ordinary.late  # held for the night: sent, but marked late


async def test_failures(db, people):
    zh, en = people
    await _enqueue(db, zh)
    await _enqueue(db, en)
    sender = RecordingSender({zh.id: Unreachable("blocked"), en.id: TemporaryFailure("timeout")})
    dispatcher = Dispatcher(
        db.session_factory, sender, FixedClock(NOON), quiet=QUIET, per_chat_interval=0
    )
    assert (await dispatcher.run()).failed == 2
    blocked, flaky = await _rows(db)
    assert blocked.status == NotificationStatus.FAILED  # not retried
    assert flaky.status == NotificationStatus.PENDING and flaky.due_at > NOON  # backs off
    sender.failures.clear()
    retry = Dispatcher(
        db.session_factory, sender, FixedClock(flaky.due_at), quiet=QUIET, per_chat_interval=0
    )
    assert (await retry.run()).sent == 1


async def test_an_interrupted_send_is_not_repeated(db, people):
    zh, _ = people
    await _enqueue(db, zh)
    async with db.session_factory.begin() as session:
        (_claimed,) = await outbox.claim_due(session, now=NOON)  # ...and the process dies
    sender = RecordingSender()
    after_restart = Dispatcher(
        db.session_factory,
        sender,
        FixedClock(NOON + timedelta(minutes=6)),
        quiet=QUIET,
        per_chat_interval=0,
    )
    await after_restart.run()
    assert sender.sent == []
    (row,) = await _rows(db)
    assert row.status == NotificationStatus.FAILED and "interrupted" in row.error
