"""Bookkeeping that makes chat processing safe to repeat and resume."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger
from sqlmodel import Field, SQLModel

from models.clock import utcnow


class ProcessedUpdate(SQLModel, table=True):
    """An inbound update already handled; a redelivered one is ignored."""

    __tablename__ = "processed_update"

    channel: str = Field(max_length=16, primary_key=True)
    update_id: int = Field(sa_type=BigInteger, primary_key=True)
    processed_at: datetime = Field(default_factory=utcnow, index=True)


class ConversationDraft(SQLModel, table=True):
    """A half-finished multi-step conversation, kept across restarts."""

    __tablename__ = "conversation_draft"

    person_id: int = Field(foreign_key="person.id", primary_key=True)
    flow: str = Field(max_length=32, primary_key=True)
    step: str = Field(max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow, index=True)


class Counter(SQLModel, table=True):
    """A named sequence (volunteer numbers…); incremented in place under a row lock."""

    name: str = Field(max_length=32, primary_key=True)
    value: int = 0


class LinkCode(SQLModel, table=True):
    """A one-time code that joins a second chat account to a person (Telegram + WeChat)."""

    __tablename__ = "link_code"

    code: str = Field(max_length=12, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    # The channel it was asked on: it is entered on another one.
    channel: str = Field(max_length=16)
    expires_at: datetime
