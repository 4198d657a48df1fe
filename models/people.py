"""People, their chat identities, and volunteer profiles."""

from datetime import datetime

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.clock import utcnow


class Person(SQLModel, table=True):
    """A human the bot talks to, on any channel. Residents need nothing more."""

    id: int | None = Field(default=None, primary_key=True)
    language: str = Field(default="zh_Hans", max_length=8)
    # True once the user picked a language with /lang; until then we follow
    # the language their chat app reports.
    language_chosen: bool = False
    # Mirrors the configured admin list (re-evaluated on every contact).
    is_admin: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class ChatIdentity(SQLModel, table=True):
    """A person's account on one channel: (channel, external id) is unique."""

    __tablename__ = "chat_identity"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    channel: str = Field(max_length=16)
    # Telegram user ids and WeChat open ids alike are stored as text.
    external_id: str = Field(max_length=64)
    # Where to reach them privately (on Telegram the private chat id).
    chat_id: str = Field(max_length=64)
    username: str | None = Field(default=None, max_length=64)
    display_name: str | None = Field(default=None, max_length=128)
    language_code: str | None = Field(default=None, max_length=16)
    # False once a send fails because the user blocked the bot.
    reachable: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class Volunteer(SQLModel, table=True):
    """A registered volunteer's profile (one per person)."""

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    # Volunteer number, in order of registration (shown with the configured prefix).
    number: int = Field(unique=True)
    # Whether their name may appear in rankings (totals count either way).
    in_rankings: bool = True
    # Shift kinds whose reminders they turned off.
    muted_kinds: list[str] = Field(default_factory=list, sa_type=JSON)
    real_name: str = Field(max_length=20)
    phone: str = Field(max_length=20, index=True)
    # True when the number came from the chat app's verified contact share.
    phone_verified: bool = False
    grid_id: int = Field(foreign_key="grid.id", index=True)
    availability: list[str] = Field(default_factory=list, sa_type=JSON)
    skills: list[str] = Field(default_factory=list, sa_type=JSON)
    consent_at: datetime
    registered_at: datetime
    updated_at: datetime
