"""Service certificates on a real database (SQLite and PostgreSQL), and their PDF."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import text
from sqlmodel import select

from models import (
    Certificate,
    CertificateStatus,
    MemberRole,
    Notification,
    NotificationStatus,
    Volunteer,
)
from scheduler.certificate_delivery import CertificateDelivery
from services import certificate_files, certificates, ledger, outbox, teams
from services.certificates import (
    CertificatePending,
    InvalidPeriod,
    NothingToCertify,
    Verification,
    mask_name,
    normalize_serial,
    verify,
)
from services.errors import (
    AlreadyDecided,
    InvalidReason,
    NotRegistered,
    OwnEntry,
    PermissionDenied,
    StaleAction,
)
from services.i18n import format_duration
from services.notifier import Delivery
from tests.services import helpers
from tests.services.helpers import NOW, SHANGHAI
from tests.wechat_fakes import FixedClock

TODAY = date(2026, 11, 27)
PERIOD = (date(2026, 11, 1), date(2026, 11, 30))
ORGANISATION = "城东街道新时代文明实践志愿服务队"


@pytest.fixture
def settings(base_settings):
    return base_settings


@pytest.fixture
async def crew(db, settings):
    async with db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        elsewhere = await helpers.team(session, admin, name="建设交通队")
        leader, volunteer, other, outsider = [await helpers.person(session) for _ in range(4)]
        for who, name, phone, joins in [
            (leader, "刘队长", "13800000001", team),
            (volunteer, "陈队员", "13800000002", team),
            (other, "林队员", "13800000003", team),
            (outsider, "周队长", "13800000004", elsewhere),
        ]:
            await helpers.register(session, who, settings.registration, name=name, phone=phone)
            await teams.join_team(session, who, joins, now=NOW)
        for who, led in [(leader, team), (outsider, elsewhere)]:
            await teams.set_member_role(
                session, admin, team_id=led.id, person_id=who.id, role=MemberRole.LEADER
            )
    return {
        "admin": admin,
        "team": team,
        "elsewhere": elsewhere,
        "leader": leader,
        "volunteer": volunteer,
        "other": other,
        "outsider": outsider,
    }


async def _served(db, crew, settings, *, who="volunteer", day=TODAY, minutes=120, kind="cleanup"):
    """Service logged by the volunteer and approved by the administrator."""
    async with db.session_factory.begin() as session:
        entry = await ledger.log_manual(
            session,
            crew[who],
            service_date=day,
            minutes=minutes,
            activity=kind,
            note="清理楼道",
            settings=settings.ledger,
            shift_settings=settings.shifts,
            zone=SHANGHAI,
            now=NOW,
        )
        await ledger.decide(session, crew["admin"], entry.id, approve=True, now=NOW)
    return entry


async def _request(db, crew, who="volunteer", start=PERIOD[0], end=TODAY, today=TODAY):
    async with db.session_factory.begin() as session:
        return await certificates.request_certificate(
            session, crew[who], start=start, end=end, today=today, now=NOW
        )


async def _decide(
    db, settings, actor, certificate_id, *, approve=True, reason=None, now=NOW, cert_settings=None
):
    async with db.session_factory.begin() as session:
        return await certificates.decide_certificate(
            session,
            actor,
            certificate_id,
            approve=approve,
            reason=reason,
            settings=cert_settings or settings.certificates,
            organisation_name=ORGANISATION,
            now=now,
            zone=SHANGHAI,
        )


async def _issued(db, crew, settings, **decide):
    asked = await _request(db, crew)
    return await _decide(db, settings, crew["leader"], asked.id, **decide)


async def _database_sum(db, person_id, start, end) -> int:
    async with db.engine.connect() as connection:
        result = await connection.execute(
            text(
                "SELECT COALESCE(SUM(minutes), 0) FROM ledger_entry WHERE person_id = :person "
                "AND status = 'approved' AND service_date BETWEEN :start AND :end"
            ),
            {"person": person_id, "start": start, "end": end},
        )
        return int(result.scalar_one())


# --- requesting -------------------------------------------------------------------------


async def test_request_rules(db, crew, settings):
    async with db.session_factory.begin() as session:
        stranger = await helpers.person(session)
        with pytest.raises(NotRegistered):
            await certificates.request_certificate(
                session, stranger, start=PERIOD[0], end=TODAY, today=TODAY, now=NOW
            )
    with pytest.raises(NothingToCertify):
        await _request(db, crew)
    # Minutes waiting for a leader, or rejected, certify nothing either.
    async with db.session_factory.begin() as session:
        for day, approve in [(TODAY, None), (TODAY - timedelta(days=1), False)]:
            entry = await ledger.log_manual(
                session,
                crew["volunteer"],
                service_date=day,
                minutes=60,
                activity="cleanup",
                note=None,
                settings=settings.ledger,
                shift_settings=settings.shifts,
                zone=SHANGHAI,
                now=NOW,
            )
            if approve is not None:
                await ledger.decide(
                    session, crew["leader"], entry.id, approve=False, reason="重复", now=NOW
                )
    with pytest.raises(NothingToCertify):
        await _request(db, crew)

    await _served(db, crew, settings, day=date(2026, 11, 20))
    with pytest.raises(InvalidPeriod):  # ends in the future
        await _request(db, crew, end=TODAY + timedelta(days=1))
    with pytest.raises(InvalidPeriod):  # reversed
        await _request(db, crew, start=TODAY, end=PERIOD[0])
    with pytest.raises(NothingToCertify):  # service outside the period
        await _request(db, crew, start=date(2026, 11, 21), end=TODAY)

    asked = await _request(db, crew, start=date(2026, 11, 20), end=date(2026, 11, 20))
    assert asked.status == CertificateStatus.REQUESTED
    assert (asked.serial, asked.minutes, asked.decided_by) == (None, None, None)
    assert (asked.period_start, asked.period_end) == (date(2026, 11, 20), date(2026, 11, 20))
    # One open request at a time; once it is decided, another may follow.
    with pytest.raises(CertificatePending):
        await _request(db, crew)
    async with db.session_factory() as session:
        assert (await certificates.open_request(session, crew["volunteer"].id)).id == asked.id
    await _decide(db, settings, crew["leader"], asked.id, approve=False, reason="期间有误")
    again = await _request(db, crew)
    assert again.id != asked.id


# --- deciding ---------------------------------------------------------------------------


async def test_who_may_decide(db, crew, settings):
    await _served(db, crew, settings)
    asked = await _request(db, crew)
    async with db.session_factory() as session:
        approvers = await certificates.certificate_approvers(session, asked)
    assert approvers == [crew["leader"].id, crew["admin"].id]

    for stranger in ("outsider", "other"):  # another team's leader; a fellow member
        with pytest.raises(PermissionDenied):
            await _decide(db, settings, crew[stranger], asked.id)
    with pytest.raises(OwnEntry):
        await _decide(db, settings, crew["volunteer"], asked.id)
    with pytest.raises(StaleAction):
        await _decide(db, settings, crew["leader"], asked.id + 1000)
    for blank in (None, "   "):
        with pytest.raises(InvalidReason):
            await _decide(db, settings, crew["leader"], asked.id, approve=False, reason=blank)
    with pytest.raises(InvalidReason):
        await _decide(db, settings, crew["leader"], asked.id, approve=False, reason="长" * 201)

    declined = await _decide(
        db, settings, crew["leader"], asked.id, approve=False, reason=" 请先补录\n三月的服务 "
    )
    assert declined.status == CertificateStatus.DECLINED
    assert declined.decision_note == "请先补录 三月的服务"
    assert (declined.serial, declined.minutes, declined.decided_by) == (
        None,
        None,
        crew["leader"].id,
    )
    with pytest.raises(AlreadyDecided):
        await _decide(db, settings, crew["admin"], asked.id)

    second = await _request(db, crew)
    issued = await _decide(db, settings, crew["admin"], second.id)
    assert issued.status == CertificateStatus.ISSUED
    assert (issued.decided_by, issued.decided_at) == (crew["admin"].id, NOW)
    for actor in ("leader", "admin"):
        with pytest.raises(AlreadyDecided):
            await _decide(db, settings, crew[actor], second.id)


async def test_leaders_of_any_of_the_volunteers_teams_decide(db, crew, settings):
    await _served(db, crew, settings)
    async with db.session_factory.begin() as session:
        await teams.join_team(session, crew["volunteer"], crew["elsewhere"], now=NOW)
    asked = await _request(db, crew)
    async with db.session_factory() as session:
        approvers = await certificates.certificate_approvers(session, asked)
    assert sorted(approvers) == sorted([crew["leader"].id, crew["outsider"].id, crew["admin"].id])
    # Once the volunteer has left the first team, its leader no longer decides.
    async with db.session_factory.begin() as session:
        await teams.remove_member(
            session,
            crew["leader"],
            team_id=crew["team"].id,
            person_id=crew["volunteer"].id,
            now=NOW,
        )
    with pytest.raises(PermissionDenied):
        await _decide(db, settings, crew["leader"], asked.id)
    issued = await _decide(db, settings, crew["outsider"], asked.id)
    assert issued.status == CertificateStatus.ISSUED


async def test_nobody_issues_their_own_certificate(db, crew, settings):
    await _served(db, crew, settings, who="leader")
    asked = await _request(db, crew, who="leader")
    async with db.session_factory() as session:
        assert await certificates.certificate_approvers(session, asked) == [crew["admin"].id]
    with pytest.raises(OwnEntry):
        await _decide(db, settings, crew["leader"], asked.id)
    assert (await _decide(db, settings, crew["admin"], asked.id)).serial


# --- what is issued ---------------------------------------------------------------------


async def test_issued_minutes_are_the_ledger_sum_and_stay_fixed(db, crew, settings):
    await _served(db, crew, settings, day=date(2026, 11, 6), minutes=120, kind="cleanup")
    await _served(db, crew, settings, day=date(2026, 11, 13), minutes=90, kind="cleanup")
    visit = await _served(
        db, crew, settings, day=date(2026, 11, 20), minutes=60, kind="elder_visit"
    )
    await _served(db, crew, settings, day=date(2026, 10, 30), minutes=300)  # before the period
    await _served(db, crew, settings, who="other", day=date(2026, 11, 6), minutes=240)
    async with db.session_factory.begin() as session:
        # Corrected from 60 to 45 minutes: an approved entry of -15.
        await ledger.correct(
            session, crew["admin"], visit.id, new_minutes=45, reason="提前离开", now=NOW
        )
        await ledger.log_manual(  # still waiting for a leader: not certified
            session,
            crew["volunteer"],
            service_date=TODAY,
            minutes=30,
            activity="cleanup",
            note=None,
            settings=settings.ledger,
            shift_settings=settings.shifts,
            zone=SHANGHAI,
            now=NOW,
        )

    issued = await _issued(db, crew, settings)
    expected = await _database_sum(db, crew["volunteer"].id, PERIOD[0], TODAY)
    assert issued.minutes == expected == 120 + 90 + 45
    assert issued.by_activity == {"cleanup": 210, "elder_visit": 45}
    assert issued.issuer == settings.certificates.issuer
    assert (issued.person_in_charge, issued.handler, issued.contact) == (
        settings.certificates.person_in_charge,
        settings.certificates.handler,
        settings.certificates.contact,
    )

    # Later service in the same period changes the ledger, not what was issued.
    await _served(db, crew, settings, day=date(2026, 11, 25), minutes=180)
    assert await _database_sum(db, crew["volunteer"].id, PERIOD[0], TODAY) == expected + 180
    async with db.session_factory() as session:
        stored = await session.get(Certificate, issued.id)
        assert (stored.minutes, stored.by_activity) == (expected, issued.by_activity)
        assert (await verify(session, issued.serial, zone=SHANGHAI)).minutes == expected


async def test_issuer_falls_back_to_the_organisation(db, crew, settings):
    await _served(db, crew, settings)
    bare = settings.certificates.model_copy(
        update={"issuer": "", "person_in_charge": "", "handler": "", "contact": ""}
    )
    issued = await _issued(db, crew, settings, cert_settings=bare)
    assert issued.issuer == ORGANISATION
    assert (issued.person_in_charge, issued.handler, issued.contact) == (None, None, None)


SERIAL = re.compile(r"^CDZY-2026-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{8}$")


async def test_serials_are_unambiguous_and_unique(db, crew, settings):
    await _served(db, crew, settings)
    serials = []
    for _ in range(6):
        serials.append((await _issued(db, crew, settings)).serial)
    assert all(SERIAL.match(serial) for serial in serials), serials
    assert len(set(serials)) == len(serials)
    # The year is the local year of issue: 1 January 2027, 01:00 in Shanghai.
    new_year = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    custom = settings.certificates.model_copy(update={"serial_prefix": "DF"})
    issued = await _issued(db, crew, settings, now=new_year, cert_settings=custom)
    assert issued.serial.startswith("DF-2027-")


async def test_a_taken_serial_is_never_reused(db, crew, settings, monkeypatch):
    await _served(db, crew, settings)
    first = await _issued(db, crew, settings)
    tail = first.serial.rsplit("-", 1)[1]
    # The random source repeats the first serial once, then offers a fresh one.
    draws = iter(tail + "ABCDEFGH")

    class Repeating:
        @staticmethod
        def choice(_alphabet):
            return next(draws)

    monkeypatch.setattr(certificates, "secrets", Repeating)
    second = await _issued(db, crew, settings)
    assert second.serial == "CDZY-2026-ABCDEFGH"


# --- verifying --------------------------------------------------------------------------


async def test_verify(db, crew, settings):
    await _served(db, crew, settings, day=date(2026, 11, 6), minutes=150)
    issued = await _issued(db, crew, settings, now=datetime(2026, 11, 27, 17, 0, tzinfo=UTC))
    expected = Verification(
        initial="陈**",
        minutes=150,
        period_start=PERIOD[0],
        period_end=TODAY,
        issued_on=date(2026, 11, 28),  # 01:00 on the 28th in Shanghai
    )
    prefix, year, tail = issued.serial.split("-")
    fullwidth = "".join(chr(ord(c) + 0xFEE0) for c in issued.serial.replace("-", ""))
    async with db.session_factory() as session:
        for typed in [
            issued.serial,
            issued.serial.lower(),
            f"  {prefix.lower()} {year} {tail[:4]} {tail[4:].lower()} ",
            f"{prefix}—{year}—{tail}",
            fullwidth,
        ]:
            assert await verify(session, typed, zone=SHANGHAI) == expected, typed
        for unknown in ["CDZY-2026-ZZZZZZZZ", "", "hello", issued.serial + "X", tail]:
            assert await verify(session, unknown, zone=SHANGHAI) is None, unknown

    # Only issued certificates verify, whatever a row holds.
    asked = await _request(db, crew)
    async with db.engine.begin() as connection:
        await connection.execute(
            text("UPDATE certificate SET serial = :serial WHERE id = :id"),
            {"serial": "CDZY-2026-AAAABBBB", "id": asked.id},
        )
    async with db.session_factory() as session:
        assert await verify(session, "CDZY-2026-AAAABBBB") is None


def test_masking_and_serial_normalization():
    assert mask_name("张伟") == "张*"
    assert mask_name("欧阳娜娜") == "欧***"
    assert mask_name("Zhang Wei") == "Z********"
    assert normalize_serial(" cdzy 2026 abcd efgh ") == "CDZY-2026-ABCDEFGH"
    assert normalize_serial("CD2Y-2026-ABCDEFGH") == "CD2Y-2026-ABCDEFGH"
    assert normalize_serial("CDZY-2026-ABCDEFG0") is None  # 0 is never in a serial
    assert normalize_serial("CDZY-26-ABCDEFGH") is None


# --- the PDF ----------------------------------------------------------------------------


def _fonts_with_files(reader: PdfReader) -> list[tuple[str, int]]:
    """(font name, embedded font program size) for each embedded TrueType font."""
    found = []
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                if "/FontFile2" in descriptor:
                    program = descriptor["/FontFile2"].get_object().get_data()
                    found.append((str(descriptor["/FontName"]), len(program)))
    return found


async def test_pdf(db, crew, settings, catalogs, tmp_path):
    await _served(db, crew, settings, day=date(2026, 11, 6), minutes=150, kind="cleanup")
    await _served(db, crew, settings, day=date(2026, 11, 13), minutes=45, kind="elder_visit")
    issued = await _issued(db, crew, settings)
    async with db.session_factory() as session:
        volunteer = await session.get(Volunteer, crew["volunteer"].id)
    kinds = settings.shifts
    prefix = settings.organisation.volunteer_number_prefix

    for language in ("zh_Hans", "en"):
        tr = catalogs.translator(language)
        content = certificates.render_pdf(
            issued,
            volunteer,
            tr=tr,
            number_prefix=prefix,
            activity_label=lambda code, tr=tr: kinds.kind(code).label(tr.language),
            zone=SHANGHAI,
        )
        assert content.startswith(b"%PDF-")
        reader = PdfReader(io.BytesIO(content))
        assert len(reader.pages) == 1
        box = reader.pages[0].mediabox
        assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4
        page = reader.pages[0].extract_text()
        flat = re.sub(r"\s+", "", page)
        for shown in [
            "陈队员",
            f"{prefix}{volunteer.number:06d}",
            issued.serial,
            f"/verify{issued.serial}",
            settings.certificates.issuer,
            settings.certificates.person_in_charge,
            settings.certificates.handler,
            "清洁家园" if language == "zh_Hans" else "Neighbourhood cleanup",
            format_duration(tr, 195),  # the total
            format_duration(tr, 150),
            format_duration(tr, 45),
            "195",
        ]:
            assert re.sub(r"\s+", "", shown) in flat, (language, shown, page)
        assert "13800000002" not in flat  # the phone is nobody's business here

        fonts = _fonts_with_files(reader)
        assert fonts, "no embedded TrueType font"
        # Embedded as a subset: a small fraction of the 10 MB font.
        assert all(size < 1_000_000 for _name, size in fonts), fonts
        assert all("NotoSansSC" in name for name, _size in fonts), fonts

    with pytest.raises(RuntimeError, match=r"scripts/fetch_font\.py"):
        certificates.render_pdf(
            issued,
            volunteer,
            tr=catalogs.translator("en"),
            number_prefix=prefix,
            activity_label=str,
            zone=SHANGHAI,
            font_path=tmp_path / "missing.ttf",
        )
    asked = await _request(db, crew)
    with pytest.raises(ValueError, match="not been issued"):
        certificates.render_pdf(
            asked,
            volunteer,
            tr=catalogs.translator("en"),
            number_prefix=prefix,
            activity_label=str,
            zone=SHANGHAI,
        )


class TelegramSide:
    """The Telegram chat as the delivery job sees it: documents arrive, or fail."""

    def __init__(self, *, fails: bool = False) -> None:
        self.fails = fails
        self.documents: list[str] = []

    async def send_document(self, person_id, filename, content, notice):
        if self.fails:
            raise OSError("Telegram is down")
        self.documents.append(filename)
        return Delivery("telegram", str(person_id), "1")


async def _issued_with_fallback(db, crew, settings, catalogs) -> Certificate:
    await _served(db, crew, settings)
    asked = await _request(db, crew)
    async with db.session_factory.begin() as session:
        issued = await certificates.decide_certificate(
            session,
            crew["leader"],
            asked.id,
            approve=True,
            reason=None,
            settings=settings.certificates,
            organisation_name=ORGANISATION,
            now=NOW,
        )
        await certificate_files.queue_delivery(
            session, issued, links=None, catalogs=catalogs, now=NOW
        )
    return issued


async def _fallback(db, certificate_id) -> Notification:
    async with db.session_factory() as session:
        return (
            await session.exec(
                select(Notification).where(
                    Notification.key == certificate_files.delivery_key(certificate_id)
                )
            )
        ).one()


async def test_the_pdf_goes_out_and_the_held_back_notice_is_dropped(db, crew, settings, catalogs):
    issued = await _issued_with_fallback(db, crew, settings, catalogs)
    telegram = TelegramSide()
    delivery = CertificateDelivery(
        settings, db.session_factory, telegram, FixedClock(NOW), catalogs=catalogs
    )
    assert await delivery.deliver(issued.id) is None
    assert telegram.documents == [f"certificate-{issued.serial}.pdf"]
    assert (await _fallback(db, issued.id)).status == NotificationStatus.CANCELLED


async def test_when_the_pdf_fails_the_serial_goes_out_at_once(db, crew, settings, catalogs):
    issued = await _issued_with_fallback(db, crew, settings, catalogs)
    delivery = CertificateDelivery(
        settings, db.session_factory, TelegramSide(fails=True), FixedClock(NOW), catalogs=catalogs
    )
    notification_id = await delivery.deliver(issued.id)
    fallback = await _fallback(db, issued.id)
    assert notification_id == fallback.id and fallback.due_at == NOW
    assert issued.serial in fallback.text and fallback.status == NotificationStatus.PENDING


async def test_a_restart_before_delivery_loses_nothing(db, crew, settings, catalogs):
    """Issued, then the bot stops before the PDF is tried: the notice still comes due."""
    issued = await _issued_with_fallback(db, crew, settings, catalogs)
    async with db.session_factory.begin() as session:
        assert await outbox.claim_due(session, now=NOW) == []  # held back for the PDF
        due = await outbox.claim_due(session, now=NOW + certificate_files.DELIVERY_GRACE)
    assert [n.key for n in due] == [certificate_files.delivery_key(issued.id)]
