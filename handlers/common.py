"""What every handler does: open a unit of work, then send the response."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
    User,
)
from telegram import (
    Message as TelegramMessage,
)
from telegram.error import BadRequest

from handlers.context import BotContext, Deps
from models import Person
from services import identity, outbox
from services.errors import StaleAction
from services.i18n import Translator
from services.notifier import Notice

log = logging.getLogger(__name__)

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove

# Telegram allows 4096 characters per message; stay clear of the limit.
MESSAGE_LIMIT = 4000
POPUP_LIMIT = 200


@dataclass
class Work:
    """One update's transaction, the person behind it and their language."""

    session: AsyncSession
    person: Person
    tr: Translator
    now: datetime
    deps: Deps
    # Notifications written in this transaction, sent once it commits.
    outgoing: list[int] = field(default_factory=list)

    async def enqueue(self, person_id: int, notice: Notice, **options: Any) -> None:
        """Tell someone, durably: written with this update's changes, sent after commit."""
        notification_id = await outbox.enqueue(
            self.session,
            notice,
            catalogs=self.deps.catalogs,
            now=self.now,
            person_id=person_id,
            **options,
        )
        if notification_id is not None:
            self.outgoing.append(notification_id)


def chat_user(user: User) -> identity.ChatUser:
    return identity.ChatUser(
        channel=identity.TELEGRAM,
        external_id=str(user.id),
        chat_id=str(user.id),
        display_name=user.full_name[:128] or None,
        username=user.username,
        language_code=user.language_code,
    )


async def tell(w: Work, notices: Iterable[tuple[int, Notice]]) -> None:
    """Write notices for other people into this update's transaction."""
    for person_id, notice in notices:
        await w.enqueue(person_id, notice)


@asynccontextmanager
async def work(update: Update, context: BotContext) -> AsyncIterator[Work]:
    deps = context.deps
    now = deps.clock.now()
    async with context.transaction() as session:
        person = await identity.resolve_person(
            session,
            chat_user(update.effective_user),
            now=now,
            default_language=deps.settings.bot.default_language,
            admins=deps.admins,
        )
        unit = Work(session, person, deps.catalogs.translator(person.language), now, deps)
        yield unit
    await deps.jobs.deliver(unit.outgoing)


@dataclass
class Message:
    text: str
    markup: Markup | None = None


@dataclass
class Response:
    """What to send back: new messages, an edit of the pressed message, a popup."""

    messages: list[Message] = field(default_factory=list)
    edit: Message | None = None
    popup: str | None = None
    alert: bool = False
    # A map pin sent after the messages (latitude, longitude).
    location: tuple[float, float] | None = None
    # Photos sent before the messages: {"file_id": …, "path": our own copy}.
    photos: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def say(cls, text: str, markup: Markup | None = None) -> Response:
        return cls(messages=[Message(text, markup)])


async def respond(update: Update, response: Response) -> None:
    query = update.callback_query
    if query is not None:
        await query.answer(shorten(response.popup), show_alert=response.alert)
        if response.edit is not None and isinstance(query.message, TelegramMessage):
            await _edit(query, response.edit)
    elif response.popup:
        response.messages.insert(0, Message(response.popup))
    chat = update.effective_chat
    for photo in response.photos:
        await send_photo(chat.get_bot(), chat.id, photo)
    for message in response.messages:
        for part in split_text(message.text):
            await chat.send_message(part, reply_markup=message.markup)
    if response.location is not None:
        await chat.send_location(latitude=response.location[0], longitude=response.location[1])


async def send_photo(bot, chat_id: int | str, photo: dict[str, str]) -> None:
    """By the channel's file id; our own copy when Telegram no longer has the file."""
    try:
        await bot.send_photo(chat_id=chat_id, photo=photo["file_id"])
    except BadRequest:
        content = await asyncio.to_thread(_own_copy, photo.get("path"))
        if content is None:
            raise
        await bot.send_photo(chat_id=chat_id, photo=content)


def _own_copy(path: str | None) -> bytes | None:
    if not path or not Path(path).is_file():
        return None
    return Path(path).read_bytes()


async def _edit(query, message: Message) -> None:
    markup = message.markup if isinstance(message.markup, InlineKeyboardMarkup) else None
    try:
        await query.edit_message_text(message.text[:MESSAGE_LIMIT], reply_markup=markup)
    except BadRequest as exc:
        # Pressing the same toggle twice quickly leaves nothing to change.
        if "not modified" not in str(exc).lower():
            raise


def answered(update: Update) -> Message:
    """The pressed question, answered and without buttons: "What kind of duty? → 清洁家园"."""
    query = update.callback_query
    accessible = isinstance(query.message, TelegramMessage)
    question = ((query.message.text if accessible else "") or "").split("\n")[0]
    markup = getattr(query.message, "reply_markup", None)
    pressed = next(
        (
            b.text.removeprefix("• ")
            for row in (markup.inline_keyboard if markup else ())
            for b in row
            if b.callback_data == query.data
        ),
        "",
    )
    return Message(f"{question} → {pressed}" if pressed else question)


def shorten(text: str | None, limit: int = POPUP_LIMIT) -> str | None:
    """Fit a callback answer into Telegram's limit."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


async def remove_keyboard(update: Update) -> None:
    """Take the buttons off the message a stale button was pressed on."""
    query = update.callback_query
    if query is not None and isinstance(query.message, TelegramMessage):
        with suppress(BadRequest):
            await query.edit_message_reply_markup(reply_markup=None)


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at line breaks so no part exceeds Telegram's limit."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts


# --- keyboards ---------------------------------------------------------------------------


def button(text: str, data: str) -> InlineKeyboardButton:
    # Telegram rejects callback data over 64 bytes; ours are short ids.
    assert len(data.encode()) <= 64, data
    return InlineKeyboardButton(text, callback_data=data)


def keyboard(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(row) for row in rows if row])


def in_rows(buttons: Sequence[InlineKeyboardButton], per_row: int) -> list[list]:
    return [list(buttons[i : i + per_row]) for i in range(0, len(buttons), per_row)]


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    number: int
    count: int

    @property
    def has_previous(self) -> bool:
        return self.number > 0

    @property
    def has_next(self) -> bool:
        return self.number < self.count - 1


def paginate(items: Sequence[T], page: int, size: int) -> Page[T]:
    count = max(1, -(-len(items) // size))
    number = min(max(page, 0), count - 1)
    return Page(list(items[number * size : (number + 1) * size]), number, count)


def pager_row(page: Page, tr: Translator, data_for_page) -> list[InlineKeyboardButton]:
    """◀ / ▶ buttons; `data_for_page(n)` builds the callback data for page n."""
    row = []
    if page.has_previous:
        row.append(button(tr("◀ Previous"), data_for_page(page.number - 1)))
    if page.has_next:
        row.append(button(tr("Next ▶"), data_for_page(page.number + 1)))
    return row


def callback_args(update: Update, count: int) -> list[str]:
    """The ':'-separated arguments after the prefix and action of a button's data."""
    parts = (update.callback_query.data or "").split(":")[2:]
    if len(parts) != count:
        raise StaleAction()
    return parts


def int_arg(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise StaleAction() from exc
