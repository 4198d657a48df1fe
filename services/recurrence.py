"""Recurring shifts: RFC 5545 rules (python-dateutil's rrule) on local wall-clock time.

Occurrences are computed as local dates and times in the template's zone and
only then converted to UTC, so "every Friday 08:30" stays 08:30 local across
daylight-saving changes. A wall time that a DST change skips is taken as the
same moment one hour later on the clock (Python's fold=0 rule).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr

_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class Repeat(StrEnum):
    ONCE = "once"
    WEEKLY = "weekly"  # on the first date's weekday
    WEEKDAYS = "weekdays"  # Monday to Friday
    DAILY = "daily"


def rule_for(repeat: Repeat, first_date: date) -> str | None:
    if repeat is Repeat.WEEKLY:
        return f"FREQ=WEEKLY;BYDAY={_WEEKDAYS[first_date.weekday()]}"
    if repeat is Repeat.WEEKDAYS:
        return "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"
    if repeat is Repeat.DAILY:
        return "FREQ=DAILY"
    return None


def repeat_of(rule: str) -> Repeat:
    """The pattern a stored rule was made from (for showing it)."""
    if rule == "FREQ=DAILY":
        return Repeat.DAILY
    if rule == "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR":
        return Repeat.WEEKDAYS
    return Repeat.WEEKLY


@dataclass(frozen=True)
class Occurrence:
    local_date: date
    starts_at: datetime  # UTC
    ends_at: datetime  # UTC


def to_utc(local_date: date, local_time: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(local_date, local_time, tzinfo=zone).astimezone(UTC)


def occurrences(
    rule: str,
    *,
    first_date: date,
    start_time: time,
    duration: timedelta,
    zone: ZoneInfo,
    start_from: datetime,
    until: datetime,
    skipped: frozenset[date] = frozenset(),
) -> list[Occurrence]:
    """Occurrences starting in [start_from, until] (aware datetimes), minus skipped dates."""
    recurrence = rrulestr(rule, dtstart=datetime.combine(first_date, start_time))
    # Search a day wider on each side in local terms, then filter exactly in UTC.
    lower = start_from.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    upper = until.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    found = []
    for local in recurrence.between(lower, upper, inc=True):
        if local.date() in skipped:
            continue
        starts_at = to_utc(local.date(), local.time(), zone)
        if start_from <= starts_at <= until:
            found.append(Occurrence(local.date(), starts_at, starts_at + duration))
    return found
