"""群发 on WeChat: a leader, grid officer or admin announces something to a team, a grid
or everyone (the same services/broadcasts steps as /broadcast on Telegram): whom by
number, the text typed, the preview, then 1 to send. The final delivered / failed /
skipped counts come back as a message when delivery is done."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services import broadcasts
from services.broadcasts import TEXT_LIMIT, BroadcastState, Scope, Step
from services.org import community_labels, place_label

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn

# Teams and grids offered at once; more would not fit one WeChat message.
TARGETS_SHOWN = 30


async def _targets(turn: Turn) -> list[tuple[Scope, int | None, str]]:
    """Whom the person may address, in the order offered."""
    tr = turn.tr
    choices = await broadcasts.options(turn.session, turn.person)
    communities = await community_labels(turn.session, tr.language)
    targets: list[tuple[Scope, int | None, str]] = []
    if choices.everyone:
        targets.append((Scope.ALL, None, tr("👥 All volunteers")))
    targets += [
        (Scope.TEAM, t.id, f"{t.name} · {communities.get(t.community_id, '')}")
        for t in choices.teams
    ]
    targets += [
        (
            Scope.GRID,
            g.id,
            f"{communities.get(g.community_id, '')} · {place_label(g, tr.language)}",
        )
        for g in choices.grids
    ]
    return targets[:TARGETS_SHOWN]


async def begin(turn: Turn) -> str:
    state = await broadcasts.begin(turn.session, turn.person, now=turn.now)
    return await prompt(turn, state)


async def prompt(turn: Turn, state: BroadcastState) -> str:
    tr = turn.tr
    if state.step is Step.SCOPE:
        targets = await _targets(turn)
        lines = [tr("Whom is the announcement for? Reply its number:")]
        lines += [f"{n}. {label}" for n, (_, _, label) in enumerate(targets, start=1)]
        return "\n".join([*lines, tr("(reply 取消 to stop)")])
    if state.step is Step.TEXT:
        target = await broadcasts.target_of_state(turn.session, state)
        return tr(
            "Type the announcement for {target} as one text message (up to {limit} "
            "characters). Reply 取消 to stop."
        ).format(target=target.localize(tr), limit=TEXT_LIMIT)
    shown = await broadcasts.preview(
        turn.session,
        turn.person,
        state,
        quiet=broadcasts.quiet_hours(turn.settings),
        now=turn.now,
    )
    choices = (
        tr("1. Send · 2. Edit the text · 0. Cancel")
        if shown.reachable
        else tr("2. Edit the text · 0. Cancel")
    )
    return shown.localize(tr) + "\n\n" + choices


async def answer(turn: Turn, state: BroadcastState, said: str, text: str) -> str:
    session, person, now = turn.session, turn.person, turn.now
    tr = turn.tr
    if state.step is Step.SCOPE:
        targets = await _targets(turn)
        if not (said.isdigit() and 1 <= int(said) <= len(targets)):
            return tr("Please reply with one of the numbers.") + "\n" + await prompt(turn, state)
        scope, target_id, _ = targets[int(said) - 1]
        state = await broadcasts.choose(session, person, scope, target_id, now=now)
        return await prompt(turn, state)
    if state.step is Step.TEXT:
        state = await broadcasts.submit_text(session, person, text, now=now)
        return await prompt(turn, state)
    if said == "1":
        done = await broadcasts.send(
            session,
            person,
            state.rev,
            catalogs=turn.catalogs,
            quiet=broadcasts.quiet_hours(turn.settings),
            now=now,
        )
        turn.dispatch = True
        return done.report.localize(tr)
    if said == "2":
        state = await broadcasts.edit_text(session, person, state.rev, now=now)
        return await prompt(turn, state)
    if said == "0":
        await broadcasts.cancel(session, person, state.rev)
        return tr("Cancelled; the announcement was not sent.")
    return tr("Please reply with one of the numbers.") + "\n" + await prompt(turn, state)
