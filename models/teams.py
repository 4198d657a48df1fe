"""Volunteer teams and their members."""

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


class MemberRole(StrEnum):
    MEMBER = "member"
    LEADER = "leader"


class Team(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("community_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=30)
    community_id: int = Field(foreign_key="community.id", index=True)
    # The code in the team's invite link; rotating it kills old links.
    invite_code: str = Field(max_length=32, unique=True)
    invite_rotated_at: datetime | None = None
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime
    # The team's group chat, once a leader linked it: announcements go there too.
    group_chat_id: str | None = Field(default=None, max_length=64)


class TeamMember(SQLModel, table=True):
    """Membership; a removed member keeps the row (left_at set) for history."""

    __tablename__ = "team_member"

    team_id: int = Field(foreign_key="team.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)
    role: str = Field(default=MemberRole.MEMBER, max_length=16)
    joined_at: datetime
    left_at: datetime | None = None
    removed_by: int | None = Field(default=None, foreign_key="person.id")
