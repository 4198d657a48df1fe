"""Named reporting periods (this month, last year…) as date ranges."""

from __future__ import annotations

from datetime import date, timedelta

from services.i18n import N_

PERIODS = {
    "tm": N_("This month"),
    "lm": N_("Last month"),
    "ty": N_("This year"),
    "ly": N_("Last year"),
}


def period_bounds(code: str, today: date) -> tuple[date, date] | None:
    """Inclusive first and last day of a named period, or None for an unknown name."""
    first_of_month = today.replace(day=1)
    if code == "tm":
        following = (first_of_month + timedelta(days=32)).replace(day=1)
        return first_of_month, following - timedelta(days=1)
    if code == "lm":
        end = first_of_month - timedelta(days=1)
        return end.replace(day=1), end
    if code == "ty":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if code == "ly":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    return None
