"""Durable notifications (the outbox): what to send, to whom, when, and whether it went.

A notification is written in the same transaction as the change it reports, so
neither exists without the other. Its key is unique: a job that works out the
same reminder twice (after a restart, or in a second process) inserts it once.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text
from sqlmodel import Field, SQLModel


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"  # claimed by a dispatcher
    SENT = "sent"
    FAILED = "failed"  # gave up (blocked, gone, or interrupted mid-send)
    CANCELLED = "cancelled"  # no longer wanted (e.g. the shift was cancelled)


class Notification(SQLModel, table=True):
    __table_args__ = (Index("ix_notification_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=160, unique=True)
    # A person (through their channel), or a group chat.
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    chat_id: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=24)
    # Urgent notifications (an elder in need) ignore quiet hours.
    urgent: bool = False
    # Rendered in the recipient's language when written.
    text: str = Field(sa_type=Text)
    buttons: list[list[dict[str, Any]]] = Field(default_factory=list, sa_type=JSON)
    location: dict[str, float] | None = Field(default=None, sa_type=JSON)
    # Photos sent before the text: [{"file_id": …, "path": …}] (the path when the
    # channel's file id no longer works).
    photos: list[dict[str, str]] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    due_at: datetime
    created_at: datetime
    status: str = Field(default=NotificationStatus.PENDING, max_length=16)
    attempts: int = 0
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    # Sent well after it was due (the bot was down): still sent, but marked.
    late: bool = False
    error: str | None = Field(default=None, max_length=200)
    # Where it landed, so it can be edited (announcements, progress).
    sent_chat_id: str | None = Field(default=None, max_length=64)
    sent_message_id: str | None = Field(default=None, max_length=64)
    broadcast_id: int | None = Field(default=None, foreign_key="broadcast.id", index=True)


class Broadcast(SQLModel, table=True):
    """An announcement from a leader or admin to a team, a grid or everyone."""

    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="person.id")
    scope: str = Field(max_length=16)  # team | grid | all
    team_id: int | None = Field(default=None, foreign_key="team.id")
    grid_id: int | None = Field(default=None, foreign_key="grid.id")
    text: str = Field(sa_type=Text)
    created_at: datetime
    recipients: int = 0
    finished_at: datetime | None = None
    # The author's progress message, edited as delivery goes on.
    progress_chat_id: str | None = Field(default=None, max_length=64)
    progress_message_id: str | None = Field(default=None, max_length=64)
