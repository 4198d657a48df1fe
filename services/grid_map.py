"""Which grid a place is in: grid boundaries from a GeoJSON file, and routing by them.

Point-in-polygon uses shapely (GEOS), the standard geometry library; distances to
grid centres use geopy's geodesic (services.geo). Coordinates are WGS-84
longitude/latitude, as GeoJSON and Telegram both give them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shapely import Point
from shapely.geometry import shape
from shapely.validation import explain_validity
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Grid
from services.geo import distance_m

# Square degrees: about one square metre at these latitudes.
OVERLAP_TOLERANCE = 1e-10


class GridFileError(Exception):
    """The grids file cannot be used; the message says where and why."""


def load_boundaries(path: Path, known_codes: set[str]) -> dict[str, dict[str, Any]]:
    """Grid code -> GeoJSON geometry, checked: valid polygons of configured grids."""
    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise GridFileError(f"{path}: file not found") from exc
    except json.JSONDecodeError as exc:
        raise GridFileError(f"{path}: not valid JSON: {exc}") from exc
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise GridFileError(f"{path}: expected a GeoJSON FeatureCollection")
    boundaries: dict[str, dict[str, Any]] = {}
    polygons: dict[str, Any] = {}
    for number, feature in enumerate(collection.get("features") or [], start=1):
        where = f"{path}: feature {number}"
        if not isinstance(feature, dict):
            raise GridFileError(f"{where}: expected a GeoJSON Feature object")
        code = (feature.get("properties") or {}).get("code")
        if code not in known_codes:
            raise GridFileError(f"{where}: properties.code {code!r} is not a configured grid")
        if code in boundaries:
            raise GridFileError(f"{where}: grid {code!r} appears twice")
        geometry = feature.get("geometry") or {}
        if geometry.get("type") not in ("Polygon", "MultiPolygon"):
            raise GridFileError(f"{where}: geometry must be a Polygon or MultiPolygon")
        try:
            polygon = shape(geometry)
        except (ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
            raise GridFileError(f"{where}: unreadable geometry: {exc!r}") from exc
        if polygon.is_empty:
            raise GridFileError(f"{where}: the polygon has no coordinates")
        if not polygon.is_valid:
            raise GridFileError(f"{where}: invalid polygon: {explain_validity(polygon)}")
        west, south, east, north = polygon.bounds
        if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
            raise GridFileError(
                f"{where}: coordinates out of range (GeoJSON is [longitude, latitude])"
            )
        for other_code, other in polygons.items():
            # Touching edges are fine; a shared area (beyond rounding, about 1 m²)
            # would make routing ambiguous.
            if polygon.intersection(other).area > OVERLAP_TOLERANCE:
                raise GridFileError(f"{where}: grid {code!r} overlaps grid {other_code!r}")
        boundaries[code] = geometry
        polygons[code] = polygon
    return boundaries


async def apply_boundaries(session: AsyncSession, boundaries: dict[str, dict[str, Any]]) -> None:
    """Store each grid's boundary and centre; grids not in the file keep none."""
    for grid in (await session.exec(select(Grid))).all():
        geometry = boundaries.get(grid.code)
        grid.boundary = geometry
        if geometry is None:
            grid.centre_latitude = grid.centre_longitude = None
        else:
            # A point inside the polygon (a centroid can fall outside an L-shape).
            centre = shape(geometry).representative_point()
            grid.centre_latitude, grid.centre_longitude = centre.y, centre.x
        session.add(grid)
    await session.flush()


@dataclass(frozen=True)
class Routing:
    grid_id: int | None
    # polygon: inside the grid; nearest: outside every grid, nearest centre; triage: none
    method: str


async def route(session: AsyncSession, latitude: float, longitude: float) -> Routing:
    grids = (
        await session.exec(
            select(Grid)
            .where(Grid.active.is_(True), Grid.boundary.is_not(None))
            # On a shared edge the first grid wins, so the order must be stable.
            .order_by(Grid.id)
        )
    ).all()
    grids = [g for g in grids if g.boundary and g.centre_latitude is not None]
    point = Point(longitude, latitude)
    for grid in grids:
        if shape(grid.boundary).covers(point):
            return Routing(grid.id, "polygon")
    nearest = min(
        grids,
        key=lambda g: distance_m(latitude, longitude, g.centre_latitude, g.centre_longitude),
        default=None,
    )
    if nearest is None:
        return Routing(None, "triage")
    return Routing(nearest.id, "nearest")
