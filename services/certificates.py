"""Service certificates (志愿服务证明): "谁记录谁证明", whoever recorded the hours certifies them.

A registered volunteer asks for a certificate of their service over a period;
a leader of one of their teams or an administrator issues or declines it. Issuing
fixes everything the certificate states (the approved minutes of the period, by
activity, and who issued it) together with a random serial, so the PDF and
`/verify` never drift from what was issued, whatever the ledger receives later.

A volunteer has at most one open (requested, undecided) certificate at a time: a
second request while one waits raises `CertificatePending` rather than returning
the open one, so nobody is asked twice about the same request.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from fpdf import FPDF
from fpdf.enums import Align, TextMode, WrapMode, XPos, YPos
from fpdf.fonts import FontFace
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    Certificate,
    CertificateStatus,
    EntryStatus,
    LedgerEntry,
    MemberRole,
    Person,
    TeamMember,
    Volunteer,
)
from services.errors import (
    AlreadyDecided,
    DomainError,
    InvalidReason,
    NotRegistered,
    OwnEntry,
    PermissionDenied,
    StaleAction,
)
from services.i18n import N_, Translator, format_date, format_duration
from services.registration import volunteer_number
from services.settings import CertificateSettings
from services.validation import clean_text

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_FONT = PROJECT_ROOT / "vendor" / "fonts" / "NotoSansSC-Regular.ttf"
# The project's default zone (bot.timezone); callers pass the configured one.
DEFAULT_ZONE = ZoneInfo("Asia/Shanghai")
# Serials read PREFIX-YEAR-XXXXXXXX; no 0/O or 1/I, which people misread.
SERIAL_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
SERIAL_RANDOM_LENGTH = 8
MAX_REASON = 200


class NothingToCertify(DomainError):
    message = N_(
        "There are no approved service minutes in that period, so there is nothing to certify."
    )


class InvalidPeriod(DomainError):
    message = N_(
        "Please choose a period that ends today or earlier and does not start after it ends."
    )


class CertificatePending(DomainError):
    message = N_(
        "You have already asked for a certificate; it is waiting for your team leader. "
        "It will arrive here once it is issued."
    )


# --- requesting -------------------------------------------------------------------------


async def approved_minutes(
    session: AsyncSession, person_id: int, *, start: date, end: date
) -> tuple[int, dict[str, int]]:
    """Approved minutes served in [start, end] (corrections included), total and by activity."""
    rows = await session.exec(
        select(LedgerEntry.activity, func.sum(LedgerEntry.minutes))
        .where(
            LedgerEntry.person_id == person_id,
            LedgerEntry.status == EntryStatus.APPROVED,
            LedgerEntry.service_date >= start,
            LedgerEntry.service_date <= end,
        )
        .group_by(LedgerEntry.activity)
    )
    by_activity = {kind: int(minutes) for kind, minutes in rows.all() if minutes}
    return sum(by_activity.values()), by_activity


async def request_certificate(
    session: AsyncSession, person: Person, *, start: date, end: date, today: date, now: datetime
) -> Certificate:
    """A registered volunteer asks for a certificate of their service in [start, end]."""
    # Locking the profile makes a person's concurrent requests wait for each other.
    volunteer = (
        await session.exec(
            select(Volunteer)
            .where(Volunteer.person_id == person.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).first()
    if volunteer is None:
        raise NotRegistered()
    if not start <= end <= today:
        raise InvalidPeriod()
    waiting = await session.exec(
        select(Certificate.id).where(
            Certificate.person_id == person.id,
            Certificate.status == CertificateStatus.REQUESTED,
        )
    )
    if waiting.first() is not None:
        raise CertificatePending()
    total, _ = await approved_minutes(session, person.id, start=start, end=end)
    if total <= 0:
        raise NothingToCertify()
    certificate = Certificate(
        person_id=person.id,
        period_start=start,
        period_end=end,
        status=CertificateStatus.REQUESTED,
        requested_at=now,
    )
    session.add(certificate)
    await session.flush()
    return certificate


async def open_request(session: AsyncSession, person_id: int) -> Certificate | None:
    """The person's certificate request still waiting for a decision, if any."""
    result = await session.exec(
        select(Certificate).where(
            Certificate.person_id == person_id,
            Certificate.status == CertificateStatus.REQUESTED,
        )
    )
    return result.first()


# --- deciding ---------------------------------------------------------------------------


async def _leaders_of_teams_of(session: AsyncSession, person_id: int) -> list[int]:
    """Leaders of the teams the person is an active member of."""
    teams = select(TeamMember.team_id).where(
        TeamMember.person_id == person_id, TeamMember.left_at.is_(None)
    )
    result = await session.exec(
        select(TeamMember.person_id)
        .where(
            col(TeamMember.team_id).in_(teams),
            TeamMember.role == MemberRole.LEADER,
            TeamMember.left_at.is_(None),
        )
        .order_by(col(TeamMember.joined_at), col(TeamMember.person_id))
    )
    return list(result.all())


async def certificate_approvers(session: AsyncSession, certificate: Certificate) -> list[int]:
    """Who may issue it: leaders of the volunteer's teams, then admins; never the volunteer."""
    admins = await session.exec(select(Person.id).where(Person.is_admin).order_by(col(Person.id)))
    people = [*await _leaders_of_teams_of(session, certificate.person_id), *admins.all()]
    return [p for p in dict.fromkeys(people) if p != certificate.person_id]


async def _require_approver(session: AsyncSession, actor: Person, certificate: Certificate) -> None:
    if actor.id == certificate.person_id:
        raise OwnEntry()
    if actor.is_admin:
        return
    if actor.id not in await _leaders_of_teams_of(session, certificate.person_id):
        raise PermissionDenied()


async def _new_serial(session: AsyncSession, prefix: str, year: int) -> str:
    """A serial no certificate has (40 random bits; the unique column backs this up)."""
    while True:
        tail = "".join(secrets.choice(SERIAL_ALPHABET) for _ in range(SERIAL_RANDOM_LENGTH))
        serial = f"{prefix}-{year}-{tail}"
        taken = await session.exec(select(Certificate.id).where(Certificate.serial == serial))
        if taken.first() is None:
            return serial


def _reason(text: str | None) -> str | None:
    cleaned = clean_text(text or "")
    if len(cleaned) > MAX_REASON:
        raise InvalidReason()
    return cleaned or None


async def decide_certificate(
    session: AsyncSession,
    actor: Person,
    certificate_id: int,
    *,
    approve: bool,
    reason: str | None,
    settings: CertificateSettings,
    organisation_name: str,
    now: datetime,
    zone: ZoneInfo = DEFAULT_ZONE,
) -> Certificate:
    """Issue or decline a requested certificate, once. Issuing fixes what it states:
    the approved minutes of the period (by activity), the issuer and a serial whose
    year is the local year of issue."""
    certificate = (
        await session.exec(
            select(Certificate)
            .where(Certificate.id == certificate_id)
            .with_for_update()
            # A copy this session loaded before the lock may be stale.
            .execution_options(populate_existing=True)
        )
    ).first()
    if certificate is None:
        raise StaleAction()
    await _require_approver(session, actor, certificate)
    if certificate.status != CertificateStatus.REQUESTED:
        raise AlreadyDecided()
    note = _reason(reason)
    if not approve:
        if note is None:
            raise InvalidReason()
        certificate.status = CertificateStatus.DECLINED
    else:
        total, by_activity = await approved_minutes(
            session,
            certificate.person_id,
            start=certificate.period_start,
            end=certificate.period_end,
        )
        if total <= 0:
            raise NothingToCertify()
        certificate.status = CertificateStatus.ISSUED
        certificate.serial = await _new_serial(
            session, settings.serial_prefix, now.astimezone(zone).year
        )
        certificate.minutes = total
        certificate.by_activity = by_activity
        certificate.issuer = (settings.issuer or organisation_name)[:80]
        certificate.person_in_charge = settings.person_in_charge or None
        certificate.handler = settings.handler or None
        certificate.contact = settings.contact or None
    certificate.decided_by, certificate.decided_at, certificate.decision_note = actor.id, now, note
    await session.flush()
    return certificate


# --- verifying --------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What anyone may learn from a serial: nothing more about the person than an initial."""

    initial: str
    minutes: int
    period_start: date
    period_end: date
    issued_on: date


_SERIAL_NOISE = re.compile(r"[\s\-‐‑‒–—―−_.]")
_COMPACT_SERIAL = re.compile(rf"^([A-Z0-9]{{1,8}})(\d{{4}})([{SERIAL_ALPHABET}]{{8}})$")


def normalize_serial(text: str) -> str | None:
    """The canonical PREFIX-YEAR-XXXXXXXX form of a typed serial, or None if it cannot be one.

    Case, spaces, full-width characters (Chinese input methods) and any kind of
    dash are forgiven: "zyfw 2026 abcd efgh" reads as "ZYFW-2026-ABCDEFGH"."""
    compact = _SERIAL_NOISE.sub("", unicodedata.normalize("NFKC", text)).upper()
    found = _COMPACT_SERIAL.match(compact)
    return "-".join(found.groups()) if found else None


def mask_name(name: str) -> str:
    """The first character of a name and a star for each further one: 张伟 -> 张*."""
    name = name.strip()
    return name[0] + "*" * (len(name) - 1) if name else "*"


async def verify(
    session: AsyncSession, serial: str, *, zone: ZoneInfo = DEFAULT_ZONE
) -> Verification | None:
    """Check a serial: what the issued certificate states, or None if none was issued."""
    canonical = normalize_serial(serial)
    if canonical is None:
        return None
    certificate = (
        await session.exec(
            select(Certificate).where(
                Certificate.serial == canonical, Certificate.status == CertificateStatus.ISSUED
            )
        )
    ).first()
    if certificate is None or certificate.decided_at is None:
        return None
    volunteer = await session.get(Volunteer, certificate.person_id)
    return Verification(
        initial=mask_name(volunteer.real_name if volunteer else ""),
        minutes=certificate.minutes or 0,
        period_start=certificate.period_start,
        period_end=certificate.period_end,
        issued_on=certificate.decided_at.astimezone(zone).date(),
    )


# --- the PDF ----------------------------------------------------------------------------

_FAMILY = "NotoSansSC"
_RED = (168, 28, 36)
_INK = (30, 30, 30)
_GREY = (110, 110, 110)
_SHADE = (248, 238, 236)
_FRAME = 14.0  # mm from the paper's edge to the outer border
_CJK = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_LATIN = re.compile(r"[A-Za-z]")
_NEXT_LINE = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}


class _CertificatePDF(FPDF):
    def header(self) -> None:
        """A double red border on every page, as printed certificates have."""
        with self.local_context(draw_color=_RED):
            for inset, width in ((_FRAME, 1.2), (_FRAME + 3, 0.35)):
                self.set_line_width(width)
                self.rect(inset, inset, self.w - 2 * inset, self.h - 2 * inset)


def _wrap(text: str) -> WrapMode:
    """Chinese breaks between any two characters; English between words."""
    return WrapMode.CHAR if len(_CJK.findall(text)) >= len(_LATIN.findall(text)) else WrapMode.WORD


def render_pdf(
    certificate: Certificate,
    volunteer: Volunteer,
    *,
    tr: Translator,
    number_prefix: str,
    activity_label: Callable[[str], str],
    zone: ZoneInfo,
    font_path: Path = DEFAULT_FONT,
) -> bytes:
    """An issued certificate as an A4 PDF in the translator's language (font embedded, subset)."""
    if certificate.status != CertificateStatus.ISSUED or certificate.decided_at is None:
        raise ValueError(f"certificate {certificate.id} has not been issued")
    if not font_path.is_file():
        raise RuntimeError(
            f"The certificate font {font_path} is missing; run `python scripts/fetch_font.py` "
            "(the install step does) to fetch it."
        )
    language = tr.language
    chinese = language.startswith("zh")
    cells = WrapMode.CHAR if chinese else WrapMode.WORD
    issued_on = certificate.decided_at.astimezone(zone).date()
    serial = certificate.serial or ""
    minutes = certificate.minutes or 0
    number = volunteer_number(number_prefix, volunteer.number)
    start = format_date(certificate.period_start, language)
    end = format_date(certificate.period_end, language)
    duration = format_duration(tr, minutes)
    title = tr("Certificate of volunteer service")

    pdf = _CertificatePDF(orientation="portrait", unit="mm", format="A4")
    inner = _FRAME + 13
    pdf.set_margins(inner, inner - 1, inner)
    pdf.set_auto_page_break(auto=True, margin=inner - 3)
    pdf.add_font(_FAMILY, fname=str(font_path))
    pdf.set_lang("zh-CN" if language == "zh_Hans" else "zh-TW" if chinese else "en")
    pdf.set_title(f"{title} {serial}")
    pdf.set_subject(title)
    pdf.set_author(certificate.issuer or "")
    pdf.set_creator("civic-volunteer-bot")
    # The issue time, so the same certificate always renders to the same file.
    pdf.set_creation_date(certificate.decided_at)
    pdf.add_page()
    width = pdf.epw

    # A heavier title: the font has one weight, so its outline is stroked too.
    with pdf.local_context(text_mode=TextMode.FILL_STROKE, line_width=0.3, draw_color=_RED):
        pdf.set_font(_FAMILY, size=26)
        pdf.set_text_color(*_RED)
        pdf.multi_cell(width, 13, title, align=Align.C, wrapmode=_wrap(title), **_NEXT_LINE)
    pdf.ln(5)

    pdf.set_text_color(*_INK)
    pdf.set_font(_FAMILY, size=12.5)
    statement = tr(
        "This is to certify that {name} (volunteer number {number}) did volunteer service "
        "from {start} to {end}, {duration} in total, as recorded and approved in the "
        "volunteer service ledger."
    ).format(name=volunteer.real_name, number=number, start=start, end=end, duration=duration)
    wrap = _wrap(statement)
    align = Align.J if wrap is WrapMode.CHAR else Align.L
    pdf.multi_cell(width, 8, statement, align=align, wrapmode=wrap, **_NEXT_LINE)
    pdf.ln(4)

    pdf.set_font(_FAMILY, size=11)
    with pdf.table(
        col_widths=(35, 65),
        first_row_as_headings=False,
        text_align=(Align.L, Align.L),
        line_height=6.5,
        padding=(1, 3),
        wrapmode=cells,
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        for label, value in [
            (tr("Name"), volunteer.real_name),
            (tr("Volunteer number"), number),
            (tr("Service period"), tr("{start} to {end}").format(start=start, end=end)),
            (
                tr("Total service"),
                tr.plural(
                    "{duration} ({minutes} minute)", "{duration} ({minutes} minutes)", minutes
                ).format(duration=duration, minutes=minutes),
            ),
        ]:
            row = table.row()
            row.cell(label, style=FontFace(color=_GREY))
            row.cell(value)
    pdf.ln(5)

    pdf.set_font(_FAMILY, size=12)
    pdf.set_text_color(*_RED)
    pdf.cell(width, 8, tr("Service by activity"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(*_INK)
    pdf.set_font(_FAMILY, size=11)
    activities = sorted(certificate.by_activity.items(), key=lambda item: (-int(item[1]), item[0]))
    with pdf.table(
        col_widths=(65, 35),
        text_align=(Align.L, Align.R),
        line_height=6.5,
        padding=(1, 3),
        wrapmode=cells,
        headings_style=FontFace(color=_RED, fill_color=_SHADE),
        borders_layout="SINGLE_TOP_LINE",
    ) as table:
        heading = table.row()
        heading.cell(tr("Activity"))
        heading.cell(tr("Service time"))
        for kind, served in activities:
            row = table.row()
            row.cell(activity_label(kind))
            row.cell(format_duration(tr, int(served)))
        total = table.row()
        total.cell(tr("Total"), style=FontFace(fill_color=_SHADE))
        total.cell(duration, style=FontFace(fill_color=_SHADE))
    pdf.ln(6)

    dash = "—"
    with pdf.table(
        col_widths=(35, 65),
        first_row_as_headings=False,
        text_align=(Align.L, Align.L),
        line_height=6.5,
        padding=(0.6, 3),
        wrapmode=cells,
        borders_layout="NONE",
    ) as table:
        for label, value in [
            (tr("Issued by"), certificate.issuer or dash),
            (tr("Person in charge"), certificate.person_in_charge or dash),
            (tr("Handled by"), certificate.handler or dash),
            (tr("Contact"), certificate.contact or dash),
            (tr("Date of issue"), format_date(issued_on, language)),
        ]:
            row = table.row()
            row.cell(label, style=FontFace(color=_GREY))
            row.cell(value)
    pdf.set_text_color(*_GREY)
    pdf.cell(width, 7, tr("(Seal of the issuing organisation)"), align=Align.R)
    pdf.ln(10)

    # The serial and how to check it sit at the foot of the page when there is room.
    foot = pdf.h - pdf.b_margin - 22
    if pdf.get_y() < foot:
        pdf.set_y(foot)
    with pdf.local_context(draw_color=_SHADE, line_width=0.4):
        pdf.line(pdf.l_margin, pdf.get_y() - 2, pdf.l_margin + width, pdf.get_y() - 2)
    pdf.set_text_color(*_INK)
    pdf.set_font(_FAMILY, size=11)
    line = tr("Serial number: {serial}").format(serial=serial)
    pdf.multi_cell(width, 7, line, wrapmode=_wrap(line), **_NEXT_LINE)
    pdf.set_font(_FAMILY, size=9.5)
    pdf.set_text_color(*_GREY)
    check = tr(
        "To check this certificate, send /verify {serial} to the bot. The bot answers "
        "with the initial of the name, the service time and the period only."
    ).format(serial=serial)
    pdf.multi_cell(width, 5.5, check, wrapmode=_wrap(check), **_NEXT_LINE)
    return bytes(pdf.output())
