"""Elder care on WeChat: the numbered answers to a call prompt (show the number, all
well, needs help, not reached, cannot today, I am on it, log the visit)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.wechat import menus
from models import CareKind
from services import care, ledger_text
from services.i18n import format_duration
from services.ledger_text import EntryLabel
from services.reminders import Moment

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn


async def care_answer(turn: Turn, action: str, task_id: int, minutes: int = 0) -> str:
    tr, session, person = turn.tr, turn.session, turn.person
    at = Moment(turn.settings, turn.catalogs, turn.now)
    if action == "log" and minutes in care.VISIT_MINUTES:
        entry = await care.log_visit(session, person, task_id, minutes, at)
        for person_id, notice in await ledger_text.approval_notices(
            session, entry, turn.settings.shifts
        ):
            await turn.enqueue(person_id, notice)
        return tr("📨 Sent for approval: {entry}. You will be told the answer.").format(
            entry=EntryLabel(entry, turn.settings.shifts).localize(tr)
        )
    if action == "nolog":
        return tr("✅ Thank you! Recorded: all is well.")
    if action == "num":
        elder = await care.contact(session, person, task_id)
        text = tr("📞 {phone} · 📍 {address}").format(phone=elder.phone, address=elder.address)
    elif action == "ok":
        task = await care.reached(session, person, task_id, at)
        text = tr("✅ Thank you! Recorded: all is well.")
        if task.escalated_at is not None:
            text += " " + tr("Everyone who was alerted gets the all-clear.")
        if task.kind == CareKind.VISIT:
            options = [
                (format_duration(tr, m), f"ca:log:{task.id}:{m}") for m in care.VISIT_MINUTES
            ]
            options.append((tr("No, thanks"), f"ca:nolog:{task.id}"))
            lines = await menus.offer(turn, options)
            text = "\n".join([text, tr("Log the visit's service time?"), *lines])
    elif action == "help":
        await care.needs_help(session, person, task_id, at)
        text = tr("🆘 The team leader and the grid officer have been alerted.")
    elif action == "nr":
        retry = await care.unreached(session, person, task_id, at)
        text = tr("📵 Noted.")
        if retry is not None:
            when = retry.astimezone(turn.settings.bot.zone).strftime("%H:%M")
            text = tr("📵 Noted. I will remind you to try again at {time}.").format(time=when)
    elif action == "away":
        had_backup = await care.cannot_today(session, person, task_id, at)
        text = (
            tr("🙅 All right: the backup volunteer has been asked instead.")
            if had_backup
            else tr("🙅 All right. There is no backup, so your team leader has been told.")
        )
    elif action == "ack":
        await care.acknowledge(session, person, task_id, at)
        text = tr("🙋 You are handling it; the others have been told.")
    else:
        return tr("For now, please answer this one on Telegram.")
    # What the answer set off (alerts, the backup's prompt) goes out right away.
    turn.outgoing += await care.fresh_notifications(session, task_id, turn.now)
    return text
