"""Volunteer registration in chat: renders each step, turns input into service calls."""

from __future__ import annotations

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update

from handlers.common import (
    Message,
    Response,
    Work,
    button,
    callback_args,
    in_rows,
    int_arg,
    keyboard,
    respond,
    work,
)
from handlers.context import BotContext
from handlers.menu import refresh_personal_menu
from models import Community, Grid
from services import registration
from services.errors import AlreadyRegistered, StaleAction
from services.org import active_communities, active_grids, place_label
from services.registration import AVAILABILITY_OPTIONS, PRIVACY_NOTICE, RegistrationState, Step

PREFIX = "reg"


# --- rendering -----------------------------------------------------------------------------


async def prompt(w: Work, state: RegistrationState) -> list[Message]:
    """The question for the state's current step."""
    tr = w.tr
    settings = w.deps.settings
    if state.step is Step.SUMMARY:
        return [await _summary(w, state)]

    n, total = state.position(settings.registration)
    head = tr("Step {n} of {total}").format(n=n, total=total) + "\n"

    if state.step is Step.NAME:
        return [
            Message(head + tr("What is your real name? (2–20 Chinese characters or Latin letters)"))
        ]
    if state.step is Step.PHONE:
        share = ReplyKeyboardMarkup(
            [[KeyboardButton(tr("📱 Share my phone number"), request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        return [
            Message(
                head
                + tr(
                    "Your mobile number: tap “Share my phone number” below, "
                    "or type your 11-digit mobile number."
                ),
                share,
            )
        ]
    if state.step is Step.COMMUNITY:
        communities = await active_communities(w.session)
        buttons = [button(place_label(c, tr.language), f"{PREFIX}:c:{c.id}") for c in communities]
        return [
            Message(
                head + tr("Which community (社区) will you serve in?"),
                keyboard(in_rows(buttons, 2)),
            )
        ]
    if state.step is Step.GRID:
        community = await w.session.get_one(Community, state.community_id)
        grids = await active_grids(w.session, community.id)
        buttons = [button(place_label(g, tr.language), f"{PREFIX}:g:{g.id}") for g in grids]
        rows = [*in_rows(buttons, 2), [button(tr("◀ Other community"), f"{PREFIX}:gback")]]
        text = head + tr("Which grid (网格) of {community}?").format(
            community=place_label(community, tr.language)
        )
        return [Message(text, keyboard(rows))]
    if state.step is Step.AVAILABILITY:
        toggles = [
            button(_check(code in state.availability) + tr(label), f"{PREFIX}:a:{code}")
            for code, label in AVAILABILITY_OPTIONS.items()
        ]
        rows = [*in_rows(toggles, 2), [button(tr("Done ✔"), f"{PREFIX}:adone")]]
        text = head + tr("When are you usually available? Tap all that apply, then “Done”.")
        return [Message(text, keyboard(rows))]
    if state.step is Step.SKILLS:
        skills = settings.registration.skills
        toggles = [
            button(_check(s.code in state.skills) + s.label(tr.language), f"{PREFIX}:s:{s.code}")
            for s in skills
        ]
        rows = [
            *in_rows(toggles, 2),
            [button(tr("Skip"), f"{PREFIX}:sskip"), button(tr("Done ✔"), f"{PREFIX}:sdone")],
        ]
        text = head + tr(
            "Any skills you would like to offer? Optional: tap all that apply, "
            "then “Done”, or “Skip”."
        )
        return [Message(text, keyboard(rows))]
    if state.step is Step.CONSENT:
        organisation = settings.organisation.label(tr.language)
        text = head + tr(PRIVACY_NOTICE).format(organisation=organisation)
        rows = [
            [button(tr("I agree"), f"{PREFIX}:yes"), button(tr("I do not agree"), f"{PREFIX}:no")]
        ]
        return [Message(text, keyboard(rows))]
    raise AssertionError(state.step)


async def _summary(w: Work, state: RegistrationState) -> Message:
    tr = w.tr
    lines = [tr("Please check your details:"), "", *await _details(w, state)]
    rows = [[button(tr("✅ Confirm"), f"{PREFIX}:ok"), button(tr("✏️ Edit"), f"{PREFIX}:edit")]]
    return Message("\n".join(lines), keyboard(rows))


async def _details(w: Work, state: RegistrationState) -> list[str]:
    tr = w.tr
    place = "—"
    if state.grid_id:
        grid = await w.session.get_one(Grid, state.grid_id)
        community = await w.session.get_one(Community, grid.community_id)
        place = f"{place_label(community, tr.language)} · {place_label(grid, tr.language)}"
    phone = state.phone or "—"
    if state.phone and state.phone_verified:
        phone = tr("{phone} (verified by Telegram)").format(phone=state.phone)
    lines = [
        tr("Name: {name}").format(name=state.name or "—"),
        tr("Mobile: {phone}").format(phone=phone),
        tr("Community and grid: {place}").format(place=place),
        tr("Available: {times}").format(times=availability_text(w, state.availability)),
    ]
    if w.deps.settings.registration.skills:
        lines.append(tr("Skills: {skills}").format(skills=skills_text(w, state.skills)))
    return lines


def availability_text(w: Work, codes: list[str]) -> str:
    labels = [w.tr(AVAILABILITY_OPTIONS[c]) for c in codes if c in AVAILABILITY_OPTIONS]
    return w.tr(", ").join(labels) or "—"


def skills_text(w: Work, codes: list[str]) -> str:
    skills = w.deps.settings.registration
    labels = [s.label(w.tr.language) for c in codes if (s := skills.skill(c))]
    return w.tr(", ").join(labels) or w.tr("none")


def _check(selected: bool) -> str:
    return "✅ " if selected else "▫️ "


async def continue_response(
    w: Work, state: RegistrationState, *, recap: str | None = None
) -> Response:
    """The pressed message becomes a one-line recap; the next question follows."""
    messages = await prompt(w, state)
    edit = Message(recap) if recap else None
    return Response(messages=messages, edit=edit)


def resume_intro(w: Work) -> Message:
    return Message(w.tr("Welcome back! Let's continue your registration where you left off."))


def start_intro(w: Work) -> Message:
    return Message(
        w.tr(
            "Thank you for volunteering! Registration takes about a minute. "
            "You can send /cancel at any time."
        )
    )


# --- text and contact input ------------------------------------------------------------------


async def on_text(w: Work, state: RegistrationState, text: str) -> Response:
    settings = w.deps.settings.registration
    if state.step is Step.NAME:
        state = await registration.submit_name(
            w.session, w.person, text, settings=settings, now=w.now
        )
        return Response(messages=await prompt(w, state))
    if state.step is Step.PHONE:
        state = await registration.submit_phone(
            w.session, w.person, typed=text, settings=settings, now=w.now
        )
        return await _after_phone(w, state)
    # The step wants a button press: show the question again, buttons and all.
    hint = Message(w.tr("Please choose with the buttons below."))
    return Response(messages=[hint, *await prompt(w, state)])


async def on_contact(w: Work, state: RegistrationState, phone: str, is_own: bool) -> Response:
    state = await registration.submit_phone(
        w.session,
        w.person,
        shared=phone,
        shared_is_own=is_own,
        settings=w.deps.settings.registration,
        now=w.now,
    )
    return await _after_phone(w, state)


async def _after_phone(w: Work, state: RegistrationState) -> Response:
    saved = Message(
        w.tr("✓ Mobile number saved: {phone}").format(phone=state.phone), ReplyKeyboardRemove()
    )
    return Response(messages=[saved, *await prompt(w, state)])


# --- buttons ---------------------------------------------------------------------------------


async def on_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1:2] or [""]
    handler = _BUTTONS.get(action[0])
    if handler is None:
        raise StaleAction()
    async with work(update, context) as w:
        response = await handler(w, update)
        person_id = w.person.id
    await respond(update, response)
    if action[0] == "ok":  # a volunteer now: their command menu grows
        await refresh_personal_menu(context, person_id)


async def _community(w: Work, update: Update) -> Response:
    (community_id,) = callback_args(update, 1)
    state = await registration.choose_community(
        w.session,
        w.person,
        int_arg(community_id),
        settings=w.deps.settings.registration,
        now=w.now,
    )
    community = await w.session.get_one(Community, state.community_id)
    recap = w.tr("Community: {place}").format(place=place_label(community, w.tr.language))
    return await continue_response(w, state, recap=recap)


async def _grid(w: Work, update: Update) -> Response:
    (grid_id,) = callback_args(update, 1)
    state = await registration.choose_grid(
        w.session, w.person, int_arg(grid_id), settings=w.deps.settings.registration, now=w.now
    )
    grid = await w.session.get_one(Grid, state.grid_id)
    recap = w.tr("Grid: {place}").format(place=place_label(grid, w.tr.language))
    return await continue_response(w, state, recap=recap)


async def _grid_back(w: Work, update: Update) -> Response:
    state = await registration.back_to_communities(w.session, w.person, now=w.now)
    (message,) = await prompt(w, state)
    return Response(edit=message)


async def _toggle_availability(w: Work, update: Update) -> Response:
    (option,) = callback_args(update, 1)
    state = await registration.toggle_availability(w.session, w.person, option, now=w.now)
    (message,) = await prompt(w, state)
    return Response(edit=message)


async def _availability_done(w: Work, update: Update) -> Response:
    state = await registration.finish_availability(
        w.session, w.person, settings=w.deps.settings.registration, now=w.now
    )
    recap = w.tr("Available: {times}").format(times=availability_text(w, state.availability))
    return await continue_response(w, state, recap=recap)


async def _toggle_skill(w: Work, update: Update) -> Response:
    (code,) = callback_args(update, 1)
    state = await registration.toggle_skill(
        w.session, w.person, code, settings=w.deps.settings.registration, now=w.now
    )
    (message,) = await prompt(w, state)
    return Response(edit=message)


async def _skills_done(w: Work, update: Update, *, skip: bool = False) -> Response:
    state = await registration.finish_skills(
        w.session, w.person, skip=skip, settings=w.deps.settings.registration, now=w.now
    )
    recap = w.tr("Skills: {skills}").format(skills=skills_text(w, state.skills))
    return await continue_response(w, state, recap=recap)


async def _skills_skip(w: Work, update: Update) -> Response:
    return await _skills_done(w, update, skip=True)


async def _consent(w: Work, update: Update, *, agreed: bool) -> Response:
    state = await registration.answer_consent(
        w.session, w.person, agreed, settings=w.deps.settings.registration, now=w.now
    )
    if state is None:
        text = w.tr(
            "Without your consent we cannot register you, so nothing you entered was kept. "
            "Send /start if you change your mind."
        )
        return Response(edit=Message(w.tr("Privacy notice: not agreed")), messages=[Message(text)])
    return await continue_response(w, state, recap=w.tr("Privacy notice: agreed ✓"))


async def _agree(w: Work, update: Update) -> Response:
    return await _consent(w, update, agreed=True)


async def _decline(w: Work, update: Update) -> Response:
    return await _consent(w, update, agreed=False)


async def _edit_menu(w: Work, update: Update) -> Response:
    state = await registration.current(w.session, w.person)
    if state is None or state.step is not Step.SUMMARY:
        raise StaleAction()
    tr = w.tr
    labels = {
        Step.NAME: tr("Name"),
        Step.PHONE: tr("Mobile"),
        Step.COMMUNITY: tr("Community and grid"),
        Step.AVAILABILITY: tr("Availability"),
        Step.SKILLS: tr("Skills"),
    }
    if not w.deps.settings.registration.skills:
        labels.pop(Step.SKILLS)
    buttons = [button(label, f"{PREFIX}:e:{step}") for step, label in labels.items()]
    rows = [*in_rows(buttons, 2), [button(tr("◀ Back"), f"{PREFIX}:back")]]
    summary = await _summary(w, state)
    return Response(
        edit=Message(summary.text + "\n\n" + tr("What would you like to change?"), keyboard(rows))
    )


async def _edit_back(w: Work, update: Update) -> Response:
    state = await registration.current(w.session, w.person)
    if state is None or state.step is not Step.SUMMARY:
        raise StaleAction()
    return Response(edit=await _summary(w, state))


async def _edit_field(w: Work, update: Update) -> Response:
    (field,) = callback_args(update, 1)
    try:
        step = Step(field)
    except ValueError as exc:
        raise StaleAction() from exc
    state = await registration.edit_field(w.session, w.person, step, now=w.now)
    return await continue_response(w, state, recap=w.tr("Changing your details…"))


async def _confirm(w: Work, update: Update) -> Response:
    completion = await registration.confirm(w.session, w.person, now=w.now)
    tr = w.tr
    if completion.already_registered:
        return Response(edit=Message(tr(AlreadyRegistered.message)))
    if completion.place_gone is not None:
        gone = Message(
            tr("The community or grid you chose is no longer in use. Please choose again.")
        )
        return Response(edit=gone, messages=await prompt(w, completion.place_gone))
    details = await _details(w, registration_view(completion))
    if not completion.created:
        return Response(
            edit=Message("\n".join([tr("✓ Your profile has been updated."), "", *details]))
        )
    lines = [
        tr("🎉 Welcome, {name}! You are now a registered volunteer of {organisation}.").format(
            name=completion.volunteer.real_name,
            organisation=w.deps.settings.organisation.label(tr.language),
        )
    ]
    if completion.joined is not None:
        lines.append(
            tr("You have joined the team “{team}”.").format(team=completion.joined.team.name)
        )
    if completion.invite_invalid:
        lines.append(
            tr(
                "The invite link you opened is no longer valid, so you have not joined a team. "
                "Please ask your team leader for a new link."
            )
        )
    lines.append(tr("Send /help to see what you can do."))
    recap = "\n".join([tr("Registration confirmed ✓"), "", *details])
    return Response(edit=Message(recap), messages=[Message("\n".join(lines))])


def registration_view(completion: registration.Completion) -> RegistrationState:
    """The confirmed profile in the draft's shape, for the recap."""
    v = completion.volunteer
    return RegistrationState(
        step=Step.SUMMARY,
        name=v.real_name,
        phone=v.phone,
        phone_verified=v.phone_verified,
        grid_id=v.grid_id,
        availability=list(v.availability),
        skills=list(v.skills),
    )


_BUTTONS = {
    "c": _community,
    "g": _grid,
    "gback": _grid_back,
    "a": _toggle_availability,
    "adone": _availability_done,
    "s": _toggle_skill,
    "sdone": _skills_done,
    "sskip": _skills_skip,
    "yes": _agree,
    "no": _decline,
    "edit": _edit_menu,
    "back": _edit_back,
    "e": _edit_field,
    "ok": _confirm,
}
