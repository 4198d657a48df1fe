"""The inspection ledger (台账): every entry of a period as an Excel workbook or CSV.

The workbook has three sheets: every ledger entry in the period and scope (all
statuses, so the audit trail is complete, with who approved what and when and
how corrections link up), a per-volunteer summary and a per-team summary. The
summaries count approved entries only, corrections included, so they add up
to what `/minutes` and the rankings show.

A handful of queries serve any number of rows: one for the entries joined with
their volunteer, team, grid, post and approver, one for the corrections, one
for the teams, and one for approvers without a volunteer profile (if any).
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    ChatIdentity,
    Community,
    EntrySource,
    EntryStatus,
    Grid,
    LedgerEntry,
    Person,
    Post,
    Team,
    Volunteer,
)
from services.errors import PermissionDenied, UnknownChoice
from services.i18n import Translator, pick_label
from services.registration import volunteer_number
from services.roles import leads_team
from services.settings import ShiftSettings
from services.teams import get_team

FORMATS = ("xlsx", "csv")

DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "hh:mm"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HOURS_FORMAT = "0.0"
BOLD = Font(bold=True)
# Column widths are measured on the header and this many rows.
WIDTH_SAMPLE = 500
WIDTH_RANGE = (6, 50)
# Excel's rules for sheet names.
SHEET_NAME_MAX = 31
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# A spreadsheet program may run text starting with these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    entries: int  # number of ledger rows in the file


async def require_export_rights(session: AsyncSession, actor: Person, team_id: int | None) -> None:
    """Admins export everything; leaders the teams they lead."""
    if not actor.is_admin and (team_id is None or not await leads_team(session, actor, team_id)):
        raise PermissionDenied()


async def export_ledger(
    session: AsyncSession,
    actor: Person,
    *,
    start: date,
    end: date,
    team_id: int | None,
    fmt: str,
    tr: Translator,
    zone: ZoneInfo,
    number_prefix: str,
    shift_settings: ShiftSettings,
) -> ExportFile:
    """The ledger of [start, end] (inclusive, by service date) for one team, or for
    everything (admins only). Leaders export the teams they lead."""
    await require_export_rights(session, actor, team_id)
    if fmt not in FORMATS:
        raise UnknownChoice()
    if team_id is not None:
        await get_team(session, team_id)  # TeamNotFound for a team that is gone

    scope = [LedgerEntry.service_date >= start, LedgerEntry.service_date <= end]
    if team_id is not None:
        scope.append(LedgerEntry.team_id == team_id)
    rows = await _entries(session, scope)
    corrected_by = await _corrections(session, scope)
    approvers = await _approver_names(session, rows, tr)
    teams = await _teams(session, team_id, tr.language) if fmt == "xlsx" else {}
    # Writing a big workbook is seconds of pure Python: off the event loop.
    content = await asyncio.to_thread(
        _render,
        fmt,
        _Ledger(rows, corrected_by, approvers, teams),
        tr=tr,
        zone=zone,
        number_prefix=number_prefix,
        shift_settings=shift_settings,
    )
    scope_name = "" if team_id is None else f"team{team_id}-"
    filename = f"ledger-{scope_name}{start.isoformat()}-{end.isoformat()}.{fmt}"
    return ExportFile(filename, content, len(rows))


@dataclass(frozen=True)
class _Ledger:
    """What the export read from the database: plain values, no session needed."""

    rows: list[_Row]
    corrected_by: dict[int, list[int]]
    approvers: dict[int, str]
    teams: dict[int, _TeamInfo]


def _render(
    fmt: str,
    ledger: _Ledger,
    *,
    tr: Translator,
    zone: ZoneInfo,
    number_prefix: str,
    shift_settings: ShiftSettings,
) -> bytes:
    text = _Text(tr, shift_settings)
    entry_rows = [
        _entry_row(
            row, ledger.corrected_by.get(row.id, []), ledger.approvers, text, zone, number_prefix
        )
        for row in ledger.rows
    ]
    if fmt == "csv":
        return _csv(_entry_headers(tr), entry_rows)
    return _xlsx(
        [
            _Sheet(tr("Entries"), _entry_headers(tr), entry_rows),
            _Sheet(tr("By volunteer"), *_volunteer_summary(ledger.rows, tr, number_prefix)),
            _Sheet(tr("By team"), *_team_summary(ledger.rows, ledger.teams, tr)),
        ]
    )


# --- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    id: int
    service_date: date
    person_id: int
    team_id: int | None
    activity: str
    source: str
    status: str
    started_at: datetime | None
    ended_at: datetime | None
    minutes: int
    decided_by: int | None
    decided_at: datetime | None
    decision_note: str | None
    corrects_id: int | None
    note: str | None
    number: int | None
    real_name: str | None
    team: str | None
    grid: str | None
    grid_en: str | None
    grid_zh_hant: str | None
    post: str | None
    decider: str | None


async def _entries(session: AsyncSession, scope: list[Any]) -> list[_Row]:
    """Every entry in scope with the names around it, in one query."""
    decider = aliased(Volunteer)
    query = (
        select(
            LedgerEntry.id,
            LedgerEntry.service_date,
            LedgerEntry.person_id,
            LedgerEntry.team_id,
            LedgerEntry.activity,
            LedgerEntry.source,
            LedgerEntry.status,
            LedgerEntry.started_at,
            LedgerEntry.ended_at,
            LedgerEntry.minutes,
            LedgerEntry.decided_by,
            LedgerEntry.decided_at,
            LedgerEntry.decision_note,
            LedgerEntry.corrects_id,
            LedgerEntry.note,
            Volunteer.number,
            Volunteer.real_name,
            col(Team.name).label("team_name"),
            col(Grid.name).label("grid_name"),
            Grid.name_en,
            Grid.name_zh_hant,
            col(Post.name).label("post_name"),
            col(decider.real_name).label("decider_name"),
        )
        .select_from(LedgerEntry)
        .outerjoin(Volunteer, col(Volunteer.person_id) == LedgerEntry.person_id)
        .outerjoin(Team, col(Team.id) == LedgerEntry.team_id)
        # The grid served in (a post's), else the volunteer's own.
        .outerjoin(Grid, col(Grid.id) == func.coalesce(LedgerEntry.grid_id, Volunteer.grid_id))
        .outerjoin(Post, col(Post.id) == LedgerEntry.post_id)
        .outerjoin(decider, col(decider.person_id) == LedgerEntry.decided_by)
        .where(*scope)
        .order_by(col(LedgerEntry.service_date), col(LedgerEntry.id))
    )
    return [_Row(*values) for values in (await session.exec(query)).all()]


async def _corrections(session: AsyncSession, scope: list[Any]) -> dict[int, list[int]]:
    """For each entry in scope, the ids of the entries that correct it (one query)."""
    in_scope = select(LedgerEntry.id).where(*scope)
    result = await session.exec(
        select(LedgerEntry.corrects_id, LedgerEntry.id)
        .where(col(LedgerEntry.corrects_id).in_(in_scope))
        .order_by(col(LedgerEntry.id))
    )
    corrected_by: dict[int, list[int]] = defaultdict(list)
    for original, correction in result.all():
        corrected_by[original].append(correction)
    return corrected_by


async def _approver_names(
    session: AsyncSession, rows: Sequence[_Row], tr: Translator
) -> dict[int, str]:
    """Who decided: the real name; for someone without a volunteer profile (an
    administrator of the office) the name their chat account shows."""
    names = {row.decided_by: row.decider for row in rows if row.decided_by and row.decider}
    missing = {row.decided_by for row in rows if row.decided_by and not row.decider}
    if missing:
        result = await session.exec(
            select(ChatIdentity.person_id, ChatIdentity.display_name)
            .where(col(ChatIdentity.person_id).in_(missing))
            .order_by(col(ChatIdentity.id))
        )
        for person_id, shown in result.all():
            if shown and person_id not in names:
                names[person_id] = shown
        for person_id in missing - names.keys():
            names[person_id] = tr("person #{id}").format(id=person_id)
    return names


@dataclass(frozen=True)
class _TeamInfo:
    name: str
    community: str


async def _teams(session: AsyncSession, team_id: int | None, language: str) -> dict[int, _TeamInfo]:
    """The teams of the summary (all of them for an export of everything), in order."""
    query = (
        select(Team.id, Team.name, Community.name, Community.name_en, Community.name_zh_hant)
        .join(Community, col(Community.id) == Team.community_id)
        .order_by(col(Community.position), col(Community.id), col(Team.name), col(Team.id))
    )
    if team_id is not None:
        query = query.where(Team.id == team_id)
    return {
        tid: _TeamInfo(name, pick_label(language, community, community_en, community_hant))
        for tid, name, community, community_en, community_hant in (await session.exec(query)).all()
    }


# --- the entries sheet ------------------------------------------------------------------


def _entry_headers(tr: Translator) -> list[str]:
    return [
        tr("Entry no."),
        tr("Date"),
        tr("Volunteer number"),
        tr("Name"),
        tr("Team"),
        tr("Grid"),
        tr("Activity"),
        tr("Post"),
        tr("Start"),
        tr("End"),
        tr("Minutes"),
        tr("Source"),
        tr("Status"),
        tr("Approved by"),
        tr("Approval time"),
        tr("Corrections"),
        tr("Note"),
    ]


class _Text:
    """The translated words of the entries sheet, looked up once per export."""

    def __init__(self, tr: Translator, shift_settings: ShiftSettings) -> None:
        self.tr = tr
        self.sources = {
            EntrySource.SHIFT: tr("shift"),
            EntrySource.MANUAL: tr("manual"),
            EntrySource.CORRECTION: tr("correction"),
        }
        self.statuses = {
            EntryStatus.APPROVED: tr("approved"),
            EntryStatus.PENDING: tr("pending"),
            EntryStatus.REJECTED: tr("rejected"),
        }
        self.verified = tr("verified at the post")
        self._kinds = {k.code: k.label(tr.language) for k in shift_settings.kinds}
        self._grids: dict[tuple[str | None, str | None, str | None], str] = {}

    def activity(self, code: str) -> str:
        return self._kinds.get(code, code)

    def grid(self, row: _Row) -> str | None:
        if row.grid is None:
            return None
        key = (row.grid, row.grid_en, row.grid_zh_hant)
        if key not in self._grids:
            self._grids[key] = pick_label(self.tr.language, *key)
        return self._grids[key]


def _entry_row(
    row: _Row,
    corrections: list[int],
    approvers: dict[int, str],
    text: _Text,
    zone: ZoneInfo,
    number_prefix: str,
) -> list[Any]:
    tr = text.tr
    approved = row.status == EntryStatus.APPROVED
    approved_by = approved_at = None
    if approved:
        approved_by = approvers[row.decided_by] if row.decided_by else text.verified
        approved_at = _local(row.decided_at, zone)
    links = []
    if row.corrects_id is not None:
        links.append(tr("corrects #{id}").format(id=row.corrects_id))
    if corrections:
        ids = ", ".join(f"#{i}" for i in corrections)
        links.append(tr("corrected by {ids}").format(ids=ids))
    notes = [row.note] if row.note else []
    if row.status == EntryStatus.REJECTED:
        who, why = approvers.get(row.decided_by or 0, ""), row.decision_note
        if why:
            notes.append(tr("rejected by {name}: {reason}").format(name=who, reason=why))
        else:
            notes.append(tr("rejected by {name}").format(name=who))
    started, ended = _local(row.started_at, zone), _local(row.ended_at, zone)
    return [
        row.id,
        row.service_date,
        _number(number_prefix, row.number),
        row.real_name,
        row.team,
        text.grid(row),
        text.activity(row.activity),
        row.post,
        started.time() if started else None,
        ended.time() if ended else None,
        row.minutes,
        text.sources.get(row.source, row.source),
        text.statuses.get(row.status, row.status),
        approved_by,
        approved_at,
        "; ".join(links) or None,
        " · ".join(notes) or None,
    ]


def _number(prefix: str, number: int | None) -> str | None:
    return volunteer_number(prefix, number) if number is not None else None


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    """A stored UTC time as a naive local one, to the minute (spreadsheets have no zones)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


# --- the summaries ----------------------------------------------------------------------


def hours(minutes: int) -> float:
    """Minutes as hours to one decimal, halves rounded up (45 min → 0.8 h)."""
    return float((Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass
class _Tally:
    minutes: int = 0
    entries: int = 0
    people: set[int] = field(default_factory=set)
    teams: dict[int, None] = field(default_factory=dict)  # ordered set

    def add(self, row: _Row) -> None:
        self.minutes += row.minutes
        self.entries += 1
        self.people.add(row.person_id)
        if row.team_id is not None:
            self.teams[row.team_id] = None


def _approved(rows: Iterable[_Row]) -> Iterable[_Row]:
    return (row for row in rows if row.status == EntryStatus.APPROVED)


def _volunteer_summary(
    rows: Sequence[_Row], tr: Translator, number_prefix: str
) -> tuple[list[str], list[list[Any]]]:
    """Approved minutes per volunteer (corrections included), by volunteer number."""
    tallies: dict[int, _Tally] = defaultdict(_Tally)
    who: dict[int, _Row] = {}
    team_names: dict[int, str] = {}
    for row in _approved(rows):
        tallies[row.person_id].add(row)
        who.setdefault(row.person_id, row)
        if row.team_id is not None and row.team is not None:
            team_names[row.team_id] = row.team
    order = sorted(tallies, key=lambda p: (who[p].number is None, who[p].number or 0, p))
    headers = [
        tr("Volunteer number"),
        tr("Name"),
        tr("Team"),
        tr("Approved minutes"),
        tr("Hours"),
        tr("Approved entries"),
    ]
    lines: list[list[Any]] = []
    for person_id in order:
        tally, person = tallies[person_id], who[person_id]
        lines.append(
            [
                _number(number_prefix, person.number),
                person.real_name,
                ", ".join(team_names[t] for t in tally.teams if t in team_names) or None,
                tally.minutes,
                hours(tally.minutes),
                tally.entries,
            ]
        )
    minutes = sum(t.minutes for t in tallies.values())
    entries = sum(t.entries for t in tallies.values())
    lines.append([tr("Total"), None, None, minutes, hours(minutes), entries])
    return headers, lines


def _team_summary(
    rows: Sequence[_Row], teams: dict[int, _TeamInfo], tr: Translator
) -> tuple[list[str], list[list[Any]]]:
    """Approved minutes and volunteers per team (every team for an export of everything)."""
    tallies: dict[int | None, _Tally] = defaultdict(_Tally)
    everyone = _Tally()
    for row in _approved(rows):
        tallies[row.team_id].add(row)
        everyone.add(row)
    headers = [
        tr("Team"),
        tr("Community"),
        tr("Volunteers"),
        tr("Approved minutes"),
        tr("Hours"),
    ]
    lines: list[list[Any]] = []
    for team_id, info in teams.items():
        tally = tallies.get(team_id, _Tally())
        lines.append(
            [info.name, info.community, len(tally.people), tally.minutes, hours(tally.minutes)]
        )
    if None in tallies:  # service credited to no team (the volunteer was in none)
        tally = tallies[None]
        lines.append([tr("No team"), None, len(tally.people), tally.minutes, hours(tally.minutes)])
    lines.append(
        [tr("Total"), None, len(everyone.people), everyone.minutes, hours(everyone.minutes)]
    )
    return headers, lines


# --- writing ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Sheet:
    title: str
    headers: list[str]
    rows: list[list[Any]]


def sheet_title(text: str, taken: Iterable[str] = ()) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\."""
    title = _SHEET_NAME_FORBIDDEN.sub(" ", text).strip().strip("'")[:SHEET_NAME_MAX].strip()
    title = title or "Sheet"
    used = {t.lower() for t in taken}
    candidate, n = title, 1
    while candidate.lower() in used:
        n += 1
        suffix = f" ({n})"
        candidate = title[: SHEET_NAME_MAX - len(suffix)] + suffix
    return candidate


def _xlsx(sheets: list[_Sheet]) -> bytes:
    # Write-only: rows stream to disk, so a year of everything fits in memory.
    book = Workbook(write_only=True)
    titles: list[str] = []
    for sheet in sheets:
        title = sheet_title(sheet.title, titles)
        titles.append(title)
        ws = book.create_sheet(title)
        for index, width in enumerate(_widths(sheet.headers, sheet.rows), start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"  # the header on every printed page
        ws.append([_cell(ws, header, font=BOLD) for header in sheet.headers])
        for row in sheet.rows:
            ws.append([_cell(ws, value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _cell(ws: Any, value: Any, font: Font | None = None) -> Any:
    if value is None or (isinstance(value, int) and font is None):
        return value
    if isinstance(value, str):
        cell = WriteOnlyCell(ws, ILLEGAL_CHARACTERS_RE.sub("", value))
        # Text stays text: never a formula ("=…") or an error code ("#N/A").
        cell.data_type = "s"
    else:
        cell = WriteOnlyCell(ws, value)
        if isinstance(value, datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(value, date):
            cell.number_format = DATE_FORMAT
        elif isinstance(value, time):
            cell.number_format = TIME_FORMAT
        elif isinstance(value, float):
            cell.number_format = HOURS_FORMAT
    if font is not None:
        cell.font = font
    return cell


def _widths(headers: list[str], rows: list[list[Any]]) -> list[float]:
    widths = [_display_width(h) for h in headers]
    for row in rows[:WIDTH_SAMPLE]:
        for index, value in enumerate(row):
            widths[index] = max(widths[index], _display_width(value))
    low, high = WIDTH_RANGE
    return [min(high, max(low, w + 2)) for w in widths]


def _display_width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    if isinstance(value, time):
        return 5
    text = str(value)
    # Chinese characters take two columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _csv(headers: list[str], rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows([_csv_value(value) for value in row] for row in rows)
    # With a byte order mark Excel reads the file as UTF-8 (Chinese intact).
    return buffer.getvalue().encode("utf-8-sig")


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value  # shown as text, never run as a formula
    return value
