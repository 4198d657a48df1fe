"""One person, several chat accounts: a one-time code joins a second account (WeChat to
Telegram or the other way) to the person who asked for it, so they keep one profile,
one ledger and one set of roles."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    ChatIdentity,
    GridOfficer,
    LinkCode,
    Person,
    Report,
    ReporterBlock,
    ReportFollower,
    TeamMember,
    Volunteer,
)
from services import drafts
from services.errors import AlreadyRegisteredHere, InvalidLinkCode

CODE_VALID = timedelta(minutes=15)
# 32^8 codes: guessing one of the few alive in its 15 minutes is hopeless, so failed
# tries need no counting. No 0/O or 1/I to mistype.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def normalized_code(text: str) -> str:
    return "".join(text.split()).upper()


async def issue_code(session: AsyncSession, person: Person, *, channel: str, now: datetime) -> str:
    """A fresh code, to be entered on another channel (an older one stops working)."""
    await session.exec(delete(LinkCode).where(LinkCode.person_id == person.id))
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if await session.get(LinkCode, code) is None:
            break
    session.add(
        LinkCode(code=code, person_id=person.id, channel=channel, expires_at=now + CODE_VALID)
    )
    await session.flush()
    return code


async def _has_own_standing(session: AsyncSession, person: Person) -> bool:
    """A profile, a role or a team of its own: such an account is the one to link *to*."""
    if person.is_admin or await session.get(Volunteer, person.id) is not None:
        return True
    officer = await session.exec(
        select(GridOfficer.grid_id).where(GridOfficer.person_id == person.id).limit(1)
    )
    member = await session.exec(
        select(TeamMember.team_id).where(TeamMember.person_id == person.id).limit(1)
    )
    return officer.first() is not None or member.first() is not None


async def redeem(
    session: AsyncSession, person: Person, *, channel: str, code: str, now: datetime
) -> Person:
    """Move this channel's account of `person` to the person who asked for the code.
    Reports sent from this account go with it."""
    entry = await session.get(LinkCode, normalized_code(code))
    if (
        entry is None
        or entry.expires_at < now
        or entry.person_id == person.id
        or entry.channel == channel  # it joins a *second* channel's account
    ):
        raise InvalidLinkCode()
    if await _has_own_standing(session, person):
        raise AlreadyRegisteredHere()
    target = await session.get_one(Person, entry.person_id)
    await session.delete(entry)
    # A block follows the account: linking is no way around it.
    blocked = await session.get(ReporterBlock, person.id)
    if blocked is not None and await session.get(ReporterBlock, target.id) is None:
        session.add(
            ReporterBlock(
                person_id=target.id,
                blocked_by=blocked.blocked_by,
                reason=blocked.reason,
                created_at=now,
            )
        )
    account = (
        await session.exec(
            select(ChatIdentity).where(
                ChatIdentity.person_id == person.id, ChatIdentity.channel == channel
            )
        )
    ).one()
    # The target may have had an account on this channel before: the new one replaces it.
    await session.exec(
        delete(ChatIdentity).where(
            ChatIdentity.person_id == target.id, ChatIdentity.channel == channel
        )
    )
    account.person_id = target.id
    session.add(account)
    await session.exec(
        update(Report).where(Report.reporter_id == person.id).values(reporter_id=target.id)
    )
    followed = set(
        (
            await session.exec(
                select(ReportFollower.report_id).where(ReportFollower.person_id == target.id)
            )
        ).all()
    )
    for follow in (
        await session.exec(select(ReportFollower).where(ReportFollower.person_id == person.id))
    ).all():
        if follow.report_id not in followed:
            session.add(
                ReportFollower(report_id=follow.report_id, person_id=target.id, created_at=now)
            )
        await session.delete(follow)
    for draft in await drafts.all_of(session, person.id):
        await session.delete(draft)
    await session.flush()
    return target
