"""A certificate request and its outcome in words, and an issued certificate as a file,
for every channel: the periods one can ask for, whom a request asks, what the volunteer
is told, and the PDF itself (services/certificates holds the rules and the layout)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Certificate, CertificateStatus, Volunteer
from services import certificates, outbox
from services.file_links import FileLinks, FileRef
from services.i18n import N_, Catalogs, Translator, format_duration
from services.identity import language_of_person
from services.notifier import Action, Notice
from services.profile import real_name
from services.settings import Settings

PERIODS = {"ty": N_("This year"), "ly": N_("Last year"), "all": N_("All my service")}
# A leader typing why a certificate is declined (both channels read this draft).
DECLINE_FLOW = "certdecline"
CERTIFICATE_FILE = "certificate"


def period_bounds(code: str, today: date) -> tuple[date, date] | None:
    if code == "ty":
        return date(today.year, 1, 1), today
    if code == "ly":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if code == "all":
        return date(2000, 1, 1), today
    return None


async def approval_notices(session: AsyncSession, asked: Certificate) -> list[tuple[int, Notice]]:
    """The request, with Issue / Decline, for each leader or admin who may decide it."""
    who = await real_name(session, asked.person_id)
    notice = Notice(
        N_("📄 {name} asks for a service certificate for {start} – {end}."),
        {"name": who, "start": asked.period_start.isoformat(), "end": asked.period_end.isoformat()},
        actions=(
            (
                Action(N_("✅ Issue"), f"ct:ok:{asked.id}"),
                Action(N_("❌ Decline"), f"ct:no:{asked.id}"),
            ),
        ),
    )
    return [(p, notice) for p in await certificates.certificate_approvers(session, asked)]


def declined_notice(declined: Certificate) -> Notice:
    return Notice(
        N_("Your certificate request was declined: {reason}"), {"reason": declined.decision_note}
    )


@dataclass(frozen=True)
class Duration:
    minutes: int

    def localize(self, tr: Translator) -> str:
        return format_duration(tr, self.minutes)


def issued_notice(issued: Certificate, link: str | None = None) -> Notice:
    """What the volunteer reads with the certificate (the caption of the PDF on Telegram,
    or with a download link where the file itself cannot be sent)."""
    params = {"duration": Duration(issued.minutes or 0), "serial": issued.serial, "link": link}
    if link is None:
        return Notice(
            N_("📄 Your service certificate: {duration} of volunteer service. Serial {serial}."),
            params,
        )
    return Notice(
        N_(
            "📄 Your service certificate: {duration} of volunteer service. Serial {serial}.\n"
            "Download the PDF (the link works for 7 days): {link}"
        ),
        params,
    )


def link_notice(issued: Certificate, links: FileLinks | None) -> Notice:
    """The issued certificate as a download link, for a chat that cannot take the file
    (without a configured web address: the serial alone, which anyone can verify)."""
    if links is None:
        return issued_notice(issued)
    ref = FileRef(CERTIFICATE_FILE, str(issued.id), issued.person_id)
    return issued_notice(issued, links.url(ref))


# The link notice waits this long for the PDF to go out on a chat that takes files; if
# the bot stops before, the notice still goes (nothing is lost on a restart).
DELIVERY_GRACE = timedelta(minutes=2)


def delivery_key(certificate_id: int) -> str:
    return f"certificate:{certificate_id}:link"


async def queue_delivery(
    session: AsyncSession,
    issued: Certificate,
    *,
    links: FileLinks | None,
    catalogs: Catalogs,
    now: datetime,
) -> None:
    """In the issuing transaction: the link notice, held back a moment as the fallback of
    the PDF (scheduler/certificate_delivery.py sends one or the other)."""
    await outbox.enqueue(
        session,
        link_notice(issued, links),
        catalogs=catalogs,
        now=now,
        person_id=issued.person_id,
        key=delivery_key(issued.id),
        kind="certificate",
        due_at=now + DELIVERY_GRACE,
    )


async def certificate_pdf(
    session: AsyncSession, certificate: Certificate, *, settings: Settings, catalogs: Catalogs
) -> tuple[str, bytes]:
    """The issued certificate as a PDF in its holder's language, and its file name."""
    if certificate.status != CertificateStatus.ISSUED:
        raise ValueError(f"certificate {certificate.id} has not been issued")
    volunteer = await session.get_one(Volunteer, certificate.person_id)
    language = (
        await language_of_person(session, certificate.person_id) or settings.bot.default_language
    )
    tr = catalogs.translator(language)
    kinds = settings.shifts
    # Rendering takes a noticeable moment (font subsetting): off the event loop.
    content = await asyncio.to_thread(
        certificates.render_pdf,
        certificate,
        volunteer,
        tr=tr,
        number_prefix=settings.organisation.volunteer_number_prefix,
        activity_label=lambda code: (
            kinds.kind(code).label(tr.language) if kinds.kind(code) else code
        ),
        zone=settings.bot.zone,
    )
    return f"certificate-{certificate.serial}.pdf", content
