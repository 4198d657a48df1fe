"""Runs the jobs: on APScheduler in the bot, or by hand (with a chosen clock) in tests.

APScheduler only decides *when*; what is due is read from the database on every
run, so nothing is lost with the in-memory job store when the bot restarts.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from scheduler.broadcast_progress import BroadcastProgress
from scheduler.certificate_delivery import CertificateDelivery
from scheduler.dispatch import Dispatcher
from scheduler.housekeeping import housekeeping
from scheduler.shift_jobs import ShiftJobs

log = logging.getLogger(__name__)

MAINTENANCE_EVERY = timedelta(minutes=1)
# Notifications written by scheduled jobs go out this often (handlers send theirs at once).
DISPATCH_EVERY = timedelta(seconds=10)
# Notifications claimed at a time: at 30 a second, about seven seconds of sending.
DISPATCH_BATCH = 200
HOUSEKEEPING_EVERY = timedelta(hours=1)
# Announcement edits wait this long, so a burst of sign-ups costs one edit each.
REFRESH_DELAY = timedelta(seconds=2)


class JobRunner:
    def __init__(
        self,
        jobs: ShiftJobs,
        dispatcher: Dispatcher,
        *,
        automatic: bool = True,
        progress: BroadcastProgress | None = None,
        certificates: CertificateDelivery | None = None,
    ) -> None:
        self.jobs = jobs
        self.certificates = certificates
        self.dispatcher = dispatcher
        self.progress = progress
        self._dispatching = False
        self._dispatch_wanted = False
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
            self.dispatch,
            "interval",
            seconds=DISPATCH_EVERY.total_seconds(),
            id="dispatch",
            coalesce=True,
            # A tick during a long broadcast only asks the running loop to go on.
            max_instances=2,
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

    def request_dispatch(self) -> None:
        if self._scheduler is None:
            return  # run_pending dispatches anyway
        self._scheduler.add_job(
            self.dispatch,
            id="dispatch-now",
            replace_existing=True,
            next_run_time=datetime.now(UTC),
            max_instances=2,  # while a loop runs, this only asks it to look once more
        )

    async def dispatch(self) -> None:
        """Send everything due, batch after batch, and keep broadcasts' progress messages
        current. One loop at a time; a call while it runs makes it look once more."""
        self._dispatch_wanted = True
        if self._dispatching:
            return
        self._dispatching = True
        try:
            while self._dispatch_wanted:
                self._dispatch_wanted = False
                while True:
                    # Each claim takes urgent and ordinary notifications before the rest
                    # of a broadcast, so they wait for one batch at most.
                    result = await self.dispatcher.run(limit=DISPATCH_BATCH)
                    if self.progress is not None:
                        await self.progress.update()
                    if result.claimed < DISPATCH_BATCH:
                        break
        finally:
            self._dispatching = False

    async def deliver_certificate(self, certificate_id: int) -> None:
        if self.certificates is None:
            return
        notification_id = await self.certificates.deliver(certificate_id)
        if notification_id is not None:
            await self.deliver([notification_id])

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
        await self.dispatch()
