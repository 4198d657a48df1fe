"""The "new post" and "edit post" conversations (drafts per person, like registration)."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Grid, Person, Post
from services import drafts, posts
from services.errors import InvalidLocation, PermissionDenied, StaleAction, UnknownChoice
from services.org import active_grids

NEW = "newpost"
EDIT = "editpost"
# Steps of a new post, in order; editing asks one of them.
NAME, ADDRESS, COMMUNITY, GRID, LOCATION, RADIUS = (
    "name",
    "address",
    "community",
    "grid",
    "location",
    "radius",
)
EDITABLE = (NAME, ADDRESS, LOCATION, RADIUS)


_COORDINATES = re.compile(r"\s*(-?\d{1,2}(?:\.\d+)?)\s*[,，\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*")


def parse_coordinates(text: str) -> tuple[float, float]:
    """Typed "latitude, longitude" in decimal degrees."""
    match = _COORDINATES.fullmatch(unicodedata.normalize("NFKC", text))
    if not match:
        raise InvalidLocation()
    return posts.check_location(float(match[1]), float(match[2]))


async def _state(session: AsyncSession, actor: Person, flow: str) -> tuple[str, dict[str, Any]]:
    draft = await drafts.load(session, actor.id, flow)
    if draft is None:
        raise StaleAction()
    return draft.step, dict(draft.data)


async def begin(session: AsyncSession, actor: Person, *, now: datetime) -> str:
    await posts.require_post_manager(session, actor)
    await drafts.save(session, actor.id, NEW, step=NAME, data={}, now=now)
    return NAME


async def begin_edit(
    session: AsyncSession, actor: Person, post_id: int, field: str, *, now: datetime
) -> Post:
    await posts.require_post_manager(session, actor)
    if field not in EDITABLE:
        raise UnknownChoice()
    post = await posts.get_post(session, post_id)
    await posts.require_post_editor(session, actor, post)
    await drafts.save(session, actor.id, EDIT, step=field, data={"post_id": post.id}, now=now)
    return post


async def step_of(session: AsyncSession, actor: Person, flow: str) -> str | None:
    draft = await drafts.load(session, actor.id, flow)
    return draft.step if draft else None


async def answer(
    session: AsyncSession,
    actor: Person,
    flow: str,
    *,
    text: str | None = None,
    choice: int | None = None,
    location: tuple[float, float] | None = None,
    now: datetime,
) -> tuple[str | None, Post | None]:
    """Apply one answer; returns the next step (None when done) and the post once saved."""
    await posts.require_post_manager(session, actor)
    step, data = await _state(session, actor, flow)
    if flow == EDIT:
        given = {NAME: text, ADDRESS: text, LOCATION: location, RADIUS: choice}.get(step)
        if given is None:  # e.g. a location sent while a name is expected
            raise StaleAction()
        post = await posts.update_post(
            session,
            actor,
            data["post_id"],
            name=text if step == NAME else None,
            address=text if step == ADDRESS else None,
            location=location if step == LOCATION else None,
            radius_m=choice if step == RADIUS else None,
        )
        await drafts.discard(session, actor.id, EDIT)
        return None, post

    if step == NAME and text is not None:
        data["name"], step = posts.normalize_post_name(text), ADDRESS
    elif step == ADDRESS and text is not None:
        data["address"], step = posts.normalize_address(text), COMMUNITY
    elif step == COMMUNITY and choice is not None:
        allowed = await posts.managed_communities(session, actor)
        if allowed is not None and choice not in allowed:
            raise PermissionDenied()
        grids = await active_grids(session, choice)
        if not grids:
            raise UnknownChoice()
        data["community_id"], step = choice, GRID
        if len(grids) == 1:
            data["grid_id"], step = grids[0].id, LOCATION
    elif step == GRID and choice is not None:
        grid = await session.get(Grid, choice)
        if grid is None or not grid.active or grid.community_id != data.get("community_id"):
            raise UnknownChoice()
        data["grid_id"], step = choice, LOCATION
    elif step == LOCATION and location is not None:
        data["latitude"], data["longitude"] = posts.check_location(*location)
        step = RADIUS
    elif step == RADIUS and choice is not None:
        post = await posts.create_post(
            session,
            actor,
            name=data["name"],
            address=data["address"],
            grid_id=data["grid_id"],
            latitude=data["latitude"],
            longitude=data["longitude"],
            radius_m=choice,
            now=now,
        )
        await drafts.discard(session, actor.id, NEW)
        return None, post
    else:
        raise StaleAction()
    await drafts.save(session, actor.id, NEW, step=step, data=data, now=now)
    return step, None


async def community_of_draft(session: AsyncSession, actor: Person) -> int | None:
    draft = await drafts.load(session, actor.id, NEW)
    return draft.data.get("community_id") if draft else None
