"""岗点 on WeChat: duty posts by number, one post's details with its check-in QR code
as a picture, and a new post (name, address, community and grid by number, its place
sent as a WeChat location or typed, the check-in radius by number); the same
services/post_setup steps as /posts on Telegram."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.wechat import menus
from models import Grid, Post
from services import post_setup, posts
from services.errors import UnknownChoice
from services.i18n import N_
from services.notifier import Notice
from services.org import active_communities, active_grids, place_label

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn

POSTS_SHOWN = 25
QR_CAPTION = N_("📷 The check-in QR code of {post}: print it and put it up at the post.")


async def post_list(turn: Turn) -> str:
    tr = turn.tr
    await posts.require_post_manager(turn.session, turn.person)
    found = await posts.list_posts(turn.session, include_inactive=True)
    options = [(("" if p.active else "⏸ ") + p.name, f"po:v:{p.id}") for p in found[:POSTS_SHOWN]]
    options.append((tr("➕ New post"), "po:new"))
    head = tr("Duty posts:") if found else tr("There are no posts yet.")
    return "\n".join([head, *await menus.offer(turn, options)])


def _with_qr(turn: Turn, post: Post, lines: list[str]) -> str:
    if turn.qr_available:
        turn.qr_codes.append((posts.checkin_payload(post), Notice(QR_CAPTION, {"post": post.name})))
        lines.append(turn.tr("Its check-in QR code follows as a picture."))
    return "\n".join(lines)


async def view(turn: Turn, post_id: int, *, done: str | None = None) -> str:
    """One post; its check-in QR code comes as a picture when it is first opened."""
    tr = turn.tr
    await posts.require_post_manager(turn.session, turn.person)
    post = await posts.get_post(turn.session, post_id)
    grid = await turn.session.get_one(Grid, post.grid_id)
    lines = [done] if done else []
    lines += [
        f"📍 {post.name}" + ("" if post.active else " " + tr("(paused)")),
        tr("Address: {address}").format(address=post.address),
        tr("Grid: {place}").format(place=place_label(grid, tr.language)),
        tr("Location: {lat:.5f}, {lon:.5f} · check-in within {radius} m").format(
            lat=post.latitude, lon=post.longitude, radius=post.radius_m
        ),
        tr("Volunteers check in by scanning its QR code or replying “签到 {code}”.").format(
            code=post.code
        ),
    ]
    options = [
        (tr("⏸ Pause") if post.active else tr("▶ Resume"), f"po:act:{post.id}"),
        (tr("◀ All posts"), "po:list"),
    ]
    menu = await menus.offer(turn, options)
    text = lines if done else [_with_qr(turn, post, lines)]
    return "\n".join([*text, *menu])


async def prompt(turn: Turn, step: str) -> str:
    tr = turn.tr
    if step == post_setup.NAME:
        text = tr("Name of the post (2–40 characters), e.g. 东风路与建设路口:")
    elif step == post_setup.ADDRESS:
        text = tr("Its address (2–120 characters):")
    elif step == post_setup.COMMUNITY:
        lines = [tr("Which community is it in? Reply its number:")]
        lines += [
            f"{n}. {place_label(c, tr.language)}" for n, c in enumerate(await _communities(turn), 1)
        ]
        text = "\n".join(lines)
    elif step == post_setup.GRID:
        lines = [tr("Which grid? Reply its number:")]
        lines += [
            f"{n}. {place_label(g, tr.language)}" for n, g in enumerate(await _grids(turn), 1)
        ]
        text = "\n".join(lines)
    elif step == post_setup.LOCATION:
        text = tr(
            "Where exactly is it? Send its location (+ → Location, and pick the place), "
            "or type the coordinates like 30.27250, 120.16750."
        )
    else:
        lines = [tr("Volunteers check in when they are within how many metres of it?")]
        lines += [
            f"{n}. " + tr("{radius} m").format(radius=r)
            for n, r in enumerate(posts.RADIUS_CHOICES, 1)
        ]
        text = "\n".join(lines)
    return text + "\n" + tr("(reply 取消 to stop)")


async def _communities(turn: Turn) -> list:
    allowed = await posts.managed_communities(turn.session, turn.person)
    return [c for c in await active_communities(turn.session) if allowed is None or c.id in allowed]


async def _grids(turn: Turn) -> list:
    community_id = await post_setup.community_of_draft(turn.session, turn.person)
    return await active_grids(turn.session, community_id) if community_id else []


def _pick(options: list, said: str):
    if said.isdigit() and 1 <= int(said) <= len(options):
        return options[int(said) - 1]
    raise UnknownChoice()


async def begin(turn: Turn) -> str:
    step = await post_setup.begin(turn.session, turn.person, now=turn.now)
    return await prompt(turn, step)


async def answer_text(turn: Turn, step: str, said: str, text: str) -> str:
    """A typed answer to the new post's current question."""
    kwargs: dict = {}
    if step in (post_setup.NAME, post_setup.ADDRESS):
        kwargs["text"] = text
    elif step == post_setup.COMMUNITY:
        kwargs["choice"] = _pick(await _communities(turn), said).id
    elif step == post_setup.GRID:
        kwargs["choice"] = _pick(await _grids(turn), said).id
    elif step == post_setup.LOCATION:
        kwargs["location"] = post_setup.parse_coordinates(text)
    else:
        kwargs["choice"] = _pick(list(posts.RADIUS_CHOICES), said)
    return await _answer(turn, **kwargs)


async def answer_location(turn: Turn, latitude: float, longitude: float) -> str:
    return await _answer(turn, location=(latitude, longitude))


async def _answer(turn: Turn, **given) -> str:
    step, post = await post_setup.answer(
        turn.session, turn.person, post_setup.NEW, now=turn.now, **given
    )
    if post is None:
        return await prompt(turn, step)
    lines = [
        turn.tr("✓ Post created: {post}.").format(post=post.name),
        turn.tr("Volunteers check in by scanning its QR code or replying “签到 {code}”.").format(
            code=post.code
        ),
    ]
    return _with_qr(turn, post, lines)


async def press(turn: Turn, verb: str, args: list[str]) -> str:
    if verb == "new":
        return await begin(turn)
    if verb == "list":
        return await post_list(turn)
    if verb == "act" and len(args) == 1 and args[0].isdigit():
        post = await posts.get_post(turn.session, int(args[0]))
        await posts.update_post(turn.session, turn.person, post.id, active=not post.active)
        return await view(turn, post.id, done=turn.tr("Saved."))
    if verb == "v" and len(args) == 1 and args[0].isdigit():
        return await view(turn, int(args[0]))
    raise UnknownChoice()
