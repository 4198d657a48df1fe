"""The outbox goes out on the channel a person used last, and falls back to their other
linked channel when that one cannot take it (WeChat's 48-hour window)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.channels import ChannelRouter
from handlers.wechat.sender import WeChatSender
from models import ChatIdentity
from services import identity
from services.notifier import Delivery, Unreachable
from tests.services import helpers
from tests.wechat_fakes import FixedClock

OPEN_ID = "oLinked00000000000000000001"


class RecordingTelegram:
    """Stands for the Telegram channel here; Telegram's own sender has its e2e tests."""

    def __init__(self) -> None:
        self.sent: list[tuple[int | None, str]] = []

    async def deliver(self, *, person_id, chat_id, text, buttons, location, photos) -> Delivery:
        self.sent.append((person_id, text))
        return Delivery("telegram", str(person_id), "1")


async def _linked_person(db, *, wechat_seen):
    async with db.session_factory.begin() as session:
        person = await helpers.person(session)  # on Telegram, seen at helpers.NOW
        await identity.resolve_person(
            session,
            identity.ChatUser(channel="wechat", external_id=OPEN_ID, chat_id=OPEN_ID),
            now=wechat_seen,
            default_language="zh_Hans",
        )
        # The WeChat account belongs to the same person (as after 绑定).
        account = await identity.identity_of(session, person.id, "telegram")
        wechat = (
            await session.exec(select(ChatIdentity).where(ChatIdentity.external_id == OPEN_ID))
        ).one()
        wechat.person_id = account.person_id
    return person


@pytest.fixture
def router(db, base_settings, stand_in):
    clock = FixedClock()
    wechat = base_settings.wechat.model_copy(
        update={"app_id": "wx1", "app_secret": "s", "api_base_url": f"{stand_in.url}/cgi-bin/"}
    )
    telegram = RecordingTelegram()
    senders = {"telegram": telegram, "wechat": WeChatSender(wechat, db.session_factory, clock)}
    return ChannelRouter(senders, db.session_factory, groups="telegram"), telegram, clock


async def _deliver(router, person_id: int) -> Delivery:
    return await router.deliver(
        person_id=person_id,
        chat_id=None,
        text="明天 08:30 清洁家园",
        buttons=[[{"label": "✅ 会来", "data": "rm:yes:1"}]],
        location=None,
        photos=[],
    )


async def test_the_channel_used_last_gets_it_with_a_numbered_menu(db, router, stand_in):
    channels, telegram, clock = router
    person = await _linked_person(db, wechat_seen=clock.now())  # after Telegram
    delivery = await _deliver(channels, person.id)
    assert delivery.channel == "wechat" and telegram.sent == []
    (sent,) = stand_in.texts_to(OPEN_ID)
    assert sent == "明天 08:30 清洁家园\n【1】✅ 会来"


async def test_outside_wechats_window_it_falls_back_to_telegram(db, router, stand_in):
    channels, telegram, clock = router
    # WeChat was used after Telegram, but that was 71 hours ago: its window has closed.
    person = await _linked_person(db, wechat_seen=helpers.NOW + timedelta(hours=1))
    clock.moment = helpers.NOW + timedelta(hours=72)
    delivery = await _deliver(channels, person.id)
    assert delivery.channel == "telegram" and telegram.sent == [(person.id, "明天 08:30 清洁家园")]
    assert stand_in.sent == []


async def test_nobody_reachable_is_reported_not_dropped(db, router):
    channels, _, clock = router
    async with db.session_factory.begin() as session:
        person = await identity.resolve_person(
            session,
            identity.ChatUser(channel="wechat", external_id=OPEN_ID, chat_id=OPEN_ID),
            now=clock.now() - timedelta(days=3),
            default_language="zh_Hans",
        )
    with pytest.raises(Unreachable, match="48-hour"):
        await _deliver(channels, person.id)


async def test_outside_the_window_a_configured_template_carries_it(db, base_settings, stand_in):
    clock = FixedClock()
    wechat = base_settings.wechat.model_copy(
        update={
            "app_id": "wx1",
            "app_secret": "s",
            "api_base_url": f"{stand_in.url}/cgi-bin/",
            "notice_template_id": "TPL-reminder",
        }
    )
    sender = WeChatSender(wechat, db.session_factory, clock)
    channels = ChannelRouter({"wechat": sender}, db.session_factory, groups="telegram")
    async with db.session_factory.begin() as session:
        person = await identity.resolve_person(
            session,
            identity.ChatUser(channel="wechat", external_id=OPEN_ID, chat_id=OPEN_ID),
            now=clock.now() - timedelta(days=3),
            default_language="zh_Hans",
        )
    delivery = await _deliver(channels, person.id)
    assert delivery.channel == "wechat" and stand_in.sent == []
    (template,) = stand_in.templates
    assert template["touser"] == OPEN_ID and template["template_id"] == "TPL-reminder"
    assert template["data"]["first"]["value"] == "明天 08:30 清洁家园"
    assert template["data"]["keyword2"]["value"] == "2026-11-27 10:00"
