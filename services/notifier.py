"""How services and the scheduler reach people, whatever the channel.

A notice is a message id plus parameters (and optional buttons); each channel's
notifier renders it in the recipient's language and delivers it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from services.i18n import Localizable, Translator, render


@dataclass(frozen=True)
class Action:
    """A button: its label (a message id) and what pressing it means."""

    label: str
    data: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Notice:
    # A catalog message id (marked with N_), or a text that localizes itself.
    message: str | Localizable
    params: Mapping[str, Any] = field(default_factory=dict)
    # Rows of buttons.
    actions: tuple[tuple[Action, ...], ...] = ()

    def text(self, tr: Translator) -> str:
        if isinstance(self.message, Localizable):
            return self.message.localize(tr)
        return render(tr, self.message, self.params)


@dataclass(frozen=True)
class Delivery:
    """Where a notice landed, so it can be edited later."""

    channel: str
    chat_id: str
    message_id: str


class Notifier(Protocol):
    async def notify(self, person_id: int, notice: Notice) -> Delivery | None:
        """Deliver to the person privately; None when they cannot be reached."""
        ...

    async def post(self, chat_id: str, notice: Notice, *, language: str) -> Delivery | None:
        """Post to a group chat of this notifier's channel."""
        ...

    async def edit(self, delivery: Delivery, notice: Notice, *, language: str) -> bool:
        """Replace a delivered notice's text and buttons."""
        ...

    async def send_document(
        self, person_id: int, filename: str, content: bytes, notice: Notice
    ) -> Delivery | None:
        """A file for the person, with the notice as its caption."""
        ...


class Unreachable(Exception):
    """The person cannot be reached on this channel (blocked the bot, no account)."""


class TemporaryFailure(Exception):
    """Sending failed for now (network, flood limits): try again later."""


class Sender(Protocol):
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
        """Send a notification as written in the outbox (photos first, then the text)."""
        ...
