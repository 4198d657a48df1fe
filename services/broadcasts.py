"""Broadcasts: a leader (their team), a grid officer (their grid) or an admin (a team,
a grid or everyone) sends an announcement.

The /broadcast conversation is a draft (flow "broadcast"): choose whom it is for
(skipped when there is one choice), type the text, see a preview with how many
people it reaches, then send, edit or cancel. Each preview has a revision number
in its buttons, so a button of an older preview is out of date.

Sending writes the Broadcast row and one outbox notification per reachable
recipient (key ``broadcast:<id>:<person>``, rendered in the recipient's language
with a header naming the sender and the audience) in one transaction: a crash
loses or doubles nothing, and the dispatcher sends them at Telegram's pace.
People who blocked the bot are not sent to; they get a row too, written as
cancelled, so the final report can say how many were skipped. Delivered, failed
and skipped are counted from the rows' statuses (sent, failed, cancelled).
"""

from __future__ import annotations

import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    Broadcast,
    ChatIdentity,
    Community,
    ConversationDraft,
    Grid,
    GridOfficer,
    Notification,
    NotificationStatus,
    Person,
    Team,
    TeamMember,
    Volunteer,
)
from services import drafts, identity, outbox
from services.errors import DomainError, PermissionDenied, StaleAction, UnknownChoice
from services.i18n import N_, Catalogs, Translator, pick_label
from services.notifier import Notice
from services.outbox import QuietHours
from services.profile import real_name
from services.roles import leads_team
from services.settings import Settings
from services.teams import led_teams

FLOW = "broadcast"
# Telegram allows 4096 characters (UTF-16 code units) a message; the header and
# the preview's lines need the rest.
TEXT_LIMIT = 3500
KIND = "broadcast"
SKIPPED_ERROR = "skipped: not reachable (blocked the bot)"


class NotAllowedToBroadcast(DomainError):
    message = N_(
        "Only team leaders, grid officers and administrators can send announcements. "
        "Ask your team leader if something should be announced."
    )


class EmptyAnnouncement(DomainError):
    message = N_("Please type the announcement as a text message (up to {limit} characters).")


class AnnouncementTooLong(DomainError):
    message = N_(
        "That is {length} characters; an announcement may have at most {limit}. "
        "Please shorten it and send it again."
    )


class NoRecipients(DomainError):
    message = N_("Nobody in {target} can receive the announcement right now.")


class Step(StrEnum):
    SCOPE = "scope"
    TEXT = "text"
    PREVIEW = "preview"


class Scope(StrEnum):
    TEAM = "team"
    GRID = "grid"
    ALL = "all"


@dataclass
class BroadcastState:
    step: Step
    scope: Scope | None = None
    team_id: int | None = None
    grid_id: int | None = None
    text: str | None = None
    # Bumped with every new preview: buttons of older previews are out of date.
    rev: int = 0

    @classmethod
    def from_data(cls, step: str, data: dict[str, Any]) -> BroadcastState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "step"}
        if known.get("scope") is not None:
            known["scope"] = Scope(known["scope"])
        return cls(step=Step(step), **known)

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("step")
        return data


# --- what is shown ----------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Whom a broadcast is for, named in the reader's language."""

    scope: Scope
    team_name: str | None = None
    grid_names: tuple[str, str | None, str | None] | None = None

    def localize(self, tr: Translator) -> str:
        if self.scope is Scope.TEAM:
            return self.team_name or ""
        if self.scope is Scope.GRID and self.grid_names:
            return pick_label(tr.language, *self.grid_names)
        return tr("all volunteers")


@dataclass(frozen=True)
class Announcement:
    """What a recipient reads: a header naming the sender and the audience, then the text."""

    sender: str
    target: Target
    text: str

    def localize(self, tr: Translator) -> str:
        target = self.target.localize(tr)
        header = (
            tr("📢 Announcement from {sender} ({target}):").format(
                sender=self.sender, target=target
            )
            if self.sender
            # Someone we know by no name (a WeChat admin who is not a volunteer).
            else tr("📢 Announcement ({target}):").format(target=target)
        )
        return f"{header}\n{self.text}"


def _local_time(moment: datetime, quiet: QuietHours) -> str:
    return f"{moment.astimezone(quiet.zone):%H:%M}"


@dataclass(frozen=True)
class Preview:
    announcement: Announcement
    reachable: int
    skipped: int
    # Quiet hours now: delivery starts then (local time shown).
    starts_at: datetime | None
    quiet: QuietHours | None

    @property
    def target(self) -> Target:
        return self.announcement.target

    def localize(self, tr: Translator) -> str:
        lines = [
            tr("Preview of your announcement to {target}.").format(target=self.target.localize(tr))
        ]
        if self.reachable:
            lines.append(
                tr.plural(
                    "It will reach {count} person.", "It will reach {count} people.", self.reachable
                ).format(count=self.reachable)
            )
        else:
            lines.append(tr("Nobody in it can receive the announcement right now."))
        if self.skipped:
            lines.append(
                tr.plural(
                    "{count} person who blocked the bot will be skipped.",
                    "{count} people who blocked the bot will be skipped.",
                    self.skipped,
                ).format(count=self.skipped)
            )
        if self.starts_at is not None and self.quiet is not None:
            lines.append(
                tr("🌙 It is quiet hours now: delivery starts at {time}.").format(
                    time=_local_time(self.starts_at, self.quiet)
                )
            )
        return "\n".join(lines) + "\n\n" + self.announcement.localize(tr)


@dataclass(frozen=True)
class Counts:
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    waiting: int = 0  # not sent yet (pending, or being sent)

    @property
    def done(self) -> int:
        return self.delivered + self.failed

    @property
    def total(self) -> int:
        return self.delivered + self.failed + self.waiting

    @property
    def finished(self) -> bool:
        return self.waiting == 0


@dataclass(frozen=True)
class Report:
    """The author's progress message: where delivery stands, then the announcement."""

    announcement: Announcement
    counts: Counts
    # Held by quiet hours: delivery (re)starts then.
    resumes_at: datetime | None = None
    quiet: QuietHours | None = field(default=None, compare=False)

    def localize(self, tr: Translator) -> str:
        target = self.announcement.target.localize(tr)
        c = self.counts
        if c.finished:
            status = tr(
                "✅ Announcement to {target} sent: {delivered} delivered, {failed} failed, "
                "{skipped} skipped (blocked the bot)."
            ).format(target=target, delivered=c.delivered, failed=c.failed, skipped=c.skipped)
        elif self.resumes_at is not None and self.quiet is not None:
            status = tr(
                "🌙 Quiet hours: delivery to {target} waits until {time} ({done}/{total})."
            ).format(
                target=target,
                time=_local_time(self.resumes_at, self.quiet),
                done=c.done,
                total=c.total,
            )
        else:
            status = tr("📤 Sending to {target}: {done}/{total}").format(
                target=target, done=c.done, total=c.total
            )
        return f"{status}\n\n{self.announcement.localize(tr)}"


def quiet_hours(settings: Settings) -> QuietHours:
    notifications = settings.notifications
    return QuietHours(notifications.quiet_start, notifications.quiet_end, settings.bot.zone)


def start_time(quiet: QuietHours | None, now: datetime) -> datetime | None:
    """When delivery can start: None for now, or the end of the current quiet hours."""
    if quiet is None or not quiet.covers(now):
        return None
    return quiet.next_end(now)


# --- whom a person may address --------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    everyone: bool
    teams: list[Team]
    grids: list[Grid]

    @property
    def count(self) -> int:
        return int(self.everyone) + len(self.teams) + len(self.grids)

    def only(self) -> tuple[Scope, int | None] | None:
        """The one choice there is, if there is just one."""
        if self.count != 1:
            return None
        if self.teams:
            return Scope.TEAM, self.teams[0].id
        if self.grids:
            return Scope.GRID, self.grids[0].id
        return Scope.ALL, None


async def _grids(session: AsyncSession, person: Person) -> list[Grid]:
    query = (
        select(Grid)
        .join(Community, Community.id == Grid.community_id)
        .where(Grid.active, Community.active)
        .order_by(col(Community.position), col(Grid.position))
    )
    if not person.is_admin:
        query = query.join(GridOfficer, GridOfficer.grid_id == Grid.id).where(
            GridOfficer.person_id == person.id
        )
    return list((await session.exec(query)).all())


async def options(session: AsyncSession, person: Person) -> Options:
    """Leaders: the teams they lead; grid officers: their grids; admins: anything."""
    return Options(
        everyone=person.is_admin,
        teams=await led_teams(session, person),
        grids=await _grids(session, person),
    )


async def _require_allowed(session: AsyncSession, person: Person, state: BroadcastState) -> None:
    """The permission check, every step (a forged button, or a leader dismissed meanwhile)."""
    if state.scope is Scope.ALL:
        allowed = person.is_admin
    elif state.scope is Scope.TEAM and state.team_id is not None:
        if await session.get(Team, state.team_id) is None:
            raise UnknownChoice()
        allowed = person.is_admin or await leads_team(session, person, state.team_id)
    elif state.scope is Scope.GRID and state.grid_id is not None:
        grid = await session.get(Grid, state.grid_id)
        if grid is None or not grid.active:
            raise UnknownChoice()
        allowed = (
            person.is_admin
            or await session.get(GridOfficer, (state.grid_id, person.id)) is not None
        )
    else:
        raise StaleAction()
    if not allowed:
        raise PermissionDenied()


# --- the conversation ------------------------------------------------------------------------


async def current(session: AsyncSession, person: Person) -> BroadcastState | None:
    draft = await drafts.load(session, person.id, FLOW)
    return BroadcastState.from_data(draft.step, draft.data) if draft else None


async def _save(
    session: AsyncSession, person: Person, state: BroadcastState, now: datetime
) -> BroadcastState:
    await drafts.save(session, person.id, FLOW, step=state.step, data=state.to_data(), now=now)
    return state


async def _expect(session: AsyncSession, person: Person, *steps: Step) -> BroadcastState:
    state = await current(session, person)
    if state is None or state.step not in steps:
        raise StaleAction()
    return state


async def begin(session: AsyncSession, person: Person, *, now: datetime) -> BroadcastState:
    """Start (or resume) /broadcast; with a single choice, go straight to the text."""
    choices = await options(session, person)
    if not choices.count:
        raise NotAllowedToBroadcast()
    state = await current(session, person)
    if state is not None:
        return state
    only = choices.only()
    if only is None:
        return await _save(session, person, BroadcastState(step=Step.SCOPE), now)
    scope, target_id = only
    return await _save(session, person, _targeted(Step.TEXT, scope, target_id), now)


def _targeted(step: Step, scope: Scope, target_id: int | None) -> BroadcastState:
    return BroadcastState(
        step=step,
        scope=scope,
        team_id=target_id if scope is Scope.TEAM else None,
        grid_id=target_id if scope is Scope.GRID else None,
    )


async def choose(
    session: AsyncSession, person: Person, scope: Scope, target_id: int | None, *, now: datetime
) -> BroadcastState:
    state = await _expect(session, person, Step.SCOPE)
    if (scope is Scope.ALL) != (target_id is None):
        raise StaleAction()
    chosen = _targeted(Step.TEXT, scope, target_id)
    chosen.rev = state.rev
    await _require_allowed(session, person, chosen)
    return await _save(session, person, chosen, now)


def utf16_length(text: str) -> int:
    """Characters as Telegram counts them (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def clean_announcement(text: str) -> str:
    """The text as typed, line breaks kept; control characters and outer blanks removed."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc")
    return "\n".join(line.rstrip() for line in kept.split("\n")).strip()


def _visible(text: str) -> bool:
    return any(
        not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc", "Zs") for ch in text
    )


async def submit_text(
    session: AsyncSession, person: Person, text: str, *, now: datetime
) -> BroadcastState:
    state = await _expect(session, person, Step.TEXT)
    cleaned = clean_announcement(text)
    if not _visible(cleaned):
        raise EmptyAnnouncement(limit=TEXT_LIMIT)
    length = utf16_length(cleaned)
    if length > TEXT_LIMIT:
        raise AnnouncementTooLong(length=length, limit=TEXT_LIMIT)
    await _require_allowed(session, person, state)
    state.text, state.step, state.rev = cleaned, Step.PREVIEW, state.rev + 1
    return await _save(session, person, state, now)


async def _at_preview(
    session: AsyncSession, person: Person, rev: int, *, lock: bool = False
) -> BroadcastState:
    query = select(ConversationDraft).where(
        ConversationDraft.person_id == person.id, ConversationDraft.flow == FLOW
    )
    if lock:  # two presses of Send at once: the second waits, then finds no draft
        query = query.with_for_update()
    draft = (await session.exec(query)).first()
    if draft is None:
        raise StaleAction()
    state = BroadcastState.from_data(draft.step, draft.data)
    if state.step is not Step.PREVIEW or state.rev != rev:
        raise StaleAction()
    return state


async def edit_text(
    session: AsyncSession, person: Person, rev: int, *, now: datetime
) -> BroadcastState:
    state = await _at_preview(session, person, rev)
    state.step = Step.TEXT
    return await _save(session, person, state, now)


async def cancel(session: AsyncSession, person: Person, rev: int) -> None:
    await _at_preview(session, person, rev)
    await drafts.discard(session, person.id, FLOW)


# --- the audience ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Audience:
    reachable: list[tuple[int, str]]  # (person id, language)
    skipped: list[tuple[int, str]]  # blocked the bot


async def audience(
    session: AsyncSession,
    scope: Scope,
    *,
    team_id: int | None = None,
    grid_id: int | None = None,
    exclude: int | None = None,
) -> Audience:
    """Registered volunteers in scope with a chat account on any channel; those who can be
    reached on none (blocked the bot, unfollowed) apart. The author is not among them
    (they have the preview and the report)."""
    query = (
        select(Volunteer.person_id, Person.language, ChatIdentity.reachable)
        .join(Person, Person.id == Volunteer.person_id)
        .join(ChatIdentity, ChatIdentity.person_id == Volunteer.person_id)
        .order_by(col(Volunteer.person_id))
    )
    if scope is Scope.TEAM:
        query = query.join(TeamMember, TeamMember.person_id == Volunteer.person_id).where(
            TeamMember.team_id == team_id, TeamMember.left_at.is_(None)
        )
    elif scope is Scope.GRID:
        query = query.where(Volunteer.grid_id == grid_id)
    if exclude is not None:
        query = query.where(Volunteer.person_id != exclude)
    # One row per chat account: a person counts as reachable when any account is.
    people: dict[int, tuple[str, bool]] = {}
    for person_id, language, is_reachable in (await session.exec(query)).all():
        _, before = people.get(person_id, (language, False))
        people[person_id] = (language, before or is_reachable)
    reachable = [(pid, language) for pid, (language, ok) in people.items() if ok]
    skipped = [(pid, language) for pid, (language, ok) in people.items() if not ok]
    return Audience(reachable, skipped)


async def _audience_of(session: AsyncSession, person: Person, state: BroadcastState) -> Audience:
    return await audience(
        session, state.scope, team_id=state.team_id, grid_id=state.grid_id, exclude=person.id
    )


async def target_of(
    session: AsyncSession, scope: Scope, team_id: int | None, grid_id: int | None
) -> Target:
    if scope is Scope.TEAM and team_id is not None:
        team = await session.get(Team, team_id)
        return Target(scope, team_name=team.name if team else "")
    if scope is Scope.GRID and grid_id is not None:
        grid = await session.get(Grid, grid_id)
        names = (grid.name, grid.name_en, grid.name_zh_hant) if grid else ("", None, None)
        return Target(scope, grid_names=names)
    return Target(Scope.ALL)


async def sender_name(session: AsyncSession, person_id: int) -> str:
    """The real name of a registered volunteer, else the name on their chat account."""
    return await real_name(session, person_id)


async def announcement_of(
    session: AsyncSession, person_id: int, state: BroadcastState
) -> Announcement:
    return Announcement(
        await sender_name(session, person_id),
        await target_of(session, state.scope, state.team_id, state.grid_id),
        state.text or "",
    )


async def target_of_state(session: AsyncSession, state: BroadcastState) -> Target:
    return await target_of(session, state.scope, state.team_id, state.grid_id)


async def preview(
    session: AsyncSession,
    person: Person,
    state: BroadcastState,
    *,
    quiet: QuietHours | None,
    now: datetime,
) -> Preview:
    reached = await _audience_of(session, person, state)
    return Preview(
        await announcement_of(session, person.id, state),
        reachable=len(reached.reachable),
        skipped=len(reached.skipped),
        starts_at=start_time(quiet, now),
        quiet=quiet,
    )


# --- sending -------------------------------------------------------------------------------------


def notification_key(broadcast_id: int, person_id: int) -> str:
    return f"broadcast:{broadcast_id}:{person_id}"


@dataclass(frozen=True)
class Sent:
    broadcast: Broadcast
    report: Report


async def send(
    session: AsyncSession,
    person: Person,
    rev: int,
    *,
    catalogs: Catalogs,
    quiet: QuietHours | None,
    now: datetime,
    progress_chat_id: str | None = None,
    progress_message_id: str | None = None,
) -> Sent:
    """Write the broadcast and its notifications, all in this transaction; end the draft."""
    state = await _at_preview(session, person, rev, lock=True)
    await _require_allowed(session, person, state)
    reached = await _audience_of(session, person, state)
    announcement = await announcement_of(session, person.id, state)
    if not reached.reachable:
        raise NoRecipients(target=announcement.target)
    broadcast = Broadcast(
        author_id=person.id,
        scope=state.scope,
        team_id=state.team_id,
        grid_id=state.grid_id,
        text=announcement.text,
        created_at=now,
        recipients=len(reached.reachable),
        progress_chat_id=progress_chat_id,
        progress_message_id=progress_message_id,
    )
    session.add(broadcast)
    await session.flush()
    starts_at = start_time(quiet, now)
    notice = Notice(announcement)
    common = {
        "catalogs": catalogs,
        "now": now,
        "kind": KIND,
        "due_at": starts_at or now,
        "broadcast_id": broadcast.id,
    }
    await outbox.enqueue_many(session, notice, _recipients(broadcast, reached.reachable), **common)
    # Who blocked the bot is not sent to; their rows say so, and count as skipped.
    await outbox.enqueue_many(
        session,
        notice,
        _recipients(broadcast, reached.skipped),
        status=NotificationStatus.CANCELLED,
        error=SKIPPED_ERROR,
        **common,
    )
    await drafts.discard(session, person.id, FLOW)
    counts = Counts(skipped=len(reached.skipped), waiting=len(reached.reachable))
    return Sent(broadcast, Report(announcement, counts, starts_at, quiet))


def _recipients(broadcast: Broadcast, people: list[tuple[int, str]]) -> list[outbox.Recipient]:
    return [
        outbox.Recipient(person_id, language, notification_key(broadcast.id, person_id))
        for person_id, language in people
    ]


# --- progress ---------------------------------------------------------------------------------


async def counts(session: AsyncSession, broadcast_id: int) -> Counts:
    rows = await session.exec(
        select(Notification.status, func.count())
        .where(Notification.broadcast_id == broadcast_id)
        .group_by(Notification.status)
    )
    by_status = dict(rows.all())
    return Counts(
        delivered=by_status.get(NotificationStatus.SENT, 0),
        failed=by_status.get(NotificationStatus.FAILED, 0),
        skipped=by_status.get(NotificationStatus.CANCELLED, 0),
        waiting=by_status.get(NotificationStatus.PENDING, 0)
        + by_status.get(NotificationStatus.SENDING, 0),
    )


@dataclass(frozen=True)
class Tracked:
    """An unfinished broadcast, as its author's progress message should show it."""

    broadcast: Broadcast
    author_language: str | None
    report: Report


async def unfinished(
    session: AsyncSession, *, quiet: QuietHours | None, now: datetime
) -> list[Tracked]:
    broadcasts = (
        await session.exec(
            select(Broadcast).where(Broadcast.finished_at.is_(None)).order_by(col(Broadcast.id))
        )
    ).all()
    tracked = []
    for broadcast in broadcasts:
        state = BroadcastState(
            step=Step.PREVIEW,
            scope=Scope(broadcast.scope),
            team_id=broadcast.team_id,
            grid_id=broadcast.grid_id,
            text=broadcast.text,
        )
        tally = await counts(session, broadcast.id)
        waiting_for_quiet = not tally.finished and quiet is not None and quiet.covers(now)
        report = Report(
            await announcement_of(session, broadcast.author_id, state),
            tally,
            quiet.next_end(now) if waiting_for_quiet else None,
            quiet,
        )
        language = await identity.language_of_person(session, broadcast.author_id)
        tracked.append(Tracked(broadcast, language, report))
    return tracked


async def finish(session: AsyncSession, broadcast_id: int, *, now: datetime) -> None:
    await session.exec(
        update(Broadcast)
        .where(Broadcast.id == broadcast_id, Broadcast.finished_at.is_(None))
        .values(finished_at=now)
    )
