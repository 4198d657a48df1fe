"""Duty posts: where they are, and the code in their printed QR."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Grid, MemberRole, Person, Post, Team, TeamMember
from services.errors import (
    InvalidAddress,
    InvalidLocation,
    InvalidPostName,
    PermissionDenied,
    PostNotFound,
    UnknownChoice,
)
from services.geo import valid_coordinates
from services.roles import Role, require_any_role
from services.validation import clean_text

CHECKIN_PAYLOAD_PREFIX = "checkin_"
RADIUS_CHOICES = (50, 100, 150, 300, 500)


async def require_post_manager(session: AsyncSession, actor: Person) -> None:
    """Admins and team leaders manage posts (each within their communities)."""
    await require_any_role(session, actor, Role.ADMIN, Role.LEADER)


async def managed_communities(session: AsyncSession, actor: Person) -> set[int] | None:
    """Communities whose posts the person may add or change; None means all (admins)."""
    if actor.is_admin:
        return None
    led = await session.exec(
        select(Team.community_id)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(
            TeamMember.person_id == actor.id,
            TeamMember.role == MemberRole.LEADER,
            TeamMember.left_at.is_(None),
        )
    )
    return set(led.all())


async def _require_community(session: AsyncSession, actor: Person, community_id: int) -> None:
    allowed = await managed_communities(session, actor)
    if allowed is not None and community_id not in allowed:
        raise PermissionDenied()


async def require_post_editor(session: AsyncSession, actor: Person, post: Post) -> None:
    """A post is changed by admins, its creator, or leaders in its community."""
    await require_post_manager(session, actor)
    if actor.is_admin or post.created_by == actor.id:
        return
    grid = await session.get_one(Grid, post.grid_id)
    await _require_community(session, actor, grid.community_id)


def normalize_post_name(text: str) -> str:
    name = clean_text(text)
    if not 2 <= len(name) <= 40:
        raise InvalidPostName()
    return name


def normalize_address(text: str) -> str:
    address = clean_text(text)
    if not 2 <= len(address) <= 120:
        raise InvalidAddress()
    return address


def check_location(latitude: float, longitude: float) -> tuple[float, float]:
    if not valid_coordinates(latitude, longitude):
        raise InvalidLocation()
    return latitude, longitude


async def create_post(
    session: AsyncSession,
    actor: Person,
    *,
    name: str,
    address: str,
    grid_id: int,
    latitude: float,
    longitude: float,
    radius_m: int,
    now: datetime,
) -> Post:
    await require_post_manager(session, actor)
    grid = await session.get(Grid, grid_id)
    if grid is None or not grid.active:
        raise UnknownChoice()
    await _require_community(session, actor, grid.community_id)
    latitude, longitude = check_location(latitude, longitude)
    post = Post(
        code=secrets.token_urlsafe(6),
        name=normalize_post_name(name),
        address=normalize_address(address),
        grid_id=grid_id,
        latitude=latitude,
        longitude=longitude,
        radius_m=check_radius(radius_m),
        created_by=actor.id,
        created_at=now,
    )
    session.add(post)
    await session.flush()
    return post


def check_radius(radius_m: int) -> int:
    if radius_m not in RADIUS_CHOICES:
        raise UnknownChoice()
    return radius_m


async def update_post(
    session: AsyncSession,
    actor: Person,
    post_id: int,
    *,
    name: str | None = None,
    address: str | None = None,
    location: tuple[float, float] | None = None,
    radius_m: int | None = None,
    active: bool | None = None,
) -> Post:
    post = await get_post(session, post_id)
    await require_post_editor(session, actor, post)
    if name is not None:
        post.name = normalize_post_name(name)
    if address is not None:
        post.address = normalize_address(address)
    if location is not None:
        post.latitude, post.longitude = check_location(*location)
    if radius_m is not None:
        post.radius_m = check_radius(radius_m)
    if active is not None:
        post.active = active
    await session.flush()
    return post


async def get_post(session: AsyncSession, post_id: int) -> Post:
    post = await session.get(Post, post_id)
    if post is None:
        raise PostNotFound()
    return post


async def post_by_code(session: AsyncSession, code: str) -> Post:
    post = (await session.exec(select(Post).where(Post.code == code))).first()
    if post is None or not post.active:
        raise PostNotFound()
    return post


async def list_posts(session: AsyncSession, *, include_inactive: bool = False) -> list[Post]:
    query = select(Post).order_by(col(Post.grid_id), col(Post.name))
    if not include_inactive:
        query = query.where(Post.active)
    return list((await session.exec(query)).all())


def checkin_payload(post: Post) -> str:
    return CHECKIN_PAYLOAD_PREFIX + post.code
