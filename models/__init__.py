"""SQLModel tables. Importing this package registers every table's metadata."""

from models.elders import CareKind, CarerRole, CareStatus, CareTask, Elder, ElderCarer
from models.ledger import Certificate, CertificateStatus, EntrySource, EntryStatus, LedgerEntry
from models.notifications import Broadcast, Notification, NotificationStatus
from models.org import Community, Grid, GridOfficer
from models.people import ChatIdentity, Person, Volunteer
from models.reports import (
    OPEN_STATUSES,
    PhotoStage,
    Report,
    ReporterBlock,
    ReportEvent,
    ReportFollower,
    ReportPhoto,
    ReportStatus,
)
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
from models.system import ConversationDraft, Counter, LinkCode, ProcessedUpdate
from models.teams import MemberRole, Team, TeamMember

__all__ = [
    "ACTIVE",
    "HOLDING",
    "OPEN_STATUSES",
    "Attendance",
    "AttendanceStatus",
    "Broadcast",
    "CareKind",
    "CareStatus",
    "CareTask",
    "CarerRole",
    "Certificate",
    "CertificateStatus",
    "ChatIdentity",
    "CheckMethod",
    "Community",
    "ConversationDraft",
    "Counter",
    "Elder",
    "ElderCarer",
    "EntrySource",
    "EntryStatus",
    "Grid",
    "GridOfficer",
    "LedgerEntry",
    "LinkCode",
    "MemberRole",
    "Notification",
    "NotificationStatus",
    "Person",
    "PhotoStage",
    "Post",
    "ProcessedUpdate",
    "Report",
    "ReportEvent",
    "ReportFollower",
    "ReportPhoto",
    "ReportStatus",
    "ReporterBlock",
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
