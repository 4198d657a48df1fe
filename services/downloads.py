"""The file a download link names, made when the link is opened (services/file_links)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Certificate, CertificateStatus, Person
from services import certificate_files
from services.errors import DomainError
from services.exports import export_ledger
from services.file_links import FileRef
from services.i18n import Catalogs
from services.settings import Settings

PDF = "application/pdf"
EXPORT_FILE = "export"
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}


@dataclass(frozen=True)
class Download:
    filename: str
    content: bytes
    media_type: str


async def file_for(
    session: AsyncSession, ref: FileRef, *, settings: Settings, catalogs: Catalogs
) -> Download | None:
    """The file, or None when it is no longer there (a certificate withdrawn…)."""
    if ref.kind == certificate_files.CERTIFICATE_FILE and ref.ref.isdigit():
        certificate = await session.get(Certificate, int(ref.ref))
        if (
            certificate is None
            or certificate.person_id != ref.person_id
            or certificate.status != CertificateStatus.ISSUED
        ):
            return None
        name, content = await certificate_files.certificate_pdf(
            session, certificate, settings=settings, catalogs=catalogs
        )
        return Download(name, content, PDF)
    if ref.kind == EXPORT_FILE:
        return await _export(session, ref, settings=settings, catalogs=catalogs)
    return None


def export_ref(
    person_id: int, *, start: date, end: date, team_id: int | None, fmt: str, language: str
) -> FileRef:
    """An export as it was asked for: the period's dates are fixed when it is asked."""
    parts = [start.isoformat(), end.isoformat(), str(team_id or 0), fmt, language]
    return FileRef(EXPORT_FILE, ":".join(parts), person_id)


async def _export(
    session: AsyncSession, ref: FileRef, *, settings: Settings, catalogs: Catalogs
) -> Download | None:
    """Made with the asker's rights as they are now: a leader who no longer leads the
    team gets nothing."""
    start, end, team_id, fmt, language = ref.ref.split(":")
    actor = await session.get(Person, ref.person_id)
    if actor is None or fmt not in MEDIA_TYPES:
        return None
    try:
        exported = await export_ledger(
            session,
            actor,
            start=date.fromisoformat(start),
            end=date.fromisoformat(end),
            team_id=int(team_id) or None,
            fmt=fmt,
            tr=catalogs.translator(language),
            zone=settings.bot.zone,
            number_prefix=settings.organisation.volunteer_number_prefix,
            shift_settings=settings.shifts,
        )
    except DomainError:  # not allowed any more, or the team is gone
        return None
    return Download(exported.filename, exported.content, MEDIA_TYPES[fmt])
