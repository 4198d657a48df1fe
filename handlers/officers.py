"""/officers: an admin appoints grid officers with one-time links, or removes them."""

from __future__ import annotations

from telegram import Update
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
    respond,
    work,
)
from handlers.context import BotContext
from handlers.menu import refresh_personal_menu
from models import Grid
from services import officers
from services.errors import StaleAction
from services.org import place_label
from services.profile import real_name


async def on_officers(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        message = await _overview(w)
    await respond(update, Response(messages=[message]))


async def _overview(w: Work) -> Message:
    tr = w.tr
    lines = [tr("Grid officers (网格员) by grid:")]
    buttons = []
    for row in await officers.overview(w.session, w.person):
        names = [await real_name(w.session, p) or "—" for p in row.officers]
        label = place_label(row.grid, tr.language)
        lines.append(
            tr("• {grid}: {names}").format(
                grid=label, names="、".join(names) if names else tr("nobody yet")
            )
        )
        buttons.append(button(label, f"of:g:{row.grid.id}"))
    return Message("\n".join(lines), keyboard(in_rows(buttons, 2)))


async def _grid(w: Work, grid_id: int) -> Message:
    tr = w.tr
    row = next(
        (r for r in await officers.overview(w.session, w.person) if r.grid.id == grid_id), None
    )
    if row is None:
        raise StaleAction()
    label = place_label(row.grid, tr.language)
    rows = [
        [
            button(
                tr("✖ Remove {name}").format(name=await real_name(w.session, p) or "—"),
                f"of:rm:{grid_id}:{p}",
            )
        ]
        for p in row.officers
    ]
    rows.append([button(tr("🔗 Invite link for a new officer"), f"of:inv:{grid_id}")])
    rows.append([button(tr("◀ All grids"), "of:all")])
    text = tr("Officers of {grid}:").format(grid=label)
    if not row.officers:
        text += "\n" + tr("nobody yet")
    return Message(text, keyboard(rows))


async def on_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    removed = None
    async with work(update, context) as w:
        if action == "all":
            response = Response(edit=await _overview(w))
        elif action == "g":
            (grid_id,) = callback_args(update, 1)
            response = Response(edit=await _grid(w, int_arg(grid_id)))
        elif action == "inv":
            (grid_id,) = callback_args(update, 1)
            payload = await officers.invite(w.session, w.person, int_arg(grid_id), now=w.now)
            grid = await w.session.get_one(Grid, int_arg(grid_id))
            link = create_deep_linked_url(context.bot.username, payload)
            text = w.tr(
                "Send this link to the new grid officer of {grid}. It works once, within "
                "7 days; a newer link replaces it:\n{link}"
            ).format(grid=place_label(grid, w.tr.language), link=link)
            response = Response(messages=[Message(text)])
        elif action == "rm":
            grid_id, person_id = (int_arg(a) for a in callback_args(update, 2))
            if await officers.remove(w.session, w.person, grid_id, person_id):
                removed = person_id
            response = Response(edit=await _grid(w, grid_id), popup=w.tr("Removed."))
        else:
            raise StaleAction()
    await respond(update, response)
    if removed is not None:
        await refresh_personal_menu(context, removed)


async def accept_invite(w: Work, context: BotContext, code: str) -> Response:
    """The new officer opened their link."""
    grid = await officers.accept(w.session, w.person, code, now=w.now)
    text = w.tr(
        "✓ You are now a grid officer of {grid}. Send /elders to register the elders of "
        "your grid and see that they are called every day."
    ).format(grid=place_label(grid, w.tr.language))
    return Response.say(text)
