"""Free text, shared contacts and /cancel go to the conversation the person is in."""

from __future__ import annotations

from datetime import timedelta

from telegram import ReplyKeyboardRemove, Update

from handlers import broadcast as broadcast_ui
from handlers import care as care_ui
from handlers import certificates as certificates_ui
from handlers import checkin as checkin_ui
from handlers import elders as elders_ui
from handlers import log as log_ui
from handlers import minutes as minutes_ui
from handlers import posts as posts_ui
from handlers import registration as registration_ui
from handlers import report_desk as report_desk_ui
from handlers import report_new as report_new_ui
from handlers import shift_setup as shift_setup_ui
from handlers import shifts as shifts_ui
from handlers import teams as teams_ui
from handlers.common import Message, Response, Work, respond, tell, work
from handlers.context import BotContext
from handlers.report_photos import download, photo_of
from handlers.wechat.menus import MENU_FLOW
from models import ConversationDraft
from services import (
    broadcasts,
    drafts,
    elder_setup,
    identity,
    log_setup,
    post_setup,
    registration,
    report_setup,
    shift_setup,
    team_setup,
)
from services.errors import (
    DomainError,
    InvalidNote,
    InvalidNumber,
    InvalidReason,
    InvalidTime,
    NotAPhoto,
)
from services.i18n import render
from services.log_setup import LogStep
from services.registration import RegistrationState, Step
from services.report_setup import Step as ReportStep


async def open_draft(w: Work) -> ConversationDraft | None:
    """The conversation the person is in; a forgotten reason question lapses after a day."""
    # The numbered list last offered on WeChat is not a conversation on Telegram.
    draft = await drafts.latest(w.session, w.person.id, ignore=(MENU_FLOW,))
    if draft is not None and draft.flow in REASON_FLOWS and w.now - draft.updated_at > REASON_TTL:
        await drafts.discard(w.session, w.person.id, draft.flow)
        return await open_draft(w)
    return draft


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
    if draft.flow == log_setup.FLOW:
        return await log_ui.prompt(w, await log_setup.current(w.session, w.person))
    if draft.flow == elder_setup.FLOW:
        return await elders_ui.prompt(w, await elder_setup.current(w.session, w.person))
    if draft.flow == elder_setup.EDIT_FLOW:
        return [elders_ui.edit_prompt(w, draft.step)]
    if draft.flow == care_ui.NOTE_FLOW:
        return [Message(w.tr("What help is needed? Type a short note (or /cancel)."))]
    if draft.flow == broadcasts.FLOW:
        return await broadcast_ui.prompt(w, await broadcasts.current(w.session, w.person))
    if draft.flow == report_setup.FLOW:
        return await report_new_ui.prompt(w, await report_setup.current(w.session, w.person))
    if draft.flow == report_desk_ui.FIX_FLOW:
        return [Message(report_desk_ui.fix_prompt(w, draft.step, draft.data["report"]))]
    if draft.flow == minutes_ui.DISPUTE_FLOW and draft.step == "times":
        return [
            Message(
                w.tr(
                    "When did you really arrive and leave? Type it like 08:30-10:15 "
                    "(or /cancel). Only time within the shift counts."
                )
            )
        ]
    if draft.flow == minutes_ui.CORRECT_FLOW and draft.step == "minutes":
        return [Message(w.tr("How many minutes should it be? (or /cancel)"))]
    if draft.flow in REASON_FLOWS:
        return [Message(w.tr("Please type the reason in a few words (or /cancel)."))]
    return []


POST_FLOWS = (post_setup.NEW, post_setup.EDIT)
# One-question conversations (a typed reason or times) for something that may change.
REASON_FLOWS = (
    minutes_ui.CORRECT_FLOW,
    shifts_ui.CANCEL_FLOW,
    minutes_ui.DISPUTE_FLOW,
    minutes_ui.REJECT_FLOW,
    certificates_ui.DECLINE_FLOW,
    care_ui.NOTE_FLOW,
    report_desk_ui.REJECT_FLOW,
)
REASON_TTL = timedelta(days=1)
TYPED_LOG_STEPS = (LogStep.DATE, LogStep.DURATION, LogStep.NOTE)


async def _answer_text(
    w: Work, context: BotContext, draft: ConversationDraft, text: str
) -> Response:
    flow, step = draft.flow, draft.step
    if flow == registration.FLOW:
        return await registration_ui.on_text(w, _registration_state(draft), text)
    if flow == team_setup.FLOW and step == team_setup.STEP_NAME:
        return await teams_ui.on_newteam_text(w, context, text)
    if flow == shift_setup.FLOW:
        return await shift_setup_ui.on_text(w, text)
    if flow in POST_FLOWS and step in (post_setup.NAME, post_setup.ADDRESS):
        return await posts_ui.answer(w, context, flow, text=text)
    if flow in POST_FLOWS and step == post_setup.LOCATION:
        # Coordinates copied from a map app ("31.2304, 121.4737") do as well.
        location = post_setup.parse_coordinates(text)
        return await posts_ui.answer(w, context, flow, location=location)
    if flow == log_setup.FLOW and step in TYPED_LOG_STEPS:
        return await log_ui.on_text(w, text)
    if flow == elder_setup.FLOW and step in elder_setup.TYPED:
        return await elders_ui.on_text(w, text)
    if flow == elder_setup.EDIT_FLOW:
        return await elders_ui.on_edit_text(w, text)
    if flow == broadcasts.FLOW and step == broadcasts.Step.TEXT:
        return await broadcast_ui.on_text(w, text)
    if flow == report_setup.FLOW:
        return await report_new_ui.on_text(w, await report_setup.current(w.session, w.person), text)
    if flow == report_desk_ui.FIX_FLOW:
        return await report_desk_ui.on_fix_text(w, text)
    if flow in REASON_FLOWS:
        return await _answer_reason(w, flow, text)
    hint = Message(w.tr("Please choose with the buttons below."))
    return Response(messages=[hint, *await current_prompt(w, draft)])


async def _answer_reason(w: Work, flow: str, text: str) -> Response:
    """A typed reason. When what it was for has gone (the shift started, someone else
    decided), the conversation ends instead of catching every later message."""
    handler = {
        shifts_ui.CANCEL_FLOW: shifts_ui.on_cancel_reason_text,
        minutes_ui.CORRECT_FLOW: minutes_ui.on_correct_text,
        minutes_ui.DISPUTE_FLOW: minutes_ui.on_dispute_text,
        minutes_ui.REJECT_FLOW: minutes_ui.on_reject_reason_text,
        certificates_ui.DECLINE_FLOW: certificates_ui.on_decline_text,
        care_ui.NOTE_FLOW: care_ui.on_note_text,
        report_desk_ui.REJECT_FLOW: _reject_reason,
    }[flow]
    try:
        async with w.session.begin_nested():  # nothing half-done survives a refusal
            response, notices = await handler(w, text)
            await tell(w, notices)
            return response
    except (InvalidReason, InvalidTime, InvalidNumber, InvalidNote):
        raise  # a typing mistake: the question stands
    except DomainError as refused:
        await drafts.discard(w.session, w.person.id, flow)
        return Response.say(render(w.tr, refused.message, refused.params))


async def _reject_reason(w: Work, text: str) -> tuple[Response, list]:
    return await report_desk_ui.on_reject_reason_text(w, text), []


async def on_text(update: Update, context: BotContext) -> None:
    text = update.message.text or ""
    async with work(update, context) as w:
        draft = await open_draft(w)
        if draft is None:
            response = Response.say(
                w.tr("Sorry, I did not understand that. Send /help to see what I can do.")
            )
        else:
            response = await _answer_text(w, context, draft, text)
    await respond(update, response)


async def on_photo(update: Update, context: BotContext) -> None:
    """A photo (or an image sent as a file): a report's, a resolved report's after photo,
    evidence for a logged service, or else not expected here."""
    stored = None
    if await _open_flow(update, context) in (report_setup.FLOW, report_desk_ui.FIX_FLOW):
        # Fetched before the transaction opens: a download must not hold the database.
        stored = await download(context, photo_of(update.message), context.deps.settings)
    async with work(update, context) as w:
        draft = await open_draft(w)
        flow = draft.flow if draft is not None else None
        if flow == report_setup.FLOW and stored is not None:
            state = await report_setup.current(w.session, w.person)
            response = await report_new_ui.on_photo(w, state, stored)
        elif flow == report_desk_ui.FIX_FLOW and stored is not None:
            response = await report_desk_ui.on_fix_photo(w, stored)
        elif flow == log_setup.FLOW and draft.step == LogStep.PHOTO and update.message.photo:
            largest = max(update.message.photo, key=lambda size: size.width * size.height)
            response = await log_ui.on_photo(w, largest.file_id)
        else:
            response = await unexpected_input(w, draft)
    await respond(update, response)


async def _open_flow(update: Update, context: BotContext) -> str | None:
    """The conversation the sender is in, read without holding a transaction."""
    async with context.deps.session_factory() as session:
        person_id = await identity.person_id_of(
            session, channel=identity.TELEGRAM, external_id=str(update.effective_user.id)
        )
        draft = (
            await drafts.latest(session, person_id, ignore=(MENU_FLOW,))
            if person_id is not None
            else None
        )
    return draft.flow if draft is not None else None


async def on_location(update: Update, context: BotContext) -> None:
    """A shared location: the post being set up, or else a check-in/out."""
    location = update.message.location
    async with work(update, context) as w:
        draft = await open_draft(w)
        # Only the report's "where is it?" question takes a location; otherwise it is a
        # check-in, even with a forgotten report draft.
        if draft is not None and draft.flow == report_setup.FLOW and draft.step == ReportStep.PLACE:
            state = await report_setup.current(w.session, w.person)
            response = await report_new_ui.on_location(
                w, state, location.latitude, location.longitude
            )
            await respond(update, response)
            return
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
        draft = await open_draft(w)
        state = _registration_state(draft) if draft and draft.flow == registration.FLOW else None
        if state is not None and state.step is Step.PHONE:
            is_own = contact.user_id is not None and contact.user_id == update.effective_user.id
            response = await registration_ui.on_contact(w, state, contact.phone_number, is_own)
        else:
            response = await unexpected_input(w, draft)
    await respond(update, response)


async def on_cancel(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        draft = await open_draft(w)
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
        draft = await open_draft(w)
        response = await unexpected_input(w, draft)
    await respond(update, response)


async def unexpected_input(w: Work, draft: ConversationDraft | None) -> Response:
    if (
        draft is not None
        and draft.flow in (report_setup.FLOW, report_desk_ui.FIX_FLOW)
        and (draft.step in (report_setup.Step.PHOTOS, "photo"))
    ):
        hint = Message(render(w.tr, NotAPhoto.message))
        return Response(messages=[hint, *await current_prompt(w, draft)])
    if draft is None:
        return Response.say(
            w.tr(
                "Sorry, I can only read text messages and button presses here. "
                "Send /help to see what I can do."
            )
        )
    hint = Message(w.tr("Sorry, I cannot use that here. Please answer the question below."))
    return Response(messages=[hint, *await current_prompt(w, draft)])
