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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, update
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
# Rows written by one statement of enqueue_many.
ENQUEUE_CHUNK = 1000


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
    photos: list[dict[str, str]] | None = None,
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
        "photos": photos or None,
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
class Recipient:
    person_id: int
    language: str | None
    key: str


async def enqueue_many(
    session: AsyncSession,
    notice: Notice,
    recipients: Sequence[Recipient],
    *,
    catalogs: Catalogs,
    now: datetime,
    kind: str,
    urgent: bool = False,
    due_at: datetime | None = None,
    broadcast_id: int | None = None,
    status: NotificationStatus = NotificationStatus.PENDING,
    error: str | None = None,
) -> None:
    """`enqueue` for thousands at once (a broadcast): one notice, each copy rendered in its
    recipient's language, written with a few statements so the transaction stays short
    (on SQLite it holds the write lock). Keys that exist already are left alone; a
    `cancelled` status records people deliberately not sent to."""
    rendered: dict[str | None, tuple[str, list[list[dict[str, Any]]]]] = {}
    for language in {r.language for r in recipients}:
        tr = catalogs.translator(language)
        rendered[language] = (notice.text(tr), rendered_buttons(notice, tr))
    rows = [
        {
            "key": r.key,
            "person_id": r.person_id,
            "chat_id": None,
            "kind": kind,
            "urgent": urgent,
            "text": rendered[r.language][0],
            "buttons": rendered[r.language][1],
            "location": None,
            "photos": None,
            "due_at": due_at or now,
            "created_at": now,
            "status": status,
            "attempts": 0,
            "late": False,
            "error": error,
            "broadcast_id": broadcast_id,
        }
        for r in recipients
    ]
    dialect_insert = (
        postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    )
    statement = dialect_insert(Notification.__table__).on_conflict_do_nothing(
        index_elements=["key"]
    )
    connection = await session.connection()
    for start in range(0, len(rows), ENQUEUE_CHUNK):
        await connection.execute(statement, rows[start : start + ENQUEUE_CHUNK])


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
    """Take due notifications for sending (urgent first); during quiet hours only urgent ones.

    Broadcasts' notifications come after everything else that is due, so a reminder or
    an alert written during a broadcast of thousands goes out with the next batch."""
    query = (
        select(Notification)
        .where(Notification.status == NotificationStatus.PENDING, Notification.due_at <= now)
        .order_by(
            col(Notification.urgent).desc(),
            col(Notification.broadcast_id).is_not(None),
            col(Notification.due_at),
            col(Notification.id),
        )
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


@dataclass(frozen=True)
class SentMark:
    """A notification delivered at `sent_at` (and where it landed), to be recorded."""

    notification_id: int
    due_at: datetime
    sent_at: datetime
    chat_id: str | None
    message_id: str | None


async def mark_all_sent(session: AsyncSession, marks: list[SentMark]) -> None:
    """Record several deliveries with one statement (a dispatcher's batch)."""
    if not marks:
        return
    table = Notification.__table__
    connection = await session.connection()
    await connection.execute(
        update(table)
        .where(table.c.id == bindparam("notification_id"))
        .values(
            status=NotificationStatus.SENT,
            sent_at=bindparam("sent_at"),
            late=bindparam("late"),
            sent_chat_id=bindparam("sent_chat_id"),
            sent_message_id=bindparam("sent_message_id"),
        ),
        [
            {
                "notification_id": mark.notification_id,
                "sent_at": mark.sent_at,
                "late": mark.sent_at - mark.due_at > LATE_AFTER,
                "sent_chat_id": mark.chat_id,
                "sent_message_id": mark.message_id,
            }
            for mark in marks
        ],
    )


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


async def make_due(session: AsyncSession, key: str, *, now: datetime) -> int | None:
    """A pending notification, held back as a fallback, made due now; its id."""
    found = (
        await session.exec(
            select(Notification).where(
                Notification.key == key, Notification.status == NotificationStatus.PENDING
            )
        )
    ).first()
    if found is None:
        return None
    found.due_at = now
    await session.flush()
    return found.id
