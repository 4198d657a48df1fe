"""/start: greeting, invite links, and the two paths (volunteer, report)."""

from __future__ import annotations

from telegram import Update

from handlers import checkin as checkin_ui
from handlers import officers as officers_ui
from handlers import registration as registration_ui
from handlers import report_new
from handlers.common import Message, Response, Work, button, keyboard, respond, work
from handlers.context import BotContext
from handlers.menu import refresh_personal_menu
from models import Volunteer
from services import elders, officers, posts, registration, teams
from services.errors import InvalidInvite, StaleAction


async def on_start(update: Update, context: BotContext) -> None:
    payload = context.args[0] if context.args else ""
    new_role = False
    async with work(update, context) as w:
        if payload.startswith(officers.OFFICER_PAYLOAD_PREFIX):
            code = payload.removeprefix(officers.OFFICER_PAYLOAD_PREFIX)
            response = await officers_ui.accept_invite(w, context, code)
            new_role = True
        elif payload.startswith(elders.FAMILY_PAYLOAD_PREFIX):
            elder = await elders.join_as_family(
                w.session, w.person, payload.removeprefix(elders.FAMILY_PAYLOAD_PREFIX)
            )
            response = Response.say(
                w.tr(
                    "✓ Thank you. On any day our volunteers cannot reach {elder}, you will "
                    "be told here."
                ).format(elder=elder.name)
            )
        elif payload.startswith(teams.INVITE_PAYLOAD_PREFIX):
            code = payload.removeprefix(teams.INVITE_PAYLOAD_PREFIX)
            response = await _open_invite(w, code)
        elif payload.startswith(posts.CHECKIN_PAYLOAD_PREFIX):
            # The post's printed QR code opens the bot with this payload.
            response = await checkin_ui.by_code(
                w, payload.removeprefix(posts.CHECKIN_PAYLOAD_PREFIX)
            )
        else:
            response = await greeting(w)
    await respond(update, response)
    if new_role:
        await refresh_personal_menu(context, w.person.id)


async def greeting(w: Work) -> Response:
    tr = w.tr
    organisation = w.deps.settings.organisation.label(tr.language)
    state = await registration.current(w.session, w.person)
    if state is not None:
        return Response(
            messages=[registration_ui.resume_intro(w), *await registration_ui.prompt(w, state)]
        )
    volunteer = await w.session.get(Volunteer, w.person.id)
    if volunteer is not None:
        text = tr(
            "Welcome back, {name}! Send /help to see what you can do, or report a problem below."
        ).format(name=volunteer.real_name)
        rows = [[button(tr("📢 Report a problem"), "start:report")]]
        return Response.say(text, keyboard(rows))
    text = tr(
        "Hello! I am the assistant of {organisation} for the civilized city campaign. "
        "Volunteers sign up for service here, and residents report problems in the "
        "neighbourhood. What would you like to do?"
    ).format(organisation=organisation)
    rows = [
        [button(tr("🙋 I want to volunteer"), "start:volunteer")],
        [button(tr("📢 I want to report a problem"), "start:report")],
    ]
    return Response.say(text, keyboard(rows))


async def _open_invite(w: Work, code: str) -> Response:
    try:
        outcome = await registration.open_invite(w.session, w.person, code, now=w.now)
    except InvalidInvite as error:
        return Response(messages=[Message(w.tr(error.message)), *(await greeting(w)).messages])
    tr = w.tr
    if outcome.joined is not None:
        text = (
            tr("You are already a member of the team “{team}”.")
            if outcome.joined.already_member
            else tr("✓ You have joined the team “{team}”. Send /team to see your teammates.")
        )
        return Response.say(text.format(team=outcome.team.name))
    intro = Message(
        tr(
            "You have been invited to join the team “{team}”. Please register as a "
            "volunteer first; it takes about a minute and you can send /cancel at any time."
        ).format(team=outcome.team.name)
    )
    return Response(messages=[intro, *await registration_ui.prompt(w, outcome.registration)])


async def on_start_button(update: Update, context: BotContext) -> None:
    choice = (update.callback_query.data or "").removeprefix("start:")
    if choice == "report":
        async with work(update, context) as w:
            response = await report_new.begin(w)
        await respond(update, response)
        return
    if choice != "volunteer":
        raise StaleAction()
    async with work(update, context) as w:
        resuming = await registration.current(w.session, w.person) is not None
        state = await registration.begin(w.session, w.person, now=w.now)
        intro = registration_ui.resume_intro(w) if resuming else registration_ui.start_intro(w)
        response = Response(messages=[intro, *await registration_ui.prompt(w, state)])
    await respond(update, response)
