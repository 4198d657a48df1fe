"""/report: a resident reports a problem in a few taps (category, photo, place, send)."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update

from handlers.common import (
    Message,
    Response,
    Work,
    answered,
    button,
    in_rows,
    keyboard,
    respond,
    work,
)
from handlers.context import BotContext
from models import Grid
from services import report_setup, report_views
from services.errors import StaleAction
from services.report_labels import CategoryLabel, ticket
from services.report_setup import ReportDraft, Step
from services.reports import PhotoInput


async def on_report(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        response = await begin(w)
    await respond(update, response)


async def begin(w: Work) -> Response:
    """Start (or resume) a report."""
    state = await report_setup.current(w.session, w.person)
    intro = None
    if state is None:
        state = await report_setup.start(
            w.session, w.person, settings=w.deps.settings.reports, now=w.now
        )
    else:
        intro = Message(w.tr("Let us continue your report where you left off."))
    return Response(messages=[m for m in (intro, *await prompt(w, state)) if m])


async def prompt(w: Work, state: ReportDraft) -> list[Message]:
    tr, settings = w.tr, w.deps.settings.reports
    if state.step == Step.CATEGORY:
        buttons = [button(c.label(tr.language), f"rn:cat:{c.code}") for c in settings.categories]
        return [
            Message(
                tr("📢 Report a problem. What kind of problem is it? (/cancel to stop)"),
                keyboard(in_rows(buttons, 2)),
            )
        ]
    if state.step == Step.PHOTOS:
        count = len(state.photos)
        text = tr(
            "📷 Send up to {limit} photos of it (optional). Photos received: {count}."
        ).format(limit=settings.max_photos, count=count)
        label = tr("✅ Done with photos") if count else tr("⏭ No photo")
        return [Message(text, keyboard([[button(label, "rn:pdone")]]))]
    if state.step == Step.PLACE:
        share = ReplyKeyboardMarkup(
            [[KeyboardButton(tr("📍 Send my current location"), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        return [
            Message(
                tr(
                    "📍 Where is it? Press the button below to send where you are, or use "
                    "📎 → Location to pick the spot on the map, or type the address."
                ),
                share,
            )
        ]
    if state.step == Step.DESCRIPTION:
        return [
            Message(
                tr(
                    "✏️ Add a few words if they help (up to {limit} characters), e.g. "
                    "“a fruit stall blocks the pavement”, or press Skip."
                ).format(limit=settings.description_max),
                keyboard([[button(tr("⏭ Skip"), "rn:nodesc")]]),
            )
        ]
    if state.step == Step.ANONYMOUS:
        return [
            Message(
                tr(
                    "🙈 May the grid officer see your name? Your phone number is never "
                    "shown. An anonymous report's sender is known only to the campaign "
                    "office's audit."
                ),
                keyboard(
                    [
                        [button(tr("👤 Show my name"), "rn:anon:0")],
                        [button(tr("🙈 Stay anonymous"), "rn:anon:1")],
                    ]
                ),
            )
        ]
    return [summary(w, state)]


def summary(w: Work, state: ReportDraft) -> Message:
    tr, data = w.tr, state.data
    place = data.get("address") or tr("the map location you sent")
    lines = [
        tr("Please check your report:"),
        tr("Category: {category}").format(
            category=CategoryLabel(w.deps.settings.reports, state.category or "").localize(tr)
        ),
        tr("Photos: {count}").format(count=len(state.photos)),
        tr("Place: {address}").format(address=place),
        tr("Description: {text}").format(text=data.get("description") or "—"),
        tr("Reporter: anonymous") if data.get("anonymous") else tr("Your name is shown"),
    ]
    markup = keyboard(
        [
            [button(tr("📨 Send the report"), "rn:send")],
            [button(tr("🔄 Start over"), "rn:again"), button(tr("✖️ Cancel"), "rn:stop")],
        ]
    )
    return Message("\n".join(lines), markup)


async def on_button(update: Update, context: BotContext) -> None:
    parts = (update.callback_query.data or "").split(":")
    action, args = parts[1] if len(parts) > 1 else "", parts[2:]
    async with work(update, context) as w:
        response = await _on_action(w, update, action, args)
    await respond(update, response)


async def _on_action(w: Work, update: Update, action: str, args: list[str]) -> Response:
    session, person, now = w.session, w.person, w.now
    settings = w.deps.settings.reports
    if action == "stop":
        await report_setup.drafts.discard(session, person.id, report_setup.FLOW)
        return Response(edit=Message(w.tr("Report cancelled; nothing was sent.")))
    if action == "again":
        await report_setup.drafts.discard(session, person.id, report_setup.FLOW)
        state = await report_setup.start(session, person, settings=settings, now=now)
        return Response(edit=answered(update), messages=await prompt(w, state))
    if action == "cat" and len(args) == 1:
        state = await report_setup.choose_category(
            session, person, args[0], settings=settings, now=now
        )
    elif action == "pdone":
        state = await report_setup.photos_done(session, person, now=now)
    elif action == "nodesc":
        state = await report_setup.set_description(
            session, person, None, settings=settings, now=now
        )
    elif action == "anon" and args in (["0"], ["1"]):
        state = await report_setup.set_anonymous(session, person, args == ["1"], now=now)
    elif action == "send":
        return await _send(w, update)
    else:
        raise StaleAction()
    return Response(edit=answered(update), messages=await prompt(w, state))


async def _send(w: Work, update: Update) -> Response:
    settings = w.deps.settings
    report = await report_setup.send(w.session, w.person, settings=settings.reports, now=w.now)
    for person_id, notice, options in await report_views.new_report_notices(
        w.session, report, settings
    ):
        await w.enqueue(person_id, notice, **options)
    grid = report_views.PlaceName(
        await w.session.get(Grid, report.grid_id) if report.grid_id else None
    )
    text = w.tr(
        "✅ Thank you! Your report {ticket} has been sent to {grid}. I will tell you here "
        "at each step; /myreports shows it any time."
    ).format(ticket=ticket(report.id), grid=grid.localize(w.tr))
    return Response(edit=Message(text))


# --- answers that are not buttons ----------------------------------------------------------


async def on_text(w: Work, state: ReportDraft, text: str) -> Response:
    settings = w.deps.settings.reports
    if state.step == Step.PLACE:
        state = await report_setup.set_address(w.session, w.person, text, now=w.now)
        return Response(
            messages=[Message(w.tr("📍 Got it."), ReplyKeyboardRemove()), *await prompt(w, state)]
        )
    if state.step == Step.DESCRIPTION:
        state = await report_setup.set_description(
            w.session, w.person, text, settings=settings, now=w.now
        )
        return Response(messages=await prompt(w, state))
    hint = Message(w.tr("Please choose with the buttons below."))
    return Response(messages=[hint, *await prompt(w, state)])


async def on_location(w: Work, state: ReportDraft, latitude: float, longitude: float) -> Response:
    if state.step != Step.PLACE:
        hint = Message(w.tr("Sorry, I cannot use that here. Please answer the question below."))
        return Response(messages=[hint, *await prompt(w, state)])
    state = await report_setup.set_point(w.session, w.person, latitude, longitude, now=w.now)
    return Response(
        messages=[
            Message(w.tr("📍 Got the place."), ReplyKeyboardRemove()),
            *await prompt(w, state),
        ]
    )


async def on_photo(w: Work, state: ReportDraft, stored: PhotoInput) -> Response:
    """A photo, already fetched and kept as our own copy."""
    if state.step != Step.PHOTOS:
        hint = Message(w.tr("Sorry, I cannot use that here. Please answer the question below."))
        return Response(messages=[hint, *await prompt(w, state)])
    settings = w.deps.settings
    state = await report_setup.add_photo(
        w.session, w.person, stored, settings=settings.reports, now=w.now
    )
    return Response(messages=await prompt(w, state))
