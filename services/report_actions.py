"""Each step of handling a report together with whom it tells: one place for both chat
channels (Telegram buttons, WeChat numbers). Each returns the notices to send; the
caller writes them to the outbox in the same transaction."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Grid, Person, Report
from services import report_fix, report_views, reports
from services.i18n import N_
from services.notifier import Notice
from services.report_labels import ticket
from services.settings import Settings

Outgoing = list[tuple[int, Notice, dict]]


async def _followers(
    session: AsyncSession,
    report: Report,
    action: str,
    actor: Person,
    settings: Settings,
    grid: Grid | None = None,
) -> Outgoing:
    return await report_views.follower_notices(
        session, report, action, settings=settings.reports, actor_id=actor.id, grid=grid
    )


async def accept(
    session: AsyncSession, report: Report, actor: Person, *, settings: Settings, now: datetime
) -> Outgoing:
    await reports.accept(session, report, actor, now=now)
    return await _followers(session, report, "accepted", actor, settings)


async def assign(
    session: AsyncSession,
    report: Report,
    actor: Person,
    volunteer_id: int,
    *,
    settings: Settings,
    now: datetime,
) -> Outgoing:
    previous = report.assignee_id
    await reports.assign(session, report, actor, volunteer_id=volunteer_id, now=now)
    outgoing: Outgoing = []
    if previous is not None and previous != volunteer_id:
        released = Notice(
            N_("Report {ticket} has been given to another volunteer; no need to go."),
            {"ticket": ticket(report.id)},
        )
        outgoing.append((previous, released, {}))
    notice, options = await report_views.task_notice(session, report, settings)
    outgoing.append((volunteer_id, notice, options))
    return outgoing + await _followers(session, report, "assigned", actor, settings)


async def mark_duplicate(
    session: AsyncSession,
    report: Report,
    actor: Person,
    original_id: int,
    *,
    settings: Settings,
    now: datetime,
) -> tuple[Report, Outgoing]:
    original, _ = await reports.mark_duplicate(
        session, report, actor, original_id=original_id, now=now
    )
    return original, await _followers(session, report, "merged", actor, settings)


async def reject(
    session: AsyncSession,
    report: Report,
    actor: Person,
    reason: str,
    *,
    settings: Settings,
    now: datetime,
) -> Outgoing:
    await reports.reject(session, report, actor, reason=reason, now=now)
    return await _followers(session, report, "rejected", actor, settings)


async def route_to_grid(
    session: AsyncSession,
    report: Report,
    actor: Person,
    grid_id: int,
    *,
    settings: Settings,
    now: datetime,
) -> Outgoing:
    """A triaged report placed in a grid: its handlers get it as new."""
    await reports.route_to_grid(session, report, actor, grid_id=grid_id, now=now)
    grid = await session.get(Grid, report.grid_id)
    outgoing: Outgoing = []
    for person_id in await reports.handler_ids(session, report):
        if person_id != actor.id:
            notice, options = await report_views.handler_notice(
                session,
                report,
                settings,
                recipient_id=person_id,
                headline=report_views.NEW_REPORT,
            )
            outgoing.append((person_id, notice, options))
    return outgoing + await _followers(session, report, "routed", actor, settings, grid)


async def start_work(
    session: AsyncSession, report: Report, actor: Person, *, settings: Settings, now: datetime
) -> Outgoing:
    await reports.start_work(session, report, actor, now=now)
    return await _followers(session, report, "started", actor, settings)


async def finish_resolving(
    session: AsyncSession,
    actor: Person,
    note: str | None,
    *,
    settings: Settings,
    now: datetime,
) -> tuple[Report, Outgoing]:
    """The note after the after photo: resolved, and the reporter gets the photo."""
    report = await report_fix.finish(session, actor, note, now=now)
    return report, await _followers(session, report, "resolved", actor, settings)


async def confirm(
    session: AsyncSession, report: Report, person: Person, *, now: datetime
) -> Outgoing:
    await reports.confirm(session, report, person, now=now)
    return report_views.confirmed_notices(report)


async def reopen(
    session: AsyncSession, report: Report, person: Person, *, settings: Settings, now: datetime
) -> Outgoing:
    await reports.reopen(session, report, person, settings=settings.reports, now=now)
    return await report_views.reopened_notices(session, report, settings)
