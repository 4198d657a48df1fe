"""The words a WeChat user can reply with, for what they are: everyone can report,
volunteers see their shifts and hours, leaders and grid officers their tools."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.i18n import Translator
from services.roles import Role, roles_of

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn


async def help_text(turn: Turn, tr: Translator | None = None) -> str:
    tr = tr or turn.tr
    roles = await roles_of(turn.session, turn.person)
    sections = [
        tr(
            "What would you like to do? Reply with a word:\n"
            "举报 — report a problem (illegal parking, vending, posters, rubbish…)\n"
            "我的举报 — your reports and what became of them"
        )
    ]
    if Role.VOLUNTEER in roles:
        sections.append(
            tr(
                "班次 — shifts to sign up for\n"
                "我的班次 — your shifts; cancel one\n"
                "时长 — your service hours and star level\n"
                "记录 — record service done outside a shift\n"
                "证明 — a certificate of your service\n"
                "排行 — this month's ranking · 提醒 — which reminders you get"
            )
        )
    else:
        sections.append(tr("注册 — register as a volunteer"))
    if roles & {Role.LEADER, Role.ADMIN}:
        sections.append(
            tr(
                "名单 — your team's shifts and who is on them\n"
                "新班次 — set up a shift and announce it\n"
                "导出 — the service ledger as an Excel file\n"
                "邀请 — your team's QR code for new volunteers\n"
                "岗点 — duty posts and their check-in QR codes"
            )
        )
    if Role.ADMIN in roles:
        sections.append(tr("新队伍 — set up a team"))
    if roles & {Role.LEADER, Role.GRID_OFFICER, Role.ADMIN}:
        sections.append(
            tr(
                "待办 — residents' reports to handle\n"
                "群发 — send an announcement to your team or grid"
            )
        )
        if Role.VOLUNTEER not in roles:
            sections.append(tr("名字 — the name others see with what you do"))
    sections.append(
        tr(
            "绑定 — link this account with your Telegram account\n"
            "语言 / language — 简体中文 · 繁體中文 · English\n"
            "取消 — stop what you are doing"
        )
    )
    return "\n".join(sections)
