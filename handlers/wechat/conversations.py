"""Which conversation a WeChat reply belongs to, and answering it.

As on Telegram (handlers/flows.py), free text goes to the conversation the person
touched last, and a forgotten reason question lapses after a day. WeChat differs in one
way: choices are typed numbers, so a "1" could confirm something left waiting while the
person did other things. Hence a command word ends the one-question conversations (a
typed reason: the person has moved on), and a number does not confirm a summary or a
preview the person has moved on from: it is shown again first. Longer conversations
(registration, a report, a new shift half set up) stay, and resume.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from handlers.wechat import approvals, menus, reporting, service_log
from handlers.wechat import broadcast as broadcast_ui
from handlers.wechat import certificates as certificates_ui
from handlers.wechat import post_setup as post_ui
from handlers.wechat import registration as registration_ui
from handlers.wechat import report_desk as desk
from handlers.wechat import shift_setup as shift_setup_ui
from handlers.wechat import shifts as shifts_ui
from handlers.wechat import team_setup as team_ui
from handlers.wechat.wording import refusal_text
from models import ConversationDraft
from services import (
    broadcasts,
    drafts,
    log_setup,
    post_setup,
    registration,
    report_setup,
    shift_setup,
    team_setup,
)
from services.certificate_files import DECLINE_FLOW
from services.errors import DomainError, InvalidReason
from services.log_setup import LogStep
from services.report_setup import Step as ReportStep
from services.shift_actions import CANCEL_FLOW
from services.shift_setup import SetupStep

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn

# One-question conversations: a typed reason for something that may change meanwhile.
REASON_FLOWS = (approvals.REASON_FLOW, desk.REJECT_FLOW, CANCEL_FLOW, DECLINE_FLOW)
REASON_TTL = timedelta(days=1)
# Conversations WeChat carries on (Telegram's others, such as registering an elder, are
# left for Telegram).
WECHAT_FLOWS = (
    *REASON_FLOWS,
    registration.FLOW,
    report_setup.FLOW,
    log_setup.FLOW,
    shift_setup.FLOW,
    broadcasts.FLOW,
    team_setup.FLOW,
    post_setup.NEW,
)
# The steps that only wait for a yes: a number confirms them only right after they
# were shown.
CONFIRMING = {
    broadcasts.FLOW: broadcasts.Step.PREVIEW,
    shift_setup.FLOW: SetupStep.SUMMARY,
    log_setup.FLOW: LogStep.SUMMARY,
    report_setup.FLOW: ReportStep.CONFIRM,
}


# Steps that take any text, digits too (a time, a number of places, a phone number, a
# reason): a number typed there answers the question even after a notice with buttons.
ANY_TEXT = {
    registration.FLOW: {registration.Step.NAME, registration.Step.PHONE},
    shift_setup.FLOW: {
        SetupStep.TIME,
        SetupStep.DURATION,
        SetupStep.CAPACITY,
        SetupStep.MINIMUM,
    },
    log_setup.FLOW: {LogStep.DATE, LogStep.DURATION, LogStep.NOTE},
    broadcasts.FLOW: {broadcasts.Step.TEXT},
    team_setup.FLOW: {team_setup.STEP_NAME},
    post_setup.NEW: {post_setup.NAME, post_setup.ADDRESS, post_setup.LOCATION},
    report_setup.FLOW: {ReportStep.PLACE, ReportStep.DESCRIPTION},
}


def takes_any_text(draft: ConversationDraft) -> bool:
    return draft.flow in REASON_FLOWS or draft.step in ANY_TEXT.get(draft.flow, ())


async def end_reasons(turn: Turn) -> None:
    """A command word: any reason question left open is dropped."""
    for flow in REASON_FLOWS:
        await drafts.discard(turn.session, turn.person.id, flow)


async def cancel_all(turn: Turn, *also: str) -> None:
    for flow in (*WECHAT_FLOWS, *also):
        await drafts.discard(turn.session, turn.person.id, flow)


async def open_conversation(turn: Turn) -> ConversationDraft | None:
    draft = await drafts.latest(turn.session, turn.person.id, among=WECHAT_FLOWS)
    if (
        draft is not None
        and draft.flow in REASON_FLOWS
        and turn.now - draft.updated_at > REASON_TTL
    ):
        await drafts.discard(turn.session, turn.person.id, draft.flow)
        return await open_conversation(turn)
    return draft


async def answer(turn: Turn, draft: ConversationDraft, said: str, text: str) -> str:
    """The reply as an answer to the open conversation's current question."""
    flow = draft.flow
    if flow in REASON_FLOWS:
        return await _reason(turn, draft, text)
    if said.isdigit() and CONFIRMING.get(flow) == draft.step:
        moved_on = await menus.moved_on_at(turn)
        if moved_on is not None and moved_on > draft.updated_at:
            # Touched again, so that the next number confirms what is shown now.
            await drafts.save(
                turn.session, turn.person.id, flow, step=draft.step, data=draft.data, now=turn.now
            )
            return turn.tr("Please check it once more:") + "\n" + await _prompt(turn, flow)
    if flow == registration.FLOW:
        state = await registration.current(turn.session, turn.person)
        return await registration_ui.answer(turn, state, said, text)
    if flow == team_setup.FLOW:
        state = await team_setup.current(turn.session, turn.person)
        return await team_ui.answer(turn, state, said, text)
    if flow == post_setup.NEW:
        return await post_ui.answer_text(turn, draft.step, said, text)
    if flow == broadcasts.FLOW:
        state = await broadcasts.current(turn.session, turn.person)
        return await broadcast_ui.answer(turn, state, said, text)
    if flow == shift_setup.FLOW:
        state = await shift_setup.current(turn.session, turn.person)
        return await shift_setup_ui.answer(turn, state, said, text)
    if flow == log_setup.FLOW:
        state = await log_setup.current(turn.session, turn.person)
        return await service_log.answer(turn, state, said, text)
    state = await report_setup.current(turn.session, turn.person)
    return await reporting.answer(turn, state, said, text)


async def _prompt(turn: Turn, flow: str) -> str:
    if flow == broadcasts.FLOW:
        return await broadcast_ui.prompt(turn, await broadcasts.current(turn.session, turn.person))
    if flow == shift_setup.FLOW:
        state = await shift_setup.current(turn.session, turn.person)
        return await shift_setup_ui.prompt(turn, state)
    if flow == log_setup.FLOW:
        return await service_log.prompt(turn, await log_setup.current(turn.session, turn.person))
    return reporting.prompt(turn, await report_setup.current(turn.session, turn.person))


async def _reason(turn: Turn, draft: ConversationDraft, text: str) -> str:
    """A typed reason. When what it was for has gone (the shift started, someone else
    decided), the conversation ends instead of catching every later message."""
    try:
        async with turn.session.begin_nested():  # nothing half-done survives a refusal
            if draft.flow == approvals.REASON_FLOW:
                return await approvals.with_reason(turn, int(draft.data["entry_id"]), text)
            if draft.flow == desk.REJECT_FLOW:
                return await desk.reject_with_reason(turn, int(draft.data["report"]), text)
            if draft.flow == CANCEL_FLOW:
                return await shifts_ui.typed_reason(turn, text)
            return await certificates_ui.typed_reason(turn, text)
    except InvalidReason:
        raise  # a typing mistake: the question stands
    except DomainError as refused:
        turn.outgoing.clear()
        await drafts.discard(turn.session, turn.person.id, draft.flow)
        return refusal_text(turn.tr, refused)
