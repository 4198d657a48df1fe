"""Registering an elder: one question at a time, kept as a draft across restarts."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Elder, Grid, Person
from services import drafts, elders
from services.errors import (
    DomainError,
    InvalidFamilyContact,
    StaleAction,
    UnknownChoice,
)
from services.posts import normalize_address
from services.validation import normalize_real_name

FLOW = "newelder"
_NAME_AND_PHONE = re.compile(r"(?P<name>.+?)[\s,，:：]+(?P<phone>[+0-9][0-9\s\-()（）]{6,})")


class ElderStep(StrEnum):
    NAME = "name"
    PHONE = "phone"
    ADDRESS = "address"
    GRID = "grid"
    TEAM = "team"
    BIRTHDAY = "birthday"
    FAMILY = "family"
    NOTES = "notes"
    SUMMARY = "summary"


# What a typed answer may be, and the next question after each.
TYPED = (
    ElderStep.NAME,
    ElderStep.PHONE,
    ElderStep.ADDRESS,
    ElderStep.BIRTHDAY,
    ElderStep.FAMILY,
    ElderStep.NOTES,
)
SKIPPABLE = (ElderStep.TEAM, ElderStep.BIRTHDAY, ElderStep.FAMILY, ElderStep.NOTES)


@dataclass
class ElderDraft:
    step: ElderStep
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def grid_id(self) -> int | None:
        return self.data.get("grid_id")

    def details(self, family_alerts: bool) -> elders.ElderDetails:
        d = self.data
        return elders.ElderDetails(
            name=d["name"],
            phone=d["phone"],
            address=d["address"],
            grid_id=d["grid_id"],
            team_id=d.get("team_id"),
            birthday=date.fromisoformat(d["birthday"]) if d.get("birthday") else None,
            family_name=d.get("family_name"),
            family_phone=d.get("family_phone"),
            family_alerts=family_alerts,
            notes=d.get("notes"),
        )


async def begin(session: AsyncSession, actor: Person, *, now: datetime) -> ElderDraft:
    await elders.require_registrar(session, actor)
    draft = ElderDraft(ElderStep.NAME)
    await _save(session, actor, draft, now)
    return draft


async def current(session: AsyncSession, actor: Person) -> ElderDraft | None:
    stored = await drafts.load(session, actor.id, FLOW)
    return ElderDraft(ElderStep(stored.step), dict(stored.data)) if stored else None


async def _expect(session: AsyncSession, actor: Person, *steps: ElderStep) -> ElderDraft:
    draft = await current(session, actor)
    if draft is None or draft.step not in steps:
        raise StaleAction()
    return draft


async def _save(session: AsyncSession, actor: Person, draft: ElderDraft, now: datetime) -> None:
    await drafts.save(session, actor.id, FLOW, step=draft.step, data=draft.data, now=now)


def parse_family(text: str) -> tuple[str, str]:
    """ "王强 13700001111": a name and a phone number."""
    match = _NAME_AND_PHONE.fullmatch(unicodedata.normalize("NFKC", text).strip())
    if not match:
        raise InvalidFamilyContact()
    try:
        return normalize_real_name(match["name"]), elders.normalize_contact_phone(match["phone"])
    except DomainError as exc:
        raise InvalidFamilyContact() from exc


async def typed(
    session: AsyncSession, actor: Person, text: str, *, today: date, now: datetime
) -> ElderDraft:
    draft = await _expect(session, actor, *TYPED)
    step = draft.step
    if step == ElderStep.NAME:
        draft.data["name"], draft.step = normalize_real_name(text), ElderStep.PHONE
    elif step == ElderStep.PHONE:
        draft.data["phone"] = elders.normalize_contact_phone(text)
        draft.step = ElderStep.ADDRESS
    elif step == ElderStep.ADDRESS:
        draft.data["address"] = normalize_address(text)
        grids = await elders.registrable_grids(session, actor)
        if len(grids) == 1:
            return await _grid_chosen(session, actor, draft, grids[0], now)
        draft.step = ElderStep.GRID
    elif step == ElderStep.BIRTHDAY:
        draft.data["birthday"] = elders.parse_birthday(text, today).isoformat()
        draft.step = ElderStep.FAMILY
    elif step == ElderStep.FAMILY:
        draft.data["family_name"], draft.data["family_phone"] = parse_family(text)
        draft.step = ElderStep.NOTES
    elif step == ElderStep.NOTES:
        draft.data["notes"], draft.step = elders.normalize_notes(text), ElderStep.SUMMARY
    await _save(session, actor, draft, now)
    return draft


async def choose_grid(
    session: AsyncSession, actor: Person, grid_id: int, *, now: datetime
) -> ElderDraft:
    draft = await _expect(session, actor, ElderStep.GRID)
    grid = next(
        (g for g in await elders.registrable_grids(session, actor) if g.id == grid_id), None
    )
    if grid is None:
        raise UnknownChoice()
    return await _grid_chosen(session, actor, draft, grid, now)


async def _grid_chosen(
    session: AsyncSession, actor: Person, draft: ElderDraft, grid: Grid, now: datetime
) -> ElderDraft:
    draft.data["grid_id"] = grid.id
    draft.step = (
        ElderStep.TEAM if await elders.teams_for_grid(session, grid.id) else ElderStep.BIRTHDAY
    )
    await _save(session, actor, draft, now)
    return draft


async def choose_team(
    session: AsyncSession, actor: Person, team_id: int, *, now: datetime
) -> ElderDraft:
    draft = await _expect(session, actor, ElderStep.TEAM)
    if team_id not in [t.id for t in await elders.teams_for_grid(session, draft.grid_id)]:
        raise UnknownChoice()
    draft.data["team_id"], draft.step = team_id, ElderStep.BIRTHDAY
    await _save(session, actor, draft, now)
    return draft


async def skip(session: AsyncSession, actor: Person, *, now: datetime) -> ElderDraft:
    draft = await _expect(session, actor, *SKIPPABLE)
    order = list(ElderStep)
    draft.step = order[order.index(draft.step) + 1]
    await _save(session, actor, draft, now)
    return draft


async def confirm(
    session: AsyncSession, actor: Person, *, family_alerts: bool, now: datetime
) -> Elder:
    draft = await _expect(session, actor, ElderStep.SUMMARY)
    elder = await elders.create_elder(session, actor, draft.details(family_alerts), now=now)
    await drafts.discard(session, actor.id, FLOW)
    return elder


async def cancel(session: AsyncSession, actor: Person) -> None:
    if not await drafts.discard(session, actor.id, FLOW):
        raise StaleAction()


EDIT_FLOW = "editelder"
EDITABLE = ("name", "phone", "address", "birthday", "family", "notes")


async def begin_edit(
    session: AsyncSession, actor: Person, elder_id: int, field: str, *, now: datetime
) -> Elder:
    if field not in EDITABLE:
        raise UnknownChoice()
    elder = await elders.get_elder(session, elder_id)
    await elders.require_manager(session, actor, elder)
    await drafts.save(session, actor.id, EDIT_FLOW, step=field, data={"elder": elder.id}, now=now)
    return elder


async def typed_edit(session: AsyncSession, actor: Person, text: str, *, today: date) -> Elder:
    stored = await drafts.load(session, actor.id, EDIT_FLOW)
    if stored is None:
        raise StaleAction()
    elder_id = int(stored.data["elder"])
    if stored.step == "family":
        name, phone = parse_family(text)
        elder = await elders.set_family(session, actor, elder_id, name, phone)
    else:
        elder = await elders.update_details(
            session, actor, elder_id, stored.step, text, today=today
        )
    await drafts.discard(session, actor.id, EDIT_FLOW)
    return elder
