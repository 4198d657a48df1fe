"""The clock's part in reports: escalation of unaccepted reports, closing after the
reporter's confirm window."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Person
from services import outbox, report_views, reports
from services.i18n import N_
from services.reminders import Moment

ESCALATED = N_("⏰ Not accepted in time: please see to it.")


async def plan_report_sla(session: AsyncSession, at: Moment) -> int:
    """Tell the admins once about each report nobody accepted in time; close resolved
    reports whose reporter did not reopen them in time. Returns notices written."""
    settings = at.settings
    written = 0
    admins = (await session.exec(select(Person.id).where(Person.is_admin.is_(True)))).all()
    for report in await reports.unaccepted_overdue(session, settings=settings.reports, now=at.now):
        for admin_id in admins:
            notice, options = await report_views.handler_notice(
                session, report, settings, recipient_id=admin_id, headline=ESCALATED
            )
            written += (
                await outbox.enqueue(
                    session,
                    notice,
                    catalogs=at.catalogs,
                    now=at.now,
                    person_id=admin_id,
                    key=f"report-escalated:{report.id}:{admin_id}",
                    kind="report",
                    **options,
                )
                is not None
            )
        await reports.mark_escalated(session, report, now=at.now)
    await reports.close_confirm_window(session, settings=settings.reports, now=at.now)
    return written
