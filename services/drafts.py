"""Storage for half-finished conversations (one draft per person and flow)."""

from datetime import datetime
from typing import Any

from sqlalchemy import delete, true
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ConversationDraft


async def load(session: AsyncSession, person_id: int, flow: str) -> ConversationDraft | None:
    return await session.get(ConversationDraft, (person_id, flow))


async def latest(
    session: AsyncSession,
    person_id: int,
    *,
    ignore: tuple[str, ...] = (),
    among: tuple[str, ...] | None = None,
) -> ConversationDraft | None:
    """The flow the person touched last: where their next free text belongs (`ignore`:
    another channel's bookkeeping that is not a conversation here; `among`: only the
    conversations a channel can carry on)."""
    result = await session.exec(
        select(ConversationDraft)
        .where(
            ConversationDraft.person_id == person_id,
            col(ConversationDraft.flow).not_in(ignore) if ignore else true(),
            col(ConversationDraft.flow).in_(among) if among is not None else true(),
        )
        .order_by(col(ConversationDraft.updated_at).desc())
        .limit(1)
    )
    return result.first()


async def save(
    session: AsyncSession,
    person_id: int,
    flow: str,
    *,
    step: str,
    data: dict[str, Any],
    now: datetime,
) -> ConversationDraft:
    draft = await load(session, person_id, flow)
    if draft is None:
        draft = ConversationDraft(person_id=person_id, flow=flow, step=step)
        session.add(draft)
    draft.step = step
    # A fresh dict: JSON columns only notice reassignment, not mutation.
    draft.data = dict(data)
    draft.updated_at = now
    await session.flush()
    return draft


async def discard(session: AsyncSession, person_id: int, flow: str) -> bool:
    result = await session.exec(
        delete(ConversationDraft).where(
            ConversationDraft.person_id == person_id, ConversationDraft.flow == flow
        )
    )
    return bool(result.rowcount)


async def all_of(session: AsyncSession, person_id: int) -> list[ConversationDraft]:
    result = await session.exec(
        select(ConversationDraft).where(ConversationDraft.person_id == person_id)
    )
    return list(result.all())
