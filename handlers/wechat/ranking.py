"""排行 on WeChat: the month's service ranking of one's team or of everyone, earlier
months, and (leaders) each team's total, by number."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from handlers.wechat import menus
from services import ledger_text
from services.errors import StaleAction
from services.ledger_text import RANKING_SCOPES
from services.roles import Role, roles_of

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn

# How far back one can page.
MONTHS_BACK = 24


async def ranking(turn: Turn, scope: str = "team", months_back: int = 0) -> str:
    if scope not in RANKING_SCOPES or not 0 <= months_back <= MONTHS_BACK:
        raise StaleAction()
    tr = turn.tr
    month = turn.now.astimezone(turn.settings.bot.zone).date().replace(day=1)
    for _ in range(months_back):
        month = (month - timedelta(days=1)).replace(day=1)
    lines = await ledger_text.ranking_lines(turn.session, tr, turn.person, scope=scope, month=month)
    options = [
        (tr("My team"), f"rk:team:{months_back}"),
        (tr("Everyone"), f"rk:all:{months_back}"),
        (tr("◀ Earlier month"), f"rk:{scope}:{months_back + 1}"),
    ]
    if months_back:
        options.append((tr("Later month ▶"), f"rk:{scope}:{months_back - 1}"))
    if {Role.LEADER, Role.ADMIN} & await roles_of(turn.session, turn.person):
        options.append((tr("Team totals"), f"rk:teams:{months_back}"))
    return "\n".join([*lines, "", *await menus.offer(turn, options)])
