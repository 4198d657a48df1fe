"""Grid boundaries: the grids file is checked with messages that say what is wrong, and
a place is routed to the grid it lies in, the nearest grid, or the triage queue.

The shipped grids.geojson is a 4x2 block of 0.005° cells from 30.270N, 120.160E:
dongfeng-1..3 and jianshe-1 on the southern row, jianshe-2, xingfu-1, xingfu-2 and
guangming-1 on the northern one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.runtime import load_grid_boundaries
from models import Grid
from services import grid_map, officers, org
from services.grid_map import GridFileError, load_boundaries, route
from tests.services import helpers

KNOWN = {"dongfeng-1", "dongfeng-2", "jianshe-1"}
SQUARE = [[[120.16, 30.27], [120.165, 30.27], [120.165, 30.275], [120.16, 30.275], [120.16, 30.27]]]
# Corners visited out of order: the outline crosses itself in the middle.
BOW_TIE = [
    [[120.16, 30.27], [120.165, 30.275], [120.165, 30.27], [120.16, 30.275], [120.16, 30.27]]
]


def feature(code: Any, coordinates: Any, kind: str = "Polygon") -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code},
        "geometry": {"type": kind, "coordinates": coordinates},
    }


def collection(*features: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def write(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "grids.geojson"
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_text(text, encoding="utf-8")
    return path


# --- the grids file ----------------------------------------------------------------------


def test_a_good_file_gives_each_grid_its_polygon(tmp_path):
    path = write(tmp_path, collection(feature("dongfeng-1", SQUARE)))
    assert load_boundaries(path, KNOWN) == {
        "dongfeng-1": {"type": "Polygon", "coordinates": SQUARE}
    }


def test_unknown_grid_code_is_named(tmp_path):
    path = write(tmp_path, collection(feature("dongfeng-1", SQUARE), feature("dongfang-9", SQUARE)))
    with pytest.raises(GridFileError) as caught:
        load_boundaries(path, KNOWN)
    message = str(caught.value)
    assert str(path) in message
    assert "feature 2" in message
    assert "'dongfang-9' is not a configured grid" in message


def test_feature_without_code_is_named(tmp_path):
    unnamed = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": SQUARE}}
    path = write(tmp_path, collection(unnamed))
    with pytest.raises(GridFileError, match=r"feature 1: properties\.code None"):
        load_boundaries(path, KNOWN)


def test_self_intersecting_bow_tie_is_refused_with_where_it_crosses(tmp_path):
    path = write(tmp_path, collection(feature("dongfeng-1", BOW_TIE)))
    with pytest.raises(GridFileError) as caught:
        load_boundaries(path, KNOWN)
    message = str(caught.value)
    assert "feature 1: invalid polygon" in message
    assert "Self-intersection" in message


def test_ring_with_too_few_points_is_refused(tmp_path):
    path = write(tmp_path, collection(feature("dongfeng-1", [[[120.16, 30.27], [120.165, 30.27]]])))
    with pytest.raises(GridFileError, match="feature 1"):
        load_boundaries(path, KNOWN)


def test_a_point_is_not_a_grid_boundary(tmp_path):
    path = write(tmp_path, collection(feature("dongfeng-1", [120.16, 30.27], kind="Point")))
    with pytest.raises(GridFileError, match="must be a Polygon or MultiPolygon"):
        load_boundaries(path, KNOWN)


def test_a_single_feature_is_not_a_feature_collection(tmp_path):
    path = write(tmp_path, feature("dongfeng-1", SQUARE))
    with pytest.raises(GridFileError, match="expected a GeoJSON FeatureCollection"):
        load_boundaries(path, KNOWN)


def test_a_bare_list_of_features_is_not_a_feature_collection(tmp_path):
    """A plausible mistake: the features array without its FeatureCollection wrapper."""
    path = write(tmp_path, [feature("dongfeng-1", SQUARE)])
    with pytest.raises(GridFileError, match="expected a GeoJSON FeatureCollection"):
        load_boundaries(path, KNOWN)


def test_a_feature_that_is_not_an_object_is_named(tmp_path):
    path = write(tmp_path, collection(feature("dongfeng-1", SQUARE), "dongfeng-2"))
    with pytest.raises(GridFileError, match="feature 2"):
        load_boundaries(path, KNOWN)


def test_a_polygon_without_coordinates_is_named(tmp_path):
    broken = {
        "type": "Feature",
        "properties": {"code": "dongfeng-1"},
        "geometry": {"type": "Polygon"},
    }
    path = write(tmp_path, collection(broken))
    with pytest.raises(GridFileError, match="feature 1"):
        load_boundaries(path, KNOWN)


def test_an_empty_polygon_is_refused(tmp_path):
    """An empty outline cannot hold a report and has no centre to route to."""
    path = write(tmp_path, collection(feature("dongfeng-1", [])))
    with pytest.raises(GridFileError, match="feature 1"):
        load_boundaries(path, KNOWN)


def test_latitude_and_longitude_swapped_is_refused(tmp_path):
    """GeoJSON is [longitude, latitude]; [30.27, 120.16] puts the grid at latitude 120."""
    swapped = [[[y, x] for x, y in SQUARE[0]]]
    path = write(tmp_path, collection(feature("dongfeng-1", swapped)))
    with pytest.raises(GridFileError, match="feature 1"):
        load_boundaries(path, KNOWN)


def test_overlapping_grids_are_refused_but_touching_ones_are_fine(tmp_path):
    """A shared area would make it a matter of chance which grid gets a report."""
    shifted = [[[x + 0.0025, y] for x, y in SQUARE[0]]]
    neighbour = [[[x + 0.005, y] for x, y in SQUARE[0]]]
    path = write(
        tmp_path, collection(feature("dongfeng-1", SQUARE), feature("dongfeng-2", shifted))
    )
    with pytest.raises(
        GridFileError, match="feature 2: grid 'dongfeng-2' overlaps grid 'dongfeng-1'"
    ):
        load_boundaries(path, KNOWN)
    path = write(
        tmp_path, collection(feature("dongfeng-1", SQUARE), feature("dongfeng-2", neighbour))
    )
    assert set(load_boundaries(path, KNOWN)) == {"dongfeng-1", "dongfeng-2"}


def test_the_same_grid_twice_is_refused(tmp_path):
    path = write(tmp_path, collection(feature("dongfeng-1", SQUARE), feature("dongfeng-1", SQUARE)))
    with pytest.raises(GridFileError, match="feature 2: grid 'dongfeng-1' appears twice"):
        load_boundaries(path, KNOWN)


def test_broken_json_and_missing_file_are_named(tmp_path):
    path = write(tmp_path, '{"type": "FeatureCollection", "features": [')
    with pytest.raises(GridFileError, match="not valid JSON"):
        load_boundaries(path, KNOWN)
    missing = tmp_path / "nowhere.geojson"
    with pytest.raises(GridFileError, match="file not found"):
        load_boundaries(missing, KNOWN)


# --- routing -------------------------------------------------------------------------------


async def _route(db, latitude: float, longitude: float) -> tuple[str | None, str]:
    async with db.session_factory() as session:
        routing = await route(session, latitude, longitude)
        code = None
        if routing.grid_id is not None:
            code = (await session.get(Grid, routing.grid_id)).code
        return code, routing.method


async def test_a_point_inside_a_grid_goes_to_that_grid(db):
    assert await _route(db, 30.2725, 120.1625) == ("dongfeng-1", "polygon")
    assert await _route(db, 30.2771, 120.1712) == ("xingfu-2", "polygon")
    assert await _route(db, 30.2799, 120.1799) == ("guangming-1", "polygon")


async def test_a_point_on_a_shared_edge_always_goes_to_the_same_grid(db):
    """On the line between dongfeng-1 and dongfeng-2 (and on the corner of four grids) the
    answer must not depend on which grid row the database happened to update last."""
    edge, corner = (30.2725, 120.165), (30.275, 120.165)
    first_edge, first_corner = await _route(db, *edge), await _route(db, *corner)
    assert first_edge[0] in {"dongfeng-1", "dongfeng-2"}
    assert first_edge[1] == "polygon"
    assert first_corner[0] in {"dongfeng-1", "dongfeng-2", "jianshe-2", "xingfu-1"}
    assert await _route(db, *edge) == first_edge

    # An everyday write to the winning grid's row: an admin makes an officer invite link.
    async with db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        winner = await helpers.grid(session, first_edge[0])
        await officers.invite(session, admin, winner.id, now=helpers.NOW)
    assert await _route(db, *edge) == first_edge

    async with db.session_factory.begin() as session:
        winner = await helpers.grid(session, first_corner[0])
        await officers.invite(session, admin, winner.id, now=helpers.NOW)
    assert await _route(db, *corner) == first_corner


async def test_a_point_outside_every_grid_goes_to_the_nearest_centre(db):
    # 800 m south of dongfeng-3's centre, further from everything else.
    assert await _route(db, 30.265, 120.1725) == ("dongfeng-3", "nearest")
    # East of the block, level with the northern row.
    assert await _route(db, 30.2775, 120.19) == ("guangming-1", "nearest")


async def test_a_grid_dropped_from_the_configuration_gets_no_more_reports(db, base_settings):
    communities = [
        c.model_copy(update={"grids": [g for g in c.grids if g.code != "dongfeng-1"]})
        for c in base_settings.communities
    ]
    async with db.session_factory.begin() as session:
        await org.sync_from_settings(session, communities)
    code, method = await _route(db, 30.2725, 120.1625)
    # dongfeng-2's centre is 480 m east, jianshe-2's 555 m north.
    assert (code, method) == ("dongfeng-2", "nearest")


async def test_a_grid_left_out_of_the_grids_file_gets_no_reports(db, base_settings):
    """The file may cover only some grids; the others keep no boundary."""
    boundaries = load_grid_boundaries(base_settings)
    del boundaries["dongfeng-1"]
    async with db.session_factory.begin() as session:
        await grid_map.apply_boundaries(session, boundaries)
    assert await _route(db, 30.2725, 120.1675) == ("dongfeng-2", "polygon")
    assert await _route(db, 30.2725, 120.1625) == ("dongfeng-2", "nearest")


async def test_without_any_boundaries_every_place_goes_to_triage(db):
    async with db.session_factory.begin() as session:
        await grid_map.apply_boundaries(session, {})
    assert await _route(db, 30.2725, 120.1625) == (None, "triage")
    assert await _route(db, 39.9, 116.4) == (None, "triage")


async def test_boundaries_give_each_grid_a_centre_inside_it(db):
    async with db.session_factory() as session:
        place = await helpers.grid(session, "xingfu-1")
        assert place.boundary is not None
        assert 30.275 < place.centre_latitude < 30.28
        assert 120.165 < place.centre_longitude < 120.17
