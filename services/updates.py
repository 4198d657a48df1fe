"""Exactly-once processing of inbound updates.

The claim is written in the same transaction as the update's effects: either
both commit, or neither does and a redelivery is processed afresh.
"""

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ProcessedUpdate
from services.errors import AlreadyProcessed


async def claim_update(
    session: AsyncSession, *, channel: str, update_id: int, now: datetime
) -> None:
    if await session.get(ProcessedUpdate, (channel, update_id)) is not None:
        raise AlreadyProcessed(update_id)
    session.add(ProcessedUpdate(channel=channel, update_id=update_id, processed_at=now))
    try:
        await session.flush()
    except IntegrityError as exc:  # another process claimed it a moment ago
        raise AlreadyProcessed(update_id) from exc


async def prune_processed_updates(session: AsyncSession, *, older_than: datetime) -> int:
    """Forget old update ids (Telegram may reuse ids after a week of silence)."""
    result = await session.exec(
        delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < older_than)
    )
    return result.rowcount or 0
