"""The "new shift" conversation: team, kind, post, repeat, date, time, length,
places, minimum, then confirm. Resumable like registration (a draft per leader)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Person, Post, Team
from services import drafts, teams
from services.errors import (
    InvalidDate,
    InvalidNumber,
    InvalidTime,
    PermissionDenied,
    PostRequired,
    StaleAction,
    StartsInPast,
    UnknownChoice,
)
from services.i18n import N_, Translator, format_span
from services.posts import get_post
from services.recurrence import Repeat, to_utc
from services.settings import Settings, ShiftSettings
from services.shift_cards import ShiftCard
from services.shifts import (
    CAPACITY_RANGE,
    DURATION_RANGE,
    Created,
    ShiftPlan,
    create_shifts,
    infos,
    require_manager,
)

FLOW = "newshift"
OPEN_TO_ALL = 0  # the "team" choice meaning every volunteer

DURATION_CHOICES = (60, 90, 120, 180, 240)
CAPACITY_CHOICES = (5, 10, 15, 20, 30, 50)
MINIMUM_CHOICES = (0, 3, 5, 8, 10)
REPEAT_LABELS = {
    Repeat.ONCE: N_("Just once"),
    Repeat.WEEKLY: N_("Every week"),
    Repeat.WEEKDAYS: N_("Every weekday (Mon–Fri)"),
    Repeat.DAILY: N_("Every day"),
}
DATE_PICK_LABELS = {
    "today": N_("Today"),
    "tomorrow": N_("Tomorrow"),
    "this_friday": N_("This Friday"),
    "next_friday": N_("Next Friday"),
}

TIME_CHOICES = (
    time(7, 0),
    time(7, 30),
    time(8, 0),
    time(8, 30),
    time(9, 0),
    time(14, 0),
    time(16, 30),
    time(17, 0),
)


class SetupStep(StrEnum):
    TEAM = "team"
    KIND = "kind"
    POST = "post"
    REPEAT = "repeat"
    DATE = "date"
    TIME = "time"
    DURATION = "duration"
    CAPACITY = "capacity"
    MINIMUM = "minimum"
    SUMMARY = "summary"


@dataclass
class SetupState:
    step: SetupStep
    team_id: int | None = None  # OPEN_TO_ALL for every volunteer
    kind: str | None = None
    post_id: int | None = None
    repeat: str | None = None
    first_date: str | None = None  # ISO
    start_time: str | None = None  # HH:MM
    duration_minutes: int | None = None
    capacity: int | None = None
    min_volunteers: int | None = None

    @classmethod
    def from_data(cls, step: str, data: dict[str, Any]) -> SetupState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "step"}
        return cls(step=SetupStep(step), **known)

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("step")
        return data

    def plan(self) -> ShiftPlan:
        return ShiftPlan(
            team_id=None if self.team_id == OPEN_TO_ALL else self.team_id,
            kind=self.kind,
            post_id=self.post_id,
            first_date=date.fromisoformat(self.first_date),
            start_time=time.fromisoformat(self.start_time),
            duration_minutes=self.duration_minutes,
            capacity=self.capacity,
            min_volunteers=self.min_volunteers or 0,
            repeat=Repeat(self.repeat),
        )


@dataclass(frozen=True)
class DatePick:
    """A quick-pick date button: what it is called and which date it means."""

    name: str  # today | tomorrow | this_friday | next_friday | weekday
    day: date


def date_picks(now: datetime, zone: ZoneInfo) -> list[DatePick]:
    today = now.astimezone(zone).date()
    this_friday = today + timedelta(days=(4 - today.weekday()) % 7)
    picks = [DatePick("today", today), DatePick("tomorrow", today + timedelta(days=1))]
    for name, day in (("this_friday", this_friday), ("next_friday", this_friday + timedelta(7))):
        if all(p.day != day for p in picks):
            picks.append(DatePick(name, day))
    taken = {p.day for p in picks}
    picks += [
        DatePick("weekday", today + timedelta(days=n))
        for n in range(2, 8)
        if today + timedelta(days=n) not in taken
    ]
    return picks


_DATE_FORMATS = (
    re.compile(r"(?P<y>\d{4})[-/.年](?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"),
    re.compile(r"(?P<m>\d{1,2})[-/.月](?P<d>\d{1,2})日?"),
)
_TIME_FORMAT = re.compile(r"(?P<h>\d{1,2})[:：.点](?P<m>\d{2})?分?|(?P<h2>\d{1,2})点(?P<half>半)?")


def parse_date(text: str, today: date, *, past: bool = False) -> date:
    """2026-11-27, 11-27, 11/27, 11月27日. Without a year: the next such date, or
    with `past` the latest one up to today (for logging service already done)."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    for pattern in _DATE_FORMATS:
        match = pattern.fullmatch(cleaned)
        if not match:
            continue
        parts = match.groupdict()
        try:
            if parts.get("y"):
                return date(int(parts["y"]), int(parts["m"]), int(parts["d"]))
            candidate = date(today.year, int(parts["m"]), int(parts["d"]))
            if past:
                return candidate if candidate <= today else candidate.replace(year=today.year - 1)
            return candidate if candidate >= today else candidate.replace(year=today.year + 1)
        except ValueError as exc:
            raise InvalidDate() from exc
    raise InvalidDate()


def parse_time(text: str) -> time:
    """07:30, 7:30, 7.30, 7点30, 7点, 7点半."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    match = _TIME_FORMAT.fullmatch(cleaned)
    if not match:
        raise InvalidTime()
    hour = int(match["h"] if match["h"] is not None else match["h2"])
    minute = 30 if match["half"] else int(match["m"] or 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise InvalidTime()
    return time(hour, minute)


def parse_number(text: str, low: int, high: int) -> int:
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not cleaned.isdigit() or not low <= int(cleaned) <= high:
        raise InvalidNumber(low=low, high=high)
    return int(cleaned)


# --- the conversation -------------------------------------------------------------------------


async def current(session: AsyncSession, actor: Person) -> SetupState | None:
    draft = await drafts.load(session, actor.id, FLOW)
    return SetupState.from_data(draft.step, draft.data) if draft else None


async def _expect(session: AsyncSession, actor: Person, *steps: SetupStep) -> SetupState:
    state = await current(session, actor)
    if state is None or state.step not in steps:
        raise StaleAction()
    return state


async def _save(
    session: AsyncSession, actor: Person, state: SetupState, now: datetime
) -> SetupState:
    await drafts.save(session, actor.id, FLOW, step=state.step, data=state.to_data(), now=now)
    return state


async def team_choices(session: AsyncSession, actor: Person) -> list[Team]:
    return await teams.led_teams(session, actor)


async def begin(session: AsyncSession, actor: Person, *, now: datetime) -> SetupState:
    led = await team_choices(session, actor)
    if not led and not actor.is_admin:
        raise PermissionDenied()
    state = SetupState(step=SetupStep.TEAM)
    if len(led) == 1 and not actor.is_admin:
        state.team_id, state.step = led[0].id, SetupStep.KIND
    return await _save(session, actor, state, now)


async def choose_team(
    session: AsyncSession, actor: Person, team_id: int, *, now: datetime
) -> SetupState:
    state = await _expect(session, actor, SetupStep.TEAM)
    await require_manager(session, actor, None if team_id == OPEN_TO_ALL else team_id)
    if team_id != OPEN_TO_ALL:
        await teams.get_team(session, team_id)
    state.team_id, state.step = team_id, SetupStep.KIND
    return await _save(session, actor, state, now)


async def choose_kind(
    session: AsyncSession, actor: Person, kind: str, *, settings: ShiftSettings, now: datetime
) -> SetupState:
    state = await _expect(session, actor, SetupStep.KIND)
    chosen = settings.kind(kind)
    if chosen is None:
        raise UnknownChoice()
    state.kind = kind
    state.duration_minutes = chosen.default_minutes
    state.step = SetupStep.POST
    return await _save(session, actor, state, now)


async def choose_post(
    session: AsyncSession,
    actor: Person,
    post_id: int | None,
    *,
    settings: ShiftSettings,
    now: datetime,
) -> SetupState:
    state = await _expect(session, actor, SetupStep.POST)
    if post_id is None:
        if settings.kind(state.kind).needs_post:
            raise PostRequired()
    else:
        post = await get_post(session, post_id)
        if not post.active:
            raise UnknownChoice()
    state.post_id, state.step = post_id, SetupStep.REPEAT
    return await _save(session, actor, state, now)


async def choose_repeat(
    session: AsyncSession, actor: Person, repeat: str, *, now: datetime
) -> SetupState:
    state = await _expect(session, actor, SetupStep.REPEAT)
    try:
        state.repeat = Repeat(repeat)
    except ValueError as exc:
        raise UnknownChoice() from exc
    state.step = SetupStep.DATE
    return await _save(session, actor, state, now)


async def choose_date(
    session: AsyncSession, actor: Person, day: date, *, zone: ZoneInfo, now: datetime
) -> SetupState:
    state = await _expect(session, actor, SetupStep.DATE)
    if day < now.astimezone(zone).date():
        raise StartsInPast()
    if day > now.astimezone(zone).date() + timedelta(days=366):
        raise InvalidDate()
    state.first_date, state.step = day.isoformat(), SetupStep.TIME
    return await _save(session, actor, state, now)


async def choose_time(
    session: AsyncSession, actor: Person, start: time, *, zone: ZoneInfo, now: datetime
) -> SetupState:
    state = await _expect(session, actor, SetupStep.TIME)
    if to_utc(date.fromisoformat(state.first_date), start, zone) <= now:
        raise StartsInPast()
    state.start_time, state.step = start.strftime("%H:%M"), SetupStep.DURATION
    return await _save(session, actor, state, now)


async def choose_duration(
    session: AsyncSession, actor: Person, minutes: int, *, now: datetime
) -> SetupState:
    state = await _expect(session, actor, SetupStep.DURATION)
    if not DURATION_RANGE[0] <= minutes <= DURATION_RANGE[1]:
        raise InvalidNumber(low=DURATION_RANGE[0], high=DURATION_RANGE[1])
    state.duration_minutes, state.step = minutes, SetupStep.CAPACITY
    return await _save(session, actor, state, now)


async def choose_capacity(
    session: AsyncSession, actor: Person, places: int, *, now: datetime
) -> SetupState:
    state = await _expect(session, actor, SetupStep.CAPACITY)
    if not CAPACITY_RANGE[0] <= places <= CAPACITY_RANGE[1]:
        raise InvalidNumber(low=CAPACITY_RANGE[0], high=CAPACITY_RANGE[1])
    state.capacity, state.step = places, SetupStep.MINIMUM
    return await _save(session, actor, state, now)


async def choose_minimum(
    session: AsyncSession, actor: Person, minimum: int, *, now: datetime
) -> SetupState:
    state = await _expect(session, actor, SetupStep.MINIMUM)
    if not 0 <= minimum <= state.capacity:
        raise InvalidNumber(low=0, high=state.capacity)
    state.min_volunteers, state.step = minimum, SetupStep.SUMMARY
    return await _save(session, actor, state, now)


async def typed(
    session: AsyncSession, actor: Person, text: str, *, zone: ZoneInfo, now: datetime
) -> SetupState:
    """Text typed instead of a quick pick, for the steps that accept it."""
    state = await current(session, actor)
    if state is None:
        raise StaleAction()
    today = now.astimezone(zone).date()
    if state.step is SetupStep.DATE:
        return await choose_date(session, actor, parse_date(text, today), zone=zone, now=now)
    if state.step is SetupStep.TIME:
        return await choose_time(session, actor, parse_time(text), zone=zone, now=now)
    if state.step is SetupStep.DURATION:
        return await choose_duration(session, actor, parse_number(text, *DURATION_RANGE), now=now)
    if state.step is SetupStep.CAPACITY:
        return await choose_capacity(session, actor, parse_number(text, *CAPACITY_RANGE), now=now)
    if state.step is SetupStep.MINIMUM:
        return await choose_minimum(session, actor, parse_number(text, 0, state.capacity), now=now)
    raise UnknownChoice()


async def confirm(
    session: AsyncSession,
    actor: Person,
    *,
    settings: ShiftSettings,
    zone: ZoneInfo,
    now: datetime,
) -> Created:
    state = await _expect(session, actor, SetupStep.SUMMARY)
    created = await create_shifts(
        session, actor, state.plan(), settings=settings, zone=zone, now=now
    )
    await drafts.discard(session, actor.id, FLOW)
    return created


async def summary_parts(
    session: AsyncSession, state: SetupState
) -> tuple[Team | None, Post | None]:
    team = (
        await session.get(Team, state.team_id)
        if state.team_id and state.team_id != OPEN_TO_ALL
        else None
    )
    post = await session.get(Post, state.post_id) if state.post_id else None
    return team, post


def summary_lines(
    tr: Translator, state: SetupState, team: Team | None, post: Post | None, settings: Settings
) -> list[str]:
    """The new shift as the leader confirms it."""
    zone = settings.bot.zone
    plan = state.plan()
    starts = to_utc(plan.first_date, plan.start_time, zone)
    when = format_span(starts, starts + timedelta(minutes=plan.duration_minutes), zone, tr.language)
    return [
        tr("Please check the new shift:"),
        "",
        tr("Team: {team}").format(team=team.name if team else tr("all volunteers")),
        tr("Duty: {kind}").format(kind=settings.shifts.kind(plan.kind).label(tr.language)),
        tr("Post: {post}").format(post=post.name if post else tr("none")),
        tr("When: {when}").format(when=when),
        tr("Repeats: {repeat}").format(repeat=tr(REPEAT_LABELS[plan.repeat])),
        (
            tr("Places: {capacity} (at least {minimum})")
            if plan.min_volunteers
            else tr("Places: {capacity}")
        ).format(capacity=plan.capacity, minimum=plan.min_volunteers),
    ]


async def created_text(
    tr: Translator, session: AsyncSession, created: Created, settings: Settings
) -> str:
    """What was created: the first date's card, and for a recurring shift how it goes on."""
    first, *_ = await infos(session, created.shifts)
    card = ShiftCard(first, settings.shifts, settings.bot.zone).localize(tr)
    if created.template is None:
        head = tr("✓ Shift created. It is being announced to the volunteers now.")
    else:
        head = tr(
            "✓ Recurring shift created: {count} dates are planned so far, and more are "
            "added as time goes on. Each is announced {days} days ahead."
        ).format(count=len(created.shifts), days=settings.shifts.announce_days_ahead)
    return "\n\n".join([head, card])
