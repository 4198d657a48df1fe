"""提醒 on WeChat: which kinds of shift the volunteer is reminded of, toggled by number
(the same setting as /reminders on Telegram)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.wechat import menus
from models import Volunteer
from services import reminders
from services.errors import NotRegisteredOnWeChat

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn


async def choices(turn: Turn, done: str | None = None) -> str:
    volunteer = await turn.session.get(Volunteer, turn.person.id)
    if volunteer is None:
        raise NotRegisteredOnWeChat()
    tr = turn.tr
    options = []
    for kind in turn.settings.shifts.kinds:
        muted = kind.code in volunteer.muted_kinds
        mark = "🔕 " if muted else "🔔 "
        options.append((mark + kind.label(tr.language), f"rm:mute:{kind.code}:{0 if muted else 1}"))
    text = tr(
        "Reminders before your shifts, by kind. Reply a number to turn one off (🔕) or on "
        "(🔔). Leaders' messages and changes to your shifts always reach you."
    )
    return "\n".join([*([done] if done else []), text, *await menus.offer(turn, options)])


async def toggle(turn: Turn, kind: str, muted: bool) -> str:
    await reminders.set_muted(
        turn.session, turn.person, kind, muted=muted, shifts=turn.settings.shifts
    )
    return await choices(turn, turn.tr("Saved."))
