"""Residents' reports of uncivil behaviour (乱停乱放, 占道经营, 牛皮癣…) and their handling."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index, Text
from sqlmodel import Field, SQLModel


class ReportStatus(StrEnum):
    SUBMITTED = "submitted"  # waiting for the grid officer (or triage, without a grid)
    ACCEPTED = "accepted"
    ASSIGNED = "assigned"  # a volunteer has the task
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"  # handled; the reporter may confirm or reopen for a while
    CLOSED = "closed"  # confirmed, or the reopen window passed
    REJECTED = "rejected"
    DUPLICATE = "duplicate"  # merged into another report


OPEN_STATUSES = (
    ReportStatus.SUBMITTED,
    ReportStatus.ACCEPTED,
    ReportStatus.ASSIGNED,
    ReportStatus.IN_PROGRESS,
)


class Report(SQLModel, table=True):
    __table_args__ = (Index("ix_report_status_created", "status", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    category: str = Field(max_length=32)
    # The resident who reported in chat; None for reports that came over Open311.
    reporter_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    # Hidden from officers, leaders, volunteers and Open311: only admins' audit sees who.
    anonymous: bool = False
    source: str = Field(default="chat", max_length=16)  # chat | open311
    # An Open311 submitter's own contact details (shown to admins only).
    contact: dict[str, Any] | None = Field(default=None, sa_type=JSON(none_as_null=True))
    description: str | None = Field(default=None, sa_type=Text)
    latitude: float | None = None
    longitude: float | None = None
    address: str | None = Field(default=None, max_length=200)
    # None: in the triage queue (a typed address, or outside every grid).
    grid_id: int | None = Field(default=None, foreign_key="grid.id", index=True)
    routed_by: str = Field(default="triage", max_length=16)  # polygon | nearest | triage | officer
    status: str = Field(default=ReportStatus.SUBMITTED, max_length=16)
    # A probable duplicate found at submission, for the officer to decide on.
    probable_duplicate_of: int | None = Field(default=None, foreign_key="report.id")
    duplicate_of: int | None = Field(default=None, foreign_key="report.id", index=True)
    assignee_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    reject_reason: str | None = Field(default=None, max_length=200)
    resolution_note: str | None = Field(default=None, max_length=500)
    created_at: datetime
    updated_at: datetime
    accepted_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    # Not accepted in time: admins were told (once).
    escalated_at: datetime | None = None


class PhotoStage(StrEnum):
    BEFORE = "before"  # the reporter's
    AFTER = "after"  # the volunteer's, when resolved


class ReportPhoto(SQLModel, table=True):
    __tablename__ = "report_photo"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    stage: str = Field(default=PhotoStage.BEFORE, max_length=8)
    channel: str = Field(max_length=16)
    # The channel's file id (quick to resend) and our own copy (survives its expiry).
    file_id: str = Field(max_length=200)
    local_path: str | None = Field(default=None, max_length=300)
    size_bytes: int | None = None
    created_at: datetime


class ReportEvent(SQLModel, table=True):
    """Every step of a report: who did what, when (the audit trail)."""

    __tablename__ = "report_event"

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="report.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    action: str = Field(max_length=24)
    note: str | None = Field(default=None, max_length=500)
    created_at: datetime


class ReportFollower(SQLModel, table=True):
    """Someone told of a report's progress: its reporter, and reporters of its duplicates."""

    __tablename__ = "report_follower"

    report_id: int = Field(foreign_key="report.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    created_at: datetime


class ReporterBlock(SQLModel, table=True):
    """A person who may not report any more (abuse)."""

    __tablename__ = "reporter_block"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    blocked_by: int = Field(foreign_key="person.id")
    reason: str | None = Field(default=None, max_length=200)
    created_at: datetime
