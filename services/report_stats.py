"""Report statistics for a period: by category and grid, open vs resolved, and the
median times to accept and to resolve.

Medians are taken in Python over the period's rows (statistics.median): a street
office has hundreds of reports a month, and SQLite has no percentile function.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import OPEN_STATUSES, Report, ReportStatus


@dataclass(frozen=True)
class ReportStats:
    total: int
    open: int
    resolved: int  # resolved or closed after handling
    rejected: int
    duplicate: int
    by_category: dict[str, int]
    by_grid: dict[int | None, int]
    median_to_accept: timedelta | None
    median_to_resolve: timedelta | None


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=median(v.total_seconds() for v in values))


async def report_stats(
    session: AsyncSession, *, start: datetime, end: datetime, grid_ids: list[int] | None
) -> ReportStats:
    """Reports created in [start, end); grid_ids None means every grid and triage."""
    query = select(Report).where(Report.created_at >= start, Report.created_at < end)
    if grid_ids is not None:
        query = query.where(col(Report.grid_id).in_(grid_ids))
    rows = list((await session.exec(query)).all())
    statuses = Counter(r.status for r in rows)
    resolved = [r for r in rows if r.status in (ReportStatus.RESOLVED, ReportStatus.CLOSED)]
    return ReportStats(
        total=len(rows),
        open=sum(statuses[s] for s in OPEN_STATUSES),
        resolved=len(resolved),
        rejected=statuses[ReportStatus.REJECTED],
        duplicate=statuses[ReportStatus.DUPLICATE],
        by_category=dict(Counter(r.category for r in rows)),
        by_grid=dict(Counter(r.grid_id for r in rows)),
        median_to_accept=_median([r.accepted_at - r.created_at for r in rows if r.accepted_at]),
        median_to_resolve=_median(
            [r.resolved_at - r.created_at for r in resolved if r.resolved_at]
        ),
    )
