"""An issued certificate reaches its holder, whichever channel approved it: the PDF
itself where the chat takes files (Telegram), else a download link through the outbox
(WeChat), else the serial alone, which anyone can verify."""

from __future__ import annotations

import logging

from models import Certificate, CertificateStatus
from models.db import SessionFactory
from services import certificate_files, outbox
from services.clock import Clock
from services.file_links import FileLinks
from services.i18n import Catalogs
from services.notifier import Notifier
from services.settings import Settings

log = logging.getLogger(__name__)


class CertificateDelivery:
    def __init__(
        self,
        settings: Settings,
        session_factory: SessionFactory,
        notifier: Notifier,
        clock: Clock,
        *,
        catalogs: Catalogs,
        links: FileLinks | None,
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.notifier = notifier
        self.clock = clock
        self.catalogs = catalogs
        self.links = links

    async def deliver(self, certificate_id: int) -> int | None:
        """Send the PDF, or write the link notice; returns that notification's id."""
        async with self.session_factory() as session:
            certificate = await session.get(Certificate, certificate_id)
            if certificate is None or certificate.status != CertificateStatus.ISSUED:
                return None
            filename, content = await certificate_files.certificate_pdf(
                session, certificate, settings=self.settings, catalogs=self.catalogs
            )
        sent = await self.notifier.send_document(
            certificate.person_id, filename, content, certificate_files.issued_notice(certificate)
        )
        if sent is not None:
            return None
        async with self.session_factory.begin() as session:
            # Keyed by the certificate: asked twice (a retry), written once.
            return await outbox.enqueue(
                session,
                certificate_files.link_notice(certificate, self.links),
                catalogs=self.catalogs,
                now=self.clock.now(),
                person_id=certificate.person_id,
                key=f"certificate:{certificate.id}",
                kind="certificate",
            )
