"""Runs the jobs: on APScheduler in the bot, or by hand (with a chosen clock) in tests.

APScheduler only decides *when*; what is due is read from the database on every
run, so nothing is lost with the in-memory job store when the bot restarts.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.dispatch import Dispatcher
from scheduler.housekeeping import housekeeping
from scheduler.shift_jobs import ShiftJobs

log = logging.getLogger(__name__)

MAINTENANCE_EVERY = timedelta(minutes=1)
# Notifications written by scheduled jobs go out this often (handlers send theirs at once).
DISPATCH_EVERY = timedelta(seconds=10)
HOUSEKEEPING_EVERY = timedelta(hours=1)
# Announcement edits wait this long, so a burst of sign-ups costs one edit each.
REFRESH_DELAY = timedelta(seconds=2)


class JobRunner:
    def __init__(self, jobs: ShiftJobs, dispatcher: Dispatcher, *, automatic: bool = True) -> None:
        self.jobs = jobs
        self.dispatcher = dispatcher
        self.automatic = automatic
        self._scheduler = AsyncIOScheduler(timezone=UTC) if automatic else None
        self._publish_requested = False
        self._refresh_requested: set[int] = set()

    def start(self) -> None:
        if self._scheduler is None:
            return
        self._scheduler.add_job(
            self.jobs.maintenance,
            "interval",
            seconds=MAINTENANCE_EVERY.total_seconds(),
            id="maintenance",
            next_run_time=datetime.now(UTC),
            coalesce=True,
            max_instances=1,
        )
        self._scheduler.add_job(
            self.dispatcher.run,
            "interval",
            seconds=DISPATCH_EVERY.total_seconds(),
            id="dispatch",
            coalesce=True,
            max_instances=1,
        )
        jobs = self.jobs
        self._scheduler.add_job(
            housekeeping,
            "interval",
            args=[jobs.session_factory, jobs.clock],
            seconds=HOUSEKEEPING_EVERY.total_seconds(),
            id="housekeeping",
            coalesce=True,
            max_instances=1,
        )
        self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler is not None and self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    # --- JobRequests ---------------------------------------------------------------------

    def request_publish(self) -> None:
        if self._scheduler is None:
            self._publish_requested = True
            return
        self._scheduler.add_job(
            self.jobs.publish_due,
            id="publish",
            replace_existing=True,
            next_run_time=datetime.now(UTC),
        )

    def request_refresh(self, shift_id: int) -> None:
        if self._scheduler is None:
            self._refresh_requested.add(shift_id)
            return
        self._scheduler.add_job(
            self.jobs.refresh,
            args=[shift_id],
            id=f"refresh:{shift_id}",
            replace_existing=True,
            next_run_time=datetime.now(UTC) + REFRESH_DELAY,
        )

    async def deliver(self, notification_ids: list[int]) -> None:
        if notification_ids:
            await self.dispatcher.run(ids=notification_ids)

    async def run_pending(self) -> None:
        """Run what was requested (when not automatic): tests call this."""
        if self._publish_requested:
            self._publish_requested = False
            await self.jobs.publish_due()
        while self._refresh_requested:
            await self.jobs.refresh(self._refresh_requested.pop())
        await self.dispatcher.run()
