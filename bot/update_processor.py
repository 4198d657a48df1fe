"""Process updates concurrently across people but in order for each person."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# PTB's own limit is taken before our per-chat lock; waiting updates of one busy
# chat must not use up the slots, so it is set high and the real limit applies
# inside the lock.
_WAITING_LIMIT = 100_000


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """One person's quick taps run one after another; other people are not held up.

    Group button taps are ordered per person too: sixty members tapping "sign up"
    under a group post are sixty independent people.
    """

    def __init__(
        self,
        max_concurrent_updates: int = 64,
        on_processed: Callable[[object], None] | None = None,
    ) -> None:
        super().__init__(_WAITING_LIMIT)
        self._running = asyncio.Semaphore(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        # Test hook: called after each update's handlers (and error handlers) ran.
        self.on_processed = on_processed

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = _order_key(update)
        try:
            if key is None:
                async with self._running:
                    await coroutine
                return
            lock = self._locks.setdefault(key, asyncio.Lock())
            self._waiting[key] = self._waiting.get(key, 0) + 1
            try:
                async with lock, self._running:
                    await coroutine
            finally:
                self._waiting[key] -= 1
                if not self._waiting[key]:
                    del self._waiting[key]
                    del self._locks[key]
        finally:
            if self.on_processed is not None:
                self.on_processed(update)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _order_key(update: object) -> int | None:
    """Whose updates must not overtake each other: the person's for button taps
    (the same as their private chat), the chat's for messages."""
    if not isinstance(update, Update):
        return None
    if update.callback_query is not None:
        return update.callback_query.from_user.id
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user else None
