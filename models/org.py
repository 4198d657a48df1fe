"""The campaign's places: communities (社区), grids (网格), their officers."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from models.clock import utcnow


class Community(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=60)
    name_en: str | None = Field(default=None, max_length=60)
    name_zh_hant: str | None = Field(default=None, max_length=60)
    # Communities dropped from the configuration are kept for history.
    active: bool = True
    position: int = 0


class Grid(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="community.id", index=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=60)
    name_en: str | None = Field(default=None, max_length=60)
    name_zh_hant: str | None = Field(default=None, max_length=60)
    active: bool = True
    position: int = 0
    # The code in a one-time link an admin gives to a new grid officer.
    officer_invite_code: str | None = Field(default=None, max_length=32, unique=True)
    officer_invite_expires_at: datetime | None = None
    # Where the grid is (GeoJSON geometry, WGS-84), from the grids file: residents'
    # reports are routed by it.
    boundary: dict[str, Any] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    centre_latitude: float | None = None
    centre_longitude: float | None = None


class GridOfficer(SQLModel, table=True):
    """A grid officer (网格员) responsible for a grid."""

    __tablename__ = "grid_officer"

    grid_id: int = Field(foreign_key="grid.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True)
    assigned_at: datetime = Field(default_factory=utcnow)
