"""Sending in a WeCom (企业微信) self-built app: application messages through wechatpy's
enterprise client, rendered like the Official Account's (numbered menus for buttons).

Unlike the Official Account there is no 48-hour window: the app may write to any
member in its visible range at any time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from wechatpy.enterprise import WeChatClient

from handlers.wechat.sender import compose, pieces, reachable_account, send_all
from models.db import SessionFactory
from services import identity
from services.notifier import Delivery, Unreachable
from services.settings import WeComSettings

WECOM = identity.WECOM
# errcode -> the member cannot get the app's messages (left, outside the app's visible
# range, unknown UserID): another channel should be tried.
UNREACHABLE_CODES = {60111, 60011, 81013, 60103}


class ConfigurableWeComClient(WeChatClient):
    """wechatpy's enterprise client with every URL under one base (tests use a recorder)."""

    def __init__(self, settings: WeComSettings) -> None:
        super().__init__(settings.corp_id, settings.secret, timeout=10)
        self.API_BASE_URL = settings.api_base_url

    def fetch_access_token(self):
        # The library hard-codes qyapi.weixin.qq.com for the token; keep it on our base.
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )


class WeComSender:
    def __init__(self, settings: WeComSettings, session_factory: SessionFactory) -> None:
        self._client = ConfigurableWeComClient(settings)
        self._agent_id = settings.agent_id
        self._session_factory = session_factory

    def _checked(self, result: dict[str, Any] | None, user_id: str) -> None:
        # A member outside the app's range is not an error to WeCom, only a field.
        if result and result.get("invaliduser"):
            raise Unreachable(f"WeCom member {user_id} is not in the app's range")

    async def send_text(self, user_id: str, text: str) -> None:
        for part in pieces(text):
            result = await asyncio.to_thread(
                self._client.message.send_text, self._agent_id, [user_id], part
            )
            self._checked(result, user_id)

    async def send_picture(self, user_id: str, path: Path) -> None:
        def upload_and_send() -> dict[str, Any] | None:
            if not path.is_file():
                return None
            with path.open("rb") as picture:
                media = self._client.media.upload("image", picture)
            return self._client.message.send_image(self._agent_id, [user_id], media["media_id"])

        self._checked(await asyncio.to_thread(upload_and_send), user_id)

    async def deliver(
        self,
        *,
        person_id: int | None,
        chat_id: str | None,
        text: str,
        buttons: list[list[dict[str, Any]]],
        location: dict[str, float] | None,
        photos: list[dict[str, str]],
    ) -> Delivery:
        account = await reachable_account(self._session_factory, person_id, WECOM)
        await send_all(
            self,
            account.chat_id,
            compose(text, buttons, location),
            photos,
            unreachable_codes=UNREACHABLE_CODES,
            what=f"WeCom send to person {person_id}",
        )
        return Delivery(WECOM, account.chat_id, "")
