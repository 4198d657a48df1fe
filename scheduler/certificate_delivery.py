"""An issued certificate reaches its holder, whichever channel approved it: the PDF
itself where the chat takes files (Telegram), else the download link (WeChat), else the
serial alone, which anyone can verify. The link notice was written with the issuing
(services/certificate_files.queue_delivery): it is cancelled once the PDF is sent, and
otherwise goes out, so a failure or a restart here loses nothing."""

from __future__ import annotations

import logging

from models import Certificate, CertificateStatus
from models.db import SessionFactory
from services import certificate_files, identity, outbox
from services.clock import Clock
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
    ) -> None:
        self.settings = settings
        self.session_factory = session_factory
        self.notifier = notifier
        self.clock = clock
        self.catalogs = catalogs

    async def deliver(self, certificate_id: int) -> int | None:
        """Send the PDF; else make the link notice due now and return its id."""
        try:
            if await self._send_pdf(certificate_id):
                async with self.session_factory.begin() as session:
                    await outbox.cancel_pending(
                        session, certificate_files.delivery_key(certificate_id)
                    )
                return None
        except Exception:  # the link notice stands in; nothing else to undo
            log.exception("certificate %s: the PDF could not be sent", certificate_id)
        async with self.session_factory.begin() as session:
            return await outbox.make_due(
                session, certificate_files.delivery_key(certificate_id), now=self.clock.now()
            )

    async def _send_pdf(self, certificate_id: int) -> bool:
        async with self.session_factory() as session:
            certificate = await session.get(Certificate, certificate_id)
            if certificate is None or certificate.status != CertificateStatus.ISSUED:
                return False
            account = await identity.identity_of(session, certificate.person_id, identity.TELEGRAM)
            if account is None or not account.reachable:
                return False  # no chat that takes files: the link it is
            filename, content = await certificate_files.certificate_pdf(
                session, certificate, settings=self.settings, catalogs=self.catalogs
            )
        sent = await self.notifier.send_document(
            certificate.person_id, filename, content, certificate_files.issued_notice(certificate)
        )
        return sent is not None
