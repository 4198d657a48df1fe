"""A leader approves or declines logged service on WeChat by number (the buttons of the
"service logged" notice), with a reason picked from a list or typed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.wechat import menus
from models import EntryStatus
from services import drafts, ledger, ledger_text
from services.errors import StaleAction
from services.ledger_text import REJECT_REASONS, EntryLabel

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn

# The same typed-reason draft as on Telegram (handlers/minutes.py).
REASON_FLOW = "rejectreason"
OTHER = "other"


async def press(turn: Turn, verb: str, args: list[str]) -> str:
    if verb == "ok" and len(args) == 1:
        entry = await ledger.decide(
            turn.session, turn.person, int(args[0]), approve=True, now=turn.now
        )
        return await _decided(turn, entry)
    if verb == "no" and len(args) == 1:
        entry = await ledger.get_entry(turn.session, int(args[0]))
        await ledger.require_decider(turn.session, turn.person, entry)
        options = [
            (turn.tr(label), f"lg:nr:{entry.id}:{code}") for code, label in REJECT_REASONS.items()
        ]
        options.append((turn.tr("Another reason…"), f"lg:nr:{entry.id}:{OTHER}"))
        return "\n".join([turn.tr("Why not?"), *await menus.offer(turn, options)])
    if verb == "nr" and len(args) == 2:
        entry_id, code = int(args[0]), args[1]
        if code == OTHER:
            entry = await ledger.get_entry(turn.session, entry_id)
            await ledger.require_decider(turn.session, turn.person, entry)
            await drafts.save(
                turn.session,
                turn.person.id,
                REASON_FLOW,
                step="reason",
                data={"entry_id": entry.id},
                now=turn.now,
            )
            return turn.tr("Please type the reason in a few words (or /cancel).")
        if code in REJECT_REASONS:
            entry = await ledger.decide(
                turn.session,
                turn.person,
                entry_id,
                approve=False,
                reason=turn.tr(REJECT_REASONS[code]),
                now=turn.now,
            )
            return await _decided(turn, entry)
    raise StaleAction()


async def with_reason(turn: Turn, entry_id: int, text: str) -> str:
    entry = await ledger.decide(
        turn.session, turn.person, entry_id, approve=False, reason=text, now=turn.now
    )
    await drafts.discard(turn.session, turn.person.id, REASON_FLOW)
    return await _decided(turn, entry)


async def _decided(turn: Turn, entry) -> str:
    shifts = turn.settings.shifts
    person_id, notice = await ledger_text.decision_notice(turn.session, entry, turn.person, shifts)
    await turn.enqueue(person_id, notice)
    label = EntryLabel(entry, shifts).localize(turn.tr)
    if entry.status == EntryStatus.APPROVED:
        return turn.tr("✅ Approved: {entry}").format(entry=label)
    return turn.tr("❌ Not approved: {entry}").format(entry=label)
