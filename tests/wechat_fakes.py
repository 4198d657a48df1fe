"""Stand-ins for the WeChat tests: a clock that stays put, and WeChat's API as the bot
sees it (access tokens, customer-service sends, pictures to download)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
from aiohttp import web

from services.clock import Clock

PICTURE = b"\xff\xd8\xff\xe0stall-on-the-pavement"


class FixedClock(Clock):
    def __init__(self, moment: datetime | None = None) -> None:
        self.moment = moment or datetime(2026, 11, 27, 2, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


@dataclass
class WeChatStandIn:
    """WeChat's API as the bot sees it: tokens, customer-service sends, pictures; and
    WeCom's (gettoken, an app's message/send) on the same server."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)
    picture_delay: float = 0.0
    url: str = ""
    # WeCom members outside the app's visible range (message/send names them invalid).
    outside_app: set[str] = field(default_factory=set)
    # Scenes of the parametric QR codes made.
    scenes: list[str] = field(default_factory=list)

    def app(self) -> web.Application:
        async def token(request: web.Request) -> web.Response:
            return web.json_response({"access_token": "ACCESS", "expires_in": 7200})

        async def custom_send(request: web.Request) -> web.Response:
            assert request.query["access_token"] == "ACCESS"
            self.sent.append(await request.json(loads=json.loads))
            return web.json_response({"errcode": 0, "errmsg": "ok"})

        async def app_send(request: web.Request) -> web.Response:
            assert request.query["access_token"] == "ACCESS"
            message = await request.json(loads=json.loads)
            if message["touser"] in self.outside_app:
                return web.json_response(
                    {"errcode": 0, "errmsg": "ok", "invaliduser": message["touser"]}
                )
            self.sent.append(message)
            return web.json_response({"errcode": 0, "errmsg": "ok"})

        async def qrcode_create(request: web.Request) -> web.Response:
            scene = (await request.json(loads=json.loads))["action_info"]["scene"]["scene_str"]
            self.scenes.append(scene)
            return web.json_response(
                {"ticket": f"T-{scene}", "url": f"http://weixin.qq.com/q/{scene}"}
            )

        async def template_send(request: web.Request) -> web.Response:
            self.templates.append(await request.json(loads=json.loads))
            return web.json_response({"errcode": 0, "errmsg": "ok", "msgid": 1})

        async def upload(request: web.Request) -> web.Response:
            assert request.query["type"] == "image"
            form = await request.post()
            self.uploads.append(form["media"].file.read())
            return web.json_response({"type": "image", "media_id": f"M{len(self.uploads)}"})

        async def picture(request: web.Request) -> web.Response:
            await asyncio.sleep(self.picture_delay)
            return web.Response(body=PICTURE, content_type="image/jpeg")

        app = web.Application()
        app.add_routes(
            [
                web.get("/cgi-bin/token", token),
                web.get("/cgi-bin/gettoken", token),
                web.post("/cgi-bin/message/send", app_send),
                web.post("/cgi-bin/message/custom/send", custom_send),
                web.post("/cgi-bin/media/upload", upload),
                web.post("/cgi-bin/message/template/send", template_send),
                web.post("/cgi-bin/qrcode/create", qrcode_create),
                web.get("/pic/{name}", picture),
            ]
        )
        return app

    def texts_to(self, open_id: str) -> list[str]:
        return [
            m["text"]["content"]
            for m in self.sent
            if m["touser"] == open_id and m["msgtype"] == "text"
        ]

    def pictures_to(self, open_id: str) -> list[bytes]:
        """The uploaded pictures sent to the person, in order."""
        return [
            self.uploads[int(m["image"]["media_id"][1:]) - 1]
            for m in self.sent
            if m["touser"] == open_id and m["msgtype"] == "image"
        ]


@pytest.fixture
async def stand_in() -> AsyncIterator[WeChatStandIn]:
    fake = WeChatStandIn()
    runner = web.AppRunner(fake.app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    fake.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    yield fake
    await runner.cleanup()
