"""Resolving a report in chat: the after photo first, then an optional note. Kept as a
draft so a restart between the two loses nothing."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Person, Report, ReportStatus
from services import drafts, reports
from services.errors import PermissionDenied, StaleAction
from services.reports import PhotoInput

FLOW = "reportfix"
PHOTO, NOTE = "photo", "note"
MAX_AFTER_PHOTOS = 3


async def begin(session: AsyncSession, person: Person, report: Report, *, now: datetime) -> None:
    if not await reports.may_resolve(session, person, report):
        raise PermissionDenied()
    if report.status not in (
        ReportStatus.ACCEPTED,
        ReportStatus.ASSIGNED,
        ReportStatus.IN_PROGRESS,
    ):
        raise StaleAction()
    await drafts.save(
        session, person.id, FLOW, step=PHOTO, data={"report": report.id, "photos": []}, now=now
    )


async def step_of(session: AsyncSession, person: Person) -> tuple[str, int] | None:
    """The step ("photo" or "note") and the report, when resolving one."""
    draft = await drafts.load(session, person.id, FLOW)
    return (draft.step, int(draft.data["report"])) if draft else None


async def add_photo(
    session: AsyncSession, person: Person, photo: PhotoInput, *, now: datetime
) -> int:
    """One after photo (up to three); returns the report's id. The note comes next."""
    draft = await drafts.load(session, person.id, FLOW)
    if draft is None:
        raise StaleAction()
    data = dict(draft.data)
    entry = {
        "file_id": photo.file_id,
        "channel": photo.channel,
        "path": photo.local_path,
        "size": photo.size_bytes,
    }
    data["photos"] = [*data["photos"], entry][:MAX_AFTER_PHOTOS]
    await drafts.save(session, person.id, FLOW, step=NOTE, data=data, now=now)
    return int(data["report"])


async def finish(
    session: AsyncSession, person: Person, note: str | None, *, now: datetime
) -> Report:
    draft = await drafts.load(session, person.id, FLOW)
    if draft is None or draft.step != NOTE:
        raise StaleAction()
    report = await reports.get_report(session, int(draft.data["report"]))
    photos = [
        PhotoInput(
            file_id=p["file_id"],
            channel=p.get("channel", "telegram"),
            local_path=p.get("path"),
            size_bytes=p.get("size"),
        )
        for p in draft.data["photos"]
    ]
    await reports.resolve(session, report, person, photos=photos, note=note, now=now)
    await drafts.discard(session, person.id, FLOW)
    return report
