"""Checking in and out at a post: by scanning its QR code or sharing one's location."""

from __future__ import annotations

from telegram import Update

from handlers.common import Message, Response, Work
from services import attendance
from services.attendance import CheckResult, check_text
from services.errors import TooFar
from services.i18n import render


def checked(w: Work, result: CheckResult) -> Response:
    return Response(messages=[Message(check_text(w.tr, result, w.deps.settings))])


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
