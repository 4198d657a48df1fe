"""导出 on WeChat: a leader or admin exports the service ledger (台账) for a period, as
a download link to an Excel or CSV file (WeChat's messages cannot carry the file)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.wechat import menus
from services import downloads, teams
from services.errors import PermissionDenied, StaleAction
from services.exports import require_export_rights
from services.periods import PERIODS, period_bounds

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn

ALL_TEAMS = 0
FORMATS = {"xlsx": "📊 Excel", "csv": "📄 CSV"}


async def begin(turn: Turn) -> str:
    tr = turn.tr
    if not turn.person.is_admin and not await teams.led_teams(turn.session, turn.person):
        raise PermissionDenied()
    if turn.links is None:
        return tr(
            "Exports reach WeChat as a download link, which this office has not set up yet. "
            "Please use /export on Telegram."
        )
    options = [(tr(label), f"ex:p:{code}") for code, label in PERIODS.items()]
    question = tr("Export the service ledger for which period?")
    return "\n".join([question, *await menus.offer(turn, options)])


async def _formats(turn: Turn, period: str, team_id: int) -> str:
    options = [(label, f"ex:go:{period}:{team_id}:{fmt}") for fmt, label in FORMATS.items()]
    return "\n".join([turn.tr("Which format?"), *await menus.offer(turn, options)])


async def press(turn: Turn, verb: str, args: list[str]) -> str:
    tr = turn.tr
    if turn.links is None:
        raise StaleAction()
    if verb == "p" and len(args) == 1 and args[0] in PERIODS:
        led = await teams.led_teams(turn.session, turn.person)
        if len(led) == 1 and not turn.person.is_admin:
            return await _formats(turn, args[0], led[0].id)
        options = [(team.name, f"ex:t:{args[0]}:{team.id}") for team in led]
        if turn.person.is_admin:
            options.insert(0, (tr("All teams"), f"ex:t:{args[0]}:{ALL_TEAMS}"))
        return "\n".join([tr("Which team?"), *await menus.offer(turn, options)])
    if verb == "t" and len(args) == 2 and args[0] in PERIODS and args[1].isdigit():
        return await _formats(turn, args[0], int(args[1]))
    if verb == "go" and len(args) == 3 and args[1].isdigit() and args[2] in FORMATS:
        today = turn.now.astimezone(turn.settings.bot.zone).date()
        bounds = period_bounds(args[0], today)
        if bounds is None:
            raise StaleAction()
        team_id = int(args[1]) or None
        # Asked now, so a refusal (not their team) is said now rather than at download.
        await require_export_rights(turn.session, turn.person, team_id)
        ref = downloads.export_ref(
            turn.person.id,
            start=bounds[0],
            end=bounds[1],
            team_id=team_id,
            fmt=args[2],
            language=tr.language,
        )
        return tr(
            "📊 The service ledger {start} – {end}: download it here (the link works for a "
            "day and shows the ledger as it is when opened):\n{link}"
        ).format(start=bounds[0].isoformat(), end=bounds[1].isoformat(), link=turn.links.url(ref))
    raise StaleAction()
