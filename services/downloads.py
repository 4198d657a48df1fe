"""The file a download link names, made when the link is opened (services/file_links)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Certificate, CertificateStatus
from services import certificate_files
from services.file_links import FileRef
from services.i18n import Catalogs
from services.settings import Settings

PDF = "application/pdf"


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
    return None
