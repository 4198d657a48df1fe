"""Volunteer registration as a resumable, channel-neutral state machine.

Each call checks that the draft is at the step the input belongs to, applies it
and moves on; a chat adapter renders the returned state. The draft lives in the
database, so a restart resumes where the person was.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Community, Grid, Person, Team, Volunteer
from services import drafts, teams
from services.counters import VOLUNTEER_NUMBER, next_value
from services.errors import (
    AlreadyRegistered,
    ForeignContact,
    InvalidInvite,
    NothingChosen,
    StaleAction,
    UnknownChoice,
)
from services.i18n import N_
from services.org import active_grids
from services.settings import RegistrationSettings
from services.validation import normalize_mobile, normalize_real_name, normalize_shared_phone

FLOW = "register"


class Step(StrEnum):
    NAME = "name"
    PHONE = "phone"
    COMMUNITY = "community"
    GRID = "grid"
    AVAILABILITY = "availability"
    SKILLS = "skills"
    CONSENT = "consent"
    SUMMARY = "summary"


# The privacy notice every channel shows before the summary ({organisation}).
PRIVACY_NOTICE = N_(
    "Privacy notice\n\n"
    "{organisation} keeps your name, mobile number, community and availability "
    "to organise volunteer service and record your service hours. Your mobile "
    "number is shown only to your team leaders and the campaign office, never "
    "in group chats. You can ask an administrator to delete your data at any time.\n\n"
    "Do you agree?"
)

ORDER = tuple(Step)
# Fields a person can change from the summary; community leads on to grid.
EDITABLE = (Step.NAME, Step.PHONE, Step.COMMUNITY, Step.AVAILABILITY, Step.SKILLS)

AVAILABILITY_OPTIONS: dict[str, str] = {
    "weekday_morning": N_("Weekday mornings"),
    "weekday_evening": N_("Weekday evenings"),
    "friday": N_("Fridays"),
    "weekend": N_("Weekends"),
}


@dataclass
class RegistrationState:
    step: Step
    editing_profile: bool = False  # changing an existing profile rather than registering
    returning_to_summary: bool = False  # one field is being changed from the summary
    name: str | None = None
    phone: str | None = None
    phone_verified: bool = False
    community_id: int | None = None
    grid_id: int | None = None
    availability: list[str] = field(default_factory=list)
    skills: list[str] = field(default_factory=list)
    join_code: str | None = None

    @classmethod
    def from_data(cls, step: str, data: dict[str, Any]) -> RegistrationState:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "step"}
        return cls(step=Step(step), **known)

    def to_data(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("step")
        return data

    def position(self, settings: RegistrationSettings) -> tuple[int, int]:
        """(n, total) for "step n of total" in prompts."""
        steps = _steps(self, settings)
        return steps.index(self.step) + 1, len(steps)


@dataclass(frozen=True)
class Completion:
    volunteer: Volunteer | None
    created: bool
    joined: teams.JoinOutcome | None = None
    invite_invalid: bool = False
    # Registered meanwhile (e.g. on another device): the draft was dropped.
    already_registered: bool = False
    # The chosen grid was removed from the configuration: choose the place again.
    place_gone: RegistrationState | None = None


def _steps(state: RegistrationState, settings: RegistrationSettings) -> list[Step]:
    steps = [s for s in ORDER if s is not Step.SUMMARY]
    if not settings.skills:
        steps.remove(Step.SKILLS)
    if state.editing_profile:
        steps.remove(Step.CONSENT)
    return steps


# --- reading and saving the draft -------------------------------------------------


async def current(session: AsyncSession, person: Person) -> RegistrationState | None:
    draft = await drafts.load(session, person.id, FLOW)
    return RegistrationState.from_data(draft.step, draft.data) if draft else None


async def _expect(session: AsyncSession, person: Person, *steps: Step) -> RegistrationState:
    state = await current(session, person)
    if state is None:
        if await session.get(Volunteer, person.id) is not None:
            raise AlreadyRegistered()
        raise StaleAction()
    if state.step not in steps:
        raise StaleAction()
    return state


async def _save(
    session: AsyncSession, person: Person, state: RegistrationState, now: datetime
) -> RegistrationState:
    await drafts.save(session, person.id, FLOW, step=state.step, data=state.to_data(), now=now)
    return state


def _advance(state: RegistrationState, settings: RegistrationSettings) -> None:
    if state.step is Step.COMMUNITY:
        state.step = Step.GRID
        return
    if state.returning_to_summary or state.step is Step.CONSENT:
        state.step = Step.SUMMARY
        state.returning_to_summary = False
        return
    steps = _steps(state, settings)
    following = steps[steps.index(state.step) + 1 :]
    state.step = following[0] if following else Step.SUMMARY


# --- starting -----------------------------------------------------------------------


async def begin(
    session: AsyncSession, person: Person, *, now: datetime, join_code: str | None = None
) -> RegistrationState:
    """Start registering, or resume a draft (keeping its answers)."""
    if await session.get(Volunteer, person.id) is not None:
        raise AlreadyRegistered()
    state = await current(session, person)
    if state is None:
        state = RegistrationState(step=Step.NAME)
    if join_code:
        state.join_code = join_code
    return await _save(session, person, state, now)


async def begin_profile_edit(
    session: AsyncSession, person: Person, volunteer: Volunteer, *, now: datetime
) -> RegistrationState:
    grid = await session.get_one(Grid, volunteer.grid_id)
    state = RegistrationState(
        step=Step.SUMMARY,
        editing_profile=True,
        name=volunteer.real_name,
        phone=volunteer.phone,
        phone_verified=volunteer.phone_verified,
        community_id=grid.community_id,
        grid_id=grid.id,
        availability=list(volunteer.availability),
        skills=list(volunteer.skills),
    )
    return await _save(session, person, state, now)


# --- one call per step ----------------------------------------------------------------


async def submit_name(
    session: AsyncSession,
    person: Person,
    text: str,
    *,
    settings: RegistrationSettings,
    now: datetime,
) -> RegistrationState:
    state = await _expect(session, person, Step.NAME)
    state.name = normalize_real_name(text)
    _advance(state, settings)
    return await _save(session, person, state, now)


async def submit_phone(
    session: AsyncSession,
    person: Person,
    *,
    typed: str | None = None,
    shared: str | None = None,
    shared_is_own: bool = False,
    settings: RegistrationSettings,
    now: datetime,
) -> RegistrationState:
    """A typed number, or a number from a contact share (which must be the sender's own)."""
    state = await _expect(session, person, Step.PHONE)
    if shared is not None:
        if not shared_is_own:
            raise ForeignContact()
        state.phone, state.phone_verified = normalize_shared_phone(shared), True
    else:
        state.phone, state.phone_verified = normalize_mobile(typed or ""), False
    _advance(state, settings)
    return await _save(session, person, state, now)


async def choose_community(
    session: AsyncSession,
    person: Person,
    community_id: int,
    *,
    settings: RegistrationSettings,
    now: datetime,
) -> RegistrationState:
    state = await _expect(session, person, Step.COMMUNITY, Step.GRID)
    community = await session.get(Community, community_id)
    if community is None or not community.active:
        raise UnknownChoice()
    grids = await active_grids(session, community_id)
    if not grids:
        raise UnknownChoice()
    state.step = Step.COMMUNITY
    state.community_id, state.grid_id = community_id, None
    _advance(state, settings)
    if len(grids) == 1:  # nothing to ask
        state.grid_id = grids[0].id
        _advance(state, settings)
    return await _save(session, person, state, now)


async def back_to_communities(
    session: AsyncSession, person: Person, *, now: datetime
) -> RegistrationState:
    state = await _expect(session, person, Step.GRID)
    state.step = Step.COMMUNITY
    return await _save(session, person, state, now)


async def choose_grid(
    session: AsyncSession,
    person: Person,
    grid_id: int,
    *,
    settings: RegistrationSettings,
    now: datetime,
) -> RegistrationState:
    state = await _expect(session, person, Step.GRID)
    grid = await session.get(Grid, grid_id)
    if grid is None or not grid.active or grid.community_id != state.community_id:
        raise UnknownChoice()
    state.grid_id = grid.id
    _advance(state, settings)
    return await _save(session, person, state, now)


async def toggle_availability(
    session: AsyncSession, person: Person, option: str, *, now: datetime
) -> RegistrationState:
    state = await _expect(session, person, Step.AVAILABILITY)
    if option not in AVAILABILITY_OPTIONS:
        raise UnknownChoice()
    state.availability = _toggled(state.availability, option, order=list(AVAILABILITY_OPTIONS))
    return await _save(session, person, state, now)


async def finish_availability(
    session: AsyncSession, person: Person, *, settings: RegistrationSettings, now: datetime
) -> RegistrationState:
    state = await _expect(session, person, Step.AVAILABILITY)
    if not state.availability:
        raise NothingChosen()
    _advance(state, settings)
    return await _save(session, person, state, now)


async def toggle_skill(
    session: AsyncSession,
    person: Person,
    code: str,
    *,
    settings: RegistrationSettings,
    now: datetime,
) -> RegistrationState:
    state = await _expect(session, person, Step.SKILLS)
    if settings.skill(code) is None:
        raise UnknownChoice()
    state.skills = _toggled(state.skills, code, order=[s.code for s in settings.skills])
    return await _save(session, person, state, now)


async def finish_skills(
    session: AsyncSession,
    person: Person,
    *,
    skip: bool = False,
    settings: RegistrationSettings,
    now: datetime,
) -> RegistrationState:
    state = await _expect(session, person, Step.SKILLS)
    if skip:
        state.skills = []
    _advance(state, settings)
    return await _save(session, person, state, now)


async def answer_consent(
    session: AsyncSession,
    person: Person,
    agreed: bool,
    *,
    settings: RegistrationSettings,
    now: datetime,
) -> RegistrationState | None:
    """Agreeing moves on to the summary; declining discards everything entered."""
    state = await _expect(session, person, Step.CONSENT)
    if not agreed:
        await drafts.discard(session, person.id, FLOW)
        return None
    _advance(state, settings)
    return await _save(session, person, state, now)


async def edit_field(
    session: AsyncSession, person: Person, step: Step, *, now: datetime
) -> RegistrationState:
    state = await _expect(session, person, Step.SUMMARY)
    if step not in EDITABLE:
        raise UnknownChoice()
    state.step = step
    state.returning_to_summary = True
    return await _save(session, person, state, now)


async def confirm(session: AsyncSession, person: Person, *, now: datetime) -> Completion:
    """Save the profile. Outcomes that need the person again come back as results,
    not errors, so what is written here (the draft's new step) is kept."""
    state = await _expect(session, person, Step.SUMMARY)
    volunteer = await session.get(Volunteer, person.id)
    if volunteer is None and state.editing_profile:
        raise StaleAction()
    if volunteer is not None and not state.editing_profile:
        await drafts.discard(session, person.id, FLOW)
        return Completion(volunteer=volunteer, created=False, already_registered=True)
    grid = await session.get(Grid, state.grid_id) if state.grid_id else None
    if grid is None or not grid.active or not (state.name and state.phone and state.availability):
        state.step, state.returning_to_summary = Step.COMMUNITY, True
        await _save(session, person, state, now)
        return Completion(volunteer=volunteer, created=False, place_gone=state)

    created = volunteer is None
    if volunteer is None:
        volunteer = Volunteer(
            person_id=person.id,
            number=await next_value(session, VOLUNTEER_NUMBER),
            grid_id=grid.id,
            real_name=state.name,
            phone=state.phone,
            consent_at=now,
            registered_at=now,
            updated_at=now,
        )
        session.add(volunteer)
    volunteer.real_name = state.name
    volunteer.phone = state.phone
    volunteer.phone_verified = state.phone_verified
    volunteer.grid_id = grid.id
    volunteer.availability = list(state.availability)
    volunteer.skills = list(state.skills)
    volunteer.updated_at = now
    await drafts.discard(session, person.id, FLOW)
    await session.flush()

    if not state.join_code:
        return Completion(volunteer=volunteer, created=created)
    try:
        team = await teams.team_by_invite(session, state.join_code)
    except InvalidInvite:
        return Completion(volunteer=volunteer, created=created, invite_invalid=True)
    joined = await teams.join_team(session, person, team, now=now)
    return Completion(volunteer=volunteer, created=created, joined=joined)


# --- invite links -----------------------------------------------------------------------


@dataclass(frozen=True)
class InviteOutcome:
    team: Team
    joined: teams.JoinOutcome | None = None  # set when the person was already registered
    registration: RegistrationState | None = None  # set when they must register first


async def open_invite(
    session: AsyncSession, person: Person, code: str, *, now: datetime
) -> InviteOutcome:
    """A person opened a team's invite link: join now, or register first and then join."""
    team = await teams.team_by_invite(session, code)
    if await session.get(Volunteer, person.id) is not None:
        joined = await teams.join_team(session, person, team, now=now)
        return InviteOutcome(team=team, joined=joined)
    state = await begin(session, person, now=now, join_code=code)
    return InviteOutcome(team=team, registration=state)


def volunteer_number(prefix: str, number: int) -> str:
    return f"{prefix}{number:06d}"


def _toggled(selected: list[str], option: str, *, order: list[str]) -> list[str]:
    chosen = set(selected) ^ {option}
    return [o for o in order if o in chosen]
