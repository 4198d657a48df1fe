"""Numbered choices on WeChat. A reply with a number picks from the list shown last:
either a list this conversation offered (kept as a small draft), or the buttons of the
last notice the person was sent (the outbox keeps those)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Notification, NotificationStatus
from services import drafts

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn

MENU_FLOW = "wxmenu"
# The menu draft's step once the person has moved on: no list, only the moment.
MOVED_ON = "moved_on"
# A number typed within this time after a list picks from it.
MENU_VALID = timedelta(hours=24)


async def offer(turn: Turn, options: list[tuple[str, str]]) -> list[str]:
    """Remember the options (label, button data) and return them as 【n】 lines."""
    await drafts.save(
        turn.session,
        turn.person.id,
        MENU_FLOW,
        step="menu",
        data={"choices": [data for _, data in options]},
        now=turn.now,
    )
    return [f"【{n}】{label}" for n, (label, _) in enumerate(options, start=1)]


async def forget(turn: Turn) -> None:
    """A message that is not a number ends the list this conversation offered (a later
    "1" must not pick from a list the person has moved on from) and records when they
    moved on. A notice's buttons stay pressable for a day, as its numbers say."""
    await drafts.save(turn.session, turn.person.id, MENU_FLOW, step=MOVED_ON, data={}, now=turn.now)


async def moved_on_at(turn: Turn) -> datetime | None:
    """When the person last wrote something that was not a number."""
    marker = await drafts.load(turn.session, turn.person.id, MENU_FLOW)
    return marker.updated_at if marker is not None and marker.step == MOVED_ON else None


async def shown_since(turn: Turn, moment: datetime) -> bool:
    """Whether a numbered list (offered here, or a notice's buttons) came after `moment`:
    then a number picks from it rather than answering an older question."""
    offered = await drafts.load(turn.session, turn.person.id, MENU_FLOW)
    if (
        offered is not None
        and offered.step != MOVED_ON
        and offered.updated_at > max(moment, turn.now - MENU_VALID)
    ):
        return True
    notice = await last_notice_menu(turn.session, turn.person.id, turn.now)
    return notice is not None and notice.sent_at > moment


async def choices(turn: Turn) -> list[str]:
    """The button data of the list shown last (newest of an offered list and a notice)."""
    offered = await drafts.load(turn.session, turn.person.id, MENU_FLOW)
    notice = await last_notice_menu(turn.session, turn.person.id, turn.now)
    if offered is not None and (
        offered.step == MOVED_ON or offered.updated_at < turn.now - MENU_VALID
    ):
        offered = None
    if offered is not None and (notice is None or offered.updated_at >= notice.sent_at):
        return list(offered.data.get("choices", []))
    if notice is not None:
        return [b["data"] for row in notice.buttons for b in row]
    return []


async def last_notice_menu(
    session: AsyncSession, person_id: int, now: datetime
) -> Notification | None:
    result = await session.exec(
        select(Notification)
        .where(
            Notification.person_id == person_id,
            Notification.status == NotificationStatus.SENT,
            Notification.sent_at >= now - MENU_VALID,
        )
        .order_by(col(Notification.sent_at).desc(), col(Notification.id).desc())
        .limit(1)
    )
    found = result.first()
    return found if found is not None and found.buttons else None
