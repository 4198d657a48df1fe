"""Teams and their permission rules, checked in the services (not only in buttons)."""

from __future__ import annotations

import pytest

from models import MemberRole
from services import teams
from services.errors import (
    CannotRemoveSelf,
    InvalidInvite,
    InvalidTeamName,
    NotRegistered,
    NotTeamMember,
    PermissionDenied,
    TeamNameTaken,
)
from services.roles import Role, roles_of
from tests.services import helpers
from tests.services.helpers import NOW


@pytest.fixture
async def crew(db, base_settings):
    """An admin, a team with a leader and two members, and an outsider."""
    settings = base_settings.registration
    async with db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        leader, member, other_member, outsider = [await helpers.person(session) for _ in range(4)]
        for who, name, phone in [
            (leader, "队长甲", "13800000001"),
            (member, "队员乙", "13800000002"),
            (other_member, "队员丙", "13800000003"),
            (outsider, "路人丁", "13800000004"),
        ]:
            await helpers.register(session, who, settings, name=name, phone=phone)
        for who in (leader, member, other_member):
            await teams.join_team(session, who, team, now=NOW)
        await teams.set_member_role(
            session, admin, team_id=team.id, person_id=leader.id, role=MemberRole.LEADER
        )
    return {
        "admin": admin,
        "team": team,
        "leader": leader,
        "member": member,
        "other": other_member,
        "outsider": outsider,
    }


async def test_only_admins_create_teams(db, crew):
    async with db.session_factory.begin() as session:
        place = await helpers.community(session)
        with pytest.raises(PermissionDenied):
            await teams.create_team(
                session, crew["leader"], name="新队", community_id=place.id, now=NOW
            )
        with pytest.raises(TeamNameTaken):
            await teams.create_team(
                session, crew["admin"], name=" 东风清洁队 ", community_id=place.id, now=NOW
            )
        for bad in ["x", "y" * 31, "   ", "!!!"]:
            with pytest.raises(InvalidTeamName):
                await teams.create_team(
                    session, crew["admin"], name=bad, community_id=place.id, now=NOW
                )
        # The same name is fine in another community.
        other = await helpers.community(session, "jianshe")
        created = await teams.create_team(
            session, crew["admin"], name="东风清洁队", community_id=other.id, now=NOW
        )
        assert created.invite_code and created.invite_code != crew["team"].invite_code


async def test_leader_sees_phones_volunteer_sees_names(db, crew):
    async with db.session_factory() as session:
        as_leader = await teams.roster(session, crew["leader"], crew["team"].id)
        as_member = await teams.roster(session, crew["member"], crew["team"].id)
        as_admin = await teams.roster(session, crew["admin"], crew["team"].id)
        with pytest.raises(PermissionDenied):
            await teams.roster(session, crew["outsider"], crew["team"].id)

    # Leaders first, then members by name.
    assert [e.name for e in as_leader.entries] == ["队长甲", *sorted(["队员乙", "队员丙"])]
    assert as_leader.entries[0].role is MemberRole.LEADER
    assert {e.phone for e in as_leader.entries} == {"13800000001", "13800000002", "13800000003"}
    assert as_admin.shows_phones
    assert not as_member.shows_phones
    assert all(e.phone is None for e in as_member.entries)
    assert as_member.removable == frozenset()
    async with db.session_factory() as session:
        with pytest.raises(PermissionDenied):
            await teams.removal_candidates(session, crew["member"], crew["team"].id)
        _, candidates = await teams.removal_candidates(session, crew["leader"], crew["team"].id)
        assert {e.person_id for e in candidates} == {crew["member"].id, crew["other"].id}
    # Leaders remove members, not other leaders or themselves.
    assert as_leader.removable == {crew["member"].id, crew["other"].id}


async def test_removal_rules(db, crew):
    team_id = crew["team"].id
    async with db.session_factory.begin() as session:
        with pytest.raises(PermissionDenied):
            await teams.remove_member(
                session, crew["member"], team_id=team_id, person_id=crew["other"].id, now=NOW
            )
        with pytest.raises(CannotRemoveSelf):
            await teams.remove_member(
                session, crew["leader"], team_id=team_id, person_id=crew["leader"].id, now=NOW
            )
        await teams.set_member_role(
            session,
            crew["admin"],
            team_id=team_id,
            person_id=crew["other"].id,
            role=MemberRole.LEADER,
        )
        with pytest.raises(PermissionDenied):  # another leader: admins only
            await teams.remove_member(
                session, crew["leader"], team_id=team_id, person_id=crew["other"].id, now=NOW
            )
    async with db.session_factory.begin() as session:
        removed = await teams.remove_member(
            session, crew["leader"], team_id=team_id, person_id=crew["member"].id, now=NOW
        )
        assert removed.left_at == NOW and removed.removed_by == crew["leader"].id
        with pytest.raises(NotTeamMember):
            await teams.remove_member(
                session, crew["leader"], team_id=team_id, person_id=crew["member"].id, now=NOW
            )
        roster = await teams.roster(session, crew["leader"], team_id)
        assert crew["member"].id not in {e.person_id for e in roster.entries}
        # A removed member no longer sees the team.
        with pytest.raises(PermissionDenied):
            await teams.roster(session, crew["member"], team_id)
        # The invite link still lets them back in, as a plain member.
        again = await teams.join_team(session, crew["member"], crew["team"], now=NOW)
        assert not again.already_member


async def test_only_admins_promote_and_rotate(db, crew):
    team_id = crew["team"].id
    async with db.session_factory.begin() as session:
        with pytest.raises(PermissionDenied):
            await teams.set_member_role(
                session,
                crew["leader"],
                team_id=team_id,
                person_id=crew["member"].id,
                role=MemberRole.LEADER,
            )
        with pytest.raises(PermissionDenied):
            await teams.rotate_invite(session, crew["leader"], team_id=team_id, now=NOW)
        with pytest.raises(NotTeamMember):
            await teams.set_member_role(
                session,
                crew["admin"],
                team_id=team_id,
                person_id=crew["outsider"].id,
                role=MemberRole.LEADER,
            )
        old_code = crew["team"].invite_code
        rotated = await teams.rotate_invite(session, crew["admin"], team_id=team_id, now=NOW)
        assert rotated.invite_code != old_code
        with pytest.raises(InvalidInvite):
            await teams.team_by_invite(session, old_code)
        assert (await teams.team_by_invite(session, rotated.invite_code)).id == team_id


async def test_invite_link_is_for_leaders_and_admins(db, crew):
    async with db.session_factory() as session:
        assert (await teams.invite_team(session, crew["leader"], crew["team"].id)).id
        assert (await teams.invite_team(session, crew["admin"], crew["team"].id)).id
        with pytest.raises(PermissionDenied):
            await teams.invite_team(session, crew["member"], crew["team"].id)
        assert [t.id for t in await teams.led_teams(session, crew["leader"])] == [crew["team"].id]
        assert await teams.led_teams(session, crew["member"]) == []


async def test_unregistered_people_cannot_join(db, crew):
    async with db.session_factory.begin() as session:
        stranger = await helpers.person(session)
        with pytest.raises(NotRegistered):
            await teams.join_team(session, stranger, crew["team"], now=NOW)


async def test_roles(db, crew):
    async with db.session_factory() as session:
        assert await roles_of(session, crew["leader"]) == {Role.VOLUNTEER, Role.LEADER}
        assert await roles_of(session, crew["member"]) == {Role.VOLUNTEER}
        assert await roles_of(session, crew["admin"]) == {Role.ADMIN}
