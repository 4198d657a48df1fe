"""Who is talking: chat identities, the people behind them, language and admin flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ChatIdentity, GridOfficer, MemberRole, Person, TeamMember
from services.errors import UnsupportedLanguage
from services.i18n import SUPPORTED_LANGUAGES, language_from_client

TELEGRAM = "telegram"


@dataclass(frozen=True)
class ChatUser:
    """What a channel tells us about the sender of an update."""

    channel: str
    external_id: str
    chat_id: str
    display_name: str | None = None
    username: str | None = None
    language_code: str | None = None


async def resolve_person(
    session: AsyncSession,
    user: ChatUser,
    *,
    now: datetime,
    default_language: str,
    admin_ids: frozenset[str] | None = None,
) -> Person:
    """Find or create the person behind a chat identity and refresh what we know.

    `admin_ids` lists the channel's configured administrators; None leaves the
    admin flag alone (a channel without an admin list must not revoke it).
    """
    identity = (
        await session.exec(
            select(ChatIdentity).where(
                ChatIdentity.channel == user.channel,
                ChatIdentity.external_id == user.external_id,
            )
        )
    ).first()
    if identity is None:
        person = Person(
            language=language_from_client(user.language_code, default_language),
            created_at=now,
        )
        session.add(person)
        await session.flush()
        identity = ChatIdentity(
            person_id=person.id,
            channel=user.channel,
            external_id=user.external_id,
            chat_id=user.chat_id,
            created_at=now,
        )
        session.add(identity)
    else:
        person = await session.get_one(Person, identity.person_id)
        if not person.language_chosen and user.language_code != identity.language_code:
            person.language = language_from_client(user.language_code, default_language)

    identity.chat_id = user.chat_id
    identity.username = user.username
    identity.display_name = user.display_name
    identity.language_code = user.language_code
    identity.last_seen_at = now
    # Writing to us proves they have not blocked the bot (any more).
    identity.reachable = True
    if admin_ids is not None:
        person.is_admin = user.external_id in admin_ids
    await session.flush()
    return person


async def language_of(session: AsyncSession, *, channel: str, external_id: str) -> str | None:
    result = await session.exec(
        select(Person.language)
        .join(ChatIdentity, ChatIdentity.person_id == Person.id)
        .where(ChatIdentity.channel == channel, ChatIdentity.external_id == external_id)
    )
    return result.first()


async def set_language(session: AsyncSession, person: Person, language: str) -> Person:
    if language not in SUPPORTED_LANGUAGES:
        raise UnsupportedLanguage()
    person.language = language
    person.language_chosen = True
    await session.flush()
    return person


async def identity_of(session: AsyncSession, person_id: int, channel: str) -> ChatIdentity | None:
    result = await session.exec(
        select(ChatIdentity).where(
            ChatIdentity.person_id == person_id, ChatIdentity.channel == channel
        )
    )
    return result.first()


async def sync_admins(session: AsyncSession, *, channel: str, admin_ids: frozenset[str]) -> None:
    """Apply the configured admin list to everyone already known (revocations too)."""
    admin_people = select(ChatIdentity.person_id).where(
        ChatIdentity.channel == channel, ChatIdentity.external_id.in_(admin_ids)
    )
    await session.exec(update(Person).values(is_admin=Person.id.in_(admin_people)))


async def language_of_person(session: AsyncSession, person_id: int) -> str | None:
    person = await session.get(Person, person_id)
    return person.language if person else None


async def mark_unreachable(session: AsyncSession, person_id: int, channel: str) -> None:
    """The person blocked the bot on this channel: skip them until they write again."""
    account = await identity_of(session, person_id, channel)
    if account is not None:
        account.reachable = False
        await session.flush()


async def people_with_roles(session: AsyncSession, *, channel: str) -> list[int]:
    """People on a channel whose command menu differs from the default one."""
    leaders = select(TeamMember.person_id).where(
        TeamMember.role == MemberRole.LEADER, TeamMember.left_at.is_(None)
    )
    officers = select(GridOfficer.person_id)
    result = await session.exec(
        select(ChatIdentity.person_id)
        .join(Person, Person.id == ChatIdentity.person_id)
        .where(
            ChatIdentity.channel == channel,
            ChatIdentity.reachable,
            Person.is_admin
            | Person.id.in_(leaders)
            | Person.id.in_(officers)
            | Person.language_chosen,
        )
    )
    return list(result.all())


async def channels_of(session: AsyncSession, person_id: int) -> list[str]:
    """The person's channels, the one they used last first (where a message is most
    likely read), unreachable ones last."""
    result = await session.exec(
        select(ChatIdentity)
        .where(ChatIdentity.person_id == person_id)
        .order_by(ChatIdentity.reachable.desc(), ChatIdentity.last_seen_at.desc())
    )
    return [account.channel for account in result.all()]


async def person_id_of(session: AsyncSession, *, channel: str, external_id: str) -> int | None:
    result = await session.exec(
        select(ChatIdentity.person_id).where(
            ChatIdentity.channel == channel, ChatIdentity.external_id == external_id
        )
    )
    return result.first()
