"""A volunteer's shifts on WeChat: the list to join, their own (我的班次), one shift's card,
cancelling with a reason, and the numbered answers to reminders and a leader's call."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.wechat import menus
from models import SignupStatus, Volunteer
from services import (
    attendance,
    drafts,
    ledger,
    reminders,
    roster_text,
    shift_actions,
    shifts,
    signups,
)
from services.attendance import check_text
from services.errors import NotRegisteredOnWeChat, StaleAction
from services.ledger_text import minutes_summary
from services.shift_actions import CANCEL_FLOW, CANCEL_REASONS, OTHER_REASON, cancel_reason
from services.shift_cards import ShiftCard

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn

SHIFTS_SHOWN = 15


async def require_volunteer(turn: Turn) -> Volunteer:
    volunteer = await turn.session.get(Volunteer, turn.person.id)
    if volunteer is None:
        raise NotRegisteredOnWeChat()
    return volunteer


async def shift_list(turn: Turn) -> str:
    await require_volunteer(turn)
    tr, settings = turn.tr, turn.settings
    found = await shifts.joinable(turn.session, turn.person, now=turn.now)
    if not found:
        return tr("No upcoming shifts to join right now. You will be told when there are.")
    lines = [
        tr("Upcoming shifts you can join (reply 报名 and the number, e.g. 报名 {number}):").format(
            number=found[0].shift.id
        )
    ]
    for info in found[:SHIFTS_SHOWN]:
        mark = "✅ " if info.my_status == SignupStatus.CONFIRMED else ""
        lines.append(f"{info.shift.id}. {mark}{roster_text.shift_line(tr, info, settings)}")
    return "\n".join(lines)


async def sign_up(turn: Turn, shift_id: int) -> str:
    await require_volunteer(turn)
    settings = turn.settings
    change = await signups.sign_up(
        turn.session,
        turn.person,
        shift_id,
        settings=settings.shifts,
        zone=settings.bot.zone,
        now=turn.now,
    )
    info = await shifts.info(turn.session, change.shift.id, person=turn.person)
    label = info.label(settings.shifts, settings.bot.zone).localize(turn.tr)
    if change.already:
        return turn.tr("You are already on this shift: {shift}").format(shift=label)
    turn.refresh.add(change.shift.id)
    if change.signup.status == SignupStatus.CONFIRMED:
        return turn.tr("✅ You are signed up: {shift}").format(shift=label)
    return turn.tr("⏳ The shift is full: you are on the waitlist.")


async def my_shifts(turn: Turn) -> str:
    await require_volunteer(turn)
    tr = turn.tr
    mine = await signups.my_upcoming(turn.session, turn.person, now=turn.now)
    if not mine:
        return tr("You have no upcoming shifts. Reply 班次 to find one.")
    infos = await shifts.infos(turn.session, [s for s, _, _ in mine], person=turn.person)
    waiting = {
        SignupStatus.WAITLISTED: tr("on the waitlist"),
        SignupStatus.INVITED: tr("waiting for your answer"),
    }
    options = []
    for info in infos[:SHIFTS_SHOWN]:
        line = roster_text.shift_line(tr, info, turn.settings)
        status = waiting.get(info.my_status)
        options.append((line + (f" — {status}" if status else ""), f"sh:v:{info.shift.id}"))
    lines = await menus.offer(turn, options)
    return "\n".join([tr("Your upcoming shifts (reply a number to see one or cancel):"), *lines])


async def detail(turn: Turn, shift_id: int) -> str:
    tr, settings = turn.tr, turn.settings
    info = await shifts.info(turn.session, shift_id, person=turn.person)
    text = ShiftCard(info, settings.shifts, settings.bot.zone).localize(tr)
    options = []
    if info.my_status == SignupStatus.CONFIRMED:
        text += "\n" + tr("✅ You are signed up.")
        options.append((tr("Cancel my place"), f"my:cx:{shift_id}"))
    elif info.my_status == SignupStatus.WAITLISTED:
        text += "\n" + tr("⏳ You are on the waitlist.")
        options.append((tr("Leave the waitlist"), f"my:cx:{shift_id}"))
    elif info.my_status == SignupStatus.INVITED:
        text += "\n" + tr("✉️ Your leader has put you on this shift.")
        options += [(tr("✅ I will come"), f"asg:yes:{shift_id}")]
        options += [(tr("❌ I cannot"), f"asg:no:{shift_id}")]
    elif info.shift.status == "open" and info.shift.starts_at > turn.now:
        options.append((tr("🙋 Sign up"), f"sh:join:{shift_id}"))
    return "\n".join([text, *await menus.offer(turn, options)]) if options else text


async def _cancellable(turn: Turn, shift_id: int) -> shifts.ShiftInfo:
    """The shift, if the person still holds a place or waits for one."""
    info = await shifts.info(turn.session, shift_id, person=turn.person)
    if info.my_status not in (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED):
        raise StaleAction()
    return info


async def ask_reason(turn: Turn, shift_id: int) -> str:
    tr = turn.tr
    info = await _cancellable(turn, shift_id)
    line = roster_text.shift_line(tr, info, turn.settings)
    options = [(tr(label), f"my:why:{shift_id}:{code}") for code, label in CANCEL_REASONS.items()]
    options.append((tr("Another reason…"), f"my:why:{shift_id}:{OTHER_REASON}"))
    options.append((tr("◀ Keep my place"), f"sh:v:{shift_id}"))
    question = tr("Cancel {shift}? Please tell your leader why:").format(shift=line)
    return "\n".join([question, *await menus.offer(turn, options)])


async def cancel_with_reason(turn: Turn, shift_id: int, reason: str) -> str:
    outcome = await shift_actions.cancel_place(
        turn.session, turn.person, shift_id, reason, settings=turn.settings, now=turn.now
    )
    for person_id, notice in outcome.outgoing:
        await turn.enqueue(person_id, notice)
    turn.refresh.add(shift_id)
    text = turn.tr("Cancelled: {shift}. Thank you for letting us know.").format(
        shift=outcome.label.localize(turn.tr)
    )
    if outcome.late:
        text += "\n" + turn.tr("It is close to the start, so your leader has been told.")
    return text


async def typed_reason(turn: Turn, text: str) -> str:
    draft = await drafts.load(turn.session, turn.person.id, CANCEL_FLOW)
    if draft is None:
        raise StaleAction()
    return await cancel_with_reason(turn, int(draft.data["shift_id"]), text)


async def press(turn: Turn, prefix: str, verb: str, args: list[int | str]) -> str:
    """A numbered choice about a shift: sh:*, my:*, rm:yes, asg:* (as on Telegram)."""
    tr = turn.tr
    shift_id = args[0] if args and isinstance(args[0], int) else None
    if shift_id is None:
        raise StaleAction()
    if prefix == "sh" and verb in ("join", "jd"):
        return await sign_up(turn, shift_id)
    if prefix == "sh" and verb == "v":
        return await detail(turn, shift_id)
    if prefix == "my" and verb == "cx":
        return await ask_reason(turn, shift_id)
    if prefix == "my" and verb == "why" and len(args) == 2:
        code = args[1]
        if code == OTHER_REASON:
            await _cancellable(turn, shift_id)
            await drafts.save(
                turn.session,
                turn.person.id,
                CANCEL_FLOW,
                step="reason",
                data={"shift_id": shift_id},
                now=turn.now,
            )
            return tr("Please type the reason in a few words (or 取消).")
        if code in CANCEL_REASONS:
            return await cancel_with_reason(turn, shift_id, cancel_reason(tr, str(code)))
    if prefix == "rm" and verb == "yes":
        shift = await reminders.answer_coming(turn.session, turn.person, shift_id, now=turn.now)
        info = await shifts.info(turn.session, shift.id)
        label = info.label(turn.settings.shifts, turn.settings.bot.zone).localize(tr)
        return tr("✅ Thank you! See you at {shift}.").format(shift=label)
    if prefix == "asg" and verb in ("yes", "no"):
        outcome = await shift_actions.answer_invitation(
            turn.session,
            turn.person,
            shift_id,
            accept=verb == "yes",
            settings=turn.settings,
            now=turn.now,
        )
        for person_id, notice in outcome.outgoing:
            await turn.enqueue(person_id, notice)
        turn.refresh.add(outcome.shift_id)
        return (
            tr("✅ Thank you! You are signed up for {shift}.")
            if verb == "yes"
            else tr("Understood: you are not on {shift}. Your leader has been told.")
        ).format(shift=outcome.label.localize(tr))
    raise StaleAction()


async def my_minutes(turn: Turn) -> str:
    volunteer = await require_volunteer(turn)
    today = turn.now.astimezone(turn.settings.bot.zone).date()
    totals = await ledger.totals(turn.session, turn.person.id, today=today)
    return "\n".join(minutes_summary(turn.tr, volunteer.real_name, totals, turn.settings))


# --- at the post ---------------------------------------------------------------------------


async def check_in(turn: Turn, latitude: float, longitude: float) -> str:
    """A location outside any question: checking in or out at the post of one's shift."""
    await require_volunteer(turn)
    settings = turn.settings
    result = await attendance.check_by_location(
        turn.session,
        turn.person,
        latitude,
        longitude,
        settings=settings.shifts,
        zone=settings.bot.zone,
        now=turn.now,
    )
    return check_text(turn.tr, result, settings)


async def check_in_by_code(turn: Turn, code: str) -> str:
    await require_volunteer(turn)
    settings = turn.settings
    result = await attendance.check_by_post_code(
        turn.session,
        turn.person,
        code,
        settings=settings.shifts,
        zone=settings.bot.zone,
        now=turn.now,
    )
    return check_text(turn.tr, result, settings)
