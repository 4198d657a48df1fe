"""Linking a second chat account: the code works once, only on the other channel, never
moves an account that has a standing of its own, and a reporting block follows it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import ChatIdentity, GridOfficer, ReporterBlock
from services import channel_link, identity
from services.errors import AlreadyRegisteredHere, InvalidLinkCode
from tests.services import helpers
from tests.services.helpers import NOW


async def _wechat_person(session, open_id: str = "oWx0001"):
    return await identity.resolve_person(
        session,
        identity.ChatUser(channel="wechat", external_id=open_id, chat_id=open_id),
        now=NOW,
        default_language="zh_Hans",
    )


async def test_a_code_joins_the_other_channels_account_once(db):
    async with db.session_factory.begin() as session:
        volunteer = await helpers.person(session)
        code = await channel_link.issue_code(session, volunteer, channel="telegram", now=NOW)
        wechat = await _wechat_person(session)
        # Typed in lower case with a space: still the code.
        linked = await channel_link.redeem(
            session, wechat, channel="wechat", code=f"{code[:4].lower()} {code[4:]}", now=NOW
        )
        assert linked.id == volunteer.id
        accounts = await session.exec(
            ChatIdentity.__table__.select().where(ChatIdentity.person_id == volunteer.id)
        )
        assert sorted(a.channel for a in accounts) == ["telegram", "wechat"]
        with pytest.raises(InvalidLinkCode):
            await channel_link.redeem(session, wechat, channel="wechat", code=code, now=NOW)


async def test_a_code_is_refused_on_its_own_channel_and_after_fifteen_minutes(db):
    async with db.session_factory.begin() as session:
        owner = await helpers.person(session)
        other_telegram = await helpers.person(session)
        code = await channel_link.issue_code(session, owner, channel="telegram", now=NOW)
        with pytest.raises(InvalidLinkCode):  # the owner's own Telegram would be replaced
            await channel_link.redeem(
                session, other_telegram, channel="telegram", code=code, now=NOW
            )
        wechat = await _wechat_person(session)
        with pytest.raises(InvalidLinkCode):
            await channel_link.redeem(
                session, wechat, channel="wechat", code=code, now=NOW + timedelta(minutes=16)
            )


async def test_an_account_with_a_role_is_not_moved(db):
    async with db.session_factory.begin() as session:
        target = await helpers.person(session)
        code = await channel_link.issue_code(session, target, channel="telegram", now=NOW)
        officer = await _wechat_person(session)
        grid = await helpers.grid(session)
        session.add(GridOfficer(grid_id=grid.id, person_id=officer.id, assigned_at=NOW))
        await session.flush()
        with pytest.raises(AlreadyRegisteredHere):
            await channel_link.redeem(session, officer, channel="wechat", code=code, now=NOW)


async def test_a_reporting_block_follows_the_account(db):
    async with db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        fresh = await helpers.person(session)
        code = await channel_link.issue_code(session, fresh, channel="telegram", now=NOW)
        blocked = await _wechat_person(session)
        session.add(ReporterBlock(person_id=blocked.id, blocked_by=admin.id, created_at=NOW))
        await session.flush()
        await channel_link.redeem(session, blocked, channel="wechat", code=code, now=NOW)
        assert await session.get(ReporterBlock, fresh.id) is not None
