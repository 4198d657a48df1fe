"""Volunteers and shifts: /shifts, sign-up taps (also in team groups), /myshifts,
cancelling with a reason, answering a leader's assignment, the calendar file."""

from __future__ import annotations

from telegram import InputFile, Update
from telegram.constants import ChatType

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
    tell,
    work,
)
from handlers.context import BotContext
from models import SignupStatus, Volunteer
from services import drafts, roster_text, shift_actions, shifts, signups
from services.calendar import shifts_calendar
from services.errors import NotRegistered, StaleAction
from services.shift_actions import CANCEL_FLOW, CANCEL_REASONS, OTHER_REASON, cancel_reason
from services.shift_cards import ShiftCard
from services.shifts import ShiftInfo

SHIFTS_PER_PAGE = 6
ALL_KINDS = "-"
STATUS_MARKS = {
    SignupStatus.CONFIRMED: "✅",
    SignupStatus.WAITLISTED: "⏳",
    SignupStatus.INVITED: "✉️",
}


def _zone(w: Work):
    return w.deps.settings.bot.zone


def shift_line(w: Work, info: ShiftInfo) -> str:
    return roster_text.shift_line(w.tr, info, w.deps.settings)


# --- /shifts ---------------------------------------------------------------------------------


async def on_shifts(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        message = await _list(w, page=0, kind=None)
    await respond(update, Response(messages=[message]))


async def _list(w: Work, *, page: int, kind: str | None) -> Message:
    tr = w.tr
    if await w.session.get(Volunteer, w.person.id) is None:
        raise NotRegistered()
    found = await shifts.joinable(w.session, w.person, now=w.now, kind=kind)
    shown = paginate(found, page, SHIFTS_PER_PAGE)
    settings = w.deps.settings.shifts
    kind_code = kind or ALL_KINDS
    if not found:
        lines = [tr("No upcoming shifts to join right now. You will be told when there are.")]
    else:
        lines = [tr("Upcoming shifts you can join:"), ""]
        first = shown.number * SHIFTS_PER_PAGE + 1
        for number, info in enumerate(shown.items, start=first):
            mark = STATUS_MARKS.get(info.my_status, "")
            lines.append(f"{number}. {mark}{shift_line(w, info)}")
        if shown.count > 1:
            lines += ["", tr("Page {n} of {total}").format(n=shown.number + 1, total=shown.count)]
    first = shown.number * SHIFTS_PER_PAGE + 1
    picks = [
        button(f"{number}", f"sh:v:{info.shift.id}")
        for number, info in enumerate(shown.items, start=first)
    ]
    filters = [
        button(("• " if kind == k.code else "") + k.label(tr.language), f"sh:l:0:{k.code}")
        for k in settings.kinds
    ]
    filters.insert(0, button(("• " if kind is None else "") + tr("All"), f"sh:l:0:{ALL_KINDS}"))
    rows = [
        *in_rows(picks, 6),
        pager_row(shown, tr, lambda n: f"sh:l:{n}:{kind_code}"),
        *in_rows(filters, 3),
    ]
    return Message("\n".join(lines), keyboard(rows))


def _detail(w: Work, info: ShiftInfo, *, back: bool = True) -> Message:
    tr = w.tr
    text = ShiftCard(info, w.deps.settings.shifts, _zone(w)).localize(tr)
    status = info.my_status
    rows = []
    if status == SignupStatus.CONFIRMED:
        text += "\n\n" + tr("✅ You are signed up.")
        rows.append([button(tr("Cancel my place"), f"my:cx:{info.shift.id}")])
    elif status == SignupStatus.WAITLISTED:
        text += "\n\n" + tr("⏳ You are on the waitlist.")
        rows.append([button(tr("Leave the waitlist"), f"my:cx:{info.shift.id}")])
    elif status == SignupStatus.INVITED:
        text += "\n\n" + tr("✉️ Your leader has put you on this shift.")
        rows.append(
            [
                button(tr("✅ I will come"), f"asg:yes:{info.shift.id}"),
                button(tr("❌ I cannot"), f"asg:no:{info.shift.id}"),
            ]
        )
    elif info.shift.status == "open" and info.shift.starts_at > w.now:
        label = (
            tr("⏳ Join the waitlist ({taken}/{capacity})")
            if info.full
            else tr("🙋 Sign up ({taken}/{capacity})")
        ).format(taken=info.taken, capacity=info.shift.capacity)
        rows.append([button(label, f"sh:jd:{info.shift.id}")])
    if back:
        rows.append([button(tr("◀ All shifts"), "sh:l:0:-")])
    return Message(text, keyboard(rows))


async def on_shift_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    if action in ("join", "jd"):
        await _join(update, context, from_detail=action == "jd")
        return
    async with work(update, context) as w:
        if action == "l":
            page, kind = callback_args(update, 2)
            message = await _list(w, page=int_arg(page), kind=None if kind == ALL_KINDS else kind)
        elif action == "v":
            (shift_id,) = callback_args(update, 1)
            message = _detail(w, await shifts.info(w.session, int_arg(shift_id), person=w.person))
        else:
            raise StaleAction()
    await respond(update, Response(edit=message))


async def _join(update: Update, context: BotContext, *, from_detail: bool) -> None:
    """A sign-up tap: on a shift's detail, a private announcement, or a team group's post.

    In a group the answer is only a popup (nothing personal is posted there).
    """
    (shift_id,) = callback_args(update, 1)
    in_group = update.effective_chat.type != ChatType.PRIVATE
    async with work(update, context) as w:
        settings = w.deps.settings.shifts
        change = await signups.sign_up(
            w.session, w.person, int_arg(shift_id), settings=settings, zone=_zone(w), now=w.now
        )
        info = await shifts.info(w.session, change.shift.id, person=w.person)
        label = shift_line(w, info)
        if change.already:
            popup = w.tr("You are already on this shift. To cancel, send me /myshifts.")
        elif change.signup.status == SignupStatus.CONFIRMED:
            popup = w.tr("✅ You are signed up: {shift}").format(shift=label)
        else:
            popup = w.tr("⏳ The shift is full: you are on the waitlist.")
        response = Response(popup=popup, alert=in_group and change.already)
        if from_detail:
            response.edit = _detail(w, info)
        elif not in_group and not change.already:
            response.messages.append(_detail(w, info, back=False))
    await respond(update, response)
    if not change.already:
        context.deps.jobs.request_refresh(change.shift.id)


# --- /myshifts -----------------------------------------------------------------------------------


async def on_myshifts(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        message = await _mine(w)
    await respond(update, Response(messages=[message]))


async def _mine(w: Work) -> Message:
    tr = w.tr
    rows_found = await signups.my_upcoming(w.session, w.person, now=w.now)
    if not rows_found:
        return Message(tr("You have no upcoming shifts. Find one with /shifts."))
    infos = await shifts.infos(w.session, [s for s, _, _ in rows_found], person=w.person)
    lines = [tr("Your upcoming shifts:"), ""]
    buttons = []
    for number, info in enumerate(infos, start=1):
        mark = STATUS_MARKS.get(info.my_status, "")
        status = {
            SignupStatus.WAITLISTED: tr("on the waitlist"),
            SignupStatus.INVITED: tr("waiting for your answer"),
        }.get(info.my_status)
        line = f"{number}. {mark}{shift_line(w, info)}"
        lines.append(line + (f" — {status}" if status else ""))
        buttons.append(button(f"{number}", f"sh:v:{info.shift.id}"))
    lines += ["", tr("Tap a number to see the shift or cancel.")]
    rows = [*in_rows(buttons, 6), [button(tr("📅 Add to my calendar (.ics)"), "my:ics")]]
    return Message("\n".join(lines), keyboard(rows))


async def on_my_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    if action == "ics":
        await _send_calendar(update, context)
        return
    async with work(update, context) as w:
        if action == "cx":
            (shift_id,) = callback_args(update, 1)
            response = await _ask_reason(w, int_arg(shift_id))
        elif action == "why":
            shift_id, code = callback_args(update, 2)
            if code not in CANCEL_REASONS and code != OTHER_REASON:
                raise StaleAction()
            if code == OTHER_REASON:
                await drafts.save(
                    w.session,
                    w.person.id,
                    CANCEL_FLOW,
                    step="reason",
                    data={"shift_id": int_arg(shift_id)},
                    now=w.now,
                )
                response = Response(
                    edit=Message(w.tr("Please type the reason in a few words (or /cancel)."))
                )
            else:
                response = await cancel_with_reason(w, int_arg(shift_id), cancel_reason(w.tr, code))
        else:
            raise StaleAction()
    await respond(update, response)


async def _ask_reason(w: Work, shift_id: int) -> Response:
    info = await shifts.info(w.session, shift_id, person=w.person)
    if info.my_status not in (SignupStatus.CONFIRMED, SignupStatus.WAITLISTED):
        raise StaleAction()
    tr = w.tr
    text = tr("Cancel {shift}? Please tell your leader why:").format(shift=shift_line(w, info))
    reasons = [
        button(tr(label), f"my:why:{shift_id}:{code}") for code, label in CANCEL_REASONS.items()
    ]
    rows = [
        *in_rows(reasons, 2),
        [button(tr("Another reason…"), f"my:why:{shift_id}:other")],
        [button(tr("◀ Keep my place"), f"sh:v:{shift_id}")],
    ]
    return Response(edit=Message(text, keyboard(rows)))


async def cancel_with_reason(w: Work, shift_id: int, reason: str) -> Response:
    """Cancel one's place; the waitlist and (when late) the leaders are told."""
    outcome = await shift_actions.cancel_place(
        w.session, w.person, shift_id, reason, settings=w.deps.settings, now=w.now
    )
    text = w.tr("Cancelled: {shift}. Thank you for letting us know.").format(
        shift=outcome.label.localize(w.tr)
    )
    if outcome.late:
        text += "\n" + w.tr("It is close to the start, so your leader has been told.")
    await tell(w, outcome.outgoing)
    w.deps.jobs.request_refresh(shift_id)
    return Response(edit=Message(text))


async def on_cancel_reason_text(w: Work, text: str) -> tuple[Response, list]:
    draft = await drafts.load(w.session, w.person.id, CANCEL_FLOW)
    if draft is None:
        raise StaleAction()
    response = await cancel_with_reason(w, draft.data["shift_id"], text)
    return Response(messages=[response.edit]), []


async def _send_calendar(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        mine = await signups.my_upcoming(w.session, w.person, now=w.now)
        confirmed = [(s, p) for s, signup, p in mine if signup.status == SignupStatus.CONFIRMED]
        content = shifts_calendar(
            confirmed,
            settings=w.deps.settings.shifts,
            tr=w.tr,
            organisation=w.deps.settings.organisation.label(w.tr.language),
            now=w.now,
        )
        caption = w.tr(
            "Your {count} upcoming shifts. Open the file to add them to your phone's calendar."
        ).format(count=len(confirmed))
    await update.callback_query.answer()
    await update.effective_chat.send_document(
        InputFile(content, filename="my-shifts.ics"), caption=caption
    )


# --- a leader's assignment ---------------------------------------------------------------


async def on_assignment_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    if action not in ("yes", "no"):
        raise StaleAction()
    (shift_id,) = callback_args(update, 1)
    async with work(update, context) as w:
        outcome = await shift_actions.answer_invitation(
            w.session,
            w.person,
            int_arg(shift_id),
            accept=action == "yes",
            settings=w.deps.settings,
            now=w.now,
        )
        text = (
            w.tr("✅ Thank you! You are signed up for {shift}.")
            if action == "yes"
            else w.tr("Understood: you are not on {shift}. Your leader has been told.")
        ).format(shift=outcome.label.localize(w.tr))
        await tell(w, outcome.outgoing)
        w.deps.jobs.request_refresh(outcome.shift_id)
    await respond(update, Response(edit=Message(text)))
