"""A volunteer's shifts as an iCalendar file (RFC 5545), via the icalendar library."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event, vGeo

from models import Post, Shift
from services.i18n import Translator
from services.settings import ShiftSettings
from services.shift_cards import kind_label


def shifts_calendar(
    rows: list[tuple[Shift, Post | None]],
    *,
    settings: ShiftSettings,
    tr: Translator,
    organisation: str,
    now: datetime,
    domain: str = "civic-volunteer-bot",
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", f"-//{domain}//shifts//")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", organisation)
    for shift, post in rows:
        event = Event()
        # Stable per shift, so re-importing updates rather than duplicates.
        event.add("uid", f"shift-{shift.id}@{domain}")
        event.add("dtstamp", now)
        event.add("dtstart", shift.starts_at)
        event.add("dtend", shift.ends_at)
        event.add("summary", f"{kind_label(settings, shift.kind, tr)} · {organisation}")
        if post is not None:
            event.add("location", f"{post.name}, {post.address}")
            event.add("geo", vGeo((post.latitude, post.longitude)))
        calendar.add_component(event)
    return calendar.to_ical()
