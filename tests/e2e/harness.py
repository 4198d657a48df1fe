"""Playing users against the real bot over the Bot API emulator.

The bot is the production application (python-telegram-bot's own HTTP client,
polling the emulator). A `TelegramUser` posts messages and button presses to
the emulator's client routes, waits until the bot has processed that update
(the update processor reports it), then reads what the bot sent.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from telegram.ext import Application

from bot.app import JOB_RUNNER_KEY
from bot.runtime import MENUS_TASK_KEY, start_bot, stop_bot
from bot.update_processor import PerChatUpdateProcessor
from models.db import SessionFactory
from scheduler.runner import JobRunner
from services.settings import Settings

PROCESS_TIMEOUT = 20.0


@dataclass
class BotMessage:
    """A message the bot sent, in its current state (edits applied)."""

    raw: dict[str, Any]

    @property
    def message_id(self) -> int:
        return self.raw["message_id"]

    @property
    def text(self) -> str:
        return self.raw.get("text") or self.raw.get("caption") or ""

    @property
    def markup(self) -> dict[str, Any]:
        return self.raw.get("reply_markup") or {}

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """Inline buttons, row by row, flattened."""
        return [b for row in self.markup.get("inline_keyboard", []) for b in row]

    @property
    def button_texts(self) -> list[str]:
        return [b["text"] for b in self.buttons]

    @property
    def reply_keyboard(self) -> list[dict[str, Any]]:
        return [b for row in self.markup.get("keyboard", []) for b in row]

    @property
    def removes_keyboard(self) -> bool:
        return bool(self.markup.get("remove_keyboard"))

    def button(self, label: str) -> dict[str, Any]:
        """The button labelled exactly so, or else the one label containing it."""
        matches = [b for b in self.buttons if b["text"] == label] or [
            b for b in self.buttons if label in b["text"]
        ]
        if len(matches) != 1:
            raise AssertionError(f"{len(matches)} buttons match {label!r}: {self.button_texts}")
        return matches[0]

    def __repr__(self) -> str:
        return f"BotMessage({self.message_id}, {self.text!r}, buttons={self.button_texts})"


@dataclass
class CallbackAnswer:
    text: str
    show_alert: bool


class TestClock:
    """The bot's "now", moved by the test (the scheduler's jobs read it too)."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment

    def advance(self, delta: timedelta) -> None:
        self.current += delta


class BotHarness:
    """Starts, stops and restarts the real bot; knows when an update was processed.

    Scheduled jobs do not run by themselves here: a test runs them with `jobs`.
    """

    def __init__(self, settings: Settings, session_factory: SessionFactory, clock: TestClock):
        self.settings = settings
        self.session_factory = session_factory
        self.clock = clock
        self.application: Application | None = None
        self._processed: Counter[int] = Counter()
        self._changed = asyncio.Event()

    async def start(self) -> None:
        processor = PerChatUpdateProcessor(on_processed=self._on_processed)
        self.application = await start_bot(
            self.settings,
            self.session_factory,
            clock=self.clock,
            update_processor=processor,
            automatic_jobs=False,
        )
        await self.application.bot_data[MENUS_TASK_KEY]

    @property
    def jobs(self) -> JobRunner:
        return self.application.bot_data[JOB_RUNNER_KEY]

    async def stop(self) -> None:
        if self.application is not None:
            await stop_bot(self.application)
            self.application = None

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    def _on_processed(self, update: object) -> None:
        self._processed[update.update_id] += 1
        self._changed.set()

    def times_processed(self, update_id: int) -> int:
        return self._processed[update_id]

    async def wait_processed(self, update_id: int, times: int = 1) -> None:
        async def wait() -> None:
            while self._processed[update_id] < times:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), PROCESS_TIMEOUT)


class Emulator:
    """The emulator's client routes (what a Telegram app would do)."""

    def __init__(self, base_url: str, http: httpx.AsyncClient) -> None:
        self.base_url = base_url
        self.http = http

    @property
    def bot_api_url(self) -> str:
        return f"{self.base_url}/bot"

    @property
    def file_url(self) -> str:
        return f"{self.base_url}/file/bot"

    async def call(self, route: str, **payload: Any) -> Any:
        response = await self.http.post(f"{self.base_url}/client/{route}", json=payload)
        response.raise_for_status()
        return response.json()["result"]


_message_dates = itertools.count(1_790_000_000)


class TelegramUser:
    """One person chatting privately with the bot."""

    def __init__(
        self,
        emulator: Emulator,
        harness: BotHarness,
        token: str,
        *,
        user_id: int,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "zh-hans",
    ) -> None:
        self.emulator = emulator
        self.harness = harness
        self.token = token
        self.user_id = user_id
        self.profile = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            self.profile["last_name"] = last_name
        if username:
            self.profile["username"] = username
        if language_code:
            self.profile["language_code"] = language_code
        self._seen_ids: set[int] = set()
        self.last_update_id: int | None = None
        self.last_answer: CallbackAnswer | None = None

    # --- sending -----------------------------------------------------------------------

    async def send(self, text: str, **extra: Any) -> list[BotMessage]:
        message = {"text": text, **extra}
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return await self._post_message(message)

    async def share_contact(
        self, phone_number: str, *, own: bool = True, user_id: int | None = None
    ) -> list[BotMessage]:
        """Share a contact: one's own (the button), or someone else's (user_id or none)."""
        contact = {"phone_number": phone_number, "first_name": self.profile["first_name"]}
        owner = self.user_id if own else user_id
        if owner is not None:
            contact["user_id"] = owner
        return await self._post_message({"contact": contact})

    async def send_sticker(self) -> list[BotMessage]:
        sticker = {
            "file_id": "CAACAgIAAxkBAAEBsticker",
            "file_unique_id": "AgADsticker",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return await self._post_message({"sticker": sticker})

    async def send_photo(self, content: bytes = b"\xff\xd8\xff\xe0fake-jpeg") -> list[BotMessage]:
        stored = await self.emulator.call(
            "upload",
            token=self.token,
            content_base64=base64.b64encode(content).decode(),
            mime_type="image/jpeg",
            file_name="photo.jpg",
        )
        photo = [{**stored, "width": 800, "height": 600}]
        return await self._post_message({"photo": photo})

    async def send_location(self, latitude: float, longitude: float) -> list[BotMessage]:
        return await self._post_message(
            {"location": {"latitude": latitude, "longitude": longitude}}
        )

    async def _post_message(self, message: dict[str, Any]) -> list[BotMessage]:
        message = {
            "from": self.profile,
            "chat": {
                "id": self.user_id,
                "type": "private",
                "first_name": self.profile["first_name"],
            },
            "date": next(_message_dates),
            **message,
        }
        result = await self.emulator.call("send", token=self.token, message=message)
        return await self._after(result["update_id"])

    async def press(self, label: str, message: BotMessage | None = None) -> list[BotMessage]:
        """Tap the inline button whose text contains `label`: on the given message as it
        is now (edits applied), or on the newest message with buttons."""
        message = await self.message(message.message_id) if message else None
        message = message or await self.latest_with_buttons()
        return await self.press_data(message.button(label)["callback_data"], message)

    async def press_data(self, data: str, message: BotMessage) -> list[BotMessage]:
        """Send a callback with arbitrary data, as a modified client could."""
        result = await self.emulator.call(
            "callback",
            token=self.token,
            **{"from": self.profile},
            chat_id=self.user_id,
            message_id=message.message_id,
            data=data,
        )
        new = await self._after(result["update_id"])
        answers = await self.emulator.call("callbackAnswers", token=self.token)
        mine = [a for a in answers if a["callback_query_id"] == result["callback_query_id"]]
        assert len(mine) == 1, f"callback answered {len(mine)} times"
        self.last_answer = CallbackAnswer(mine[0]["text"], mine[0]["show_alert"])
        return new

    async def redeliver_last(self) -> list[BotMessage]:
        """Telegram sends the last update again (as after a lost acknowledgement)."""
        update_id = self.last_update_id
        times = self.harness.times_processed(update_id)
        await self.emulator.call("redeliver", token=self.token, update_id=update_id)
        await self.harness.wait_processed(update_id, times=times + 1)
        return await self.new_messages()

    async def _after(self, update_id: int) -> list[BotMessage]:
        self.last_update_id = update_id
        await self.harness.wait_processed(update_id)
        return await self.new_messages()

    # --- reading -----------------------------------------------------------------------

    async def all_messages(self) -> list[BotMessage]:
        raw = await self.emulator.call("messages", token=self.token, chat_id=self.user_id)
        return [BotMessage(m) for m in raw]

    async def new_messages(self) -> list[BotMessage]:
        fresh = [m for m in await self.all_messages() if m.message_id not in self._seen_ids]
        self._seen_ids.update(m.message_id for m in fresh)
        return fresh

    async def message(self, message_id: int) -> BotMessage:
        return next(m for m in await self.all_messages() if m.message_id == message_id)

    async def latest_with_buttons(self) -> BotMessage:
        with_buttons = [m for m in await self.all_messages() if m.buttons]
        if not with_buttons:
            raise AssertionError("no message with buttons")
        return with_buttons[-1]
