"""Sending on WeChat: customer-service messages through wechatpy's client.

Buttons cannot be shown in a WeChat chat, so a notice's buttons become a numbered
menu (【1】…); a reply with a number presses that button of the last notice sent
(the outbox keeps it: handlers/wechat/chat.py looks it up).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException

from models import ChatIdentity
from models.db import SessionFactory
from services import identity
from services.clock import Clock
from services.notifier import Delivery, TemporaryFailure, Unreachable
from services.settings import WeChatSettings

log = logging.getLogger(__name__)

WECHAT = identity.WECHAT
# Customer-service messages reach a follower only this long after they last wrote.
SERVICE_WINDOW = timedelta(hours=48)
SHANGHAI = ZoneInfo("Asia/Shanghai")
# WeChat's limit for a customer-service text is 2048 bytes.
TEXT_LIMIT_BYTES = 2000
# errcode -> the person cannot get customer-service messages now (unfollowed, window
# closed, unknown OpenID): another channel should be tried.
UNREACHABLE_CODES = {40003, 43004, 45015, 45047, 46004}


class ConfigurableClient(WeChatClient):
    """wechatpy's client with every URL under one base (tests point it at a recorder)."""

    def __init__(self, settings: WeChatSettings) -> None:
        super().__init__(settings.app_id, settings.app_secret, timeout=10)
        self.API_BASE_URL = settings.api_base_url

    def fetch_access_token(self):
        # The library hard-codes api.weixin.qq.com for the token; keep it on our base.
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}token",
            params={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
            },
        )


def fit(text: str, limit: int = TEXT_LIMIT_BYTES) -> str:
    """Cut at a character boundary so the UTF-8 text fits WeChat's byte limit."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode(errors="ignore") + "…"


def pieces(text: str, limit: int = TEXT_LIMIT_BYTES) -> list[str]:
    """The text as messages that each fit WeChat's byte limit, cut between lines where
    possible (a long announcement arrives whole, in parts, instead of cut short)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line.encode()) > limit:  # one very long line: cut by characters
            head = line.encode()[:limit].decode(errors="ignore")
            if current:
                parts.append(current)
                current = ""
            parts.append(head)
            line = line[len(head) :]
        joined = f"{current}\n{line}" if current else line
        if len(joined.encode()) > limit:
            parts.append(current)
            current = line
        else:
            current = joined
    if current or not parts:
        parts.append(current)
    return parts


def numbered_menu(buttons: list[list[dict[str, Any]]]) -> tuple[list[str], dict[str, str]]:
    """Lines "回复 1：…" and the map from number to button data."""
    lines, choices = [], {}
    flat = [b for row in buttons for b in row]
    for number, entry in enumerate(flat, start=1):
        lines.append(f"【{number}】{entry['label']}")
        choices[str(number)] = entry["data"]
    return lines, choices


def compose(
    text: str, buttons: list[list[dict[str, Any]]], location: dict[str, float] | None
) -> str:
    """A notice as one WeChat text: its buttons as a numbered menu, its place as
    coordinates (a reply with the number presses the button)."""
    lines, _ = numbered_menu(buttons)
    if location:
        lines.append(f"📍 {location['latitude']:.5f}, {location['longitude']:.5f}")
    return "\n".join([text, *lines])


class TextAndPictures(Protocol):
    async def send_text(self, to: str, text: str) -> None: ...

    async def send_picture(self, to: str, path: Path) -> None: ...


async def reachable_account(
    session_factory: SessionFactory, person_id: int | None, channel: str
) -> ChatIdentity:
    """The person's account on this channel, or Unreachable (there are no group chats
    for the bot on WeChat or WeCom)."""
    if person_id is None:
        raise Unreachable(f"{channel} has no group chats for the bot")
    async with session_factory() as session:
        account = await identity.identity_of(session, person_id, channel)
    if account is None or not account.reachable:
        raise Unreachable(f"person {person_id} has no {channel} account")
    return account


async def send_all(
    sender: TextAndPictures,
    to: str,
    body: str,
    photos: list[dict[str, str]],
    *,
    unreachable_codes: set[int],
    what: str,
) -> None:
    """The pictures we hold a copy of, then the text; WeChat's and WeCom's error codes
    as Unreachable (try another channel) or TemporaryFailure (try again later)."""
    try:
        for photo in photos:
            if photo.get("path"):
                await sender.send_picture(to, Path(photo["path"]))
        await sender.send_text(to, body)
    except WeChatClientException as exc:
        log.warning("%s failed: %s %s", what, exc.errcode, exc)
        if exc.errcode in unreachable_codes:
            raise Unreachable(f"{exc.errcode}: {exc.errmsg}") from exc
        raise TemporaryFailure(f"{exc.errcode}: {exc.errmsg}") from exc
    except OSError as exc:  # network trouble (requests' errors are OSErrors)
        raise TemporaryFailure(str(exc)) from exc


class WeChatSender:
    def __init__(
        self,
        settings: WeChatSettings,
        session_factory: SessionFactory,
        clock: Clock,
        *,
        zone: ZoneInfo = SHANGHAI,
    ) -> None:
        self._zone = zone
        self._client = ConfigurableClient(settings)
        self._settings = settings
        self._session_factory = session_factory
        self._clock = clock

    async def _as_template(self, open_id: str, text: str) -> Delivery:
        fields = self._settings.template_fields
        title, _, rest = text.partition("\n")
        now = self._clock.now().astimezone(self._zone)
        data = {
            fields["title"]: {"value": fit(title, 200)},
            fields["content"]: {"value": fit(rest.strip() or title, 600)},
            fields["time"]: {"value": f"{now:%Y-%m-%d %H:%M}"},
            fields["remark"]: {"value": self._settings.template_remark},
        }
        try:
            await asyncio.to_thread(
                self._client.message.send_template, open_id, self._settings.notice_template_id, data
            )
        except WeChatClientException as exc:
            if exc.errcode in UNREACHABLE_CODES | {43101}:  # 43101: the user refused it
                raise Unreachable(f"WeChat {exc.errcode}: {exc.errmsg}") from exc
            raise TemporaryFailure(f"WeChat {exc.errcode}: {exc.errmsg}") from exc
        except OSError as exc:
            raise TemporaryFailure(str(exc)) from exc
        return Delivery(WECHAT, open_id, "")

    async def scene_url(self, scene: str) -> str:
        """What a permanent parametric QR code of the scene encodes (qrcode/create's url):
        scanning it follows the account and sends the bot the scene."""
        created = await asyncio.to_thread(
            self._client.qrcode.create,
            {
                "action_name": "QR_LIMIT_STR_SCENE",
                "action_info": {"scene": {"scene_str": scene}},
            },
        )
        return created["url"]

    async def send_text(self, open_id: str, text: str) -> None:
        for part in pieces(text):
            await asyncio.to_thread(self._client.message.send_text, open_id, part)

    async def send_picture(self, open_id: str, path: Path) -> None:
        """Upload our copy as temporary media (WeChat cannot use other channels' file ids);
        a picture we never got a copy of is skipped."""

        def upload_and_send() -> None:
            if not path.is_file():
                return
            with path.open("rb") as picture:
                media = self._client.media.upload("image", picture)
            self._client.message.send_image(open_id, media["media_id"])

        await asyncio.to_thread(upload_and_send)

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
        account = await reachable_account(self._session_factory, person_id, WECHAT)
        if self._clock.now() - account.last_seen_at > SERVICE_WINDOW:
            if not self._settings.notice_template_id:
                raise Unreachable("outside WeChat's 48-hour customer-service window")
            # Buttons cannot be pressed by number out here; the remark says to write back.
            return await self._as_template(account.chat_id, text)
        await send_all(
            self,
            account.chat_id,
            compose(text, buttons, location),
            photos,
            unreachable_codes=UNREACHABLE_CODES,
            what=f"WeChat send to person {person_id}",
        )
        return Delivery(WECHAT, account.chat_id, "")
