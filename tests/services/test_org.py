"""Communities and grids follow the configuration without losing history."""

from __future__ import annotations

from sqlmodel import select

from models import Community, Grid
from services import org
from services.settings import CommunitySettings, GridSettings


async def test_sync_upserts_and_deactivates(db, base_settings):
    async with db.session_factory() as session:
        before = {c.code: c.id for c in (await session.exec(select(Community))).all()}
    renamed = CommunitySettings(
        code="dongfeng",
        name="东风新村社区",
        grids=[
            GridSettings(code="dongfeng-1", name="一网格"),
            GridSettings(code="df-new", name="新网格"),
        ],
    )
    async with db.session_factory.begin() as session:
        await org.sync_from_settings(session, [renamed])
    async with db.session_factory() as session:
        communities = {c.code: c for c in (await session.exec(select(Community))).all()}
        grids = {g.code: g for g in (await session.exec(select(Grid))).all()}
        active = await org.active_communities(session)
    assert communities["dongfeng"].id == before["dongfeng"]  # same row, new name
    assert communities["dongfeng"].name == "东风新村社区"
    assert [c.code for c in active] == ["dongfeng"]
    assert not communities["jianshe"].active
    assert grids["dongfeng-1"].name == "一网格" and grids["dongfeng-1"].active
    assert not grids["dongfeng-2"].active
    assert grids["df-new"].active


async def test_grids_in_configured_order(db):
    async with db.session_factory() as session:
        dongfeng = (await session.exec(select(Community).where(Community.code == "dongfeng"))).one()
        grids = await org.active_grids(session, dongfeng.id)
    assert [g.code for g in grids] == ["dongfeng-1", "dongfeng-2", "dongfeng-3"]
    assert org.place_label(grids[0], "en") == "Dongfeng Grid 1"
    assert org.place_label(grids[0], "zh_Hant") == "東風第一網格"
