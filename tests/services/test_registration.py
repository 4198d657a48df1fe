"""The registration state machine on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio

import pytest

from models import TeamMember, Volunteer
from services import drafts, org, registration, teams
from services.errors import (
    AlreadyRegistered,
    ForeignContact,
    InvalidInvite,
    InvalidName,
    InvalidPhone,
    NothingChosen,
    StaleAction,
    TeamNameTaken,
    UnknownChoice,
)
from services.registration import Step
from tests.services import helpers
from tests.services.helpers import NOW


@pytest.fixture
def reg_settings(base_settings):
    return base_settings.registration


async def test_full_registration_creates_the_volunteer(db, reg_settings):
    async with db.session_factory.begin() as session:
        who = await helpers.person(session)
        completion = await helpers.register(session, who, reg_settings, name=" 李 小龙 ")

    async with db.session_factory() as session:
        volunteer = await session.get(Volunteer, who.id)
        grid = await helpers.grid(session, "dongfeng-2")
        assert completion.created
        assert volunteer.real_name == "李小龙"
        assert volunteer.phone == "13812345678"
        assert not volunteer.phone_verified
        assert volunteer.grid_id == grid.id
        assert volunteer.availability == ["friday"]
        assert volunteer.consent_at == NOW
        # Nothing half-finished is left behind.
        assert await drafts.load(session, who.id, registration.FLOW) is None


async def test_steps_are_counted_for_the_prompt(db, reg_settings):
    async with db.session_factory.begin() as session:
        who = await helpers.person(session)
        state = await registration.begin(session, who, now=NOW)
        assert state.step is Step.NAME
        assert state.position(reg_settings) == (1, 7)
        state = await registration.submit_name(
            session, who, "Zhang Wei", settings=reg_settings, now=NOW
        )
        assert state.step is Step.PHONE
        assert state.position(reg_settings) == (2, 7)


async def test_bad_name_is_refused_and_the_step_stays(db, reg_settings):
    async with db.session_factory.begin() as session:
        who = await helpers.person(session)
        await registration.begin(session, who, now=NOW)
    for junk in ["张", "x" * 5000, "张伟123", "😀😀😀", "   ", "DROP TABLE;"]:
        with pytest.raises(InvalidName):
            async with db.session_factory.begin() as session:
                await registration.submit_name(session, who, junk, settings=reg_settings, now=NOW)
    async with db.session_factory() as session:
        state = await registration.current(session, who)
        assert state.step is Step.NAME
        assert state.name is None


async def test_phone_typed_or_shared(db, reg_settings):
    async with db.session_factory.begin() as session:
        who = await helpers.person(session)
        await registration.begin(session, who, now=NOW)
        await registration.submit_name(session, who, "张伟", settings=reg_settings, now=NOW)
        for junk in ["12345", "23812345678", "138123456789", "phone", ""]:
            with pytest.raises(InvalidPhone):
                await registration.submit_phone(
                    session, who, typed=junk, settings=reg_settings, now=NOW
                )
        with pytest.raises(ForeignContact):
            await registration.submit_phone(
                session,
                who,
                shared="+8613900001111",
                shared_is_own=False,
                settings=reg_settings,
                now=NOW,
            )
        state = await registration.submit_phone(
            session,
            who,
            shared="+86 139 0000 1111",
            shared_is_own=True,
            settings=reg_settings,
            now=NOW,
        )
        assert (state.phone, state.phone_verified, state.step) == (
            "13900001111",
            True,
            Step.COMMUNITY,
        )


async def test_buttons_of_another_step_are_stale(db, reg_settings):
    async with db.session_factory.begin() as session:
        who = await helpers.person(session)
        place = await helpers.community(session)
        await registration.begin(session, who, now=NOW)
        with pytest.raises(StaleAction):
            await registration.choose_community(
                session, who, place.id, settings=reg_settings, now=NOW
            )
        with pytest.raises(StaleAction):
            await registration.confirm(session, who, now=NOW)
        with pytest.raises(StaleAction):
            await registration.toggle_availability(session, who, "friday", now=NOW)


async def test_community_with_one_grid_skips_the_grid_question(db, reg_settings):
    async with db.session_factory.begin() as session:
        who = await helpers.person(session)
        one_grid = await helpers.community(session, "guangming")
        await registration.begin(session, who, now=NOW)
        await registration.submit_name(session, who, "张伟", settings=reg_settings, now=NOW)
        await registration.submit_phone(
            session, who, typed="13812345678", settings=reg_settings, now=NOW
        )
        state = await registration.choose_community(
            session, who, one_grid.id, settings=reg_settings, now=NOW
        )
        assert state.step is Step.AVAILABILITY
        assert state.grid_id == (await helpers.grid(session, "guangming-1")).id


async def test_grid_must_belong_to_the_chosen_community(db, reg_settings):
    async with db.session_factory.begin() as session:
        who = await helpers.person(session)
        dongfeng = await helpers.community(session, "dongfeng")
        other = await helpers.grid(session, "jianshe-1")
        await registration.begin(session, who, now=NOW)
        await registration.submit_name(session, who, "张伟", settings=reg_settings, now=NOW)
        await registration.submit_phone(
            session, who, typed="13812345678", settings=reg_settings, now=NOW
        )
        await registration.choose_community(
            session, who, dongfeng.id, settings=reg_settings, now=NOW
        )
        with pytest.raises(UnknownChoice):
            await registration.choose_grid(session, who, other.id, settings=reg_settings, now=NOW)
        with pytest.raises(UnknownChoice):
            await registration.choose_community(session, who, 99999, settings=reg_settings, now=NOW)


async def test_availability_toggles_and_needs_one(db, reg_settings):
    async with db.session_factory.begin() as session:
        who = await helpers.person(session)
        guangming = await helpers.community(session, "guangming")
        await registration.begin(session, who, now=NOW)
        await registration.submit_name(session, who, "张伟", settings=reg_settings, now=NOW)
        await registration.submit_phone(
            session, who, typed="13812345678", settings=reg_settings, now=NOW
        )
        await registration.choose_community(
            session, who, guangming.id, settings=reg_settings, now=NOW
        )
        with pytest.raises(NothingChosen):
            await registration.finish_availability(session, who, settings=reg_settings, now=NOW)
        await registration.toggle_availability(session, who, "weekend", now=NOW)
        await registration.toggle_availability(session, who, "weekday_morning", now=NOW)
        state = await registration.toggle_availability(session, who, "weekend", now=NOW)
        assert state.availability == ["weekday_morning"]
        with pytest.raises(UnknownChoice):
            await registration.toggle_availability(session, who, "midnight", now=NOW)
        state = await registration.finish_availability(session, who, settings=reg_settings, now=NOW)
        assert state.step is Step.SKILLS
        with pytest.raises(UnknownChoice):
            await registration.toggle_skill(
                session, who, "juggling", settings=reg_settings, now=NOW
            )
        await registration.toggle_skill(session, who, "medical", settings=reg_settings, now=NOW)
        state = await registration.toggle_skill(
            session, who, "first_aid", settings=reg_settings, now=NOW
        )
        # Kept in the configured order, whatever the order of taps.
        assert state.skills == ["first_aid", "medical"]


async def test_declining_consent_keeps_nothing(db, reg_settings):
    async with db.session_factory.begin() as session:
        who = await helpers.person(session)
        guangming = await helpers.community(session, "guangming")
        await registration.begin(session, who, now=NOW)
        await registration.submit_name(session, who, "张伟", settings=reg_settings, now=NOW)
        await registration.submit_phone(
            session, who, typed="13812345678", settings=reg_settings, now=NOW
        )
        await registration.choose_community(
            session, who, guangming.id, settings=reg_settings, now=NOW
        )
        await registration.toggle_availability(session, who, "friday", now=NOW)
        await registration.finish_availability(session, who, settings=reg_settings, now=NOW)
        await registration.finish_skills(session, who, settings=reg_settings, now=NOW)
        assert (
            await registration.answer_consent(session, who, False, settings=reg_settings, now=NOW)
            is None
        )
    async with db.session_factory() as session:
        assert await registration.current(session, who) is None
        assert await session.get(Volunteer, who.id) is None


async def test_editing_from_the_summary_returns_to_the_summary(db, reg_settings):
    async with db.session_factory.begin() as session:
        who = await helpers.person(session)
        jianshe = await helpers.community(session, "jianshe")
        jianshe_2 = await helpers.grid(session, "jianshe-2")
        await registration.begin(session, who, now=NOW)
        await registration.submit_name(session, who, "张伟", settings=reg_settings, now=NOW)
        await registration.submit_phone(
            session, who, typed="13812345678", settings=reg_settings, now=NOW
        )
        dongfeng = await helpers.community(session, "dongfeng")
        await registration.choose_community(
            session, who, dongfeng.id, settings=reg_settings, now=NOW
        )
        await registration.choose_grid(
            session, who, (await helpers.grid(session)).id, settings=reg_settings, now=NOW
        )
        await registration.toggle_availability(session, who, "friday", now=NOW)
        await registration.finish_availability(session, who, settings=reg_settings, now=NOW)
        await registration.finish_skills(session, who, settings=reg_settings, now=NOW)
        state = await registration.answer_consent(
            session, who, True, settings=reg_settings, now=NOW
        )
        assert state.step is Step.SUMMARY

        state = await registration.edit_field(session, who, Step.NAME, now=NOW)
        assert state.step is Step.NAME
        state = await registration.submit_name(session, who, "王芳", settings=reg_settings, now=NOW)
        assert (state.step, state.name) == (Step.SUMMARY, "王芳")

        # Changing the community asks for its grid, then comes back.
        await registration.edit_field(session, who, Step.COMMUNITY, now=NOW)
        state = await registration.choose_community(
            session, who, jianshe.id, settings=reg_settings, now=NOW
        )
        assert state.step is Step.GRID and state.grid_id is None
        state = await registration.choose_grid(
            session, who, jianshe_2.id, settings=reg_settings, now=NOW
        )
        assert state.step is Step.SUMMARY
        with pytest.raises(UnknownChoice):
            await registration.edit_field(session, who, Step.CONSENT, now=NOW)

        completion = await registration.confirm(session, who, now=NOW)
        assert completion.volunteer.real_name == "王芳"
        assert completion.volunteer.grid_id == jianshe_2.id


async def test_registering_twice_is_refused(db, reg_settings):
    async with db.session_factory.begin() as session:
        who = await helpers.person(session)
        await helpers.register(session, who, reg_settings)
        with pytest.raises(AlreadyRegistered):
            await registration.begin(session, who, now=NOW)
        # A second tap on "confirm" after the first went through.
        with pytest.raises(AlreadyRegistered):
            await registration.confirm(session, who, now=NOW)


async def test_a_grid_removed_from_the_configuration_sends_back_to_the_place(
    db, reg_settings, base_settings
):
    async with db.session_factory.begin() as session:
        who = await helpers.person(session)
        await registration.begin(session, who, now=NOW)
        await registration.submit_name(session, who, "张伟", settings=reg_settings, now=NOW)
        await registration.submit_phone(
            session, who, typed="13812345678", settings=reg_settings, now=NOW
        )
        guangming = await helpers.community(session, "guangming")
        await registration.choose_community(
            session, who, guangming.id, settings=reg_settings, now=NOW
        )
        await registration.toggle_availability(session, who, "friday", now=NOW)
        await registration.finish_availability(session, who, settings=reg_settings, now=NOW)
        await registration.finish_skills(session, who, settings=reg_settings, now=NOW)
        await registration.answer_consent(session, who, True, settings=reg_settings, now=NOW)
    # The office drops 光明社区 from config.toml and restarts the bot.
    remaining = [c for c in base_settings.communities if c.code != "guangming"]
    async with db.session_factory.begin() as session:
        await org.sync_from_settings(session, remaining)
    async with db.session_factory.begin() as session:  # one transaction per tap, as in chat
        completion = await registration.confirm(session, who, now=NOW)
    assert completion.volunteer is None and completion.place_gone.step is Step.COMMUNITY
    async with db.session_factory() as session:
        assert (await registration.current(session, who)).step is Step.COMMUNITY
        assert await session.get(Volunteer, who.id) is None


async def test_profile_edit_updates_in_place(db, reg_settings):
    async with db.session_factory.begin() as session:
        who = await helpers.person(session)
        completion = await helpers.register(session, who, reg_settings)
        state = await registration.begin_profile_edit(session, who, completion.volunteer, now=NOW)
        assert state.step is Step.SUMMARY
        state = await registration.edit_field(session, who, Step.PHONE, now=NOW)
        assert state.position(reg_settings) == (2, 6)  # no consent step when editing
        await registration.submit_phone(
            session, who, typed="13900002222", settings=reg_settings, now=NOW
        )
        again = await registration.confirm(session, who, now=NOW)
        assert not again.created
        assert again.volunteer.phone == "13900002222"
        assert again.volunteer.real_name == "张伟"


async def test_invite_code_joins_after_registration(db, reg_settings):
    async with db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        newcomer = await helpers.person(session)
        outcome = await registration.open_invite(session, newcomer, team.invite_code, now=NOW)
        assert outcome.joined is None
        assert outcome.registration.step is Step.NAME
        completion = await helpers.register(session, newcomer, reg_settings)
        assert completion.joined.team.id == team.id
        assert await session.get(TeamMember, (team.id, newcomer.id)) is not None

        # Registered people join straight away; twice is harmless.
        outcome = await registration.open_invite(session, newcomer, team.invite_code, now=NOW)
        assert outcome.joined.already_member


async def test_invite_rotated_during_registration(db, reg_settings):
    async with db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        newcomer = await helpers.person(session)
        await registration.open_invite(session, newcomer, team.invite_code, now=NOW)
        await teams.rotate_invite(session, admin, team_id=team.id, now=NOW)
        completion = await helpers.register(session, newcomer, reg_settings)
        assert completion.created and completion.joined is None and completion.invite_invalid
        with pytest.raises(InvalidInvite):
            await registration.open_invite(session, newcomer, "no-such-code", now=NOW)


async def test_simultaneous_registrations_get_distinct_numbers(db, reg_settings):
    people = []
    for index in range(8):
        async with db.session_factory.begin() as session:
            who = await helpers.person(session)
            guangming = await helpers.community(session, "guangming")
            await registration.begin(session, who, now=NOW)
            await registration.submit_name(
                session, who, f"同时{'一二三四五六七八'[index]}", settings=reg_settings, now=NOW
            )
            await registration.submit_phone(
                session, who, typed=f"1380000000{index}", settings=reg_settings, now=NOW
            )
            await registration.choose_community(
                session, who, guangming.id, settings=reg_settings, now=NOW
            )
            await registration.toggle_availability(session, who, "friday", now=NOW)
            await registration.finish_availability(session, who, settings=reg_settings, now=NOW)
            await registration.finish_skills(session, who, settings=reg_settings, now=NOW)
            await registration.answer_consent(session, who, True, settings=reg_settings, now=NOW)
            people.append(who)

    async def confirm(who):
        async with db.session_factory.begin() as session:
            return (await registration.confirm(session, who, now=NOW)).volunteer.number

    numbers = await asyncio.gather(*(confirm(who) for who in people))
    assert sorted(numbers) == list(range(1, 9))


async def test_two_admins_create_the_same_team_at_once(db):
    async with db.session_factory.begin() as session:
        admins = [await helpers.person(session, admin=True) for _ in range(2)]
        place = await helpers.community(session)

    async def create(admin):
        async with db.session_factory.begin() as session:
            return await teams.create_team(
                session, admin, name="东风清洁队", community_id=place.id, now=NOW
            )

    results = await asyncio.gather(*(create(a) for a in admins), return_exceptions=True)
    assert sum(isinstance(r, TeamNameTaken) for r in results) == 1
    assert sum(not isinstance(r, Exception) for r in results) == 1
