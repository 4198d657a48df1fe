"""Report statistics for admins and grid officers: counts by category and grid, open
vs resolved, median times to accept and resolve."""

from __future__ import annotations

from datetime import timedelta

from handlers.common import Message, Response, Work, button, keyboard
from models import Grid
from services import report_stats, reports
from services.errors import PermissionDenied
from services.i18n import format_date, format_duration
from services.org import place_label
from services.report_labels import CategoryLabel
from services.roles import Role, roles_of

PERIODS = (7, 30, 90)


def _duration(w: Work, value: timedelta | None) -> str:
    if value is None:
        return "—"
    return format_duration(w.tr, max(1, round(value.total_seconds() / 60)))


async def stats_message(w: Work, *, days: int) -> Response:
    if days not in PERIODS:
        days = PERIODS[0]
    roles = await roles_of(w.session, w.person)
    if not roles & {Role.GRID_OFFICER, Role.ADMIN}:
        raise PermissionDenied()
    grid_ids = None if w.person.is_admin else await reports.officer_grid_ids(w.session, w.person.id)
    end = w.now
    start = end - timedelta(days=days)
    stats = await report_stats.report_stats(w.session, start=start, end=end, grid_ids=grid_ids)
    tr, settings = w.tr, w.deps.settings
    zone = settings.bot.zone
    lines = [
        tr("📊 Reports {start} – {end}").format(
            start=format_date(start.astimezone(zone).date(), tr.language),
            end=format_date(end.astimezone(zone).date(), tr.language),
        ),
        tr(
            "Total {total} · open {open} · resolved {resolved} · rejected {rejected} · "
            "duplicates {duplicate}"
        ).format(
            total=stats.total,
            open=stats.open,
            resolved=stats.resolved,
            rejected=stats.rejected,
            duplicate=stats.duplicate,
        ),
        tr("Median time to accept: {accept} · to resolve: {resolve}").format(
            accept=_duration(w, stats.median_to_accept),
            resolve=_duration(w, stats.median_to_resolve),
        ),
    ]
    if stats.by_category:
        lines.append(tr("By category:"))
        for code, count in sorted(stats.by_category.items(), key=lambda item: -item[1]):
            label = CategoryLabel(settings.reports, code).localize(tr)
            lines.append(f"  {label}: {count}")
    if stats.by_grid:
        lines.append(tr("By grid:"))
        for grid_id, count in sorted(stats.by_grid.items(), key=lambda item: -item[1]):
            grid = await w.session.get(Grid, grid_id) if grid_id else None
            name = place_label(grid, tr.language) if grid else tr("triage queue (no grid yet)")
            lines.append(f"  {name}: {count}")
    row = [
        button(("• " if d == days else "") + tr("{days} days").format(days=d), f"rp:stats:{d}")
        for d in PERIODS
    ]
    return Response(messages=[Message("\n".join(lines), keyboard([row]))])
