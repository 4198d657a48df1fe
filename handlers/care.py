"""The buttons under a daily-call prompt, a visit prompt and an elder alert."""

from __future__ import annotations

from telegram import Message as TelegramMessage
from telegram import Update

from handlers.common import (
    Message,
    Response,
    Work,
    button,
    int_arg,
    keyboard,
    respond,
    tell,
    work,
)
from handlers.context import BotContext
from handlers.minutes import approval_notices
from models import CareKind
from services import care, drafts
from services.errors import StaleAction
from services.i18n import format_duration
from services.ledger_text import EntryLabel
from services.notifier import Action
from services.reminders import Moment

NOTE_FLOW = "carenote"
VISIT_MINUTES = care.VISIT_MINUTES


def _moment(w: Work) -> Moment:
    return Moment(w.deps.settings, w.deps.catalogs, w.now)


def _shown_text(update: Update) -> str:
    message = update.callback_query.message
    return (message.text or "") if isinstance(message, TelegramMessage) else ""


def _number_shown(update: Update) -> bool:
    """The number was revealed on this message already (its button is gone)."""
    markup = getattr(update.callback_query.message, "reply_markup", None)
    data = [b.callback_data for row in (markup.inline_keyboard if markup else ()) for b in row]
    return bool(data) and not any(str(d).startswith("ca:num") for d in data)


def _markup(w: Work, actions: tuple[tuple[Action, ...], ...], leave_out: str = ""):
    rows = [
        [button(w.tr(a.label), a.data) for a in row if not a.data.startswith(leave_out or "\0")]
        for row in actions
    ]
    return keyboard([row for row in rows if row])


async def on_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    async with work(update, context) as w:
        (value, *extra) = (update.callback_query.data or "").split(":")[2:] or [""]
        task_id = int_arg(value)
        response = await _answer(w, update, action, task_id, extra)
        # What the answer set off (alerts, the backup's prompt) goes out right away.
        w.outgoing += await care.fresh_notifications(w.session, task_id, w.now)
    await respond(update, response)


async def _answer(w: Work, update: Update, action: str, task_id: int, extra: list[str]) -> Response:
    tr, session, person, at = w.tr, w.session, w.person, _moment(w)
    shown = _shown_text(update)
    if action == "num":
        elder = await care.contact(session, person, task_id)
        task = await care.get_task(session, task_id)
        text = (
            shown
            + "\n"
            + tr("📞 {phone} · 📍 {address}").format(phone=elder.phone, address=elder.address)
        )
        # The caller answers the prompt; a leader or officer (from an alert) takes it on.
        actions = (
            care.prompt_actions(task) if task.assignee_id == person.id else care.alert_actions(task)
        )
        return Response(edit=Message(text, _markup(w, actions, "ca:num")))
    if action == "ok":
        task = await care.reached(session, person, task_id, at)
        text = shown + "\n\n" + tr("✅ Thank you! Recorded: all is well.")
        if task.escalated_at is not None:
            text += " " + tr("Everyone who was alerted gets the all-clear.")
        if task.kind == CareKind.VISIT:
            text += "\n" + tr("Log the visit's service time?")
            choices = [
                button(format_duration(tr, m), f"ca:log:{task.id}:{m}") for m in VISIT_MINUTES
            ]
            rows = [choices, [button(tr("No, thanks"), f"ca:nolog:{task.id}")]]
            return Response(edit=Message(text, keyboard(rows)))
        return Response(edit=Message(text))
    if action == "help":
        await care.needs_help(session, person, task_id, at)
        await drafts.save(
            session, person.id, NOTE_FLOW, step="note", data={"task": task_id}, now=w.now
        )
        text = (
            shown
            + "\n\n"
            + tr(
                "🆘 The team leader and the grid officer have been alerted. What help is needed? "
                "Type a short note for them (or /cancel)."
            )
        )
        return Response(edit=Message(text))
    if action == "nr":
        retry = await care.unreached(session, person, task_id, at)
        if retry is not None:
            when = retry.astimezone(w.deps.settings.bot.zone).strftime("%H:%M")
            note = tr("📵 Noted. I will remind you to try again at {time}.").format(time=when)
        else:
            deadline = care.deadline_of(
                (await care.get_task(session, task_id)).kind, w.deps.settings.care
            )
            note = tr(
                "📵 Noted. If nobody reaches them by {time}, the team leader and the grid "
                "officer will be alerted."
            ).format(time=deadline.strftime("%H:%M"))
        task = await care.get_task(session, task_id)
        markup = _markup(w, care.prompt_actions(task), "ca:num" if _number_shown(update) else "")
        return Response(edit=Message(shown + "\n\n" + note, markup))
    if action == "away":
        had_backup = await care.cannot_today(session, person, task_id, at)
        note = (
            tr("🙅 All right: the backup volunteer has been asked instead.")
            if had_backup
            else tr("🙅 All right. There is no backup, so your team leader has been told.")
        )
        return Response(edit=Message(shown + "\n\n" + note))
    if action == "ack":
        task = await care.acknowledge(session, person, task_id, at)
        text = shown + "\n\n" + tr("🙋 You are handling it; the others have been told.")
        rows = [[button(tr("✅ Reached, all is well"), f"ca:ok:{task.id}")]]
        return Response(edit=Message(text, keyboard(rows)))
    if action == "log":
        (minutes,) = extra or [""]
        if int_arg(minutes) not in VISIT_MINUTES:
            raise StaleAction()
        entry = await care.log_visit(session, person, task_id, int_arg(minutes), at)
        await tell(w, await approval_notices(w, entry))
        text = tr("📨 Sent for approval: {entry}. You will be told the answer.").format(
            entry=EntryLabel(entry, w.deps.settings.shifts).localize(tr)
        )
        return Response(messages=[Message(text)], edit=Message(shown))
    if action == "nolog":
        return Response(edit=Message(shown))
    raise StaleAction()


async def on_note_text(w: Work, text: str) -> tuple[Response, list]:
    draft = await drafts.load(w.session, w.person.id, NOTE_FLOW)
    if draft is None:
        raise StaleAction()
    task_id = int(draft.data["task"])
    await care.add_note(w.session, w.person, task_id, text, _moment(w))
    await drafts.discard(w.session, w.person.id, NOTE_FLOW)
    w.outgoing += await care.fresh_notifications(w.session, task_id, w.now)
    return Response.say(w.tr("✓ Your note was passed on. Thank you.")), []
