"""Grid officers (网格员): an admin invites one with a one-time link, or removes one."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Grid, GridOfficer, Person
from services.errors import InvalidLink, PermissionDenied, UnknownChoice

OFFICER_PAYLOAD_PREFIX = "officer_"
INVITE_VALID = timedelta(days=7)


def _require_admin(actor: Person) -> None:
    if not actor.is_admin:
        raise PermissionDenied()


@dataclass(frozen=True)
class GridOfficers:
    grid: Grid
    officers: list[int]


async def overview(session: AsyncSession, actor: Person) -> list[GridOfficers]:
    _require_admin(actor)
    grids = (
        await session.exec(
            select(Grid).where(Grid.active).order_by(col(Grid.community_id), col(Grid.position))
        )
    ).all()
    rows = (await session.exec(select(GridOfficer).order_by(col(GridOfficer.assigned_at)))).all()
    return [
        GridOfficers(grid, [r.person_id for r in rows if r.grid_id == grid.id]) for grid in grids
    ]


async def invite(session: AsyncSession, actor: Person, grid_id: int, *, now: datetime) -> str:
    """A new one-time link for the grid (an older unused one stops working)."""
    _require_admin(actor)
    grid = await session.get(Grid, grid_id)
    if grid is None or not grid.active:
        raise UnknownChoice()
    grid.officer_invite_code = secrets.token_urlsafe(9)
    grid.officer_invite_expires_at = now + INVITE_VALID
    await session.flush()
    return OFFICER_PAYLOAD_PREFIX + grid.officer_invite_code


async def accept(session: AsyncSession, person: Person, code: str, *, now: datetime) -> Grid:
    grid = (
        await session.exec(select(Grid).where(Grid.officer_invite_code == code, Grid.active))
    ).first()
    if grid is None or grid.officer_invite_expires_at is None:
        raise InvalidLink()
    if grid.officer_invite_expires_at < now:
        raise InvalidLink()
    grid.officer_invite_code = None
    grid.officer_invite_expires_at = None
    if await session.get(GridOfficer, (grid.id, person.id)) is None:
        session.add(GridOfficer(grid_id=grid.id, person_id=person.id, assigned_at=now))
    await session.flush()
    return grid


async def remove(session: AsyncSession, actor: Person, grid_id: int, person_id: int) -> bool:
    _require_admin(actor)
    row = await session.get(GridOfficer, (grid_id, person_id))
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True
