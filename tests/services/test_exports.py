"""The inspection ledger export, opened with openpyxl and checked against the database."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import event
from sqlmodel import col, select

from models import EntrySource, EntryStatus, LedgerEntry, MemberRole, Volunteer
from services import attendance, exports, ledger, signups, teams
from services.errors import PermissionDenied, TeamNotFound, UnknownChoice
from services.exports import export_ledger
from services.i18n import Catalogs
from services.registration import volunteer_number
from tests.services import helpers
from tests.services.helpers import NOW, POST_LAT, POST_LON, SHANGHAI

START = NOW.replace(hour=0, minute=30)  # Friday 27 Nov 2026 08:30 in Shanghai
TODAY = date(2026, 11, 27)
NOVEMBER = (date(2026, 11, 1), date(2026, 11, 30))
PREFIX = "CD"
HEADERS = [
    "Entry no.",
    "Date",
    "Volunteer number",
    "Name",
    "Team",
    "Grid",
    "Activity",
    "Post",
    "Start",
    "End",
    "Minutes",
    "Source",
    "Status",
    "Approved by",
    "Approval time",
    "Corrections",
    "Note",
]
COLUMN = {header: index for index, header in enumerate(HEADERS)}


@pytest.fixture
def settings(base_settings):
    return base_settings


@pytest.fixture(scope="module")
def english():
    return Catalogs().translator("en")


async def _log(db, settings, who, day, minutes, note="陪王奶奶聊天"):
    async with db.session_factory.begin() as session:
        return await ledger.log_manual(
            session,
            who,
            service_date=day,
            minutes=minutes,
            activity="elder_visit",
            note=note,
            settings=settings.ledger,
            shift_settings=settings.shifts,
            zone=SHANGHAI,
            now=NOW,
        )


async def _decide(db, actor, entry_id, approve=True, reason=None):
    async with db.session_factory.begin() as session:
        return await ledger.decide(
            session, actor, entry_id, approve=approve, reason=reason, now=NOW
        )


async def _shift_entry(db, settings, crew):
    """A shift with location-verified check-in and check-out: approved by the record."""
    async with db.session_factory.begin() as session:
        shift = await helpers.shift(
            session,
            crew["leader"],
            settings.shifts,
            team_id=crew["team"].id,
            post_id=crew["post"].id,
        )
        await signups.sign_up(
            session,
            crew["volunteer"],
            shift.id,
            settings=settings.shifts,
            zone=SHANGHAI,
            now=NOW - timedelta(days=1),
        )
    for moment in (START - timedelta(minutes=20), START + timedelta(hours=2, minutes=10)):
        async with db.session_factory.begin() as session:
            await attendance.check_by_location(
                session,
                crew["volunteer"],
                POST_LAT,
                POST_LON,
                settings=settings.shifts,
                zone=SHANGHAI,
                now=moment,
            )
    async with db.session_factory.begin() as session:
        await attendance.close_ended(
            session,
            settings=settings.shifts,
            ledger=settings.ledger,
            zone=SHANGHAI,
            now=START + timedelta(hours=3),
        )
        return (
            await session.exec(select(LedgerEntry).where(LedgerEntry.source == EntrySource.SHIFT))
        ).one()


@pytest.fixture
async def crew(db, settings):
    """Two teams, a leader, volunteers, and a ledger with every kind of entry."""
    async with db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        other_team = await helpers.team(session, admin, name="东风助老队")
        leader, volunteer, other, outsider = [await helpers.person(session) for _ in range(4)]
        for who, name, phone, joins in [
            (leader, "刘队长", "13800000001", team),
            (volunteer, "陈队员", "13800000002", team),
            (other, "林队员", "13800000003", team),
            (outsider, "王队员", "13800000004", other_team),
        ]:
            await helpers.register(session, who, settings.registration, name=name, phone=phone)
            await teams.join_team(session, who, joins, now=NOW)
        await teams.set_member_role(
            session, admin, team_id=team.id, person_id=leader.id, role=MemberRole.LEADER
        )
        post = await helpers.post(session, admin)
    crew = {
        "admin": admin,
        "team": team,
        "other_team": other_team,
        "leader": leader,
        "volunteer": volunteer,
        "other": other,
        "outsider": outsider,
        "post": post,
    }
    # First day of the month: approved, then corrected from 120 to 90 minutes.
    first = await _log(db, settings, volunteer, date(2026, 11, 1), 120)
    await _decide(db, leader, first.id)
    async with db.session_factory.begin() as session:
        correction = await ledger.correct(
            session, leader, first.id, new_minutes=90, reason="实际只服务了一个半小时", now=NOW
        )
    # The last day of October: outside November.
    october = await _log(db, settings, volunteer, date(2026, 10, 31), 45)
    await _decide(db, leader, october.id)
    # Pending, rejected, and a note that looks like a formula.
    pending = await _log(db, settings, volunteer, date(2026, 11, 20), 45)
    rejected = await _log(db, settings, other, TODAY, 60)
    await _decide(db, leader, rejected.id, approve=False, reason="当天没有活动")
    formula = await _log(db, settings, other, date(2026, 11, 2), 30, note='=HYPERLINK("x")')
    await _decide(db, leader, formula.id)
    # The other team's volunteer, approved by an administrator (no volunteer profile).
    outside = await _log(db, settings, outsider, date(2026, 11, 15), 75)
    await _decide(db, admin, outside.id)
    shift_entry = await _shift_entry(db, settings, crew)
    crew["entries"] = {
        "first": first,
        "correction": correction,
        "october": october,
        "pending": pending,
        "rejected": rejected,
        "formula": formula,
        "outside": outside,
        "shift": shift_entry,
    }
    return crew


async def _export(db, settings, actor, *, tr, team_id=None, fmt="xlsx", period=NOVEMBER):
    async with db.session_factory() as session:
        return await export_ledger(
            session,
            actor,
            start=period[0],
            end=period[1],
            team_id=team_id,
            fmt=fmt,
            tr=tr,
            zone=SHANGHAI,
            number_prefix=PREFIX,
            shift_settings=settings.shifts,
        )


async def _in_scope(db, period=NOVEMBER, team_id=None) -> list[LedgerEntry]:
    async with db.session_factory() as session:
        query = select(LedgerEntry).where(
            LedgerEntry.service_date >= period[0], LedgerEntry.service_date <= period[1]
        )
        if team_id is not None:
            query = query.where(LedgerEntry.team_id == team_id)
        return list((await session.exec(query.order_by(col(LedgerEntry.id)))).all())


async def _volunteers(db) -> dict[int, Volunteer]:
    async with db.session_factory() as session:
        return {v.person_id: v for v in (await session.exec(select(Volunteer))).all()}


def _rows(sheet) -> list[tuple]:
    return list(sheet.iter_rows(min_row=2, values_only=True))


# --- the entries sheet ------------------------------------------------------------------


async def test_team_export_lists_every_entry_of_the_period(db, settings, crew, english):
    team = crew["team"]
    exported = await _export(db, settings, crew["leader"], tr=english, team_id=team.id)
    assert exported.filename == f"ledger-team{team.id}-2026-11-01-2026-11-30.xlsx"
    book = load_workbook(io.BytesIO(exported.content))
    assert book.sheetnames == ["Entries", "By volunteer", "By team"]
    sheet = book["Entries"]
    assert [c.value for c in sheet[1]] == HEADERS
    assert all(c.font.bold for c in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["D"].width >= 6

    expected = await _in_scope(db, team_id=team.id)
    rows = _rows(sheet)
    # All statuses, only this team, only November; ordered by date then id.
    assert exported.entries == len(rows) == len(expected) == 6
    assert crew["entries"]["october"].id not in {r[0] for r in rows}
    assert crew["entries"]["outside"].id not in {r[0] for r in rows}
    by_id = {e.id: e for e in expected}
    assert [r[0] for r in rows] == [
        e.id for e in sorted(expected, key=lambda e: (e.service_date, e.id))
    ]
    volunteers = await _volunteers(db)
    for row in rows:
        entry = by_id[row[0]]
        volunteer = volunteers[entry.person_id]
        assert isinstance(row[COLUMN["Date"]], datetime)  # a real date cell
        assert row[COLUMN["Date"]].date() == entry.service_date
        assert row[COLUMN["Minutes"]] == entry.minutes
        assert row[COLUMN["Volunteer number"]] == volunteer_number(PREFIX, volunteer.number)
        assert row[COLUMN["Name"]] == volunteer.real_name
        assert row[COLUMN["Team"]] == team.name
        assert row[COLUMN["Status"]] == entry.status
        assert row[COLUMN["Source"]] == entry.source  # the English labels are the codes

    cells = {row[0]: dict(zip(HEADERS, row, strict=True)) for row in rows}
    e = crew["entries"]
    first, correction = cells[e["first"].id], cells[e["correction"].id]
    assert first["Corrections"] == f"corrected by #{e['correction'].id}"
    assert correction["Corrections"] == f"corrects #{e['first'].id}"
    assert (first["Minutes"], correction["Minutes"]) == (120, -30)
    assert correction["Source"] == "correction" and correction["Note"] == "实际只服务了一个半小时"
    assert first["Approved by"] == correction["Approved by"] == "刘队长"
    assert first["Approval time"] == datetime(2026, 11, 27, 9, 30)  # NOW in Shanghai
    assert first["Activity"] == "Elder visit" and first["Grid"] == "Dongfeng Grid 2"
    assert first["Start"] is None and first["Post"] is None

    shift = cells[e["shift"].id]
    assert (shift["Source"], shift["Status"]) == ("shift", "approved")
    assert shift["Approved by"] == "verified at the post"
    assert shift["Post"] == crew["post"].name and shift["Activity"] == "Neighbourhood cleanup"
    # Arrived early, left late: the shift's own 08:30–10:30, in local time.
    assert (shift["Start"], shift["End"], shift["Minutes"]) == (time(8, 30), time(10, 30), 120)

    pending = cells[e["pending"].id]
    assert (pending["Status"], pending["Approved by"], pending["Approval time"]) == (
        "pending",
        None,
        None,
    )
    rejected = cells[e["rejected"].id]
    assert rejected["Status"] == "rejected" and rejected["Approved by"] is None
    assert rejected["Note"] == "陪王奶奶聊天 · rejected by 刘队长: 当天没有活动"
    # A note that looks like a formula stays text.
    (formula,) = [
        line[-1] for line in sheet.iter_rows(min_row=2) if line[0].value == e["formula"].id
    ]
    assert formula.value == '=HYPERLINK("x")' and formula.data_type == "s"


async def test_period_boundaries_are_inclusive(db, settings, crew, english):
    admin = crew["admin"]
    e = crew["entries"]
    for period, expected in [
        ((date(2026, 10, 31), date(2026, 10, 31)), {e["october"].id}),
        (
            (date(2026, 10, 31), date(2026, 11, 1)),
            {e["october"].id, e["first"].id, e["correction"].id},
        ),
        ((TODAY, TODAY), {e["rejected"].id, e["shift"].id}),
        (
            (date(2026, 11, 2), date(2026, 11, 26)),
            {e["formula"].id, e["pending"].id, e["outside"].id},
        ),
    ]:
        exported = await _export(db, settings, admin, tr=english, period=period)
        rows = _rows(load_workbook(io.BytesIO(exported.content))["Entries"])
        assert {r[0] for r in rows} == expected == {x.id for x in await _in_scope(db, period)}
        assert exported.entries == len(expected)


async def test_admin_exports_everything_with_approvers_named(db, settings, crew, english):
    exported = await _export(db, settings, crew["admin"], tr=english)
    assert exported.filename == "ledger-2026-11-01-2026-11-30.xlsx"
    rows = _rows(load_workbook(io.BytesIO(exported.content))["Entries"])
    assert len(rows) == exported.entries == len(await _in_scope(db)) == 7
    outside = next(r for r in rows if r[0] == crew["entries"]["outside"].id)
    assert outside[COLUMN["Team"]] == "东风助老队"
    # The administrator has no volunteer profile: the name their chat account shows.
    assert outside[COLUMN["Approved by"]] == "Test"


# --- the summaries ----------------------------------------------------------------------


async def test_summaries_add_up_to_the_database(db, settings, crew, english):
    exported = await _export(db, settings, crew["admin"], tr=english)
    book = load_workbook(io.BytesIO(exported.content))
    approved = [e for e in await _in_scope(db) if e.status == EntryStatus.APPROVED]
    volunteers = await _volunteers(db)

    by_volunteer = book["By volunteer"]
    assert [c.value for c in by_volunteer[1]] == [
        "Volunteer number",
        "Name",
        "Team",
        "Approved minutes",
        "Hours",
        "Approved entries",
    ]
    *people, total = _rows(by_volunteer)
    expected = {}
    for entry in approved:
        number = volunteer_number(PREFIX, volunteers[entry.person_id].number)
        minutes, count = expected.get(number, (0, 0))
        expected[number] = (minutes + entry.minutes, count + 1)
    assert {p[0]: (p[3], p[5]) for p in people} == expected
    chen = next(p for p in people if p[1] == "陈队员")
    # 120 − 30 corrected + 120 at the shift; the pending 45 does not count.
    assert chen[2:] == ("东风清洁队", 210, 3.5, 3)
    assert [p[0] for p in people] == sorted(p[0] for p in people)
    assert total == ("Total", None, None, sum(e.minutes for e in approved), 5.3, len(approved))

    by_team = book["By team"]
    assert [c.value for c in by_team[1]] == [
        "Team",
        "Community",
        "Volunteers",
        "Approved minutes",
        "Hours",
    ]
    *team_rows, team_total = _rows(by_team)
    for name, community, people_count, minutes, hours in team_rows:
        team_id = crew["team"].id if name == crew["team"].name else crew["other_team"].id
        mine = [e for e in approved if e.team_id == team_id]
        assert minutes == sum(e.minutes for e in mine)
        assert people_count == len({e.person_id for e in mine})
        assert hours == exports.hours(minutes)
        assert community == "Dongfeng Community"
    assert {r[0] for r in team_rows} == {"东风清洁队", "东风助老队"}
    assert team_total == ("Total", None, len({e.person_id for e in approved}), 315, 5.3)


async def test_team_summary_of_a_team_export_covers_only_that_team(db, settings, crew, english):
    team = crew["team"]
    exported = await _export(db, settings, crew["leader"], tr=english, team_id=team.id)
    book = load_workbook(io.BytesIO(exported.content))
    *rows, total = _rows(book["By team"])
    assert rows == [("东风清洁队", "Dongfeng Community", 2, 240, 4.0)]
    assert total == ("Total", None, 2, 240, 4.0)
    *people, _ = _rows(book["By volunteer"])
    assert {p[1] for p in people} == {"陈队员", "林队员"}


@pytest.mark.parametrize(
    ("minutes", "hours"), [(0, 0.0), (45, 0.8), (15, 0.3), (90, 1.5), (-30, -0.5), (245, 4.1)]
)
def test_hours_round_half_up(minutes, hours):
    assert exports.hours(minutes) == hours


def test_sheet_titles_are_valid():
    assert exports.sheet_title("a/b:c*d?e[f]g\\h") == "a b c d e f g h"
    assert len(exports.sheet_title("x" * 40)) == 31
    assert exports.sheet_title("Entries", ["entries"]) == "Entries (2)"
    assert exports.sheet_title("'?'") == "Sheet"


# --- languages, formats, permissions ----------------------------------------------------


async def test_chinese_export_is_a_valid_workbook(db, settings, crew):
    chinese = Catalogs().translator("zh_Hans")
    team = crew["team"]
    exported = await _export(db, settings, crew["leader"], tr=chinese, team_id=team.id)
    book = load_workbook(io.BytesIO(exported.content))
    assert len(book.sheetnames) == 3
    assert all(len(name) <= 31 and not set(name) & set("[]:*?/\\") for name in book.sheetnames)
    rows = _rows(book.worksheets[0])
    assert len(rows) == exported.entries == 6
    # Activities and grids are named in the export's language.
    first = next(r for r in rows if r[0] == crew["entries"]["first"].id)
    assert first[COLUMN["Activity"]] == "助老探访" and first[COLUMN["Grid"]] == "东风第二网格"


async def test_csv_has_a_bom_and_the_same_rows(db, settings, crew, english):
    team = crew["team"]
    exported = await _export(db, settings, crew["leader"], tr=english, team_id=team.id, fmt="csv")
    assert exported.filename == f"ledger-team{team.id}-2026-11-01-2026-11-30.csv"
    assert exported.content.startswith(b"\xef\xbb\xbf")
    header, *rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert header == HEADERS
    expected = {e.id: e for e in await _in_scope(db, team_id=team.id)}
    assert exported.entries == len(rows) == len(expected)
    for row in rows:
        entry = expected[int(row[0])]
        assert row[1] == entry.service_date.isoformat()
        assert int(row[COLUMN["Minutes"]]) == entry.minutes
    shift = next(r for r in rows if int(r[0]) == crew["entries"]["shift"].id)
    assert (shift[COLUMN["Start"]], shift[COLUMN["End"]]) == ("08:30", "10:30")
    first = next(r for r in rows if int(r[0]) == crew["entries"]["first"].id)
    assert first[COLUMN["Approval time"]] == "2026-11-27 09:30"
    assert first[COLUMN["Name"]] == "陈队员" and first[COLUMN["Start"]] == ""
    formula = next(r for r in rows if int(r[0]) == crew["entries"]["formula"].id)
    assert formula[COLUMN["Note"]] == '\'=HYPERLINK("x")'  # never run as a formula


async def test_who_may_export_what(db, settings, crew, english):
    team, other_team = crew["team"], crew["other_team"]
    for actor, team_id in [
        (crew["leader"], other_team.id),  # a team they do not lead
        (crew["leader"], None),  # everything
        (crew["volunteer"], team.id),  # a plain volunteer
        (crew["volunteer"], None),
    ]:
        with pytest.raises(PermissionDenied):
            await _export(db, settings, actor, tr=english, team_id=team_id)
    with pytest.raises(UnknownChoice):
        await _export(db, settings, crew["leader"], tr=english, team_id=team.id, fmt="pdf")
    with pytest.raises(TeamNotFound):
        await _export(db, settings, crew["admin"], tr=english, team_id=other_team.id + 100)
    # An admin may export any one team.
    exported = await _export(db, settings, crew["admin"], tr=english, team_id=other_team.id)
    assert exported.entries == 1


async def test_few_queries_whatever_the_number_of_rows(db, settings, crew, english):
    statements = []

    def count(*_args):
        statements.append(1)

    async def queries() -> int:
        statements.clear()
        event.listen(db.engine.sync_engine, "before_cursor_execute", count)
        try:
            await _export(db, settings, crew["admin"], tr=english)
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", count)
        return len(statements)

    before = await queries()
    for day in range(3, 13):
        entry = await _log(db, settings, crew["other"], date(2026, 11, day), 60)
        await _decide(db, crew["leader"], entry.id)
    assert await queries() == before <= 8
