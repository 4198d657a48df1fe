"""The elders' register and their care plans, and who may see what.

An elder's phone and address are personal data: only their carers, the caring
team's leaders, the grid's officers and admins see them (DESIGN: least data).
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    CarerRole,
    Elder,
    ElderCarer,
    Grid,
    GridOfficer,
    MemberRole,
    Person,
    Team,
    TeamMember,
    Volunteer,
)
from services.errors import (
    InvalidBirthday,
    InvalidContactPhone,
    InvalidLink,
    InvalidNote,
    NotTeamMember,
    PermissionDenied,
    StaleAction,
    UnknownChoice,
)
from services.posts import normalize_address
from services.shift_setup import parse_date
from services.teams import team_ids_of
from services.validation import clean_text, normalize_real_name

FAMILY_PAYLOAD_PREFIX = "family_"
_PHONE_PUNCTUATION = re.compile(r"[\s\-()（）]")
_PHONE = re.compile(r"\+?[0-9]{7,15}")
_YEAR = re.compile(r"(19|20)[0-9]{2}")
NOTES_MAX = 300
PAUSE_REASON_MAX = 100


def normalize_contact_phone(text: str) -> str:
    """A mobile (13812345678) or a landline with its area code (0571-88880000)."""
    digits = _PHONE_PUNCTUATION.sub("", unicodedata.normalize("NFKC", text))
    if not _PHONE.fullmatch(digits):
        raise InvalidContactPhone()
    return digits


def parse_birthday(text: str, today: date) -> date:
    """A birth date with its year (1945-03-12, 1945年3月12日)."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    if not _YEAR.match(cleaned):
        raise InvalidBirthday()
    try:
        born = parse_date(cleaned, today, past=True)
    except Exception as exc:
        raise InvalidBirthday() from exc
    if not date(1900, 1, 1) <= born <= today:
        raise InvalidBirthday()
    return born


def age_on(born: date, day: date) -> int:
    """Full years on that day."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def normalize_notes(text: str) -> str:
    notes = clean_text(text)
    if not 1 <= len(notes) <= NOTES_MAX:
        raise InvalidNote(limit=NOTES_MAX)
    return notes


# --- who may do what --------------------------------------------------------------------


async def officer_grid_ids(session: AsyncSession, person_id: int) -> list[int]:
    result = await session.exec(
        select(GridOfficer.grid_id).where(GridOfficer.person_id == person_id)
    )
    return list(result.all())


async def _led_team_ids(session: AsyncSession, person_id: int) -> list[int]:
    result = await session.exec(
        select(TeamMember.team_id).where(
            TeamMember.person_id == person_id,
            TeamMember.role == MemberRole.LEADER,
            TeamMember.left_at.is_(None),
        )
    )
    return list(result.all())


async def registrable_grids(session: AsyncSession, actor: Person) -> list[Grid]:
    """Where the actor may register elders: admins anywhere, officers in their grids."""
    query = select(Grid).where(Grid.active).order_by(col(Grid.community_id), col(Grid.position))
    if not actor.is_admin:
        query = query.where(col(Grid.id).in_(await officer_grid_ids(session, actor.id)))
    return list((await session.exec(query)).all())


async def require_registrar(session: AsyncSession, actor: Person) -> None:
    if not actor.is_admin and not await officer_grid_ids(session, actor.id):
        raise PermissionDenied()


async def can_manage(session: AsyncSession, actor: Person, elder: Elder) -> bool:
    """Admins, the grid's officers and the caring team's leaders run the plan."""
    if actor.is_admin or elder.grid_id in await officer_grid_ids(session, actor.id):
        return True
    return elder.team_id is not None and elder.team_id in await _led_team_ids(session, actor.id)


async def require_manager(session: AsyncSession, actor: Person, elder: Elder) -> None:
    if not await can_manage(session, actor, elder):
        raise PermissionDenied()


async def is_carer(session: AsyncSession, person_id: int, elder_id: int) -> bool:
    return await session.get(ElderCarer, (elder_id, person_id)) is not None


async def can_see_private(session: AsyncSession, actor: Person, elder: Elder) -> bool:
    return await can_manage(session, actor, elder) or await is_carer(session, actor.id, elder.id)


async def get_elder(session: AsyncSession, elder_id: int) -> Elder:
    elder = await session.get(Elder, elder_id)
    if elder is None or not elder.active:
        raise StaleAction()
    return elder


async def visible_elders(session: AsyncSession, actor: Person) -> list[Elder]:
    """Everyone the actor cares for or oversees, by name."""
    query = select(Elder).where(Elder.active).order_by(col(Elder.name), col(Elder.id))
    if not actor.is_admin:
        caring = select(ElderCarer.elder_id).where(ElderCarer.person_id == actor.id)
        query = query.where(
            or_(
                col(Elder.id).in_(caring),
                col(Elder.grid_id).in_(await officer_grid_ids(session, actor.id)),
                col(Elder.team_id).in_(await _led_team_ids(session, actor.id)),
            )
        )
    return list((await session.exec(query)).all())


async def oversees_any(session: AsyncSession, actor: Person) -> bool:
    """Whether /elders has anything for the actor (menus, help)."""
    return bool(await visible_elders(session, actor)) or actor.is_admin


# --- the register -----------------------------------------------------------------------


@dataclass(frozen=True)
class ElderDetails:
    name: str
    phone: str
    address: str
    grid_id: int
    team_id: int | None
    birthday: date | None
    family_name: str | None
    family_phone: str | None
    family_alerts: bool
    notes: str | None


async def create_elder(
    session: AsyncSession, actor: Person, details: ElderDetails, *, now: datetime
) -> Elder:
    grid = await session.get(Grid, details.grid_id)
    if grid is None or not grid.active:
        raise UnknownChoice()
    if grid not in await registrable_grids(session, actor):
        raise PermissionDenied()
    if details.team_id is not None:
        team = await session.get(Team, details.team_id)
        if team is None or team.community_id != grid.community_id:
            raise UnknownChoice()
    elder = Elder(
        name=normalize_real_name(details.name),
        phone=normalize_contact_phone(details.phone),
        address=normalize_address(details.address),
        grid_id=grid.id,
        team_id=details.team_id,
        birthday=details.birthday,
        family_name=details.family_name,
        family_phone=details.family_phone,
        family_alerts=details.family_alerts and details.family_phone is not None,
        notes=details.notes,
        created_by=actor.id,
        created_at=now,
    )
    session.add(elder)
    await session.flush()
    return elder


async def teams_for_grid(session: AsyncSession, grid_id: int) -> list[Team]:
    grid = await session.get_one(Grid, grid_id)
    result = await session.exec(
        select(Team).where(Team.community_id == grid.community_id).order_by(col(Team.name))
    )
    return list(result.all())


async def set_team(session: AsyncSession, actor: Person, elder_id: int, team_id: int) -> Elder:
    elder = await get_elder(session, elder_id)
    await require_manager(session, actor, elder)
    if team_id not in [t.id for t in await teams_for_grid(session, elder.grid_id)]:
        raise UnknownChoice()
    if elder.team_id != team_id:
        elder.team_id = team_id
        # Carers came from the old team; the new team's leader chooses again.
        for carer in await carers(session, elder.id):
            await session.delete(carer)
    await session.flush()
    return elder


async def carers(session: AsyncSession, elder_id: int) -> list[ElderCarer]:
    result = await session.exec(
        select(ElderCarer)
        .where(ElderCarer.elder_id == elder_id)
        .order_by(col(ElderCarer.assigned_at), col(ElderCarer.person_id))
    )
    return list(result.all())


async def callers(session: AsyncSession, elder_id: int) -> list[int]:
    return [c.person_id for c in await carers(session, elder_id) if c.role == CarerRole.CALLER]


async def backups(session: AsyncSession, elder_id: int) -> list[int]:
    return [c.person_id for c in await carers(session, elder_id) if c.role == CarerRole.BACKUP]


async def carer_candidates(
    session: AsyncSession, actor: Person, elder_id: int
) -> list[tuple[int, str]]:
    """The caring team's registered members, by name."""
    elder = await get_elder(session, elder_id)
    await require_manager(session, actor, elder)
    if elder.team_id is None:
        return []
    result = await session.exec(
        select(Volunteer.person_id, Volunteer.real_name)
        .join(TeamMember, TeamMember.person_id == Volunteer.person_id)
        .where(TeamMember.team_id == elder.team_id, TeamMember.left_at.is_(None))
        .order_by(col(Volunteer.real_name))
    )
    return [tuple(row) for row in result.all()]


async def set_carer(
    session: AsyncSession,
    actor: Person,
    elder_id: int,
    person_id: int,
    role: CarerRole | None,
    *,
    now: datetime,
) -> None:
    """Make someone a caller or a backup, or (role None) take them off the plan."""
    elder = await get_elder(session, elder_id)
    await require_manager(session, actor, elder)
    existing = await session.get(ElderCarer, (elder.id, person_id))
    if role is None:
        if existing is not None:
            await session.delete(existing)
            await session.flush()
        return
    if elder.team_id is None or elder.team_id not in await team_ids_of(session, person_id):
        raise NotTeamMember()
    if await session.get(Volunteer, person_id) is None:
        raise UnknownChoice()
    if existing is None:
        session.add(ElderCarer(elder_id=elder.id, person_id=person_id, role=role, assigned_at=now))
    else:
        existing.role = role
    await session.flush()


async def set_visit_day(
    session: AsyncSession, actor: Person, elder_id: int, weekday: int | None
) -> Elder:
    elder = await get_elder(session, elder_id)
    await require_manager(session, actor, elder)
    if weekday is not None and not 0 <= weekday <= 6:
        raise UnknownChoice()
    elder.visit_weekday = weekday
    await session.flush()
    return elder


async def set_family_alerts(
    session: AsyncSession, actor: Person, elder_id: int, enabled: bool
) -> Elder:
    elder = await get_elder(session, elder_id)
    await require_manager(session, actor, elder)
    if enabled and elder.family_phone is None and elder.family_person_id is None:
        raise UnknownChoice()
    elder.family_alerts = enabled
    await session.flush()
    return elder


async def pause(
    session: AsyncSession,
    actor: Person,
    elder_id: int,
    until: date | None,
    *,
    today: date,
    reason: str | None = None,
) -> Elder:
    """No prompts or escalations up to and including `until` (None: resume now)."""
    elder = await get_elder(session, elder_id)
    await require_manager(session, actor, elder)
    if until is not None and until < today:
        raise UnknownChoice()
    elder.paused_until = until
    elder.pause_reason = clean_text(reason)[:PAUSE_REASON_MAX] if reason and until else None
    await session.flush()
    return elder


def is_paused(elder: Elder, day: date) -> bool:
    return elder.paused_until is not None and day <= elder.paused_until


async def update_details(
    session: AsyncSession, actor: Person, elder_id: int, field: str, text: str, *, today: date
) -> Elder:
    """One detail corrected in chat (a new phone number, a move within the grid…)."""
    elder = await get_elder(session, elder_id)
    await require_manager(session, actor, elder)
    if field == "name":
        elder.name = normalize_real_name(text)
    elif field == "phone":
        elder.phone = normalize_contact_phone(text)
    elif field == "address":
        elder.address = normalize_address(text)
    elif field == "birthday":
        elder.birthday = parse_birthday(text, today)
    elif field == "notes":
        elder.notes = normalize_notes(text)
    else:
        raise UnknownChoice()
    await session.flush()
    return elder


async def set_family(
    session: AsyncSession, actor: Person, elder_id: int, name: str, phone: str
) -> Elder:
    elder = await get_elder(session, elder_id)
    await require_manager(session, actor, elder)
    elder.family_name, elder.family_phone = name, phone
    await session.flush()
    return elder


async def remove_elder(session: AsyncSession, actor: Person, elder_id: int) -> Elder:
    """Off the register (moved away, passed away); the record stays for history."""
    elder = await get_elder(session, elder_id)
    await require_manager(session, actor, elder)
    elder.active = False
    await session.flush()
    return elder


# --- the family's Telegram --------------------------------------------------------------


async def family_invite(session: AsyncSession, actor: Person, elder_id: int) -> str:
    elder = await get_elder(session, elder_id)
    await require_manager(session, actor, elder)
    if elder.family_invite_code is None:
        elder.family_invite_code = secrets.token_urlsafe(9)
        await session.flush()
    return FAMILY_PAYLOAD_PREFIX + elder.family_invite_code


async def join_as_family(session: AsyncSession, person: Person, code: str) -> Elder:
    elder = (
        await session.exec(select(Elder).where(Elder.family_invite_code == code, Elder.active))
    ).first()
    if elder is None:
        raise InvalidLink()
    elder.family_person_id = person.id
    # The link is used up: a forwarded copy cannot take the alerts over.
    elder.family_invite_code = None
    elder.family_alerts = True
    await session.flush()
    return elder


async def grid_officer_ids(session: AsyncSession, grid_id: int) -> list[int]:
    result = await session.exec(select(GridOfficer.person_id).where(GridOfficer.grid_id == grid_id))
    return list(result.all())
