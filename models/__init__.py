"""SQLModel tables. Importing this package registers every table's metadata."""

from models.org import Community, Grid, GridOfficer
from models.people import ChatIdentity, Person, Volunteer
from models.system import ConversationDraft, ProcessedUpdate
from models.teams import MemberRole, Team, TeamMember

__all__ = [
    "ChatIdentity",
    "Community",
    "ConversationDraft",
    "Grid",
    "GridOfficer",
    "MemberRole",
    "Person",
    "ProcessedUpdate",
    "Team",
    "TeamMember",
    "Volunteer",
]
