"""/posts: duty posts (list, create, edit) and their printable check-in QR codes."""

from __future__ import annotations

from telegram import InputFile, KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.helpers import create_deep_linked_url

from handlers.common import (
    Message,
    Response,
    Work,
    button,
    callback_args,
    in_rows,
    int_arg,
    keyboard,
    pager_row,
    paginate,
    respond,
    work,
)
from handlers.context import BotContext
from models import Grid, Post
from services import post_setup, posts
from services.errors import StaleAction
from services.org import active_communities, active_grids, place_label
from services.qr import qr_png

POSTS_PER_PAGE = 10


def checkin_link(context: BotContext, post: Post) -> str:
    return create_deep_linked_url(context.bot.username, posts.checkin_payload(post))


async def on_posts(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        message = await _list(w, 0)
    await respond(update, Response(messages=[message]))


async def _list(w: Work, page: int) -> Message:
    await posts.require_post_manager(w.session, w.person)
    tr = w.tr
    found = await posts.list_posts(w.session, include_inactive=True)
    shown = paginate(found, page, POSTS_PER_PAGE)
    buttons = [button(("" if p.active else "⏸ ") + p.name, f"po:v:{p.id}") for p in shown.items]
    rows = [
        *in_rows(buttons, 2),
        pager_row(shown, tr, lambda n: f"po:list:{n}"),
        [button(tr("➕ New post"), "po:new")],
    ]
    text = tr("Duty posts:") if found else tr("There are no posts yet.")
    return Message(text, keyboard(rows))


async def _view(w: Work, context: BotContext, post: Post) -> Message:
    tr = w.tr
    grid = await w.session.get_one(Grid, post.grid_id)
    lines = [
        f"📍 {post.name}" + ("" if post.active else " " + tr("(paused)")),
        tr("Address: {address}").format(address=post.address),
        tr("Grid: {place}").format(place=place_label(grid, tr.language)),
        tr("Location: {lat:.5f}, {lon:.5f} · check-in within {radius} m").format(
            lat=post.latitude, lon=post.longitude, radius=post.radius_m
        ),
        tr("Check-in link: {link}").format(link=checkin_link(context, post)),
    ]
    rows = [
        [button(tr("🖨 QR code to print"), f"po:qr:{post.id}")],
        [
            button(tr("✏️ Post name"), f"po:e:{post.id}:name"),
            button(tr("✏️ Address"), f"po:e:{post.id}:address"),
        ],
        [
            button(tr("✏️ Location"), f"po:e:{post.id}:location"),
            button(tr("✏️ Check-in radius"), f"po:e:{post.id}:radius"),
        ],
        [
            button(tr("⏸ Pause") if post.active else tr("▶ Resume"), f"po:act:{post.id}"),
            button(tr("◀ All posts"), "po:list:0"),
        ],
    ]
    return Message("\n".join(lines), keyboard(rows))


async def prompt(w: Work, flow: str, step: str) -> list[Message]:
    tr = w.tr
    if step == post_setup.NAME:
        return [Message(tr("Name of the post (2–40 characters), e.g. 东风路与建设路口:"))]
    if step == post_setup.ADDRESS:
        return [Message(tr("Its address (2–120 characters):"))]
    if step == post_setup.COMMUNITY:
        allowed = await posts.managed_communities(w.session, w.person)
        communities = [
            c for c in await active_communities(w.session) if allowed is None or c.id in allowed
        ]
        buttons = [button(place_label(c, tr.language), f"po:c:{c.id}") for c in communities]
        return [Message(tr("Which community is it in?"), keyboard(in_rows(buttons, 2)))]
    if step == post_setup.GRID:
        community_id = await post_setup.community_of_draft(w.session, w.person)
        grids = await active_grids(w.session, community_id)
        buttons = [button(place_label(g, tr.language), f"po:g:{g.id}") for g in grids]
        return [Message(tr("Which grid?"), keyboard(in_rows(buttons, 2)))]
    if step == post_setup.LOCATION:
        share = ReplyKeyboardMarkup(
            [[KeyboardButton(tr("📍 I am at the post: share my location"), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        text = tr(
            "Where exactly is it? Tap the button below if you are at the post now, "
            "or send 📎 → Location and pick the place on the map."
        )
        return [Message(text, share)]
    if step == post_setup.RADIUS:
        buttons = [
            button(tr("{radius} m").format(radius=r), f"po:r:{r}") for r in posts.RADIUS_CHOICES
        ]
        text = tr("Volunteers check in when they are within how many metres of it?")
        return [Message(text, keyboard(in_rows(buttons, 5)))]
    raise AssertionError(step)


async def on_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    if action == "qr":
        await _send_qr(update, context)
        return
    async with work(update, context) as w:
        if action == "list":
            (page,) = callback_args(update, 1)
            response = Response(edit=await _list(w, int_arg(page)))
        elif action == "v":
            (post_id,) = callback_args(update, 1)
            await posts.require_post_manager(w.session, w.person)
            post = await posts.get_post(w.session, int_arg(post_id))
            response = Response(edit=await _view(w, context, post))
        elif action == "new":
            step = await post_setup.begin(w.session, w.person, now=w.now)
            response = Response(messages=await prompt(w, post_setup.NEW, step))
        elif action == "e":
            post_id, field = callback_args(update, 2)
            await post_setup.begin_edit(w.session, w.person, int_arg(post_id), field, now=w.now)
            response = Response(messages=await prompt(w, post_setup.EDIT, field))
        elif action == "act":
            (post_id,) = callback_args(update, 1)
            post = await posts.get_post(w.session, int_arg(post_id))
            post = await posts.update_post(w.session, w.person, post.id, active=not post.active)
            response = Response(edit=await _view(w, context, post))
        elif action in ("c", "g", "r"):
            (value,) = callback_args(update, 1)
            flow = (
                post_setup.EDIT
                if action == "r"
                and await post_setup.step_of(w.session, w.person, post_setup.EDIT)
                == post_setup.RADIUS
                else post_setup.NEW
            )
            response = await answer(w, context, flow, choice=int_arg(value))
        else:
            raise StaleAction()
    await respond(update, response)


async def answer(w: Work, context: BotContext, flow: str, **given) -> Response:
    """One answer in the new/edit post conversation; the next question or the result."""
    step, post = await post_setup.answer(w.session, w.person, flow, now=w.now, **given)
    if post is None:
        return Response(messages=await prompt(w, flow, step))
    done = (
        w.tr("✓ Post saved.")
        if flow == post_setup.EDIT
        else w.tr(
            "✓ Post created. Print its QR code and put it up at the post: volunteers scan it "
            "to check in and out."
        )
    )
    return Response(messages=[Message(done, ReplyKeyboardRemove()), await _view(w, context, post)])


async def _send_qr(update: Update, context: BotContext) -> None:
    (post_id,) = callback_args(update, 1)
    async with work(update, context) as w:
        await posts.require_post_manager(w.session, w.person)
        post = await posts.get_post(w.session, int_arg(post_id))
        link = checkin_link(context, post)
        caption = w.tr("Check-in QR code for “{post}”. Print it and put it up at the post.").format(
            post=post.name
        )
    await update.callback_query.answer()
    await update.effective_chat.send_photo(
        InputFile(qr_png(link), filename=f"checkin-{post.code}.png"), caption=caption
    )


def editing_flow_for_location(step_new: str | None, step_edit: str | None) -> str | None:
    """Which post conversation a shared location belongs to, if any."""
    if step_edit == post_setup.LOCATION:
        return post_setup.EDIT
    if step_new == post_setup.LOCATION:
        return post_setup.NEW
    return None
