"""The /log conversation: a volunteer records service done outside a shift.

Date (quick picks or typed), duration, activity, team (when in several), an
optional note and photo, then confirm; the entry then waits for a leader.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models import LedgerEntry, Person, Team, Volunteer
from services import drafts, ledger
from services.errors import (
    DayFull,
    FutureDate,
    InvalidDuration,
    InvalidReason,
    NotRegistered,
    NotTeamMember,
    StaleAction,
    UnknownChoice,
)
from services.settings import LedgerSettings, ShiftSettings
from services.shift_setup import parse_date
from services.teams import team_ids_of
from services.validation import clean_text

FLOW = "log"
DURATION_CHOICES = (30, 60, 90, 120, 180, 240)
NOTE_LIMIT = 200
_DURATION = re.compile(
    r"(?:(?P<h>\d+(?:\.\d+)?)\s*(?:h|小时|小時|hours?))?\s*(?:(?P<m>\d+)\s*(?:m|min|分钟|分鐘|分)?)?"
)


class LogStep(StrEnum):
    DATE = "date"
    DURATION = "duration"
    ACTIVITY = "activity"
    TEAM = "team"
    NOTE = "note"
    PHOTO = "photo"
    SUMMARY = "summary"


@dataclass
class LogState:
    step: LogStep
    service_date: str | None = None
    minutes: int | None = None
    activity: str | None = None
    team_id: int | None = None
    note: str | None = None
    photo_file_id: str | None = None

    @classmethod
    def from_data(cls, step: str, data: dict[str, Any]) -> LogState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "step"}
        return cls(step=LogStep(step), **known)

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("step")
        return data


def parse_duration(text: str) -> int:
    """90, 90分钟, 1.5h, 1小时30分, 2 hours."""
    cleaned = unicodedata.normalize("NFKC", text).strip().lower()
    match = _DURATION.fullmatch(cleaned) if cleaned else None
    if not match or not (match["h"] or match["m"]):
        raise InvalidDuration()
    minutes = round(float(match["h"] or 0) * 60) + int(match["m"] or 0)
    if not ledger.MANUAL_MINUTES[0] <= minutes <= ledger.MANUAL_MINUTES[1]:
        raise InvalidDuration()
    return minutes


def date_picks(today: date, days: int = 7) -> list[date]:
    """Today and the days before it (service is logged afterwards)."""
    return [today - timedelta(days=n) for n in range(days)]


async def current(session: AsyncSession, person: Person) -> LogState | None:
    draft = await drafts.load(session, person.id, FLOW)
    return LogState.from_data(draft.step, draft.data) if draft else None


async def _expect(session: AsyncSession, person: Person, *steps: LogStep) -> LogState:
    state = await current(session, person)
    if state is None or state.step not in steps:
        raise StaleAction()
    return state


async def _save(session: AsyncSession, person: Person, state: LogState, now: datetime) -> LogState:
    await drafts.save(session, person.id, FLOW, step=state.step, data=state.to_data(), now=now)
    return state


async def begin(session: AsyncSession, person: Person, *, now: datetime) -> LogState:
    if await session.get(Volunteer, person.id) is None:
        raise NotRegistered()
    state = await current(session, person)
    return state or await _save(session, person, LogState(step=LogStep.DATE), now)


async def choose_date(
    session: AsyncSession, person: Person, day: date, *, zone: ZoneInfo, now: datetime
) -> LogState:
    state = await _expect(session, person, LogStep.DATE)
    if day > now.astimezone(zone).date():
        raise FutureDate()
    if await ledger.day_minutes(session, person.id, day) >= ledger.DAY_MINUTES:
        raise DayFull()
    state.service_date, state.step = day.isoformat(), LogStep.DURATION
    return await _save(session, person, state, now)


async def choose_duration(
    session: AsyncSession, person: Person, minutes: int, *, now: datetime
) -> LogState:
    state = await _expect(session, person, LogStep.DURATION)
    if not ledger.MANUAL_MINUTES[0] <= minutes <= ledger.MANUAL_MINUTES[1]:
        raise InvalidDuration()
    day = date.fromisoformat(state.service_date)
    if await ledger.day_minutes(session, person.id, day) + minutes > ledger.DAY_MINUTES:
        raise DayFull()
    state.minutes, state.step = minutes, LogStep.ACTIVITY
    return await _save(session, person, state, now)


async def choose_activity(
    session: AsyncSession,
    person: Person,
    activity: str,
    *,
    shift_settings: ShiftSettings,
    now: datetime,
) -> LogState:
    state = await _expect(session, person, LogStep.ACTIVITY)
    if shift_settings.kind(activity) is None:
        raise UnknownChoice()
    state.activity = activity
    teams = await team_ids_of(session, person.id)
    if len(teams) > 1:
        state.step = LogStep.TEAM
    else:
        state.team_id, state.step = (teams[0] if teams else None), LogStep.NOTE
    return await _save(session, person, state, now)


async def choose_team(
    session: AsyncSession, person: Person, team_id: int, *, now: datetime
) -> LogState:
    state = await _expect(session, person, LogStep.TEAM)
    if team_id not in await team_ids_of(session, person.id):
        raise NotTeamMember()
    state.team_id, state.step = team_id, LogStep.NOTE
    return await _save(session, person, state, now)


async def give_note(
    session: AsyncSession, person: Person, text: str | None, *, now: datetime
) -> LogState:
    state = await _expect(session, person, LogStep.NOTE)
    note = clean_text(text or "")
    if len(note) > NOTE_LIMIT:
        raise InvalidReason()
    state.note, state.step = note or None, LogStep.PHOTO
    return await _save(session, person, state, now)


async def give_photo(
    session: AsyncSession, person: Person, file_id: str | None, *, now: datetime
) -> LogState:
    state = await _expect(session, person, LogStep.PHOTO)
    state.photo_file_id, state.step = file_id, LogStep.SUMMARY
    return await _save(session, person, state, now)


async def confirm(
    session: AsyncSession,
    person: Person,
    *,
    settings: LedgerSettings,
    shift_settings: ShiftSettings,
    zone: ZoneInfo,
    now: datetime,
) -> LedgerEntry:
    state = await _expect(session, person, LogStep.SUMMARY)
    entry = await ledger.log_manual(
        session,
        person,
        service_date=date.fromisoformat(state.service_date),
        minutes=state.minutes,
        activity=state.activity,
        note=state.note,
        photo_file_id=state.photo_file_id,
        team_id=state.team_id,
        settings=settings,
        shift_settings=shift_settings,
        zone=zone,
        now=now,
    )
    await drafts.discard(session, person.id, FLOW)
    return entry


async def typed(
    session: AsyncSession, person: Person, text: str, *, zone: ZoneInfo, now: datetime
) -> LogState:
    """Text where a date, a duration or the note is expected."""
    state = await current(session, person)
    if state is None:
        raise StaleAction()
    if state.step is LogStep.DATE:
        day = parse_date(text, now.astimezone(zone).date(), past=True)
        return await choose_date(session, person, day, zone=zone, now=now)
    if state.step is LogStep.DURATION:
        return await choose_duration(session, person, parse_duration(text), now=now)
    if state.step is LogStep.NOTE:
        return await give_note(session, person, text, now=now)
    raise UnknownChoice()


async def team_choices(session: AsyncSession, person: Person) -> list[Team]:
    ids = await team_ids_of(session, person.id)
    return [await session.get_one(Team, team_id) for team_id in ids]
