"""Answering a reminder ("still coming?") and choosing which reminders to get."""

from __future__ import annotations

from telegram import Update

from handlers.common import (
    Message,
    Response,
    Work,
    button,
    callback_args,
    int_arg,
    keyboard,
    respond,
    work,
)
from handlers.context import BotContext
from models import Post, Volunteer
from services import reminders
from services.errors import NotRegistered, StaleAction
from services.shifts import shift_label


async def on_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    async with work(update, context) as w:
        if action == "yes":
            (shift_id,) = callback_args(update, 1)
            shift = await reminders.answer_coming(w.session, w.person, int_arg(shift_id), now=w.now)
            post = await w.session.get(Post, shift.post_id) if shift.post_id else None
            label = shift_label(shift, w.deps.settings.shifts, w.deps.settings.bot.zone, post)
            response = Response(
                edit=Message(
                    w.tr("✅ Thank you! See you at {shift}.").format(shift=label.localize(w.tr))
                )
            )
        elif action == "mute":
            kind, muted = callback_args(update, 2)
            await reminders.set_muted(
                w.session, w.person, kind, muted=muted == "1", shifts=w.deps.settings.shifts
            )
            response = Response(edit=await _choices(w))
        else:
            raise StaleAction()
    await respond(update, response)


async def on_reminders(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        message = await _choices(w)
    await respond(update, Response(messages=[message]))


async def _choices(w: Work) -> Message:
    volunteer = await w.session.get(Volunteer, w.person.id)
    if volunteer is None:
        raise NotRegistered()
    tr = w.tr
    rows = []
    for kind in w.deps.settings.shifts.kinds:
        muted = kind.code in volunteer.muted_kinds
        mark = "🔕 " if muted else "🔔 "
        rows.append(
            [button(mark + kind.label(tr.language), f"rm:mute:{kind.code}:{0 if muted else 1}")]
        )
    text = tr(
        "Reminders before your shifts, by kind. Tap to turn one off (🔕) or on (🔔). "
        "Leaders' messages and changes to your shifts always reach you."
    )
    return Message(text, keyboard(rows))
