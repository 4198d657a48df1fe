"""/broadcast: a leader, grid officer or admin announces something to a team, a grid or
everyone. Choose whom (when there is a choice), type the text, check the preview, send.

The preview message turns into the progress message when sent; the scheduler edits
it as delivery goes on (scheduler/broadcast_progress.py).
"""

from __future__ import annotations

from telegram import Message as TelegramMessage
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
    pager_row,
    paginate,
    respond,
    work,
)
from handlers.context import BotContext
from models import Grid, Team
from services import broadcasts
from services.broadcasts import TEXT_LIMIT, BroadcastState, Scope, Step
from services.errors import StaleAction
from services.org import community_labels, place_label

PREFIX = "bc"
PER_PAGE = 8


async def on_broadcast(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        state = await broadcasts.begin(w.session, w.person, now=w.now)
        response = Response(messages=await prompt(w, state))
    await respond(update, response)


async def prompt(w: Work, state: BroadcastState | None) -> list[Message]:
    """The question the conversation waits on."""
    if state is None:
        return []
    if state.step is Step.SCOPE:
        return [await _scope_question(w)]
    if state.step is Step.TEXT:
        target = await broadcasts.target_of_state(w.session, state)
        text = w.tr(
            "Type the announcement for {target} as one text message (up to {limit} "
            "characters). Send /cancel to stop."
        ).format(target=target.localize(w.tr), limit=TEXT_LIMIT)
        return [Message(text)]
    return [await _preview(w, state)]


async def _communities(w: Work) -> dict[int, str]:
    return await community_labels(w.session, w.tr.language)


def _grid_label(grid: Grid, communities: dict[int, str], language: str) -> str:
    return f"{communities.get(grid.community_id, '')} · {place_label(grid, language)}"


def _team_label(team: Team, communities: dict[int, str]) -> str:
    return f"{team.name} · {communities.get(team.community_id, '')}"


async def _scope_question(w: Work) -> Message:
    tr = w.tr
    choices = await broadcasts.options(w.session, w.person)
    if choices.everyone:
        rows = [
            [button(tr("👥 All volunteers"), f"{PREFIX}:all")],
            [button(tr("A team…"), f"{PREFIX}:lt:0"), button(tr("A grid…"), f"{PREFIX}:lg:0")],
        ]
    else:
        communities = await _communities(w)
        rows = [[button(_team_label(t, communities), f"{PREFIX}:t:{t.id}")] for t in choices.teams]
        rows += [
            [button(_grid_label(g, communities, tr.language), f"{PREFIX}:g:{g.id}")]
            for g in choices.grids
        ]
    return Message(tr("Whom is the announcement for?"), keyboard(rows))


async def _listing(w: Work, kind: str, page: int) -> Message:
    """An admin's page of teams or grids to choose from."""
    tr = w.tr
    choices = await broadcasts.options(w.session, w.person)
    communities = await _communities(w)
    if kind == "lt":
        shown = paginate(choices.teams, page, PER_PAGE)
        buttons = [button(_team_label(t, communities), f"{PREFIX}:t:{t.id}") for t in shown.items]
        question = tr("Which team?") if choices.teams else tr("There are no teams yet.")
    else:
        shown = paginate(choices.grids, page, PER_PAGE)
        buttons = [
            button(_grid_label(g, communities, tr.language), f"{PREFIX}:g:{g.id}")
            for g in shown.items
        ]
        question = tr("Which grid?")
    rows = [
        *in_rows(buttons, 1),
        pager_row(shown, tr, lambda n: f"{PREFIX}:{kind}:{n}"),
        [button(tr("◀ Back"), f"{PREFIX}:top")],
    ]
    return Message(question, keyboard(rows))


async def _preview(w: Work, state: BroadcastState) -> Message:
    tr = w.tr
    shown = await broadcasts.preview(
        w.session,
        w.person,
        state,
        quiet=broadcasts.quiet_hours(w.deps.settings),
        now=w.now,
    )
    rev = state.rev
    rows = []
    if shown.reachable:
        rows.append([button(tr("📤 Send"), f"{PREFIX}:send:{rev}")])
    rows.append(
        [
            button(tr("✏️ Edit text"), f"{PREFIX}:edit:{rev}"),
            button(tr("✖️ Cancel"), f"{PREFIX}:cancel:{rev}"),
        ]
    )
    return Message(shown.localize(tr), keyboard(rows))


def _without_buttons(update: Update) -> Message:
    """The pressed message as it is, its buttons taken off."""
    message = update.callback_query.message
    return Message((message.text if isinstance(message, TelegramMessage) else "") or "…")


async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    action = (query.data or "").split(":")[1]
    sent = False
    async with work(update, context) as w:
        session, person, now = w.session, w.person, w.now
        if action in ("all", "t", "g"):
            if action == "all":
                callback_args(update, 0)
                scope, target_id = Scope.ALL, None
            else:
                (value,) = callback_args(update, 1)
                scope = Scope.TEAM if action == "t" else Scope.GRID
                target_id = int_arg(value)
            state = await broadcasts.choose(session, person, scope, target_id, now=now)
            response = Response(edit=answered(update), messages=await prompt(w, state))
        elif action in ("lt", "lg", "top"):
            state = await broadcasts.current(session, person)
            if state is None or state.step is not Step.SCOPE:
                raise StaleAction()
            if action == "top":
                response = Response(edit=await _scope_question(w))
            else:
                (page,) = callback_args(update, 1)
                response = Response(edit=await _listing(w, action, int_arg(page)))
        elif action == "send":
            (rev,) = callback_args(update, 1)
            accessible = isinstance(query.message, TelegramMessage)
            done = await broadcasts.send(
                session,
                person,
                int_arg(rev),
                catalogs=w.deps.catalogs,
                quiet=broadcasts.quiet_hours(w.deps.settings),
                now=now,
                progress_chat_id=str(query.message.chat.id) if accessible else None,
                progress_message_id=str(query.message.message_id) if accessible else None,
            )
            response = Response(edit=Message(done.report.localize(w.tr)))
            sent = True
        elif action == "edit":
            (rev,) = callback_args(update, 1)
            state = await broadcasts.edit_text(session, person, int_arg(rev), now=now)
            response = Response(edit=_without_buttons(update), messages=await prompt(w, state))
        elif action == "cancel":
            (rev,) = callback_args(update, 1)
            await broadcasts.cancel(session, person, int_arg(rev))
            response = Response(edit=Message(w.tr("Cancelled; the announcement was not sent.")))
        else:
            raise StaleAction()
    try:
        await respond(update, response)
    finally:
        if sent:  # after the preview became the progress message, so it is edited in order
            context.deps.jobs.request_dispatch()


async def on_text(w: Work, text: str) -> Response:
    state = await broadcasts.submit_text(w.session, w.person, text, now=w.now)
    return Response(messages=await prompt(w, state))
