"""Who is talking: chat identities, the people behind them, language and admin flags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import false, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ChatIdentity, GridOfficer, MemberRole, Person, TeamMember
from services.errors import UnsupportedLanguage
from services.i18n import SUPPORTED_LANGUAGES, language_from_client
from services.validation import normalize_real_name

if TYPE_CHECKING:
    from services.settings import Settings

TELEGRAM = "telegram"
WECHAT = "wechat"
WECOM = "wecom"

# The configured administrators: per channel, the account ids named in the settings.
Admins = Mapping[str, frozenset[str]]


def configured_admins(settings: Settings) -> dict[str, frozenset[str]]:
    """Admins are named by their Telegram user id, WeChat OpenID or WeCom UserID."""
    return {
        TELEGRAM: frozenset(str(i) for i in settings.bot.admins),
        WECHAT: frozenset(settings.wechat.admins),
        WECOM: frozenset(settings.wecom.admins),
    }


async def _named_admin(session: AsyncSession, person_id: int, admins: Admins) -> bool:
    """Whether any of the person's accounts (linked ones too) is named an admin."""
    accounts = await session.exec(
        select(ChatIdentity.channel, ChatIdentity.external_id).where(
            ChatIdentity.person_id == person_id
        )
    )
    return any(external_id in admins.get(channel, ()) for channel, external_id in accounts)


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
    admins: Admins | None = None,
) -> Person:
    """Find or create the person behind a chat identity and refresh what we know.

    `admins` are the configured administrators of every channel: the person is one when
    any of their accounts is named (so writing on a second channel revokes nothing);
    None leaves the flag alone.
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
    if user.display_name is not None:  # WeChat tells no names: keep one given here
        identity.display_name = user.display_name
    identity.language_code = user.language_code
    identity.last_seen_at = now
    # Writing to us proves they have not blocked the bot (any more).
    identity.reachable = True
    await session.flush()
    if admins is not None:
        person.is_admin = await _named_admin(session, person.id, admins)
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


async def sync_admins(session: AsyncSession, admins: Admins) -> None:
    """Apply the configured admin lists to everyone already known (revocations too)."""
    named = [
        (ChatIdentity.channel == channel) & col(ChatIdentity.external_id).in_(ids)
        for channel, ids in admins.items()
        if ids
    ]
    admin_people = select(ChatIdentity.person_id).where(or_(false(), *named))
    await session.exec(update(Person).values(is_admin=col(Person.id).in_(admin_people)))


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


async def set_display_name(
    session: AsyncSession, person: Person, *, channel: str, external_id: str, name: str
) -> str:
    """The name others see for someone who is not a registered volunteer (a grid officer
    or an admin on WeChat, which tells the bot no names)."""
    cleaned = normalize_real_name(name)
    account = (
        await session.exec(
            select(ChatIdentity).where(
                ChatIdentity.channel == channel,
                ChatIdentity.external_id == external_id,
                ChatIdentity.person_id == person.id,
            )
        )
    ).one()
    account.display_name = cleaned
    await session.flush()
    return cleaned
