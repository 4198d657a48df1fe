"""The service-minutes ledger (台账) and service certificates.

Entries are append-only: once decided (approved or rejected) an entry never
changes and no entry is ever deleted; database triggers enforce this (see the
migration). A correction is a new entry that references the one it corrects.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index
from sqlmodel import Field, SQLModel


class EntrySource(StrEnum):
    SHIFT = "shift"  # closed attendance at a shift
    MANUAL = "manual"  # logged by the volunteer (/log)
    CORRECTION = "correction"  # references the entry it corrects


class EntryStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class LedgerEntry(SQLModel, table=True):
    __tablename__ = "ledger_entry"
    __table_args__ = (
        # A volunteer's totals: approved minutes by date.
        Index("ix_ledger_entry_person_status_date", "person_id", "status", "service_date"),
        # A team's or everyone's period (exports, rankings).
        Index("ix_ledger_entry_team_date", "team_id", "service_date"),
        Index("ix_ledger_entry_date", "service_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    team_id: int | None = Field(default=None, foreign_key="team.id")
    grid_id: int | None = Field(default=None, foreign_key="grid.id")
    activity: str = Field(max_length=24)  # a shift kind code
    source: str = Field(max_length=16)
    shift_id: int | None = Field(default=None, foreign_key="shift.id")
    # The attendance credited; unique, so closing it twice cannot credit twice.
    attendance_id: int | None = Field(default=None, foreign_key="attendance.id", unique=True)
    post_id: int | None = Field(default=None, foreign_key="post.id")
    service_date: date  # local date of the service
    started_at: datetime | None = None
    ended_at: datetime | None = None
    # Negative only in corrections that take minutes away.
    minutes: int
    # Check-in and check-out were both verified at the post (QR or location).
    verified: bool = False
    note: str | None = Field(default=None, max_length=200)
    photo_file_id: str | None = Field(default=None, max_length=200)
    status: str = Field(max_length=16, index=True)
    # Older than the manual window: only administrators may decide.
    needs_admin: bool = False
    created_at: datetime
    created_by: int = Field(foreign_key="person.id")
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = None
    decision_note: str | None = Field(default=None, max_length=200)
    corrects_id: int | None = Field(default=None, foreign_key="ledger_entry.id", index=True)


class CertificateStatus(StrEnum):
    REQUESTED = "requested"
    ISSUED = "issued"
    DECLINED = "declined"


class Certificate(SQLModel, table=True):
    """A service certificate: requested by a volunteer, approved by a leader or admin."""

    id: int | None = Field(default=None, primary_key=True)
    # Set when issued; what /verify looks up.
    serial: str | None = Field(default=None, max_length=40, unique=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    period_start: date
    period_end: date
    status: str = Field(max_length=16)
    requested_at: datetime
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = None
    decision_note: str | None = Field(default=None, max_length=200)
    # Fixed at issue, so the PDF and /verify never drift from what was issued.
    minutes: int | None = None
    by_activity: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    issuer: str | None = Field(default=None, max_length=80)
    person_in_charge: str | None = Field(default=None, max_length=40)
    handler: str | None = Field(default=None, max_length=40)
    contact: str | None = Field(default=None, max_length=80)
