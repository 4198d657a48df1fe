"""Tidying that keeps tables from growing without end."""

from datetime import timedelta

from models.db import SessionFactory
from services.clock import Clock
from services.updates import prune_processed_updates

# Telegram may hand out update ids again after a week without updates.
PROCESSED_UPDATE_RETENTION = timedelta(days=7)


async def housekeeping(session_factory: SessionFactory, clock: Clock) -> None:
    async with session_factory.begin() as session:
        await prune_processed_updates(session, older_than=clock.now() - PROCESSED_UPDATE_RETENTION)
