"""One person, several chat accounts: a one-time code joins a second account (WeChat to
Telegram or the other way) to the person who asked for it, so they keep one profile,
one ledger and one set of roles."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ChatIdentity, LinkCode, Person, Report, ReportFollower, Volunteer
from services import drafts
from services.errors import AlreadyRegisteredHere, InvalidLinkCode

CODE_VALID = timedelta(minutes=15)
CODE_DIGITS = 6


async def issue_code(session: AsyncSession, person: Person, *, now: datetime) -> str:
    """A fresh six-digit code (an older unused one of theirs stops working)."""
    await session.exec(delete(LinkCode).where(LinkCode.person_id == person.id))
    while True:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
        if await session.get(LinkCode, code) is None:
            break
    session.add(LinkCode(code=code, person_id=person.id, expires_at=now + CODE_VALID))
    await session.flush()
    return code


async def redeem(
    session: AsyncSession, person: Person, *, channel: str, code: str, now: datetime
) -> Person:
    """Move this channel's account of `person` to the person who asked for the code.
    Reports sent from this account go with it."""
    entry = await session.get(LinkCode, code.strip())
    if entry is None or entry.expires_at < now or entry.person_id == person.id:
        raise InvalidLinkCode()
    if await session.get(Volunteer, person.id) is not None:
        raise AlreadyRegisteredHere()
    target = await session.get_one(Person, entry.person_id)
    await session.delete(entry)
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
