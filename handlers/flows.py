"""Free text, shared contacts and /cancel go to the conversation the person is in."""

from __future__ import annotations

from telegram import ReplyKeyboardRemove, Update

from handlers import checkin as checkin_ui
from handlers import posts as posts_ui
from handlers import registration as registration_ui
from handlers import shift_setup as shift_setup_ui
from handlers import shifts as shifts_ui
from handlers import teams as teams_ui
from handlers.common import Message, Response, Work, respond, work
from handlers.context import BotContext
from models import ConversationDraft
from services import drafts, post_setup, registration, shift_setup, team_setup
from services.registration import RegistrationState, Step


def _registration_state(draft: ConversationDraft) -> RegistrationState:
    return RegistrationState.from_data(draft.step, draft.data)


async def current_prompt(w: Work, draft: ConversationDraft) -> list[Message]:
    """The question the person's open conversation is waiting on."""
    if draft.flow == registration.FLOW:
        return await registration_ui.prompt(w, _registration_state(draft))
    if draft.flow == team_setup.FLOW:
        state = await team_setup.current(w.session, w.person)
        return await teams_ui.newteam_prompt(w, state)
    if draft.flow == shift_setup.FLOW:
        return await shift_setup_ui.prompt(w, await shift_setup.current(w.session, w.person))
    if draft.flow in (post_setup.NEW, post_setup.EDIT):
        return await posts_ui.prompt(w, draft.flow, draft.step)
    if draft.flow == shifts_ui.CANCEL_FLOW:
        return [Message(w.tr("Please type the reason in a few words (or /cancel)."))]
    return []


async def on_text(update: Update, context: BotContext) -> None:
    text = update.message.text or ""
    cancel_notices = None
    async with work(update, context) as w:
        draft = await drafts.latest(w.session, w.person.id)
        if draft is None:
            response = Response.say(
                w.tr("Sorry, I did not understand that. Send /help to see what I can do.")
            )
        elif draft.flow == registration.FLOW:
            response = await registration_ui.on_text(w, _registration_state(draft), text)
        elif draft.flow == team_setup.FLOW and draft.step == team_setup.STEP_NAME:
            response = await teams_ui.on_newteam_text(w, context, text)
        elif draft.flow == shift_setup.FLOW:
            response = await shift_setup_ui.on_text(w, text)
        elif draft.flow in (post_setup.NEW, post_setup.EDIT) and draft.step in (
            post_setup.NAME,
            post_setup.ADDRESS,
        ):
            response = await posts_ui.answer(w, context, draft.flow, text=text)
        elif draft.flow in (post_setup.NEW, post_setup.EDIT) and draft.step == post_setup.LOCATION:
            # Coordinates copied from a map app ("31.2304, 121.4737") do as well.
            location = post_setup.parse_coordinates(text)
            response = await posts_ui.answer(w, context, draft.flow, location=location)
        elif draft.flow == shifts_ui.CANCEL_FLOW:
            response, cancel_notices = await shifts_ui.on_cancel_reason_text(w, text)
            response = Response(messages=[response.edit])
        else:
            hint = Message(w.tr("Please choose with the buttons below."))
            response = Response(messages=[hint, *await current_prompt(w, draft)])
    await respond(update, response)
    await shifts_ui.after_cancel(context, cancel_notices)


async def on_location(update: Update, context: BotContext) -> None:
    """A shared location: the post being set up, or else a check-in/out."""
    location = update.message.location
    async with work(update, context) as w:
        flow = posts_ui.editing_flow_for_location(
            await post_setup.step_of(w.session, w.person, post_setup.NEW),
            await post_setup.step_of(w.session, w.person, post_setup.EDIT),
        )
        if flow is not None:
            response = await posts_ui.answer(
                w, context, flow, location=(location.latitude, location.longitude)
            )
        else:
            response = await checkin_ui.by_location(w, update)
    await respond(update, response)


async def on_contact(update: Update, context: BotContext) -> None:
    contact = update.message.contact
    async with work(update, context) as w:
        draft = await drafts.latest(w.session, w.person.id)
        state = _registration_state(draft) if draft and draft.flow == registration.FLOW else None
        if state is not None and state.step is Step.PHONE:
            is_own = contact.user_id is not None and contact.user_id == update.effective_user.id
            response = await registration_ui.on_contact(w, state, contact.phone_number, is_own)
        else:
            response = await unexpected_input(w, draft)
    await respond(update, response)


async def on_cancel(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        draft = await drafts.latest(w.session, w.person.id)
        if draft is None:
            text = w.tr("There is nothing to cancel.")
        else:
            await drafts.discard(w.session, w.person.id, draft.flow)
            if draft.flow == registration.FLOW and not draft.data.get("editing_profile"):
                text = w.tr(
                    "Registration cancelled; nothing you entered was kept. "
                    "Send /start whenever you want to begin again."
                )
            else:
                text = w.tr("Cancelled. Nothing was changed.")
    await respond(update, Response.say(text, ReplyKeyboardRemove()))


async def on_unsupported(update: Update, context: BotContext) -> None:
    """Stickers, photos, voice notes and the like, where we expect text or buttons."""
    async with work(update, context) as w:
        draft = await drafts.latest(w.session, w.person.id)
        response = await unexpected_input(w, draft)
    await respond(update, response)


async def unexpected_input(w: Work, draft: ConversationDraft | None) -> Response:
    if draft is None:
        return Response.say(
            w.tr(
                "Sorry, I can only read text messages and button presses here. "
                "Send /help to see what I can do."
            )
        )
    hint = Message(w.tr("Sorry, I cannot use that here. Please answer the question below."))
    return Response(messages=[hint, *await current_prompt(w, draft)])
