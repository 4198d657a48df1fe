"""The WeCom (企业微信) app: Tencent's published WeCom vectors verify and decrypt with the
same inbound layer as the Official Account; a leader linked from Telegram uses the
roster in WeCom, and notices reach them as the app's messages."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import httpx
import pytest
from wechatpy.enterprise.crypto import WeChatCrypto

from handlers.wechat.inbound import (
    InvalidSignature,
    WeChatConfig,
    parse_inbound,
    verify_url,
)
from handlers.wechat.wecom_sender import WeComSender
from models import MemberRole
from services import channel_link, identity, outbox, shift_actions, signups, teams
from services.notifier import Unreachable
from tests.services import helpers
from tests.wechat_fakes import FixedClock
from tests.wechat_server import Server, behind_callback

# Tencent's WXBizMsgCrypt sample for WeCom (企业微信 API 文档, 加解密方案说明).
SAMPLE = WeChatConfig(
    token="QDG6eK",
    app_id="wx5823bf96d3bd56c7",
    encoding_aes_key="jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
)
SAMPLE_ECHO = (
    "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
)
SAMPLE_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3Qczc"
    "dCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjv"
    "d4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw"
    "2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22"
    "Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2Yoyy"
    "H2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)
SAMPLE_BODY = (
    "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>"
    f"<Encrypt><![CDATA[{SAMPLE_ENCRYPT}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
).encode()

CORP_ID, AGENT_ID = "ww0123456789abcdef", 1000002
TOKEN, AES_KEY = "wecomToken2026", "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyxwvut"
LEADER = "LiuDuiZhang"


def test_tencents_wecom_url_check_decrypts_its_echo():
    echoed = verify_url(
        SAMPLE,
        None,
        "1409659589",
        "263014780",
        SAMPLE_ECHO,
        msg_signature="5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
    )
    assert echoed == "1616140317555161061"


def test_tencents_wecom_message_decrypts_and_a_tampered_one_is_refused():
    message = parse_inbound(
        SAMPLE,
        SAMPLE_BODY,
        None,
        "1409659813",
        "1372623149",
        msg_signature="477715d11cdb4164915debcba66cb864d751f3e6",
    )
    assert (message.kind, message.from_user, message.content) == ("text", "mycreate", "hello")
    assert message.msg_id == 4561255354251345929
    with pytest.raises(InvalidSignature):
        parse_inbound(
            SAMPLE,
            SAMPLE_BODY.replace(b"RypEv", b"RypEw"),
            None,
            "1409659813",
            "1372623149",
            msg_signature="477715d11cdb4164915debcba66cb864d751f3e6",
        )


class WeComServer(Server):
    """WeCom signs with msg_signature only and always encrypts (no encrypt_type)."""

    async def post(
        self, xml_body: str, *, tamper: bool = False, signed_at: float | None = None
    ) -> httpx.Response:
        timestamp, nonce = str(int(signed_at or time.time())), "nonce42"
        encrypted = self.crypto.encrypt_message(xml_body, nonce, timestamp)
        msg_signature = ElementTree.fromstring(encrypted).findtext("MsgSignature")
        if tamper:
            msg_signature = msg_signature[:-1] + ("0" if msg_signature[-1] != "0" else "1")
        query = {"msg_signature": msg_signature, "timestamp": timestamp, "nonce": nonce}
        return await self.http.post(f"{self.base}/wecom/callback", params=query, content=encrypted)


@pytest.fixture
async def wecom(db, base_settings, stand_in, tmp_path) -> AsyncIterator[WeComServer]:
    settings = base_settings.model_copy(
        update={
            "wecom": base_settings.wecom.model_copy(
                update={
                    "enabled": True,
                    "corp_id": CORP_ID,
                    "agent_id": AGENT_ID,
                    "secret": "app-secret",
                    "token": TOKEN,
                    "encoding_aes_key": AES_KEY,
                    "api_base_url": f"{stand_in.url}/cgi-bin/",
                }
            ),
            "open311": base_settings.open311.model_copy(update={"port": 0, "enabled": False}),
            "bot": base_settings.bot.model_copy(update={"data_dir": str(tmp_path)}),
            "telegram": base_settings.telegram.model_copy(update={"token": "1:WECOM"}),
        }
    )
    # Saturday 08:00 in Shanghai: after the accounts' Telegram use, outside quiet hours.
    clock = FixedClock(datetime(2026, 11, 28, 0, 0, tzinfo=UTC))
    crypto = WeChatCrypto(TOKEN, AES_KEY, CORP_ID)
    async with behind_callback(
        settings, db, clock, crypto, channel="wecom", kind=WeComServer
    ) as server:
        yield server


async def test_the_url_check_of_the_wecom_app_answers_the_decrypted_echo(wecom):
    timestamp, nonce = "1700000000", "abc"
    envelope = wecom.crypto.encrypt_message("echo-4242", nonce, timestamp)
    root = ElementTree.fromstring(envelope)
    query = {
        "msg_signature": root.findtext("MsgSignature"),
        "timestamp": timestamp,
        "nonce": nonce,
        "echostr": root.findtext("Encrypt"),
    }
    answer = await wecom.http.get(f"{wecom.base}/wecom/callback", params=query)
    assert answer.status_code == 200 and answer.text == "echo-4242"
    query["msg_signature"] = "0" * 40
    refused = await wecom.http.get(f"{wecom.base}/wecom/callback", params=query)
    assert refused.status_code == 403


async def test_a_leader_uses_the_roster_in_wecom_and_is_told_there(wecom, stand_in, catalogs):
    now = wecom.clock.now()
    async with wecom.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        leader = await helpers.person(session)
        await helpers.register(
            session, leader, wecom.settings.registration, name="刘队长", phone="13800000080"
        )
        await teams.join_team(session, leader, team, now=now)
        await teams.set_member_role(
            session, admin, team_id=team.id, person_id=leader.id, role=MemberRole.LEADER
        )
        volunteer = await helpers.person(session)
        await helpers.register(
            session, volunteer, wecom.settings.registration, name="陈一", phone="13800000081"
        )
        await teams.join_team(session, volunteer, team, now=now)
        post = await helpers.post(session, admin)
        shift = await helpers.shift(
            session,
            admin,
            wecom.settings.shifts,
            team_id=team.id,
            post_id=post.id,
            day=date(2026, 11, 28),
            now=now,
        )
        await signups.sign_up(
            session,
            volunteer,
            shift.id,
            settings=wecom.settings.shifts,
            zone=wecom.settings.bot.zone,
            now=now,
        )
        code = await channel_link.issue_code(session, leader, channel="telegram", now=now)
    assert "已绑定" in await wecom.text(LEADER, f"绑定 {code}")
    assert "名单" in await wecom.text(LEADER, "帮助")
    assert "【1】" in await wecom.text(LEADER, "名单")
    roster = await wecom.text(LEADER, "1")
    assert "陈一 · 13800000081" in roster

    # Half an hour before the start the volunteer cancels (on Telegram): the leader is
    # told in WeCom.
    async with wecom.db.session_factory.begin() as session:
        outcome = await shift_actions.cancel_place(
            session, volunteer, shift.id, "发烧了", settings=wecom.settings, now=now
        )
        assert outcome.late
        for person_id, notice in outcome.outgoing:
            await outbox.enqueue(session, notice, catalogs=catalogs, now=now, person_id=person_id)
    await wecom.runner.dispatch()
    (told,) = [m for m in stand_in.sent if m["touser"] == LEADER]
    assert told["agentid"] == AGENT_ID and told["msgtype"] == "text"
    assert "陈一" in told["text"]["content"] and "发烧了" in told["text"]["content"]


async def test_a_member_outside_the_apps_range_is_unreachable_in_wecom(wecom, stand_in):
    """WeCom answers "ok" with the member listed as invalid: another channel is tried."""
    stand_in.outside_app.add("Stranger")
    async with wecom.db.session_factory.begin() as session:
        stranger = await identity.resolve_person(
            session,
            identity.ChatUser(channel="wecom", external_id="Stranger", chat_id="Stranger"),
            now=wecom.clock.now(),
            default_language="zh_Hans",
        )
    sender = WeComSender(wecom.settings.wecom, wecom.db.session_factory)
    with pytest.raises(Unreachable):
        await sender.deliver(
            person_id=stranger.id, chat_id=None, text="你好", buttons=[], location=None, photos=[]
        )
    assert stand_in.sent == []
