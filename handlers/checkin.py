"""Checking in and out at a post: by scanning its QR code or sharing one's location."""

from __future__ import annotations

from telegram import Update

from handlers.common import Message, Response, Work
from services import attendance
from services.attendance import CheckResult
from services.errors import TooFar
from services.i18n import format_duration, render
from services.shifts import shift_label


def _minutes_there(result: CheckResult) -> int:
    record = result.attendance
    return int((record.checked_out_at - record.checked_in_at).total_seconds() // 60)


def checked(w: Work, result: CheckResult) -> Response:
    zone = w.deps.settings.bot.zone
    label = shift_label(result.shift, w.deps.settings.shifts, zone, result.post).localize(w.tr)
    record = result.attendance
    if result.checked_in:
        text = w.tr(
            "✅ Checked in at {time}: {shift}. Have a good shift! When you leave, scan the "
            "code or share your location again to check out."
        ).format(time=f"{record.checked_in_at.astimezone(zone):%H:%M}", shift=label)
    else:
        text = w.tr(
            "👋 Checked out at {time}: {shift}. You were there {duration}. Thank you!"
        ).format(
            time=f"{record.checked_out_at.astimezone(zone):%H:%M}",
            shift=label,
            duration=format_duration(w.tr, _minutes_there(result)),
        )
    return Response(messages=[Message(text)])


async def by_code(w: Work, code: str) -> Response:
    result = await attendance.check_by_post_code(
        w.session,
        w.person,
        code,
        settings=w.deps.settings.shifts,
        zone=w.deps.settings.bot.zone,
        now=w.now,
    )
    return checked(w, result)


async def by_location(w: Work, update: Update) -> Response:
    location = update.message.location
    try:
        result = await attendance.check_by_location(
            w.session,
            w.person,
            location.latitude,
            location.longitude,
            settings=w.deps.settings.shifts,
            zone=w.deps.settings.bot.zone,
            now=w.now,
        )
    except TooFar as far:
        # Say how far, and show where the post is so they can walk there.
        return Response(
            messages=[Message(render(w.tr, far.message, far.params))],
            location=(far.params["latitude"], far.params["longitude"]),
        )
    return checked(w, result)
