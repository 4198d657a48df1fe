"""Broadcasts' progress messages: the author's message shows how far delivery is, and
ends with the delivered / failed / skipped counts.

Runs after each batch the dispatcher sends (and on each dispatch tick). What to show
is counted from the broadcast's notifications, so a restart loses nothing; an
unfinished broadcast's message is edited at most every PROGRESS_EVERY (Telegram
limits edits too), the final report as soon as nothing is left to send.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from models.db import SessionFactory
from services import broadcasts, identity, outbox
from services.broadcasts import Report, Tracked
from services.clock import Clock
from services.i18n import Catalogs
from services.notifier import Delivery, Notice, Notifier
from services.outbox import QuietHours

log = logging.getLogger(__name__)

PROGRESS_EVERY = timedelta(seconds=5)


class BroadcastProgress:
    def __init__(
        self,
        session_factory: SessionFactory,
        notifier: Notifier,
        clock: Clock,
        *,
        quiet: QuietHours | None,
        default_language: str,
        catalogs: Catalogs,
        every: timedelta = PROGRESS_EVERY,
    ) -> None:
        self.catalogs = catalogs
        self.session_factory = session_factory
        self.notifier = notifier
        self.clock = clock
        self.quiet = quiet
        self.default_language = default_language
        self.every = every
        # What each progress message shows now, and since when (in memory: after a
        # restart the next update simply edits once more).
        self._shown: dict[int, tuple[datetime, Report]] = {}

    async def update(self) -> int:
        """Edit the progress messages that are due; returns how many broadcasts finished."""
        now = self.clock.now()
        async with self.session_factory() as session:
            tracked = await broadcasts.unfinished(session, quiet=self.quiet, now=now)
        finished = 0
        for item in tracked:
            if item.report.counts.finished:
                await self._finish(item, now)
                finished += 1
            elif self._due(item, now):
                await self._show(item)
                self._shown[item.broadcast.id] = (now, item.report)
        return finished

    def _due(self, item: Tracked, now: datetime) -> bool:
        shown = self._shown.get(item.broadcast.id)
        if shown is None:
            return True
        at, report = shown
        return report != item.report and now - at >= self.every

    async def _show(self, item: Tracked) -> bool:
        broadcast = item.broadcast
        if not (broadcast.progress_chat_id and broadcast.progress_message_id):
            return False
        delivery = Delivery(
            identity.TELEGRAM, broadcast.progress_chat_id, broadcast.progress_message_id
        )
        return await self.notifier.edit(
            delivery,
            Notice(item.report),
            language=item.author_language or self.default_language,
        )

    async def _finish(self, item: Tracked, now: datetime) -> None:
        shown = await self._show(item)
        async with self.session_factory.begin() as session:
            if not shown:
                # No progress message to edit (sent from WeChat, or deleted): the report
                # goes through the outbox, on whichever channel reaches the author.
                await outbox.enqueue(
                    session,
                    Notice(item.report),
                    catalogs=self.catalogs,
                    now=now,
                    person_id=item.broadcast.author_id,
                    key=f"broadcast-report:{item.broadcast.id}",
                    kind="broadcast-report",
                )
            await broadcasts.finish(session, item.broadcast.id, now=now)
        self._shown.pop(item.broadcast.id, None)
        counts = item.report.counts
        log.info(
            "broadcast %s finished: %d delivered, %d failed, %d skipped",
            item.broadcast.id,
            counts.delivered,
            counts.failed,
            counts.skipped,
        )
