"""/newshift: a leader sets up a one-off or recurring shift with quick picks."""

from __future__ import annotations

from datetime import date, time

from telegram import Update

from handlers.common import (
    Message,
    Response,
    Work,
    answered,
    button,
    callback_args,
    in_rows,
    int_arg,
    keyboard,
    respond,
    work,
)
from handlers.context import BotContext
from services import posts, shift_setup
from services.errors import StaleAction
from services.i18n import format_day, format_duration
from services.recurrence import Repeat
from services.shift_setup import (
    DATE_PICK_LABELS,
    OPEN_TO_ALL,
    REPEAT_LABELS,
    SetupState,
    SetupStep,
)
from services.shifts import Created

PREFIX = "ns"


async def prompt(w: Work, state: SetupState) -> list[Message]:
    tr = w.tr
    settings = w.deps.settings.shifts
    zone = w.deps.settings.bot.zone
    step = state.step
    if step is SetupStep.TEAM:
        led = await shift_setup.team_choices(w.session, w.person)
        buttons = [button(t.name, f"{PREFIX}:team:{t.id}") for t in led]
        if w.person.is_admin:
            buttons.append(
                button(tr("All volunteers (open shift)"), f"{PREFIX}:team:{OPEN_TO_ALL}")
            )
        return [Message(tr("New shift. For which team?"), keyboard(in_rows(buttons, 1)))]
    if step is SetupStep.KIND:
        buttons = [button(k.label(tr.language), f"{PREFIX}:kind:{k.code}") for k in settings.kinds]
        return [Message(tr("What kind of duty?"), keyboard(in_rows(buttons, 2)))]
    if step is SetupStep.POST:
        found = await posts.list_posts(w.session)
        buttons = [button(p.name, f"{PREFIX}:post:{p.id}") for p in found]
        kind = settings.kind(state.kind)
        if not kind.needs_post:
            buttons.append(button(tr("No post"), f"{PREFIX}:post:0"))
        text = tr("Where? Choose the post (check-in happens there).")
        if not found and kind.needs_post:
            text = tr(
                "There are no posts yet. Create one with /posts, then send /newshift again "
                "(your choices so far are kept)."
            )
        return [Message(text, keyboard(in_rows(buttons, 2)))]
    if step is SetupStep.REPEAT:
        buttons = [button(tr(label), f"{PREFIX}:rep:{r}") for r, label in REPEAT_LABELS.items()]
        return [Message(tr("Does it repeat?"), keyboard(in_rows(buttons, 2)))]
    if step is SetupStep.DATE:
        picks = shift_setup.date_picks(w.now, zone)
        buttons = [
            button(
                (tr(DATE_PICK_LABELS[p.name]) + " · " if p.name in DATE_PICK_LABELS else "")
                + format_day(p.day, tr.language),
                f"{PREFIX}:date:{p.day.isoformat()}",
            )
            for p in picks
        ]
        question = (
            tr("Which date is the first one?") if state.repeat != Repeat.ONCE else tr("Which date?")
        )
        text = question + "\n" + tr("Or type a date, like 12-04.")
        return [Message(text, keyboard(in_rows(buttons, 2)))]
    if step is SetupStep.TIME:
        buttons = [
            button(t.strftime("%H:%M"), f"{PREFIX}:time:{t.strftime('%H%M')}")
            for t in shift_setup.TIME_CHOICES
        ]
        text = tr("What time does it start? Or type a time, like 07:30.")
        return [Message(text, keyboard(in_rows(buttons, 4)))]
    if step is SetupStep.DURATION:
        default = settings.kind(state.kind).default_minutes
        choices = sorted({*shift_setup.DURATION_CHOICES, default})
        buttons = [
            button(("• " if m == default else "") + format_duration(tr, m), f"{PREFIX}:dur:{m}")
            for m in choices
        ]
        text = tr("How long? Or type the minutes, like 90.")
        return [Message(text, keyboard(in_rows(buttons, 3)))]
    if step is SetupStep.CAPACITY:
        buttons = [button(str(n), f"{PREFIX}:cap:{n}") for n in shift_setup.CAPACITY_CHOICES]
        text = tr("How many volunteers at most? Or type a number.")
        return [Message(text, keyboard(in_rows(buttons, 3)))]
    if step is SetupStep.MINIMUM:
        buttons = [
            button(str(n) if n else tr("No minimum"), f"{PREFIX}:min:{n}")
            for n in shift_setup.MINIMUM_CHOICES
            if n <= state.capacity
        ]
        text = tr("How many are needed at least? (You will be warned if fewer sign up.)")
        return [Message(text, keyboard(in_rows(buttons, 3)))]
    if step is SetupStep.SUMMARY:
        return [await _summary(w, state)]
    raise AssertionError(step)


async def _summary(w: Work, state: SetupState) -> Message:
    tr = w.tr
    team, post = await shift_setup.summary_parts(w.session, state)
    lines = shift_setup.summary_lines(tr, state, team, post, w.deps.settings)
    rows = [[button(tr("✅ Create and announce"), f"{PREFIX}:ok")]]
    return Message("\n".join(lines) + "\n\n" + tr("Send /cancel to start over."), keyboard(rows))


async def on_newshift(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        state = await shift_setup.current(w.session, w.person)
        if state is None:
            state = await shift_setup.begin(w.session, w.person, now=w.now)
        response = Response(messages=await prompt(w, state))
    await respond(update, response)


async def on_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    created = None
    async with work(update, context) as w:
        zone = w.deps.settings.bot.zone
        settings = w.deps.settings.shifts
        person, session, now = w.person, w.session, w.now
        if action == "ok":
            created = await shift_setup.confirm(
                session, person, settings=settings, zone=zone, now=now
            )
            response = await _created(w, created)
        else:
            (value,) = callback_args(update, 1)
            if action == "team":
                state = await shift_setup.choose_team(session, person, int_arg(value), now=now)
            elif action == "kind":
                state = await shift_setup.choose_kind(
                    session, person, value, settings=settings, now=now
                )
            elif action == "post":
                post_id = int_arg(value) or None
                state = await shift_setup.choose_post(
                    session, person, post_id, settings=settings, now=now
                )
            elif action == "rep":
                state = await shift_setup.choose_repeat(session, person, value, now=now)
            elif action == "date":
                state = await shift_setup.choose_date(
                    session, person, _date_arg(value), zone=zone, now=now
                )
            elif action == "time":
                state = await shift_setup.choose_time(
                    session, person, _time_arg(value), zone=zone, now=now
                )
            elif action == "dur":
                state = await shift_setup.choose_duration(session, person, int_arg(value), now=now)
            elif action == "cap":
                state = await shift_setup.choose_capacity(session, person, int_arg(value), now=now)
            elif action == "min":
                state = await shift_setup.choose_minimum(session, person, int_arg(value), now=now)
            else:
                raise StaleAction()
            response = Response(edit=answered(update), messages=await prompt(w, state))
    await respond(update, response)
    if created is not None:
        context.deps.jobs.request_publish()


async def on_text(w: Work, text: str) -> Response:
    """Typed date, time, minutes or numbers; other steps want a button."""
    state = await shift_setup.current(w.session, w.person)
    typing_steps = (
        SetupStep.DATE,
        SetupStep.TIME,
        SetupStep.DURATION,
        SetupStep.CAPACITY,
        SetupStep.MINIMUM,
    )
    if state is None or state.step not in typing_steps:
        hint = Message(w.tr("Please choose with the buttons below."))
        return Response(messages=[hint, *await prompt(w, state)]) if state else Response()
    state = await shift_setup.typed(
        w.session, w.person, text, zone=w.deps.settings.bot.zone, now=w.now
    )
    return Response(messages=await prompt(w, state))


async def _created(w: Work, created: Created) -> Response:
    head = await shift_setup.created_text(w.tr, w.session, created, w.deps.settings)
    return Response(
        edit=Message(head + "\n\n" + w.tr("Follow sign-ups and check-ins with /roster."))
    )


def _date_arg(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise StaleAction() from exc


def _time_arg(value: str) -> time:
    try:
        return time(int(value[:2]), int(value[2:]))
    except ValueError as exc:
        raise StaleAction() from exc
