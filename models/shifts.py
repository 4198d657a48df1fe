"""Posts, shifts (one-off or from a recurring template), sign-ups and attendance."""

from __future__ import annotations

from datetime import date, datetime, time
from enum import StrEnum

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel


class Post(SQLModel, table=True):
    """A duty post (执勤岗点) or road section: where volunteers check in."""

    id: int | None = Field(default=None, primary_key=True)
    # In the post's printed QR code (deep link checkin_<code>).
    code: str = Field(max_length=16, unique=True)
    name: str = Field(max_length=40)
    address: str = Field(max_length=120)
    grid_id: int = Field(foreign_key="grid.id", index=True)
    latitude: float
    longitude: float
    radius_m: int = 150
    active: bool = True
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime


class ShiftTemplate(SQLModel, table=True):
    """ "Every Friday 08:30–10:30": the rule that keeps generating shifts."""

    __tablename__ = "shift_template"

    id: int | None = Field(default=None, primary_key=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    kind: str = Field(max_length=24)
    post_id: int | None = Field(default=None, foreign_key="post.id")
    # An RFC 5545 RRULE (without DTSTART), e.g. FREQ=WEEKLY;BYDAY=FR.
    rule: str = Field(max_length=200)
    first_date: date
    # Wall-clock start in `timezone`; occurrences keep it across DST changes.
    start_time: time
    timezone: str = Field(max_length=64)
    duration_minutes: int
    capacity: int
    min_volunteers: int = 0
    # Local dates (ISO) skipped as exceptions.
    skipped_dates: list[str] = Field(default_factory=list, sa_type=JSON)
    active: bool = True
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime


class ShiftStatus(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"
    CLOSED = "closed"  # ended; attendance closed for review


class Shift(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("template_id", "occurrence"),)

    id: int | None = Field(default=None, primary_key=True)
    template_id: int | None = Field(default=None, foreign_key="shift_template.id")
    # The template occurrence's local date: generating twice cannot duplicate it.
    occurrence: date | None = None
    # None: open to every volunteer.
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    kind: str = Field(max_length=24)
    post_id: int | None = Field(default=None, foreign_key="post.id", index=True)
    starts_at: datetime = Field(index=True)
    ends_at: datetime = Field(index=True)
    capacity: int
    min_volunteers: int = 0
    status: str = Field(default=ShiftStatus.OPEN, max_length=16, index=True)
    cancel_reason: str | None = Field(default=None, max_length=200)
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime
    announced_at: datetime | None = None
    closed_at: datetime | None = None
    # Bumped whenever sign-ups change, so announcements know to refresh.
    version: int = 0


class SignupStatus(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    INVITED = "invited"  # assigned by a leader, awaiting accept/decline
    CANCELLED = "cancelled"
    DECLINED = "declined"


# Holding a place in the shift (counted against its capacity).
HOLDING = (SignupStatus.CONFIRMED, SignupStatus.INVITED)
# Still on the shift in some way (for overlaps, lists, notices).
ACTIVE = (SignupStatus.CONFIRMED, SignupStatus.INVITED, SignupStatus.WAITLISTED)


class ShiftSignup(SQLModel, table=True):
    __tablename__ = "shift_signup"
    __table_args__ = (UniqueConstraint("shift_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="shift.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    status: str = Field(max_length=16)
    # Waitlist order: who asked first is promoted first.
    queued_at: datetime
    updated_at: datetime
    invited_by: int | None = Field(default=None, foreign_key="person.id")
    cancel_reason: str | None = Field(default=None, max_length=200)
    # Cancelled after the cutoff (the leader was told).
    late: bool = False
    # "Still coming?" answered yes (from the first reminder), and when.
    confirmed_coming_at: datetime | None = None


class CheckMethod(StrEnum):
    QR = "qr"
    LOCATION = "location"
    LEADER = "leader"  # by hand, by the leader (phone dead, no signal)
    LEADER_ALL = "leader_all"  # leader confirmed everyone present at the end
    SELF = "self"  # the volunteer said they left, without verification


class AttendanceStatus(StrEnum):
    CHECKED_IN = "checked_in"
    CHECKED_OUT = "checked_out"
    NEEDS_REVIEW = "needs_review"  # shift closed without a check-out
    ABSENT = "absent"  # shift closed without a check-in: to confirm
    CONFIRMED = "confirmed"  # leader confirmed the span
    NO_SHOW = "no_show"


class Attendance(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("shift_id", "person_id"),)

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="shift.id", index=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    status: str = Field(max_length=16)
    checked_in_at: datetime | None = None
    check_in_method: str | None = Field(default=None, max_length=16)
    check_in_distance_m: float | None = None
    checked_out_at: datetime | None = None
    check_out_method: str | None = Field(default=None, max_length=16)
    check_out_distance_m: float | None = None
    # Who recorded by hand or reviewed, and when.
    recorded_by: int | None = Field(default=None, foreign_key="person.id")
    reviewed_by: int | None = Field(default=None, foreign_key="person.id")
    reviewed_at: datetime | None = None
    updated_at: datetime


class ShiftAnnouncement(SQLModel, table=True):
    """A message announcing a shift; edited as the sign-up count changes."""

    __tablename__ = "shift_announcement"
    __table_args__ = (UniqueConstraint("shift_id", "channel", "chat_id"),)

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="shift.id", index=True)
    channel: str = Field(max_length=16)
    chat_id: str = Field(max_length=64)
    message_id: str = Field(max_length=64)
    # The person it was sent to privately; None for a team group.
    person_id: int | None = Field(default=None, foreign_key="person.id")
    shown_version: int = 0
    sent_at: datetime
