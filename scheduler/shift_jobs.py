"""Scheduled work for shifts, derived from the database each time it runs:
keep recurring shifts generated, close ended shifts, announce due shifts, and
keep announcements' counts current. Running a job twice does no harm."""

from __future__ import annotations

import asyncio
import logging

from models import Post
from models.db import SessionFactory
from services import announcements, attendance, care, identity, outbox, reminders, shifts
from services.clock import Clock
from services.i18n import N_, Catalogs
from services.notifier import Delivery, Notice, Notifier
from services.report_sla import plan_report_sla
from services.settings import Settings
from services.shift_cards import announcement
from services.shifts import shift_label
from services.teams import leader_ids

log = logging.getLogger(__name__)


class ShiftJobs:
    def __init__(
        self,
        settings: Settings,
        session_factory: SessionFactory,
        notifier: Notifier,
        clock: Clock,
        *,
        catalogs: Catalogs,
        channel: str = identity.TELEGRAM,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.notifier = notifier
        self.clock = clock
        self.catalogs = catalogs
        self.channel = channel
        self.zone = settings.bot.zone
        self._publishing = asyncio.Lock()

    async def maintenance(self) -> None:
        now = self.clock.now()
        async with self.session_factory.begin() as session:
            created = await shifts.top_up_templates(session, settings=self.settings.shifts, now=now)
        if created:
            log.info("generated %d recurring shifts", len(created))
        async with self.session_factory.begin() as session:
            closed = await attendance.close_ended(
                session,
                settings=self.settings.shifts,
                ledger=self.settings.ledger,
                zone=self.zone,
                now=now,
            )
            for item in closed:  # the notice is written with the close: both or neither
                await self._ask_leaders_to_review(session, item, now)
        for item in closed:
            await self.refresh(item.shift.id)
        async with self.session_factory.begin() as session:
            moment = reminders.Moment(self.settings, self.catalogs, now)
            planned = await reminders.plan_all(session, moment)
            planned += await care.plan_care(session, moment)
            planned += await plan_report_sla(session, moment)
        if planned:
            log.info("planned %d reminders and alerts", planned)
        await self.publish_due()

    async def publish_due(self) -> None:
        async with self._publishing:
            async with self.session_factory() as session:
                due = await announcements.due(
                    session, settings=self.settings.shifts, now=self.clock.now()
                )
            for shift_id in due:
                await self._publish(shift_id)

    async def _publish(self, shift_id: int) -> None:
        async with self.session_factory() as session:
            info = await shifts.info(session, shift_id)
            audience = await announcements.audience(session, info.shift, channel=self.channel)
            done = await announcements.sent_chats(session, shift_id, self.channel)
            done_people = await announcements.sent_people(session, shift_id, self.channel)
        notice = announcement(info, self.settings.shifts, self.zone)
        for person_id in audience.people:
            if person_id not in done_people:
                await self._record(
                    info.shift, await self.notifier.notify(person_id, notice), person_id
                )
        if audience.group_chat_id and audience.group_chat_id not in done:
            delivery = await self.notifier.post(
                audience.group_chat_id, notice, language=self.settings.bot.default_language
            )
            await self._record(info.shift, delivery, None)
        async with self.session_factory.begin() as session:
            elsewhere = await announcements.audience_elsewhere(
                session, info.shift, channel=self.channel
            )
            for person_id in elsewhere:  # the same key twice is written once
                await outbox.enqueue(
                    session,
                    notice,
                    catalogs=self.catalogs,
                    now=self.clock.now(),
                    person_id=person_id,
                    key=f"announce:{shift_id}:{person_id}",
                    kind="announcement",
                )
            await announcements.mark_announced(session, shift_id, now=self.clock.now())
        log.info(
            "announced shift %s to %d people (%d more through the outbox)",
            shift_id,
            len(audience.people),
            len(elsewhere),
        )

    async def _record(self, shift, delivery: Delivery | None, person_id: int | None) -> None:
        if delivery is None:
            return
        async with self.session_factory.begin() as session:
            await announcements.record(
                session,
                shift,
                channel=delivery.channel,
                chat_id=delivery.chat_id,
                message_id=delivery.message_id,
                person_id=person_id,
                now=self.clock.now(),
            )

    async def refresh(self, shift_id: int) -> None:
        """Edit every announcement of the shift that shows an older state."""
        async with self.session_factory() as session:
            stale = await announcements.out_of_date(session, shift_id)
            if not stale:
                return
            info = await shifts.info(session, shift_id)
            languages = {
                row.person_id: await identity.language_of_person(session, row.person_id)
                for row in stale
                if row.person_id
            }
        notice = announcement(info, self.settings.shifts, self.zone)
        for row in stale:
            language = languages.get(row.person_id) or self.settings.bot.default_language
            await self.notifier.edit(
                Delivery(row.channel, row.chat_id, row.message_id), notice, language=language
            )
            # Marked even when the edit failed (message deleted): no endless retries.
            async with self.session_factory.begin() as session:
                await announcements.mark_shown(session, row.id, info.shift.version)

    async def _ask_leaders_to_review(self, session, item: attendance.Closed, now) -> None:
        if not (item.needs_review or item.absent) or item.shift.team_id is None:
            return
        post = await session.get(Post, item.shift.post_id) if item.shift.post_id else None
        notice = Notice(
            N_(
                "Shift over: {shift}. {unchecked} did not check out and {absent} did not "
                "check in. Please review them with /roster."
            ),
            {
                "shift": shift_label(item.shift, self.settings.shifts, self.zone, post),
                "unchecked": item.needs_review,
                "absent": item.absent,
            },
        )
        for leader in await leader_ids(session, item.shift.team_id):
            await outbox.enqueue(
                session,
                notice,
                catalogs=self.catalogs,
                now=now,
                person_id=leader,
                key=f"closed:{item.shift.id}:{leader}",
                kind="review",
            )
