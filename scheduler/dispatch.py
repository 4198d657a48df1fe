"""Sending the outbox: due notifications, exactly once, within Telegram's limits.

The overall rate (`telegram.messages_per_second`, 30 by default) and groups' limits
are kept by python-telegram-bot's AIORateLimiter, which also waits out RetryAfter;
this adds the per-chat pace (one message a second to the same chat) and quiet hours.
A few sends are in flight at once, so the overall rate is reached even when each
request takes a while (the limiter, not the round trip, sets the pace).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from models import Notification
from models.db import SessionFactory
from services import outbox
from services.clock import Clock
from services.notifier import Delivery, Sender, TemporaryFailure, Unreachable
from services.outbox import QuietHours

log = logging.getLogger(__name__)

# Sends in flight at once: enough for 30 messages a second at 250 ms a request.
CONCURRENCY = 8
# Deliveries are recorded this many at a time (and at the end of each run). A crash
# before they are recorded leaves them "interrupted": reported failed, never resent.
MARK_BATCH = 25


@dataclass
class DispatchResult:
    sent: int = 0
    failed: int = 0

    @property
    def claimed(self) -> int:
        return self.sent + self.failed


class Dispatcher:
    def __init__(
        self,
        session_factory: SessionFactory,
        sender: Sender,
        clock: Clock,
        *,
        quiet: QuietHours | None,
        per_chat_interval: float = 1.0,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self.session_factory = session_factory
        self.sender = sender
        self.clock = clock
        self.quiet = quiet
        self.per_chat_interval = per_chat_interval
        self.concurrency = max(1, concurrency)
        # When each chat's next message may go (monotonic seconds).
        self._next_slot: dict[str, float] = {}

    async def run(self, ids: list[int] | None = None, *, limit: int = 200) -> DispatchResult:
        """Send due notifications (only `ids` if given). Safe to run concurrently:
        each claim is exclusive."""
        now = self.clock.now()
        async with self.session_factory.begin() as session:
            if ids is None:
                interrupted = await outbox.recover_interrupted(session, now=now)
                if interrupted:
                    log.error("%d notifications were interrupted mid-send, not resent", interrupted)
            claimed = await outbox.claim_due(
                session, now=now, quiet=self.quiet, ids=ids, limit=limit
            )
        result = DispatchResult()
        in_flight = asyncio.Semaphore(self.concurrency)
        delivered: list[outbox.SentMark] = []

        async def record() -> None:
            batch = delivered[:]
            del delivered[:]
            if batch:
                async with self.session_factory.begin() as session:
                    await outbox.mark_all_sent(session, batch)

        async def send(row: Notification) -> None:
            # The chat's slot is taken in claim order, before waiting for it.
            await self._pace(row.person_id, row.chat_id)
            async with in_flight:
                delivery = await self._send(row, result)
            if delivery is not None:
                delivered.append(
                    outbox.SentMark(
                        row.id, row.due_at, self.clock.now(), delivery.chat_id, delivery.message_id
                    )
                )
                if len(delivered) >= MARK_BATCH:
                    await record()

        outcomes = await asyncio.gather(*(send(row) for row in claimed), return_exceptions=True)
        await record()
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        return result

    async def _send(self, row: Notification, result: DispatchResult) -> Delivery | None:
        try:
            delivery = await self.sender.deliver(
                person_id=row.person_id,
                chat_id=row.chat_id,
                text=row.text,
                buttons=row.buttons,
                location=row.location,
                photos=row.photos or [],
            )
        except Unreachable as exc:
            await self._failed(row.id, str(exc), retry=False)
            result.failed += 1
        except TemporaryFailure as exc:
            await self._failed(row.id, str(exc), retry=True)
            result.failed += 1
        except Exception as exc:  # a bug or an unexpected answer: keep the rest going
            log.exception("notification %s could not be sent", row.id)
            await self._failed(row.id, repr(exc), retry=False)
            result.failed += 1
        else:
            result.sent += 1
            return delivery
        return None

    async def _failed(self, notification_id: int, error: str, *, retry: bool) -> None:
        async with self.session_factory.begin() as session:
            await outbox.mark_failed(
                session, notification_id, error=error, retry=retry, now=self.clock.now()
            )

    async def _pace(self, person_id: int | None, chat_id: str | None) -> None:
        if not self.per_chat_interval:
            return
        key = chat_id or f"person:{person_id}"
        now = time.monotonic()
        # Reserve the slot before sleeping, so messages to one chat keep their order
        # and their spacing even while several are in flight.
        slot = max(now, self._next_slot.get(key, 0.0))
        self._next_slot[key] = slot + self.per_chat_interval
        if len(self._next_slot) > 10_000:  # forget chats whose pause is over
            self._next_slot = {k: v for k, v in self._next_slot.items() if v > now}
        if slot > now:
            await asyncio.sleep(slot - now)
