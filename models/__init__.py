"""SQLModel tables. Importing this package registers every table's metadata."""

from models.org import Community, Grid, GridOfficer
from models.people import ChatIdentity, Person, Volunteer
from models.shifts import (
    ACTIVE,
    HOLDING,
    Attendance,
    AttendanceStatus,
    CheckMethod,
    Post,
    Shift,
    ShiftAnnouncement,
    ShiftSignup,
    ShiftStatus,
    ShiftTemplate,
    SignupStatus,
)
from models.system import ConversationDraft, ProcessedUpdate
from models.teams import MemberRole, Team, TeamMember

__all__ = [
    "ACTIVE",
    "HOLDING",
    "Attendance",
    "AttendanceStatus",
    "ChatIdentity",
    "CheckMethod",
    "Community",
    "ConversationDraft",
    "Grid",
    "GridOfficer",
    "MemberRole",
    "Person",
    "Post",
    "ProcessedUpdate",
    "Shift",
    "ShiftAnnouncement",
    "ShiftSignup",
    "ShiftStatus",
    "ShiftTemplate",
    "SignupStatus",
    "Team",
    "TeamMember",
    "Volunteer",
]
