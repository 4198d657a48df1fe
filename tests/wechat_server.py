"""A running bot behind its WeChat callback endpoint, for end-to-end WeChat tests: each
message is real encrypted XML posted to the web server, and the passive reply is
decrypted back to its text."""

from __future__ import annotations

import hashlib
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from wechatpy.crypto import WeChatCrypto

from bot.app import JOB_RUNNER_KEY, build_application
from bot.runtime import wechat_callback, wecom_callback
from bot.web import start_web
from tests.wechat_fakes import FixedClock

TOKEN = "civicToken2026"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx0123456789abcdef"
ACCOUNT = "gh_civic"
# Where download links point; tests open them on the server's real address.
PUBLIC_URL = "https://bot.example.org"
# The office's administrator, named by OpenID (wechat.admins).
ADMIN_USER = "oOfficeAdmin0000000000000001"


@dataclass
class Server:
    http: httpx.AsyncClient
    base: str
    callback: Any
    crypto: WeChatCrypto
    db: Any
    clock: FixedClock
    settings: Any
    runner: Any
    next_id: int = 1000

    async def post(
        self, xml_body: str, *, tamper: bool = False, signed_at: float | None = None
    ) -> httpx.Response:
        timestamp, nonce = str(int(signed_at or time.time())), "nonce42"
        encrypted = self.crypto.encrypt_message(xml_body, nonce, timestamp)
        msg_signature = ElementTree.fromstring(encrypted).findtext("MsgSignature")
        if tamper:
            msg_signature = msg_signature[:-1] + ("0" if msg_signature[-1] != "0" else "1")
        signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()
        query = {
            "signature": signature,
            "timestamp": timestamp,
            "nonce": nonce,
            "encrypt_type": "aes",
            "msg_signature": msg_signature,
        }
        return await self.http.post(f"{self.base}/wechat/callback", params=query, content=encrypted)

    async def say(self, open_id: str, xml_inner: str, *, msg_id: int | None = None) -> str:
        """A message from a user; the decrypted passive reply's text ('' for none)."""
        if msg_id is None:
            self.next_id += 1
            msg_id = self.next_id
        body = (
            f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{open_id}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime>{xml_inner}"
            f"<MsgId>{msg_id}</MsgId></xml>"
        )
        response = await self.post(body)
        assert response.status_code == 200
        if response.text == "success":
            return ""
        envelope = ElementTree.fromstring(response.text)
        plain = self.crypto.decrypt_message(
            response.text,
            envelope.findtext("MsgSignature"),
            envelope.findtext("TimeStamp"),
            envelope.findtext("Nonce"),
        )
        return ElementTree.fromstring(plain).findtext("Content") or ""

    async def text(self, open_id: str, content: str, **kwargs) -> str:
        inner = f"<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content>"
        return await self.say(open_id, inner, **kwargs)

    async def picture(self, open_id: str, url: str) -> str:
        inner = (
            "<MsgType><![CDATA[image]]></MsgType>"
            f"<PicUrl><![CDATA[{url}]]></PicUrl><MediaId><![CDATA[media-1]]></MediaId>"
        )
        return await self.say(open_id, inner)

    async def location(self, open_id: str, latitude: float, longitude: float) -> str:
        inner = (
            "<MsgType><![CDATA[location]]></MsgType>"
            f"<Location_X>{latitude}</Location_X><Location_Y>{longitude}</Location_Y>"
            "<Scale>15</Scale><Label><![CDATA[东风路]]></Label>"
        )
        return await self.say(open_id, inner)


@pytest.fixture
async def server(db, base_settings, stand_in, tmp_path) -> AsyncIterator[Server]:
    wechat = base_settings.wechat.model_copy(
        update={
            "enabled": True,
            "app_id": APP_ID,
            "app_secret": "secret",
            "token": TOKEN,
            "encoding_aes_key": AES_KEY,
            "api_base_url": f"{stand_in.url}/cgi-bin/",
            "public_url": PUBLIC_URL,
            "admins": [ADMIN_USER],
        }
    )
    settings = base_settings.model_copy(
        update={
            "wechat": wechat,
            "open311": base_settings.open311.model_copy(update={"port": 0}),
            "bot": base_settings.bot.model_copy(update={"data_dir": str(tmp_path)}),
            "telegram": base_settings.telegram.model_copy(update={"token": "1:WECHAT"}),
        }
    )
    async with behind_callback(
        settings, db, FixedClock(), WeChatCrypto(TOKEN, AES_KEY, APP_ID), channel="wechat"
    ) as server:
        yield server


@asynccontextmanager
async def behind_callback(
    settings, db, clock, crypto, *, channel: str, kind: type[Server] = Server
) -> AsyncIterator[Server]:
    """The bot built with `settings`, its web server serving the callback of `channel`
    (wechat or wecom) on a free port; drained and stopped afterwards."""
    application = build_application(
        settings, session_factory=db.session_factory, clock=clock, automatic_jobs=False
    )
    callback = (wechat_callback if channel == "wechat" else wecom_callback)(application)
    web_server = await start_web(settings, db.session_factory, clock, **{channel: callback})
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            yield kind(
                http,
                f"http://127.0.0.1:{web_server.port}",
                callback,
                crypto,
                db,
                clock,
                settings,
                application.bot_data[JOB_RUNNER_KEY],
            )
    finally:
        await callback.drain()
        application.bot_data[JOB_RUNNER_KEY].shutdown()
        await web_server.stop()
