"""Empty-nest elders (空巢老人), who cares for them, and each day's call or visit."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class Elder(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=30)
    phone: str = Field(max_length=20)
    address: str = Field(max_length=120)
    grid_id: int = Field(foreign_key="grid.id", index=True)
    # The team whose volunteers care for the elder (their leader is alerted).
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    birthday: date | None = None
    family_name: str | None = Field(default=None, max_length=30)
    family_phone: str | None = Field(default=None, max_length=20)
    # The family member's Telegram, once they opened the link made for them.
    family_person_id: int | None = Field(default=None, foreign_key="person.id")
    family_invite_code: str | None = Field(default=None, max_length=32, unique=True)
    # Whether the family is told when nobody reached the elder.
    family_alerts: bool = False
    notes: str | None = Field(default=None, sa_type=Text)
    # The weekly home visit: 0 = Monday … 6 = Sunday; None = no weekly visit.
    visit_weekday: int | None = None
    # In hospital, visiting family…: no prompts and no escalations until this day.
    paused_until: date | None = None
    pause_reason: str | None = Field(default=None, max_length=100)
    active: bool = True
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime


class CarerRole(StrEnum):
    CALLER = "caller"  # the daily call and the weekly visit
    BACKUP = "backup"  # takes over when the caller cannot


class ElderCarer(SQLModel, table=True):
    __tablename__ = "elder_carer"

    elder_id: int = Field(foreign_key="elder.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    role: str = Field(max_length=16)
    assigned_at: datetime


class CareKind(StrEnum):
    CALL = "call"
    VISIT = "visit"


class CareStatus(StrEnum):
    OPEN = "open"  # not yet reached today
    DONE = "done"  # reached, all is well
    HELP = "help"  # reached, needs help (escalated at once)
    ESCALATED = "escalated"  # nobody reached the elder by the deadline
    SKIPPED = "skipped"  # the plan was paused


class CareTask(SQLModel, table=True):
    """One day's call (or one week's visit) for one elder: the record inspectors see."""

    __tablename__ = "care_task"
    __table_args__ = (UniqueConstraint("elder_id", "kind", "day"),)

    id: int | None = Field(default=None, primary_key=True)
    elder_id: int = Field(foreign_key="elder.id", index=True)
    kind: str = Field(max_length=16)
    day: date = Field(index=True)
    status: str = Field(default=CareStatus.OPEN, max_length=16)
    assignee_id: int | None = Field(default=None, foreign_key="person.id")
    handed_over: bool = False
    prompts: int = 0
    prompted_at: datetime | None = None
    answered_at: datetime | None = None
    # After "could not reach": when to ask again.
    retry_at: datetime | None = None
    unreached: int = 0
    contacted_at: datetime | None = None
    contacted_by: int | None = Field(default=None, foreign_key="person.id")
    note: str | None = Field(default=None, sa_type=Text)
    escalated_at: datetime | None = None
    escalation: str | None = Field(default=None, max_length=16)  # deadline | help
    acknowledged_by: int | None = Field(default=None, foreign_key="person.id")
    acknowledged_at: datetime | None = None
    # The visit's minutes, once logged into the ledger.
    ledger_entry_id: int | None = Field(default=None, foreign_key="ledger_entry.id")
    created_at: datetime
