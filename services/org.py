"""Communities and grids, kept in step with the configuration."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Community, Grid
from services.i18n import pick_label
from services.settings import CommunitySettings, LocalizedName


async def sync_from_settings(session: AsyncSession, communities: list[CommunitySettings]) -> None:
    """Upsert configured places by code; places no longer configured become inactive."""
    existing = {c.code: c for c in (await session.exec(select(Community))).all()}
    grids = {g.code: g for g in (await session.exec(select(Grid))).all()}
    configured_grids: set[str] = set()

    for position, entry in enumerate(communities):
        community = existing.get(entry.code) or Community(code=entry.code, name=entry.name)
        _apply_names(community, entry)
        community.active = True
        community.position = position
        session.add(community)
        await session.flush()
        for grid_position, grid_entry in enumerate(entry.grids):
            grid = grids.get(grid_entry.code) or Grid(
                code=grid_entry.code, name=grid_entry.name, community_id=community.id
            )
            _apply_names(grid, grid_entry)
            grid.community_id = community.id
            grid.active = True
            grid.position = grid_position
            session.add(grid)
            configured_grids.add(grid_entry.code)

    configured = {c.code for c in communities}
    for code, community in existing.items():
        if code not in configured:
            community.active = False
    for code, grid in grids.items():
        if code not in configured_grids:
            grid.active = False
    await session.flush()


def _apply_names(place: Community | Grid, entry: LocalizedName) -> None:
    place.name = entry.name
    place.name_en = entry.name_en
    place.name_zh_hant = entry.name_zh_hant


def place_label(place: Community | Grid, language: str) -> str:
    return pick_label(language, place.name, place.name_en, place.name_zh_hant)


async def community_labels(session: AsyncSession, language: str) -> dict[int, str]:
    """Every community's name in the language (closed ones too: old teams name them)."""
    rows = await session.exec(select(Community))
    return {row.id: place_label(row, language) for row in rows.all()}


async def active_communities(session: AsyncSession) -> list[Community]:
    result = await session.exec(
        select(Community).where(Community.active).order_by(col(Community.position))
    )
    return list(result.all())


async def active_grids(session: AsyncSession, community_id: int) -> list[Grid]:
    result = await session.exec(
        select(Grid)
        .where(Grid.community_id == community_id, Grid.active)
        .order_by(col(Grid.position))
    )
    return list(result.all())
