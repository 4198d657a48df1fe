"""Chat identities, languages, admin flags; processed updates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import func, select

from models import ChatIdentity, Person
from services import channel_link, identity
from services.errors import AlreadyProcessed, UnsupportedLanguage
from services.updates import claim_update, prune_processed_updates
from tests.services import helpers
from tests.services.helpers import NOW


def _user(external_id: str, language_code: str | None = None) -> identity.ChatUser:
    return identity.ChatUser(
        channel=identity.TELEGRAM,
        external_id=external_id,
        chat_id=external_id,
        language_code=language_code,
    )


async def test_one_person_per_identity(db):
    for _ in range(3):
        async with db.session_factory.begin() as session:
            await identity.resolve_person(
                session, _user("42", "en-GB"), now=NOW, default_language="zh_Hans"
            )
    async with db.session_factory() as session:
        assert (await session.exec(select(func.count()).select_from(Person))).one() == 1
        assert (await session.exec(select(func.count()).select_from(ChatIdentity))).one() == 1


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", "en"),
        ("en-US", "en"),
        ("zh-hans", "zh_Hans"),
        ("zh-TW", "zh_Hant"),
        ("zh-hant", "zh_Hant"),
        ("ru", "zh_Hans"),
        (None, "zh_Hans"),
    ],
)
async def test_language_follows_the_app_until_chosen(db, code, expected):
    async with db.session_factory.begin() as session:
        who = await identity.resolve_person(
            session, _user("7", code), now=NOW, default_language="zh_Hans"
        )
        assert who.language == expected
        await identity.set_language(session, who, "zh_Hant")
    async with db.session_factory.begin() as session:
        # The app's language changes, but the person chose theirs.
        again = await identity.resolve_person(
            session, _user("7", "en"), now=NOW, default_language="zh_Hans"
        )
        assert again.language == "zh_Hant"
        with pytest.raises(UnsupportedLanguage):
            await identity.set_language(session, again, "fr")


async def test_admin_flag_follows_the_configuration(db):
    async with db.session_factory.begin() as session:
        boss = await identity.resolve_person(
            session,
            _user("1"),
            now=NOW,
            default_language="zh_Hans",
            admins={identity.TELEGRAM: frozenset({"1"})},
        )
        plain = await helpers.person(session)
        assert boss.is_admin and not plain.is_admin
    async with db.session_factory.begin() as session:
        await identity.sync_admins(session, {identity.TELEGRAM: frozenset()})
    async with db.session_factory() as session:
        assert not (await session.get(Person, boss.id)).is_admin
    async with db.session_factory.begin() as session:
        # A channel without an admin list leaves the flag alone.
        await identity.sync_admins(session, {identity.TELEGRAM: frozenset({"1"})})
        again = await identity.resolve_person(
            session, _user("1"), now=NOW, default_language="zh_Hans", admins=None
        )
        assert again.is_admin


async def test_an_admin_named_on_wechat_stays_one_on_every_linked_channel(db):
    """A street office without Telegram names its admin by WeChat OpenID; writing on a
    linked Telegram account (not named there) revokes nothing."""
    admins = {identity.TELEGRAM: frozenset(), identity.WECHAT: frozenset({"oBoss"})}
    on_wechat = identity.ChatUser(channel=identity.WECHAT, external_id="oBoss", chat_id="oBoss")
    async with db.session_factory.begin() as session:
        boss = await identity.resolve_person(
            session, on_wechat, now=NOW, default_language="zh_Hans", admins=admins
        )
        assert boss.is_admin
        code = await channel_link.issue_code(session, boss, channel=identity.WECHAT, now=NOW)
        telegram_side = await identity.resolve_person(
            session, _user("77"), now=NOW, default_language="zh_Hans", admins=admins
        )
        assert not telegram_side.is_admin
        await channel_link.redeem(
            session, telegram_side, channel=identity.TELEGRAM, code=code, now=NOW
        )
        again = await identity.resolve_person(
            session, _user("77"), now=NOW, default_language="zh_Hans", admins=admins
        )
        assert again.id == boss.id and again.is_admin
    async with db.session_factory.begin() as session:
        await identity.sync_admins(session, admins)
    async with db.session_factory() as session:
        assert (await session.get(Person, boss.id)).is_admin
    async with db.session_factory.begin() as session:
        await identity.sync_admins(session, {identity.WECHAT: frozenset()})
    async with db.session_factory() as session:
        assert not (await session.get(Person, boss.id)).is_admin


async def test_an_update_is_claimed_once(db):
    async with db.session_factory.begin() as session:
        await claim_update(session, channel="telegram", update_id=1001, now=NOW)
    with pytest.raises(AlreadyProcessed):
        async with db.session_factory.begin() as session:
            await claim_update(session, channel="telegram", update_id=1001, now=NOW)
    async with db.session_factory.begin() as session:
        # Same id on another channel is another update.
        await claim_update(session, channel="wechat", update_id=1001, now=NOW)
        assert await prune_processed_updates(session, older_than=NOW + timedelta(seconds=1)) == 2
        await claim_update(session, channel="telegram", update_id=1001, now=NOW)


async def test_unreachable_until_they_write_again(db):
    async with db.session_factory.begin() as session:
        who = await helpers.person(session, external_id="99")
        await identity.mark_unreachable(session, who.id, identity.TELEGRAM)
        assert not (await identity.identity_of(session, who.id, identity.TELEGRAM)).reachable
        await identity.resolve_person(session, _user("99"), now=NOW, default_language="zh_Hans")
        assert (await identity.identity_of(session, who.id, identity.TELEGRAM)).reachable
