"""What each role sees of a report, and the notices its steps send.

Anonymity is enforced here, in one place: the card for officers, leaders and
volunteers never carries an anonymous reporter's identity, and nobody's phone
number; only the admins' audit card (`audit=True`, refused to non-admins) does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ChatIdentity, Grid, Person, PhotoStage, Report, ReportStatus, Volunteer
from services import reports
from services.errors import PermissionDenied
from services.geo import distance_m
from services.i18n import N_, Translator, format_day, render
from services.notifier import Action, Notice
from services.org import place_label
from services.profile import real_name
from services.report_labels import CategoryLabel, StatusLabel, ticket
from services.settings import ReportSettings, Settings


@dataclass(frozen=True)
class PlaceName:
    grid: Grid | None

    def localize(self, tr: Translator) -> str:
        if self.grid is None:
            return tr("triage queue (no grid yet)")
        return place_label(self.grid, tr.language)


@dataclass(frozen=True)
class ReportCard:
    """A report as text, in the reader's language."""

    report: Report
    category: CategoryLabel
    grid: PlaceName
    zone: ZoneInfo
    # None: anonymous (or hidden); a name otherwise.
    reporter: str | None
    assignee: str | None = None
    photos: int = 0
    duplicate_distance: float | None = None
    # Admins' audit only.
    audit_lines: tuple[str | Said, ...] = ()

    def localize(self, tr: Translator) -> str:
        report = self.report
        created = report.created_at.astimezone(self.zone)
        lines = [
            tr("📣 Report {ticket} · {category}").format(
                ticket=ticket(report.id), category=self.category.localize(tr)
            ),
            tr("Status: {status}").format(status=StatusLabel(report.status).localize(tr)),
            tr("Grid: {grid}").format(grid=self.grid.localize(tr)),
        ]
        if report.routed_by == "nearest":
            lines.append(tr("(outside every grid's boundary: sent to the nearest grid)"))
        if report.address:
            lines.append(tr("Place: {address}").format(address=report.address))
        if report.latitude is not None:
            lines.append(
                tr("Map: {latitude:.5f}, {longitude:.5f}").format(
                    latitude=report.latitude, longitude=report.longitude
                )
            )
        if report.description:
            lines.append(tr("Description: {text}").format(text=report.description))
        lines.append(
            tr("Reported: {day} {time}").format(
                day=format_day(created.date(), tr.language), time=f"{created:%H:%M}"
            )
        )
        if self.photos:
            lines.append(tr("Photos: {count}").format(count=self.photos))
        if report.source == "open311":
            lines.append(tr("Source: a city platform (Open311)"))
        lines.append(
            tr("Reporter: {name}").format(name=self.reporter)
            if self.reporter
            else tr("Reporter: anonymous")
        )
        if report.probable_duplicate_of and report.status in (
            ReportStatus.SUBMITTED,
            ReportStatus.ACCEPTED,
        ):
            lines.append(
                tr("⚠️ Probably the same as {ticket} ({metres} m away)").format(
                    ticket=ticket(report.probable_duplicate_of),
                    metres=round(self.duplicate_distance or 0),
                )
            )
        if self.assignee:
            lines.append(tr("Volunteer: {name}").format(name=self.assignee))
        lines.extend(outcome_lines(tr, report))
        lines.extend(
            line if isinstance(line, str) else line.localize(tr) for line in self.audit_lines
        )
        return "\n".join(lines)


def list_line(tr: Translator, report: Report, settings: Settings) -> str:
    """A report in a list: R000012 · 占道经营 · 等待受理 · 11-27 09:33."""
    created = report.created_at.astimezone(settings.bot.zone)
    category = CategoryLabel(settings.reports, report.category).localize(tr)
    status = StatusLabel(report.status).localize(tr)
    return f"{ticket(report.id)} · {category} · {status} · {created:%m-%d %H:%M}"


def candidate_line(report: Report, other: Report, zone: ZoneInfo) -> str:
    """A possible original of `report`: ⚠️ flags the probable duplicate found at submission."""
    created = other.created_at.astimezone(zone)
    flag = "⚠️ " if other.id == report.probable_duplicate_of else ""
    place = other.address or f"{other.latitude:.4f},{other.longitude:.4f}"
    return f"{flag}{ticket(other.id)} · {created:%m-%d %H:%M} · {place}"


def outcome_lines(tr: Translator, report: Report) -> list[str]:
    """What became of a report: the result, the reason it was rejected, its original."""
    lines = []
    if report.resolution_note:
        lines.append(tr("Result: {note}").format(note=report.resolution_note))
    if report.reject_reason:
        lines.append(tr("Reason: {reason}").format(reason=report.reject_reason))
    if report.duplicate_of:
        lines.append(tr("Same as {ticket}").format(ticket=ticket(report.duplicate_of)))
    return lines


async def card(
    session: AsyncSession,
    report: Report,
    *,
    settings: ReportSettings,
    zone: ZoneInfo,
    viewer: Person | None = None,
    audit: bool = False,
) -> ReportCard:
    if audit and (viewer is None or not viewer.is_admin):
        raise PermissionDenied()
    grid = await session.get(Grid, report.grid_id) if report.grid_id else None
    reporter = None
    if report.reporter_id is not None and (audit or not report.anonymous):
        reporter = await real_name(session, report.reporter_id) or None
    distance = None
    if report.probable_duplicate_of:
        original = await session.get(Report, report.probable_duplicate_of)
        if original is not None and original.latitude is not None and report.latitude is not None:
            distance = distance_m(
                report.latitude, report.longitude, original.latitude, original.longitude
            )
    return ReportCard(
        report=report,
        category=CategoryLabel(settings, report.category),
        grid=PlaceName(grid),
        zone=zone,
        reporter=reporter,
        assignee=await real_name(session, report.assignee_id) if report.assignee_id else None,
        photos=len(await reports.photos_of(session, report.id, PhotoStage.BEFORE)),
        duplicate_distance=distance,
        audit_lines=await _audit_lines(session, report, zone) if audit else (),
    )


@dataclass(frozen=True)
class Said:
    """A catalog message with its parameters, rendered in the reader's language."""

    message: str
    params: tuple[tuple[str, object], ...] = ()

    def localize(self, tr: Translator) -> str:
        return render(tr, self.message, dict(self.params))


# The trail's steps, as the admins read them.
ACTION_NAMES = {
    "submitted": N_("reported"),
    "routed": N_("put in a grid"),
    "accepted": N_("accepted"),
    "assigned": N_("assigned"),
    "started": N_("work started"),
    "resolved": N_("resolved"),
    "rejected": N_("rejected"),
    "duplicate": N_("merged as a duplicate"),
    "merged": N_("a duplicate merged in"),
    "confirmed": N_("confirmed by the reporter"),
    "reopened": N_("reopened by the reporter"),
    "escalated": N_("escalated to the administrators"),
    "closed": N_("closed"),
    "reporter_blocked": N_("reporter blocked"),
}


async def _audit_lines(
    session: AsyncSession, report: Report, zone: ZoneInfo
) -> tuple[str | Said, ...]:
    """Who really reported, and every step with who and when: for admins' eyes only."""
    lines: list[str | Said] = [
        Said(N_("— audit (administrators only) —")),
        Said(N_("Anonymous: yes") if report.anonymous else N_("Anonymous: no")),
    ]
    if report.reporter_id is not None:
        volunteer = await session.get(Volunteer, report.reporter_id)
        accounts = await session.exec(
            select(ChatIdentity).where(ChatIdentity.person_id == report.reporter_id)
        )
        for account in accounts.all():
            handle = f" @{account.username}" if account.username else ""
            lines.append(
                f"{account.channel} {account.external_id}{handle} {account.display_name or ''}"
            )
        if volunteer is not None:
            lines.append(f"{volunteer.real_name} {volunteer.phone}")
    if report.contact:
        lines.append(" ".join(f"{k}: {v}" for k, v in report.contact.items() if v))
    lines.append(Said(N_("Steps:")))
    for event in await reports.events_of(session, report.id):
        who = await real_name(session, event.actor_id) if event.actor_id else ""
        at = event.created_at.astimezone(zone)
        lines.append(
            Said(
                N_("{time} {step} {who} {note}"),
                (
                    ("time", f"{at:%Y-%m-%d %H:%M}"),
                    ("step", Said(ACTION_NAMES.get(event.action, event.action))),
                    ("who", who),
                    ("note", f"({event.note})" if event.note else ""),
                ),
            )
        )
    return tuple(lines)


# --- the buttons that go with a card -------------------------------------------------------


def handler_actions(report: Report, *, admin: bool = False) -> tuple[tuple[Action, ...], ...]:
    rows: list[tuple[Action, ...]] = []
    if report.grid_id is None and report.status == ReportStatus.SUBMITTED:
        rows.append((Action(N_("📍 Put in a grid"), f"rp:grid:{report.id}"),))
    if report.status == ReportStatus.SUBMITTED:
        rows.append(
            (
                Action(N_("✅ Accept"), f"rp:acc:{report.id}"),
                Action(N_("👤 Assign"), f"rp:asg:{report.id}"),
            )
        )
    elif report.status in (
        ReportStatus.ACCEPTED,
        ReportStatus.ASSIGNED,
        ReportStatus.IN_PROGRESS,
    ):
        rows.append((Action(N_("👤 Assign"), f"rp:asg:{report.id}"),))
    if report.status in (
        ReportStatus.ACCEPTED,
        ReportStatus.ASSIGNED,
        ReportStatus.IN_PROGRESS,
    ):
        rows.append((Action(N_("✅ Resolved (send the after photo)"), f"rp:fix:{report.id}"),))
    if report.status in reports.OPEN_STATUSES:
        rows.append(
            (
                Action(N_("🔁 Duplicate of…"), f"rp:dup:{report.id}"),
                Action(N_("❌ Reject"), f"rp:rej:{report.id}"),
            )
        )
    if admin and (report.reporter_id is not None or report.contact):
        rows.append((Action(N_("🔍 Who reported (audit)"), f"rp:who:{report.id}"),))
    return tuple(rows)


async def viewer_actions(
    session: AsyncSession, report: Report, viewer: Person
) -> tuple[tuple[Action, ...], ...]:
    """The volunteer with the task sees its buttons; handlers see theirs."""
    if report.assignee_id == viewer.id and not await reports.may_handle(session, viewer, report):
        return task_actions(report)
    return handler_actions(report, admin=viewer.is_admin)


def task_actions(report: Report) -> tuple[tuple[Action, ...], ...]:
    """For the volunteer who has the task."""
    if report.status == ReportStatus.ASSIGNED:
        return (
            (Action(N_("🚶 On my way / working on it"), f"rp:go:{report.id}"),),
            (Action(N_("✅ Resolved (send the after photo)"), f"rp:fix:{report.id}"),),
        )
    if report.status == ReportStatus.IN_PROGRESS:
        return ((Action(N_("✅ Resolved (send the after photo)"), f"rp:fix:{report.id}"),),)
    return ()


def reporter_actions(report: Report) -> tuple[tuple[Action, ...], ...]:
    if report.status == ReportStatus.RESOLVED:
        return (
            (
                Action(N_("👍 Yes, it is fixed"), f"rp:ok:{report.id}"),
                Action(N_("🔁 Not fixed, reopen"), f"rp:re:{report.id}"),
            ),
        )
    return ()


def photo_refs(photos) -> list[dict[str, str]]:
    """Photos as the outbox sends them: the channel's file id and our own copy."""
    return [{"file_id": p.file_id, "path": p.local_path or ""} for p in photos]


# --- what each step tells the reporter (and the merged reporters) --------------------------

UPDATES = {
    "accepted": N_(
        "Your report {ticket} ({category}) was accepted by the grid and will be handled."
    ),
    "assigned": N_("Your report {ticket} ({category}) has been given to a volunteer."),
    "started": N_("A volunteer is working on your report {ticket} ({category}) now."),
    "resolved": N_(
        "Your report {ticket} ({category}) is resolved. {note}\n"
        "Is it fixed? Please confirm, or reopen it within {days} days."
    ),
    "rejected": N_("Your report {ticket} ({category}) was not taken up: {reason}"),
    "reopened": N_("Report {ticket} was reopened: the reporter says it is not fixed."),
    "merged": N_(
        "Your report {ticket} is the same problem as {original}, which is already being "
        "followed. You will be told of its progress."
    ),
    "routed": N_("Your report {ticket} ({category}) was passed to {grid}."),
}


def reporter_update(
    report: Report, action: str, *, settings: ReportSettings, grid: Grid | None = None
) -> Notice:
    params = {
        "ticket": ticket(report.id),
        "category": CategoryLabel(settings, report.category),
        "note": report.resolution_note or "",
        "days": settings.confirm_days,
        "reason": report.reject_reason or "",
        "original": ticket(report.duplicate_of) if report.duplicate_of else "",
        "grid": PlaceName(grid),
    }
    actions = reporter_actions(report) if action == "resolved" else ()
    return Notice(UPDATES[action], params, actions)


def is_resolved_recently(report: Report, now: datetime, settings: ReportSettings) -> bool:
    return (
        report.status == ReportStatus.RESOLVED
        and report.resolved_at is not None
        and (now - report.resolved_at).days < settings.confirm_days
    )


@dataclass(frozen=True)
class Headed:
    """A card under a one-line headline ("🆕 New report", "⏰ Not accepted in time")."""

    headline: str
    body: ReportCard

    def localize(self, tr: Translator) -> str:
        return f"{tr(self.headline)}\n{self.body.localize(tr)}"


async def handler_notice(
    session: AsyncSession,
    report: Report,
    settings: Settings,
    *,
    recipient_id: int,
    headline: str,
) -> tuple[Notice, dict]:
    """A report for an officer or leader: photos, the card, the map pin and the buttons."""
    recipient = await session.get(Person, recipient_id)
    body = await card(session, report, settings=settings.reports, zone=settings.bot.zone)
    options = {
        "photos": photo_refs(await reports.photos_of(session, report.id, PhotoStage.BEFORE)),
        "location": (report.latitude, report.longitude) if report.latitude is not None else None,
    }
    actions = handler_actions(report, admin=bool(recipient and recipient.is_admin))
    return Notice(Headed(headline, body), actions=actions), options


async def task_notice(
    session: AsyncSession, report: Report, settings: Settings
) -> tuple[Notice, dict]:
    """The volunteer's task: what, where, and the buttons to report progress."""
    body = await card(session, report, settings=settings.reports, zone=settings.bot.zone)
    options = {
        "photos": photo_refs(await reports.photos_of(session, report.id, PhotoStage.BEFORE)),
        "location": (report.latitude, report.longitude) if report.latitude is not None else None,
    }
    return Notice(Headed(TASK_HEADLINE, body), actions=task_actions(report)), options


TASK_HEADLINE = N_("🧹 A task for you: please handle this report and send an after photo.")


NEW_REPORT = N_("🆕 New report")


async def new_report_notices(
    session: AsyncSession, report: Report, settings: Settings
) -> list[tuple[int, Notice, dict]]:
    """A new report for each of its handlers (whatever channel it came from)."""
    notices = []
    for person_id in await reports.handler_ids(session, report):
        notice, options = await handler_notice(
            session, report, settings, recipient_id=person_id, headline=NEW_REPORT
        )
        notices.append((person_id, notice, options))
    return notices


async def follower_notices(
    session: AsyncSession,
    report: Report,
    action: str,
    *,
    settings: ReportSettings,
    actor_id: int,
    grid: Grid | None = None,
) -> list[tuple[int, Notice, dict]]:
    """A step of the report for its reporter and the merged reporters (not the actor);
    "resolved" carries the after photos."""
    notice = reporter_update(report, action, settings=settings, grid=grid)
    options: dict = {}
    if action == "resolved":
        options["photos"] = photo_refs(
            await reports.photos_of(session, report.id, PhotoStage.AFTER)
        )
    return [
        (person_id, notice, options)
        for person_id in await reports.follower_ids(session, report.id)
        if person_id != actor_id
    ]


REOPENED = N_("🔁 Reopened by the reporter: not fixed yet.")


def confirmed_notices(report: Report) -> list[tuple[int, Notice, dict]]:
    """The reporter agreed it is fixed: the volunteer who did it hears so."""
    if not report.assignee_id:
        return []
    notice = Notice(
        N_("👍 The reporter confirmed {ticket} is fixed. Thank you!"),
        {"ticket": ticket(report.id)},
    )
    return [(report.assignee_id, notice, {})]


async def reopened_notices(
    session: AsyncSession, report: Report, settings: Settings
) -> list[tuple[int, Notice, dict]]:
    """Not fixed after all: the task goes back to its volunteer, and the grid is told."""
    notices = []
    if report.assignee_id:
        notice, options = await task_notice(session, report, settings)
        notices.append((report.assignee_id, notice, options))
    for person_id in await reports.handler_ids(session, report):
        notice, options = await handler_notice(
            session, report, settings, recipient_id=person_id, headline=REOPENED
        )
        notices.append((person_id, notice, options))
    return notices
