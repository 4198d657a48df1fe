"""Residents' reports: submission, routing, duplicates, handling, and who may do what.

The rules live here; chat flows (handlers/report_*) and the Open311 API
(services/open311) both call them. Every step is written to the report's
event trail with who and when.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    OPEN_STATUSES,
    Grid,
    GridOfficer,
    MemberRole,
    Person,
    PhotoStage,
    Report,
    ReporterBlock,
    ReportEvent,
    ReportFollower,
    ReportPhoto,
    ReportStatus,
    Team,
    TeamMember,
    Volunteer,
)
from services.errors import (
    AfterPhotoRequired,
    DescriptionTooLong,
    InvalidReason,
    InvalidReportAddress,
    NotDuplicateCandidate,
    PermissionDenied,
    PlaceRequired,
    ReopenTooLate,
    ReportingBlocked,
    ReportNotFound,
    ReportStateConflict,
    TooManyPhotos,
    TooManyReports,
    UnknownChoice,
)
from services.geo import distance_m, valid_coordinates
from services.grid_map import route
from services.report_labels import StatusLabel, ticket
from services.settings import ReportSettings
from services.validation import clean_text

ADDRESS_MIN = 4
ADDRESS_MAX = 200
REASON_MAX = 200
NOTE_MAX = 500


@dataclass(frozen=True)
class PhotoInput:
    file_id: str
    channel: str
    local_path: str | None = None
    size_bytes: int | None = None


@dataclass
class Submission:
    category: str
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = None
    description: str | None = None
    anonymous: bool = False
    photos: list[PhotoInput] = field(default_factory=list)
    source: str = "chat"
    contact: dict[str, Any] | None = None


# --- checks a chat flow runs step by step (submit runs them all again) ------------------


def check_category(settings: ReportSettings, code: str) -> str:
    if settings.category(code) is None:
        raise UnknownChoice()
    return code


def check_address(text: str) -> str:
    address = clean_text(text)
    if not ADDRESS_MIN <= len(address) <= ADDRESS_MAX:
        raise InvalidReportAddress(limit=ADDRESS_MAX)
    return address


def check_description(settings: ReportSettings, text: str | None) -> str | None:
    if text is None:
        return None
    description = clean_text(text)
    if len(description) > settings.description_max:
        raise DescriptionTooLong(limit=settings.description_max, length=len(description))
    return description or None


def check_photo_count(settings: ReportSettings, count: int) -> None:
    if count > settings.max_photos:
        raise TooManyPhotos(limit=settings.max_photos)


async def check_may_report(
    session: AsyncSession, person_id: int, *, settings: ReportSettings, now: datetime
) -> None:
    """Blocked reporters and the daily limit (counted in the database, so a restart or a
    second process does not reset it)."""
    if await session.get(ReporterBlock, person_id) is not None:
        raise ReportingBlocked()
    recent = await session.exec(
        select(func.count())
        .select_from(Report)
        .where(Report.reporter_id == person_id, Report.created_at > now - timedelta(days=1))
    )
    if recent.one() >= settings.per_day:
        raise TooManyReports(limit=settings.per_day)


# --- submission ----------------------------------------------------------------------------


async def submit(
    session: AsyncSession,
    submission: Submission,
    *,
    reporter: Person | None,
    settings: ReportSettings,
    now: datetime,
) -> Report:
    """Validate, route to a grid, flag a probable duplicate, and record the report."""
    category = check_category(settings, submission.category)
    description = check_description(settings, submission.description)
    check_photo_count(settings, len(submission.photos))
    has_point = submission.latitude is not None and submission.longitude is not None
    if (submission.latitude is None) != (submission.longitude is None):
        raise PlaceRequired()  # half a coordinate is not a place
    if has_point and not valid_coordinates(submission.latitude, submission.longitude):
        raise PlaceRequired()
    address = check_address(submission.address) if submission.address else None
    if not has_point and address is None:
        raise PlaceRequired()
    if reporter is not None:
        await check_may_report(session, reporter.id, settings=settings, now=now)

    grid_id, routed_by = None, "triage"
    if has_point:
        routing = await route(session, submission.latitude, submission.longitude)
        grid_id, routed_by = routing.grid_id, routing.method
    report = Report(
        category=category,
        reporter_id=reporter.id if reporter else None,
        anonymous=submission.anonymous,
        source=submission.source,
        contact=submission.contact,
        description=description,
        latitude=submission.latitude if has_point else None,
        longitude=submission.longitude if has_point else None,
        address=address,
        grid_id=grid_id,
        routed_by=routed_by,
        status=ReportStatus.SUBMITTED,
        created_at=now,
        updated_at=now,
    )
    session.add(report)
    await session.flush()
    original = await probable_duplicate(session, report, settings=settings)
    report.probable_duplicate_of = original.id if original else None
    _add_photos(session, report, submission.photos, PhotoStage.BEFORE, now)
    if reporter is not None:
        session.add(ReportFollower(report_id=report.id, person_id=reporter.id, created_at=now))
    _record(session, report, reporter, "submitted", now)
    await session.flush()
    return report


async def probable_duplicate(
    session: AsyncSession, report: Report, *, settings: ReportSettings
) -> Report | None:
    """The nearest open report of the same category, close enough and recent enough."""
    if report.latitude is None or report.longitude is None:
        return None
    since = report.created_at - timedelta(hours=settings.duplicate_hours)
    # A box of about the distance first (cheap, indexed by status), then the exact
    # geodesic distance.
    degrees = settings.duplicate_distance_m / 111_000 * 2 + 0.001
    candidates = (
        await session.exec(
            select(Report).where(
                Report.id != report.id,
                Report.category == report.category,
                col(Report.status).in_(OPEN_STATUSES),
                Report.created_at >= since,
                Report.latitude.is_not(None),
                Report.latitude.between(report.latitude - degrees, report.latitude + degrees),
            )
        )
    ).all()
    near = [
        (distance_m(report.latitude, report.longitude, c.latitude, c.longitude), c.id, c)
        for c in candidates
    ]
    near = [entry for entry in near if entry[0] <= settings.duplicate_distance_m]
    return min(near)[2] if near else None


def _add_photos(
    session: AsyncSession,
    report: Report,
    photos: list[PhotoInput],
    stage: PhotoStage,
    now: datetime,
) -> None:
    for photo in photos:
        session.add(
            ReportPhoto(
                report_id=report.id,
                stage=stage,
                channel=photo.channel,
                file_id=photo.file_id,
                local_path=photo.local_path,
                size_bytes=photo.size_bytes,
                created_at=now,
            )
        )


def _record(
    session: AsyncSession,
    report: Report,
    actor: Person | None,
    action: str,
    now: datetime,
    note: str | None = None,
    *,
    public: bool = True,
) -> None:
    """Append to the trail; `public` steps (not internal ones like an escalation) also
    move the report's update time that residents and Open311 clients see."""
    if public:
        report.updated_at = now
    session.add(report)
    session.add(
        ReportEvent(
            report_id=report.id,
            actor_id=actor.id if actor else None,
            action=action,
            note=note,
            created_at=now,
        )
    )


# --- who handles a report -------------------------------------------------------------------


async def get_report(session: AsyncSession, report_id: int) -> Report:
    report = await session.get(Report, report_id)
    if report is None:
        raise ReportNotFound(ticket=ticket(report_id))
    return report


async def officer_grid_ids(session: AsyncSession, person_id: int) -> list[int]:
    result = await session.exec(
        select(GridOfficer.grid_id).where(GridOfficer.person_id == person_id)
    )
    return list(result.all())


async def led_community_ids(session: AsyncSession, person_id: int) -> list[int]:
    result = await session.exec(
        select(Team.community_id)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(
            TeamMember.person_id == person_id,
            TeamMember.role == MemberRole.LEADER,
            TeamMember.left_at.is_(None),
        )
        .distinct()
    )
    return list(result.all())


async def handled_grid_ids(session: AsyncSession, person: Person) -> list[int] | None:
    """The grids whose reports a person handles; None means all (admins)."""
    if person.is_admin:
        return None
    grids = set(await officer_grid_ids(session, person.id))
    communities = await led_community_ids(session, person.id)
    if communities:
        result = await session.exec(select(Grid.id).where(col(Grid.community_id).in_(communities)))
        grids.update(result.all())
    return sorted(grids)


async def may_handle(session: AsyncSession, person: Person, report: Report) -> bool:
    """Admins; the grid's officers; leaders of teams in the grid's community. A report
    waiting in triage (no grid) may be routed by any grid officer."""
    if person.is_admin:
        return True
    if report.grid_id is None:
        return bool(await officer_grid_ids(session, person.id))
    grids = await handled_grid_ids(session, person)
    return grids is None or report.grid_id in grids


async def require_handler(session: AsyncSession, person: Person, report: Report) -> None:
    if not await may_handle(session, person, report):
        raise PermissionDenied()


async def handler_ids(session: AsyncSession, report: Report) -> list[int]:
    """Who gets a new report: the grid's officers and the community's team leaders; for
    triage, every grid officer and the admins."""
    if report.grid_id is None:
        officers = await session.exec(select(GridOfficer.person_id).distinct())
        admins = await session.exec(select(Person.id).where(Person.is_admin.is_(True)))
        return sorted(set(officers.all()) | set(admins.all()))
    grid = await session.get(Grid, report.grid_id)
    officers = await session.exec(
        select(GridOfficer.person_id).where(GridOfficer.grid_id == report.grid_id)
    )
    leaders = await session.exec(
        select(TeamMember.person_id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(
            Team.community_id == grid.community_id,
            TeamMember.role == MemberRole.LEADER,
            TeamMember.left_at.is_(None),
        )
    )
    ids = set(officers.all()) | set(leaders.all())
    if not ids:  # nobody on the ground yet: the office must see it
        admins = await session.exec(select(Person.id).where(Person.is_admin.is_(True)))
        ids = set(admins.all())
    return sorted(ids)


async def assignable_volunteers(session: AsyncSession, report: Report) -> list[Volunteer]:
    """Volunteers of the teams in the report's community, by name."""
    if report.grid_id is None:
        return []
    grid = await session.get(Grid, report.grid_id)
    members = (
        select(TeamMember.person_id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(Team.community_id == grid.community_id, TeamMember.left_at.is_(None))
    )
    # A subquery, not DISTINCT: PostgreSQL cannot compare the profile's JSON column.
    result = await session.exec(
        select(Volunteer).where(col(Volunteer.person_id).in_(members)).order_by(Volunteer.real_name)
    )
    return list(result.all())


def _require_status(report: Report, *allowed: ReportStatus) -> None:
    if report.status not in allowed:
        raise ReportStateConflict(ticket=ticket(report.id), status=StatusLabel(report.status))


# --- handling ------------------------------------------------------------------------------


async def route_to_grid(
    session: AsyncSession, report: Report, actor: Person, *, grid_id: int, now: datetime
) -> Report:
    """An officer places a triaged report (typed address) in a grid."""
    await require_handler(session, actor, report)
    _require_status(report, ReportStatus.SUBMITTED, ReportStatus.ACCEPTED)
    grid = await session.get(Grid, grid_id)
    if grid is None or not grid.active:
        raise UnknownChoice()
    report.grid_id, report.routed_by = grid.id, "officer"
    _record(session, report, actor, "routed", now, note=grid.code)
    return report


async def accept(session: AsyncSession, report: Report, actor: Person, *, now: datetime) -> Report:
    await require_handler(session, actor, report)
    _require_status(report, ReportStatus.SUBMITTED)
    report.status, report.accepted_at = ReportStatus.ACCEPTED, now
    _record(session, report, actor, "accepted", now)
    return report


async def assign(
    session: AsyncSession, report: Report, actor: Person, *, volunteer_id: int, now: datetime
) -> Report:
    """Give the task to a volunteer (accepting it if that was not done yet); reassigning
    is allowed while it is open (the first volunteer fell ill…)."""
    await require_handler(session, actor, report)
    _require_status(report, *OPEN_STATUSES)
    if volunteer_id not in {v.person_id for v in await assignable_volunteers(session, report)}:
        raise UnknownChoice()
    if report.accepted_at is None:
        report.accepted_at = now
        _record(session, report, actor, "accepted", now)
    report.status, report.assignee_id = ReportStatus.ASSIGNED, volunteer_id
    _record(session, report, actor, "assigned", now, note=str(volunteer_id))
    return report


async def start_work(
    session: AsyncSession, report: Report, actor: Person, *, now: datetime
) -> Report:
    if report.assignee_id != actor.id:
        raise PermissionDenied()
    _require_status(report, ReportStatus.ASSIGNED)
    report.status = ReportStatus.IN_PROGRESS
    _record(session, report, actor, "started", now)
    return report


async def may_resolve(session: AsyncSession, person: Person, report: Report) -> bool:
    return report.assignee_id == person.id or await may_handle(session, person, report)


async def resolve(
    session: AsyncSession,
    report: Report,
    actor: Person,
    *,
    photos: list[PhotoInput],
    note: str | None,
    now: datetime,
) -> Report:
    """Done, shown with an after photo. Not before the report was accepted."""
    if not await may_resolve(session, actor, report):
        raise PermissionDenied()
    _require_status(report, ReportStatus.ACCEPTED, ReportStatus.ASSIGNED, ReportStatus.IN_PROGRESS)
    if not photos:
        raise AfterPhotoRequired()
    note = clean_text(note)[:NOTE_MAX] if note else None
    _add_photos(session, report, photos, PhotoStage.AFTER, now)
    report.status, report.resolved_at, report.resolution_note = ReportStatus.RESOLVED, now, note
    _record(session, report, actor, "resolved", now, note=note)
    return report


def check_reason(text: str) -> str:
    reason = clean_text(text)
    if not 2 <= len(reason) <= REASON_MAX:
        raise InvalidReason()
    return reason


async def reject(
    session: AsyncSession, report: Report, actor: Person, *, reason: str, now: datetime
) -> Report:
    await require_handler(session, actor, report)
    _require_status(report, *OPEN_STATUSES)
    report.status, report.reject_reason = ReportStatus.REJECTED, check_reason(reason)
    report.closed_at = now
    _record(session, report, actor, "rejected", now, note=report.reject_reason)
    return report


async def duplicate_candidates(
    session: AsyncSession, report: Report, *, limit: int = 8
) -> list[Report]:
    """Open reports that could be this one's original: its flagged probable duplicate
    first, then the same category in the same grid, newest first."""
    result = await session.exec(
        select(Report)
        .where(
            Report.id != report.id,
            Report.category == report.category,
            Report.grid_id == report.grid_id,
            col(Report.status).in_((*OPEN_STATUSES, ReportStatus.RESOLVED)),
        )
        .order_by(col(Report.id).desc())
        .limit(limit)
    )
    candidates = list(result.all())
    if report.probable_duplicate_of:
        candidates.sort(key=lambda r: r.id != report.probable_duplicate_of)
    return candidates


async def mark_duplicate(
    session: AsyncSession, report: Report, actor: Person, *, original_id: int, now: datetime
) -> tuple[Report, list[int]]:
    """Merge into the original: this report closes, its followers follow the original.
    Returns the original and the people newly subscribed to it."""
    await require_handler(session, actor, report)
    _require_status(report, *OPEN_STATUSES)
    original = await session.get(Report, original_id)
    if (
        original is None
        or original.id == report.id
        or original.status not in (*OPEN_STATUSES, ReportStatus.RESOLVED)
    ):
        raise NotDuplicateCandidate(ticket=ticket(original_id))
    await require_handler(session, actor, original)  # its followers and trail change too
    report.status, report.duplicate_of, report.closed_at = ReportStatus.DUPLICATE, original.id, now
    _record(session, report, actor, "duplicate", now, note=ticket(original.id))
    existing = set(await follower_ids(session, original.id))
    added = [p for p in await follower_ids(session, report.id) if p not in existing]
    for person_id in added:
        session.add(ReportFollower(report_id=original.id, person_id=person_id, created_at=now))
    _record(session, original, actor, "merged", now, note=ticket(report.id))
    await session.flush()
    return original, added


async def follower_ids(session: AsyncSession, report_id: int) -> list[int]:
    result = await session.exec(
        select(ReportFollower.person_id).where(ReportFollower.report_id == report_id)
    )
    return sorted(result.all())


async def _require_follower(session: AsyncSession, person: Person, report: Report) -> None:
    if person.id not in await follower_ids(session, report.id):
        raise PermissionDenied()


async def confirm(
    session: AsyncSession, report: Report, person: Person, *, now: datetime
) -> Report:
    """The reporter agrees it is fixed."""
    await _require_follower(session, person, report)
    _require_status(report, ReportStatus.RESOLVED)
    report.status, report.closed_at = ReportStatus.CLOSED, now
    _record(session, report, person, "confirmed", now)
    return report


async def reopen(
    session: AsyncSession,
    report: Report,
    person: Person,
    *,
    settings: ReportSettings,
    now: datetime,
) -> Report:
    """The reporter says it is not fixed, within the confirm window: back to whoever had it."""
    await _require_follower(session, person, report)
    _require_status(report, ReportStatus.RESOLVED)
    if now - report.resolved_at > timedelta(days=settings.confirm_days):
        raise ReopenTooLate(days=settings.confirm_days)
    report.status = ReportStatus.ASSIGNED if report.assignee_id else ReportStatus.ACCEPTED
    report.resolved_at = None
    _record(session, report, person, "reopened", now)
    return report


async def block_reporter(
    session: AsyncSession, actor: Person, *, report: Report, reason: str | None, now: datetime
) -> int:
    """Admins only (they alone may know who reported)."""
    if not actor.is_admin:
        raise PermissionDenied()
    if report.reporter_id is None:
        raise UnknownChoice()
    if await session.get(ReporterBlock, report.reporter_id) is None:
        session.add(
            ReporterBlock(
                person_id=report.reporter_id, blocked_by=actor.id, reason=reason, created_at=now
            )
        )
        _record(session, report, actor, "reporter_blocked", now, note=reason)
    return report.reporter_id


# --- the clock's part: escalation and closing ----------------------------------------------


async def unaccepted_overdue(
    session: AsyncSession, *, settings: ReportSettings, now: datetime
) -> list[Report]:
    """Submitted longer ago than the acceptance time and not yet escalated."""
    deadline = now - timedelta(hours=settings.accept_within_hours)
    result = await session.exec(
        select(Report)
        .where(
            Report.status == ReportStatus.SUBMITTED,
            Report.created_at <= deadline,
            Report.escalated_at.is_(None),
        )
        .order_by(Report.id)
    )
    return list(result.all())


async def mark_escalated(session: AsyncSession, report: Report, *, now: datetime) -> None:
    report.escalated_at = now
    _record(session, report, None, "escalated", now, public=False)


async def close_confirm_window(
    session: AsyncSession, *, settings: ReportSettings, now: datetime
) -> list[Report]:
    """Resolved reports nobody reopened within the window are closed."""
    cutoff = now - timedelta(days=settings.confirm_days)
    result = await session.exec(
        select(Report).where(Report.status == ReportStatus.RESOLVED, Report.resolved_at <= cutoff)
    )
    closed = list(result.all())
    for report in closed:
        report.status, report.closed_at = ReportStatus.CLOSED, now
        _record(session, report, None, "closed", now)
    return closed


def overdue(report: Report, settings: ReportSettings, now: datetime) -> bool:
    """Open past its category's deadline (for the weekly digest)."""
    category = settings.category(report.category)
    hours = category.deadline_hours if category else 72
    return report.status in OPEN_STATUSES and now - report.created_at > timedelta(hours=hours)


# --- lists ---------------------------------------------------------------------------------


async def queue(session: AsyncSession, person: Person, *, limit: int = 20) -> list[Report]:
    """Open reports a handler should act on: oldest first, triage included for officers."""
    grids = await handled_grid_ids(session, person)
    query = select(Report).where(col(Report.status).in_(OPEN_STATUSES))
    if grids is not None:
        sees_triage = bool(await officer_grid_ids(session, person.id))
        condition = col(Report.grid_id).in_(grids)
        if sees_triage:
            condition = condition | Report.grid_id.is_(None)
        query = query.where(condition)
    result = await session.exec(query.order_by(Report.created_at, Report.id).limit(limit))
    return list(result.all())


async def tasks_of(session: AsyncSession, person_id: int) -> list[Report]:
    result = await session.exec(
        select(Report)
        .where(
            Report.assignee_id == person_id,
            col(Report.status).in_((ReportStatus.ASSIGNED, ReportStatus.IN_PROGRESS)),
        )
        .order_by(Report.id)
    )
    return list(result.all())


async def followed_by(session: AsyncSession, person_id: int, *, limit: int = 20) -> list[Report]:
    result = await session.exec(
        select(Report)
        .join(ReportFollower, ReportFollower.report_id == Report.id)
        .where(ReportFollower.person_id == person_id)
        .order_by(col(Report.id).desc())
        .limit(limit)
    )
    return list(result.all())


async def photos_of(
    session: AsyncSession, report_id: int, stage: PhotoStage | None = None
) -> list[ReportPhoto]:
    query = select(ReportPhoto).where(ReportPhoto.report_id == report_id)
    if stage is not None:
        query = query.where(ReportPhoto.stage == stage)
    return list((await session.exec(query.order_by(ReportPhoto.id))).all())


async def events_of(session: AsyncSession, report_id: int) -> list[ReportEvent]:
    result = await session.exec(
        select(ReportEvent).where(ReportEvent.report_id == report_id).order_by(ReportEvent.id)
    )
    return list(result.all())
