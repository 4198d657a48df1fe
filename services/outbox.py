"""The outbox: notifications written with the change they report, sent exactly once.

`enqueue` renders a notice in the recipient's language and inserts it under a
unique key (a second insert of the same key does nothing). A dispatcher claims
due rows (FOR UPDATE SKIP LOCKED on PostgreSQL, so two processes never take
the same one; SQLite's writers take turns anyway), sends them, and marks them.
A row interrupted mid-send is not sent again: a duplicate is worse than the
rare loss, which is logged.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Notification, NotificationStatus
from services import identity
from services.i18n import Catalogs, Translator, render
from services.notifier import Notice

# Sent more than this after it was due: marked late (the bot was down).
LATE_AFTER = timedelta(minutes=10)
# A claim older than this was interrupted (the process died mid-send).
CLAIM_LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5


def rendered_buttons(notice: Notice, tr: Translator) -> list[list[dict[str, Any]]]:
    return [
        [{"label": render(tr, a.label, a.params), "data": a.data} for a in row]
        for row in notice.actions
    ]


async def enqueue(
    session: AsyncSession,
    notice: Notice,
    *,
    catalogs: Catalogs,
    now: datetime,
    person_id: int | None = None,
    chat_id: str | None = None,
    language: str | None = None,
    key: str | None = None,
    kind: str = "notice",
    urgent: bool = False,
    due_at: datetime | None = None,
    location: tuple[float, float] | None = None,
    broadcast_id: int | None = None,
) -> int | None:
    """Write a notification; returns its id, or None when that key exists already."""
    if (person_id is None) == (chat_id is None):
        raise ValueError("a notification goes to a person or to a chat")
    if language is None and person_id is not None:
        language = await identity.language_of_person(session, person_id)
    tr = catalogs.translator(language)
    values = {
        "key": key or f"{kind}:{uuid.uuid4().hex}",
        "person_id": person_id,
        "chat_id": chat_id,
        "kind": kind,
        "urgent": urgent,
        "text": notice.text(tr),
        "buttons": rendered_buttons(notice, tr),
        "location": {"latitude": location[0], "longitude": location[1]} if location else None,
        "due_at": due_at or now,
        "created_at": now,
        "status": NotificationStatus.PENDING,
        "attempts": 0,
        "late": False,
        "broadcast_id": broadcast_id,
    }
    dialect_insert = (
        postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    result = await session.exec(
        dialect_insert(Notification)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(Notification.id)
    )
    return result.scalar_one_or_none()


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo

    def covers(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # across midnight

    def next_end(self, moment: datetime) -> datetime:
        """When the quiet hours around `moment` end."""
        local = moment.astimezone(self.zone)
        end = local.replace(hour=self.end.hour, minute=self.end.minute, second=0, microsecond=0)
        if end <= local:
            end += timedelta(days=1)
        return end


async def claim_due(
    session: AsyncSession,
    *,
    now: datetime,
    quiet: QuietHours | None = None,
    ids: list[int] | None = None,
    limit: int = 200,
) -> list[Notification]:
    """Take due notifications for sending (urgent first); during quiet hours only urgent ones."""
    query = (
        select(Notification)
        .where(Notification.status == NotificationStatus.PENDING, Notification.due_at <= now)
        .order_by(col(Notification.urgent).desc(), col(Notification.due_at), col(Notification.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if ids is not None:
        query = query.where(col(Notification.id).in_(ids))
    if quiet is not None and quiet.covers(now):
        query = query.where(Notification.urgent)
    claimed = list((await session.exec(query)).all())
    for row in claimed:
        row.status, row.claimed_at, row.attempts = NotificationStatus.SENDING, now, row.attempts + 1
    await session.flush()
    return claimed


async def mark_sent(
    session: AsyncSession,
    notification_id: int,
    *,
    chat_id: str | None,
    message_id: str | None,
    now: datetime,
) -> Notification:
    row = await session.get_one(Notification, notification_id)
    row.status, row.sent_at = NotificationStatus.SENT, now
    row.late = now - row.due_at > LATE_AFTER
    row.sent_chat_id, row.sent_message_id = chat_id, message_id
    await session.flush()
    return row


async def mark_failed(
    session: AsyncSession, notification_id: int, *, error: str, retry: bool, now: datetime
) -> None:
    """A temporary failure is retried later (backing off); others end here."""
    row = await session.get_one(Notification, notification_id)
    row.error = error[:200]
    if retry and row.attempts < MAX_ATTEMPTS:
        row.status = NotificationStatus.PENDING
        row.due_at = now + timedelta(minutes=2**row.attempts)
    else:
        row.status = NotificationStatus.FAILED
    await session.flush()


async def recover_interrupted(session: AsyncSession, *, now: datetime) -> int:
    """Claims whose process died mid-send: not sent again (a duplicate is worse)."""
    result = await session.exec(
        update(Notification)
        .where(
            Notification.status == NotificationStatus.SENDING,
            Notification.claimed_at < now - CLAIM_LEASE,
        )
        .values(status=NotificationStatus.FAILED, error="interrupted while sending; not resent")
    )
    return result.rowcount or 0


async def cancel_pending(session: AsyncSession, key_prefix: str) -> int:
    result = await session.exec(
        update(Notification)
        .where(
            Notification.status == NotificationStatus.PENDING,
            col(Notification.key).startswith(key_prefix),
        )
        .values(status=NotificationStatus.CANCELLED)
    )
    return result.rowcount or 0
