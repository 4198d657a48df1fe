"""Open311 GeoReport v2: residents' reports as city platforms read and send them.

Plain functions over the database; bot/web.py turns them into HTTP. Each returns
the JSON document the specification describes, or raises `Open311Error`, which
carries the HTTP status and GeoReport's error array.

Anonymity: the output has no reporter fields at all, whatever a report's
`anonymous` flag says. An external submitter's own contact details go to
`Report.contact`, which only the admins' audit shows.
"""

from __future__ import annotations

import asyncio
import hmac
import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import OPEN_STATUSES, Grid, PhotoStage, Report, ReportPhoto, ReportStatus
from services import outbox, report_views, reports
from services.errors import DescriptionTooLong, DomainError, InvalidReportAddress, PlaceRequired
from services.i18n import N_, Catalogs, pick_label
from services.report_labels import STATUS_NAMES, parse_ticket, ticket
from services.settings import Open311Settings, ReportCategorySettings, Settings

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API last changed, for discovery.json.
CHANGESET = "2026-11-28T00:00:00+08:00"
GROUP = "Uncivil behaviour"
# The specification's defaults: the last 90 days, and a bounded answer.
DEFAULT_WINDOW = timedelta(days=90)
MAX_RESULTS = 1000
# What an external submitter may tell about themselves (kept for the admins only).
CONTACT_FIELDS = ("email", "first_name", "last_name", "phone")
CONTACT_MAX = 100
MEDIA_URL_MAX = 500
# The same headline a chat report's handlers get.
NEW_REPORT = N_("🆕 New report")


class Open311Error(Exception):
    """A GeoReport error: the HTTP status and the description a client is shown."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description

    @property
    def body(self) -> list[dict[str, Any]]:
        return [{"code": self.status, "description": self.description}]


# --- services ------------------------------------------------------------------------------


def check_jurisdiction(settings: Open311Settings, jurisdiction_id: str | None) -> None:
    """We serve one jurisdiction; a client asking for another must not get ours."""
    if jurisdiction_id and jurisdiction_id != settings.jurisdiction_id:
        raise Open311Error(404, f"unknown jurisdiction_id {jurisdiction_id!r}")


def service_list(settings: Settings) -> list[dict[str, Any]]:
    return [_service(category) for category in settings.reports.categories]


def _service(category: ReportCategorySettings) -> dict[str, Any]:
    english = category.name_en or category.name
    names = [category.code, category.name, category.name_zh_hant, category.name_en]
    return {
        "service_code": category.code,
        "service_name": english,
        "description": (
            f"{english} ({category.name}); expected to be resolved within "
            f"{category.deadline_hours} hours."
        ),
        # Our categories ask nothing beyond the standard fields.
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(dict.fromkeys(n for n in names if n)),
        "group": GROUP,
    }


def service_definition(settings: Settings, code: str) -> dict[str, Any]:
    if settings.reports.category(code) is None:
        raise Open311Error(404, f"unknown service_code {code!r}")
    return {"service_code": code, "attributes": []}


def discovery(settings: Settings, base_url: str) -> dict[str, Any]:
    organisation = settings.organisation
    return {
        "changeset": CHANGESET,
        "contact": organisation.contact or organisation.label("en"),
        "key_service": f"Ask {organisation.label('en')} for an API key to submit requests.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base_url}/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json"],
            }
        ],
    }


# --- reading requests ----------------------------------------------------------------------


async def requests(
    session: AsyncSession,
    settings: Settings,
    filters: Mapping[str, str],
    *,
    now: datetime,
    base_url: str,
) -> list[dict[str, Any]]:
    """GET requests.json. Repeated parameters arrive comma-separated (the web layer
    joins them), as the specification allows for ids, codes and statuses."""
    check_jurisdiction(settings.open311, filters.get("jurisdiction_id"))
    query = select(Report)
    ids = _request_ids(filters.get("service_request_id"))
    if ids is not None:
        # The specification: service_request_id overrides every other filter.
        query = query.where(col(Report.id).in_(ids))
    else:
        codes = _values(filters.get("service_code"))
        if codes:
            query = query.where(col(Report.category).in_(codes))
        statuses = _statuses(filters.get("status"))
        if statuses is not None:
            query = query.where(col(Report.status).in_(statuses))
        start, end = _window(filters, settings.bot.zone, now)
        query = query.where(Report.created_at >= start)
        if end is not None:
            query = query.where(Report.created_at < end)
    query = query.order_by(col(Report.created_at).desc(), col(Report.id).desc()).limit(MAX_RESULTS)
    found = list((await session.exec(query)).all())
    return await _describe(session, settings, found, base_url)


async def request(
    session: AsyncSession,
    settings: Settings,
    service_request_id: str,
    *,
    base_url: str,
    jurisdiction_id: str | None = None,
) -> list[dict[str, Any]]:
    """GET requests/<id>.json: a list of one, as the specification has it."""
    check_jurisdiction(settings.open311, jurisdiction_id)
    report_id = parse_ticket(service_request_id)
    report = await session.get(Report, report_id) if report_id else None
    if report is None:
        raise Open311Error(404, f"unknown service_request_id {service_request_id!r}")
    return await _describe(session, settings, [report], base_url)


def _values(text: str | None) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _request_ids(text: str | None) -> list[int] | None:
    parts = _values(text)
    if not parts:
        return None
    if len(parts) > MAX_RESULTS:
        raise Open311Error(400, f"at most {MAX_RESULTS} service_request_id values")
    ids = [parse_ticket(part) for part in parts]
    if None in ids:
        raise Open311Error(400, "service_request_id must be ticket numbers like R000012")
    return ids


def _statuses(text: str | None) -> list[str] | None:
    wanted = set(_values(text))
    if not wanted:
        return None
    if not wanted <= {"open", "closed"}:
        raise Open311Error(400, "status must be open or closed")
    return [s.value for s in ReportStatus if public_status(s) in wanted]


def _window(
    filters: Mapping[str, str], zone: ZoneInfo, now: datetime
) -> tuple[datetime, datetime | None]:
    """[start, end) of requested_datetime. Without dates: the last 90 days; with only
    end_date: the 90 days before it."""
    start = end = None
    if filters.get("start_date"):
        start, _ = parse_w3c(filters["start_date"], zone, "start_date")
    if filters.get("end_date"):
        # end_date is inclusive: 2026-11-27 means up to the end of that day.
        end = parse_w3c(filters["end_date"], zone, "end_date")[1]
    if start is not None and end is not None and start >= end:
        raise Open311Error(400, "start_date must be before end_date")
    if start is None:
        start = (end or now) - DEFAULT_WINDOW
    return start, end


_W3C = re.compile(
    r"^(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:T(?P<hour>\d{2}):(?P<minute>\d{2})(?::(?P<second>\d{2})(?P<fraction>\.\d{1,6})?)?"
    r"(?P<zone>Z|[+-]\d{2}:\d{2})?)?)?)?$"
)


def parse_w3c(text: str, zone: ZoneInfo, name: str) -> tuple[datetime, datetime]:
    """A W3C datetime (YYYY, YYYY-MM, YYYY-MM-DD, or with a time and offset) as the
    period it names: its first moment and the first moment after it. Without an
    offset the time is the city's own."""
    # An unencoded "+08:00" in a query string arrives as " 08:00".
    text = re.sub(r" (\d{2}:\d{2})$", r"+\1", text.strip())
    match = _W3C.match(text)
    if match is None:
        raise Open311Error(400, f"{name} must be a W3C datetime like 2026-11-27T09:30:00+08:00")
    parts = match.groupdict()
    tz = zone
    if parts["zone"]:
        tz = datetime.fromisoformat(f"2000-01-01T00:00{parts['zone']}").tzinfo
    try:
        first = datetime(
            int(parts["year"]),
            int(parts["month"] or 1),
            int(parts["day"] or 1),
            int(parts["hour"] or 0),
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
            int((parts["fraction"] or ".0")[1:].ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError as exc:
        raise Open311Error(400, f"{name} is not a valid date: {text}") from exc
    return first, _after(first, parts)


def _after(first: datetime, parts: dict[str, str | None]) -> datetime:
    if parts["fraction"]:
        return first + timedelta(microseconds=1)
    if parts["second"]:
        return first + timedelta(seconds=1)
    if parts["minute"]:
        return first + timedelta(minutes=1)
    if parts["day"]:
        return first + timedelta(days=1)
    if parts["month"]:
        return (first + timedelta(days=32)).replace(day=1)
    return first.replace(year=first.year + 1)


# --- how a report looks in GeoReport -------------------------------------------------------


def public_status(status: str) -> str:
    return "open" if status in OPEN_STATUSES else "closed"


def status_notes(report: Report) -> str:
    """The detailed status behind open/closed, in English."""
    notes = STATUS_NAMES.get(report.status, report.status)
    if report.status == ReportStatus.DUPLICATE and report.duplicate_of:
        notes = f"{notes} of {ticket(report.duplicate_of)}"
    elif report.status == ReportStatus.REJECTED and report.reject_reason:
        notes = f"{notes}: {report.reject_reason}"
    elif report.status in (ReportStatus.RESOLVED, ReportStatus.CLOSED) and report.resolution_note:
        notes = f"{notes}: {report.resolution_note}"
    return notes[:1].upper() + notes[1:]


def _deadline_hours(settings: Settings, code: str) -> int:
    category = settings.reports.category(code)
    # A category dropped from the configuration keeps the usual deadline.
    return category.deadline_hours if category else 72


def _notice(report: Report, agency: str, hours: int) -> str | None:
    if public_status(report.status) == "closed":
        return None
    return f"{agency} aims to resolve it within {hours} hours."


async def _describe(
    session: AsyncSession, settings: Settings, found: list[Report], base_url: str
) -> list[dict[str, Any]]:
    """The reports as GeoReport requests, with their grids and first photos in two
    queries rather than two per report."""
    ids = [r.id for r in found]
    grid_ids = {r.grid_id for r in found if r.grid_id is not None}
    grids: dict[int, Grid] = {}
    if grid_ids:
        result = await session.exec(select(Grid).where(col(Grid.id).in_(grid_ids)))
        grids = {g.id: g for g in result.all()}
    photos: dict[int, int] = {}
    if ids:
        result = await session.exec(
            select(ReportPhoto.report_id, func.min(ReportPhoto.id))
            .where(
                col(ReportPhoto.report_id).in_(ids),
                ReportPhoto.stage == PhotoStage.BEFORE,
                col(ReportPhoto.local_path).is_not(None),
            )
            .group_by(ReportPhoto.report_id)
        )
        photos = dict(result.all())
    return [
        _as_request(r, settings, grids.get(r.grid_id), photos.get(r.id), base_url) for r in found
    ]


def _agency(settings: Settings, grid: Grid | None) -> str:
    if grid is None:  # waiting in triage: the campaign office places it
        return settings.organisation.label("en")
    return pick_label("en", grid.name, grid.name_en, grid.name_zh_hant)


def _as_request(
    report: Report,
    settings: Settings,
    grid: Grid | None,
    photo_id: int | None,
    base_url: str,
) -> dict[str, Any]:
    zone = settings.bot.zone
    category = settings.reports.category(report.category)
    hours = _deadline_hours(settings, report.category)
    agency = _agency(settings, grid)
    # Deliberately no reporter, contact or account fields: see the module docstring.
    document = {
        "service_request_id": ticket(report.id),
        "status": public_status(report.status),
        "status_notes": status_notes(report),
        "service_name": (category.name_en or category.name) if category else report.category,
        "service_code": report.category,
        "description": report.description,
        "agency_responsible": agency,
        "service_notice": _notice(report, agency, hours),
        "requested_datetime": _time(report.created_at, zone),
        "updated_datetime": _time(report.updated_at, zone),
        "expected_datetime": _time(report.created_at + timedelta(hours=hours), zone),
        "address": report.address,
        "address_id": None,
        "zipcode": None,
        "lat": report.latitude,
        "long": report.longitude,
    }
    if photo_id is not None:
        document["media_url"] = f"{base_url}{media_path(photo_id)}"
    return document


def _time(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).isoformat(timespec="seconds")


def media_path(photo_id: int) -> str:
    return f"/open311/v2/media/{photo_id}.jpg"


async def media_file(session: AsyncSession, settings: Settings, photo_id: str) -> Path:
    """Our copy of a reporter's photo. Only "before" photos are published (the ones
    media_url points at), and only files inside the photo folder."""
    # ASCII digits only, and few enough for an integer column ("²".isdigit() is true).
    valid = photo_id.isascii() and photo_id.isdigit() and len(photo_id) <= 9
    photo = await session.get(ReportPhoto, int(photo_id)) if valid else None
    if photo is None or photo.stage != PhotoStage.BEFORE or not photo.local_path:
        raise Open311Error(404, "no such media")
    folder = settings.reports.photo_path(settings.bot.data_dir)
    path = await asyncio.to_thread(_servable, Path(photo.local_path), folder)
    if path is None:
        raise Open311Error(404, "no such media")
    return path


def _servable(path: Path, folder: Path) -> Path | None:
    """The file, if it exists inside the photo folder (the database names it, but a
    link must never reach any other file)."""
    path = path.resolve()
    return path if path.is_relative_to(folder.resolve()) and path.is_file() else None


# --- submitting ----------------------------------------------------------------------------


def check_api_key(settings: Open311Settings, api_key: str | None) -> None:
    # compare_digest: the time taken does not tell how much of a guess was right.
    if not api_key or not any(
        hmac.compare_digest(api_key.encode(), key.encode()) for key in settings.api_keys
    ):
        raise Open311Error(403, "a valid api_key is required to submit requests")


async def create_request(
    session: AsyncSession,
    settings: Settings,
    form: Mapping[str, str],
    *,
    api_key: str | None,
    now: datetime,
    catalogs: Catalogs,
) -> list[dict[str, Any]]:
    """POST requests.json: record the report as a chat report would be (same checks,
    same routing) and tell the grid's handlers. The submitter is external, so the
    report is anonymous; their own details are kept for the admins only."""
    check_jurisdiction(settings.open311, form.get("jurisdiction_id"))
    check_api_key(settings.open311, api_key)
    code = _field(form, "service_code")
    if code is None:
        raise Open311Error(400, "service_code is required")
    if settings.reports.category(code) is None:
        raise Open311Error(400, f"unknown service_code {code!r}: see services.json")
    latitude, longitude = _point(form)
    address = _field(form, "address_string")
    if latitude is None and address is None:
        raise Open311Error(400, "a location is required: lat and long, or address_string")
    submission = reports.Submission(
        category=code,
        latitude=latitude,
        longitude=longitude,
        address=address,
        description=_field(form, "description"),
        anonymous=True,
        source="open311",
        contact=_contact(form),
    )
    try:
        report = await reports.submit(
            session, submission, reporter=None, settings=settings.reports, now=now
        )
    except DomainError as exc:
        raise _submission_error(exc) from exc
    await _tell_handlers(session, settings, report, catalogs=catalogs, now=now)
    grid = await session.get(Grid, report.grid_id) if report.grid_id else None
    notice = _notice(report, _agency(settings, grid), _deadline_hours(settings, code))
    return [{"service_request_id": ticket(report.id), "service_notice": notice}]


def _field(form: Mapping[str, str], name: str) -> str | None:
    value = form.get(name)
    value = value.strip() if isinstance(value, str) else None
    return value or None


def _point(form: Mapping[str, str]) -> tuple[float | None, float | None]:
    lat, long = _field(form, "lat"), _field(form, "long")
    if lat is None and long is None:
        return None, None
    try:
        latitude, longitude = float(lat or ""), float(long or "")
    except ValueError as exc:
        raise Open311Error(400, "lat and long must both be given, as decimal degrees") from exc
    # float() accepts "nan" and "inf", which no place has.
    if not (math.isfinite(latitude) and math.isfinite(longitude)):
        raise Open311Error(400, "lat and long must be finite decimal degrees")
    return latitude, longitude


def _contact(form: Mapping[str, str]) -> dict[str, str] | None:
    contact = {
        name: value[:CONTACT_MAX]
        for name in CONTACT_FIELDS
        if (value := _field(form, name)) is not None
    }
    # We do not fetch a submitter's photo from elsewhere; the admins get its address.
    media_url = _field(form, "media_url")
    if media_url is not None:
        contact["media_url"] = media_url[:MEDIA_URL_MAX]
    return contact or None


def _submission_error(exc: DomainError) -> Open311Error:
    """The chat's messages speak to a resident in a conversation; an API client needs
    the field named."""
    params = exc.params
    if isinstance(exc, PlaceRequired):
        return Open311Error(400, "lat must be within -90..90 and long within -180..180")
    if isinstance(exc, InvalidReportAddress):
        return Open311Error(
            400, f"address_string must have {reports.ADDRESS_MIN} to {params['limit']} characters"
        )
    if isinstance(exc, DescriptionTooLong):
        return Open311Error(
            400,
            f"description has {params['length']} characters; at most {params['limit']} "
            "are accepted",
        )
    # Any other rule: its message id is English text.
    try:
        return Open311Error(400, exc.message.format(**params))
    except (KeyError, IndexError, ValueError):
        return Open311Error(400, exc.message)


async def _tell_handlers(
    session: AsyncSession, settings: Settings, report: Report, *, catalogs: Catalogs, now: datetime
) -> None:
    """The grid's officers and leaders get the new report as they would from chat; the
    outbox sends it once this transaction commits."""
    for person_id in await reports.handler_ids(session, report):
        notice, options = await report_views.handler_notice(
            session, report, settings, recipient_id=person_id, headline=NEW_REPORT
        )
        await outbox.enqueue(
            session,
            notice,
            catalogs=catalogs,
            now=now,
            person_id=person_id,
            key=f"report-new:{report.id}:{person_id}",
            kind="report",
            **options,
        )
