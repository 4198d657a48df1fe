"""WeChat's callback: URL verification, signed (and decrypted) messages, and the
5-second rule.

WeChat gives up on a passive reply after 5 seconds and retries the message up to
three times. The work runs as a task; if it has not finished in time the reply is a
short acknowledgement and the real answer follows as a customer-service message
(the task goes on). A retry of a message already handled gets an empty reply.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Protocol

from handlers.wechat.chat import WeChatChat
from handlers.wechat.inbound import (
    InboundMessage,
    InvalidSignature,
    MalformedMessage,
    WeChatConfig,
    build_reply,
    parse_inbound,
    verify_url,
)
from handlers.wechat.sender import pieces
from services.i18n import N_, Catalogs

log = logging.getLogger(__name__)

# What WeChat expects when there is nothing to say.
NOTHING = "success"
# A message signed this long ago (or ahead) is a replay, not WeChat.
MAX_AGE_SECONDS = 300
# The passive reply when the answer is not ready within WeChat's 5 seconds.
ACKNOWLEDGED = N_("Got it, one moment please — the answer follows shortly.")


def _require_fresh(timestamp: str | None) -> None:
    """A signed request replayed later is refused: WeChat's own retries come within
    seconds, so anything older than a few minutes is not WeChat."""
    try:
        age = abs(time.time() - int(timestamp or ""))
    except ValueError as exc:
        raise MalformedMessage("timestamp is missing or not a number") from exc
    if age > MAX_AGE_SECONDS:
        raise InvalidSignature(f"timestamp is {int(age)} s away from now")


class TextSender(Protocol):
    """Where follow-up answers go: the Official Account's customer-service messages or
    the WeCom app's messages."""

    async def send_text(self, to: str, text: str) -> None: ...


class WeChatCallback:
    def __init__(
        self,
        config: WeChatConfig,
        chat: WeChatChat,
        sender: TextSender,
        catalogs: Catalogs,
        *,
        reply_within: float,
    ) -> None:
        self.config = config
        self.chat = chat
        self.sender = sender
        self.catalogs = catalogs
        self.reply_within = reply_within
        self._follow_ups: set[asyncio.Task] = set()
        # One person's pushed messages go one after another, never interleaved.
        self._sending: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def verify(self, query: Mapping[str, str]) -> str:
        """The GET with which WeChat checks the server URL: the echo string back."""
        return verify_url(
            self.config,
            query.get("signature"),
            query.get("timestamp"),
            query.get("nonce"),
            query.get("echostr"),
            msg_signature=query.get("msg_signature"),
        )

    async def receive(self, query: Mapping[str, str], body: bytes) -> str:
        """The reply body for one callback POST (raises InvalidSignature/MalformedMessage
        for what must be refused, before anything is done)."""
        _require_fresh(query.get("timestamp"))
        inbound = parse_inbound(
            self.config,
            body,
            query.get("signature"),
            query.get("timestamp"),
            query.get("nonce"),
            msg_signature=query.get("msg_signature"),
            encrypt_type=query.get("encrypt_type"),
        )
        work = asyncio.create_task(self.chat.handle(inbound), name="wechat message")
        try:
            text = await asyncio.wait_for(asyncio.shield(work), self.reply_within)
        except TimeoutError:
            self._follow_up(inbound, work)
            text = self.catalogs.translator(None)(ACKNOWLEDGED)
        if not text:
            return NOTHING
        parts = pieces(text)
        if len(parts) > 1:
            # Too long for one reply: all of it as customer-service messages, in order
            # (a passive reply and a pushed message may overtake each other).
            self._send_later(inbound.from_user, parts)
            return NOTHING
        return build_reply(
            self.config,
            inbound,
            text,
            timestamp=query.get("timestamp") or str(int(time.time())),
            nonce=query.get("nonce") or "",
        )

    def _follow_up(self, inbound: InboundMessage, work: asyncio.Task) -> None:
        async def send_when_done() -> None:
            try:
                text = await work
                async with self._sending[inbound.from_user]:
                    for part in pieces(text) if text else []:
                        await self.sender.send_text(inbound.from_user, part)
            except Exception:  # logged: there is nobody else to tell
                log.exception("WeChat follow-up to %s failed", inbound.from_user)

        self._track(asyncio.create_task(send_when_done(), name="wechat follow-up"))

    def _send_later(self, open_id: str, parts: list[str]) -> None:
        async def send_parts() -> None:
            try:
                async with self._sending[open_id]:
                    for part in parts:
                        await self.sender.send_text(open_id, part)
            except Exception:  # logged: there is nobody else to tell
                log.exception("WeChat rest of a long reply to %s failed", open_id)

        self._track(asyncio.create_task(send_parts(), name="wechat long reply"))

    def _track(self, task: asyncio.Task) -> None:
        self._follow_ups.add(task)
        task.add_done_callback(self._follow_ups.discard)

    async def drain(self) -> None:
        """Wait for follow-ups still running (shutdown, tests)."""
        if self._follow_ups:
            await asyncio.gather(*self._follow_ups, return_exceptions=True)
