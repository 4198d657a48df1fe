"""Shifts, sign-ups, waitlist, overlaps, cutoffs and attendance on a real database."""

from __future__ import annotations

import asyncio
from datetime import date, time, timedelta

import pytest
from sqlmodel import select

from models import (
    Attendance,
    AttendanceStatus,
    CheckMethod,
    MemberRole,
    Shift,
    ShiftSignup,
    ShiftStatus,
    ShiftTemplate,
    SignupStatus,
)
from services import attendance, posts, shifts, signups, teams
from services.errors import (
    AlreadyCheckedIn,
    AlreadyCheckedOut,
    InvalidNumber,
    InvalidReason,
    NoCurrentShift,
    NotEligible,
    NotRegistered,
    NotSignedUp,
    PermissionDenied,
    PostRequired,
    ShiftClash,
    ShiftStarted,
    StartsInPast,
    TooFar,
)
from services.i18n import Catalogs
from services.recurrence import Repeat
from services.settings import LedgerSettings
from tests.services import helpers
from tests.services.helpers import NOW, POST_LAT, POST_LON, SHANGHAI

# The test shift: Friday 27 Nov 2026 08:30–10:30 Shanghai = 00:30–02:30 UTC.
START = NOW.replace(hour=0, minute=30)
LEDGER = LedgerSettings()
# The day before: sign-ups and changes are open.
EARLIER = NOW - timedelta(days=1)


@pytest.fixture
def shift_settings(base_settings):
    return base_settings.shifts


@pytest.fixture
async def world(db, base_settings):
    """An admin, a team (leader + five members), an outsider, a post."""
    reg = base_settings.registration
    async with db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        people = [await helpers.person(session) for _ in range(7)]
        for number, who in enumerate(people):
            await helpers.register(
                session,
                who,
                reg,
                name=f"志愿者{'甲乙丙丁戊己庚'[number]}",
                phone=f"1380000000{number}",
            )
        leader, *members, outsider = people
        for who in (leader, *members):
            await teams.join_team(session, who, team, now=NOW)
        await teams.set_member_role(
            session, admin, team_id=team.id, person_id=leader.id, role=MemberRole.LEADER
        )
        post = await helpers.post(session, admin)
    return {
        "admin": admin,
        "team": team,
        "leader": leader,
        "members": members,
        "outsider": outsider,
        "post": post,
    }


async def _shift(db, world, settings, **kwargs) -> Shift:
    async with db.session_factory.begin() as session:
        kwargs.setdefault("post_id", world["post"].id)
        return await helpers.shift(
            session, world["leader"], settings, team_id=world["team"].id, **kwargs
        )


async def _sign(db, who, shift_id, settings, now=NOW - timedelta(days=1)):
    async with db.session_factory.begin() as session:
        return await signups.sign_up(
            session, who, shift_id, settings=settings, zone=SHANGHAI, now=now
        )


async def _status(db, shift_id, who) -> str | None:
    async with db.session_factory() as session:
        row = (
            await session.exec(
                select(ShiftSignup).where(
                    ShiftSignup.shift_id == shift_id, ShiftSignup.person_id == who.id
                )
            )
        ).first()
        return row.status if row else None


# --- creating -----------------------------------------------------------------------------


async def test_recurring_friday_cleanup_is_generated_ahead_and_topped_up(db, world, shift_settings):
    created_on = NOW - timedelta(days=3)  # Tuesday 24 Nov
    async with db.session_factory.begin() as session:
        made = await shifts.create_shifts(
            session,
            world["leader"],
            shifts.ShiftPlan(
                team_id=world["team"].id,
                kind="cleanup",
                post_id=world["post"].id,
                first_date=date(2026, 11, 27),
                start_time=time(8, 30),
                duration_minutes=120,
                capacity=20,
                min_volunteers=8,
                repeat=Repeat.WEEKLY,
            ),
            settings=shift_settings,
            zone=SHANGHAI,
            now=created_on,
        )
    assert made.template.rule == "FREQ=WEEKLY;BYDAY=FR"
    assert [s.occurrence for s in made.shifts] == [
        date(2026, 11, 27),
        date(2026, 12, 4),
        date(2026, 12, 11),
        date(2026, 12, 18),
    ]
    assert all(s.capacity == 20 and s.min_volunteers == 8 for s in made.shifts)

    async with db.session_factory.begin() as session:
        # Running the top-up again the same day creates nothing new...
        assert await shifts.top_up_templates(session, settings=shift_settings, now=created_on) == []
        # ...a week later it adds the next Friday.
        added = await shifts.top_up_templates(
            session, settings=shift_settings, now=created_on + timedelta(days=7)
        )
        assert [s.occurrence for s in added] == [date(2026, 12, 25)]


async def test_skipping_one_date_of_a_recurring_shift(db, world, shift_settings):
    async with db.session_factory.begin() as session:
        first = await helpers.shift(
            session,
            world["leader"],
            shift_settings,
            team_id=world["team"].id,
            post_id=world["post"].id,
            repeat=Repeat.WEEKLY,
        )
        template_id = first.template_id
        second = (
            await session.exec(
                select(Shift).where(
                    Shift.template_id == template_id, Shift.occurrence == date(2026, 12, 4)
                )
            )
        ).one()
        cancelled = await shifts.cancel_shift(
            session, world["leader"], second.id, reason="区里统一活动", now=NOW
        )
        assert cancelled.shift.status == ShiftStatus.CANCELLED
    async with db.session_factory.begin() as session:
        template = await session.get(ShiftTemplate, template_id)
        assert template.skipped_dates == ["2026-12-04"]
        await shifts.top_up_templates(
            session, settings=shift_settings, now=NOW + timedelta(days=30)
        )
        dates = (
            await session.exec(
                select(Shift.occurrence, Shift.status).where(Shift.template_id == template_id)
            )
        ).all()
        assert (date(2026, 12, 4), ShiftStatus.CANCELLED) in dates
        assert sum(1 for d, _ in dates if d == date(2026, 12, 4)) == 1


async def test_who_may_create_what(db, world, shift_settings):
    plan = dict(
        team_id=world["team"].id,
        kind="cleanup",
        post_id=world["post"].id,
        first_date=date(2026, 11, 27),
        start_time=time(8, 30),
        duration_minutes=120,
        capacity=10,
        min_volunteers=0,
        repeat=Repeat.ONCE,
    )
    async with db.session_factory.begin() as session:
        with pytest.raises(PermissionDenied):  # a plain member
            await shifts.create_shifts(
                session,
                world["members"][0],
                shifts.ShiftPlan(**plan),
                settings=shift_settings,
                zone=SHANGHAI,
                now=NOW,
            )
        with pytest.raises(PermissionDenied):  # open shifts are for admins
            await shifts.create_shifts(
                session,
                world["leader"],
                shifts.ShiftPlan(**{**plan, "team_id": None}),
                settings=shift_settings,
                zone=SHANGHAI,
                now=NOW,
            )
        with pytest.raises(PostRequired):
            await shifts.create_shifts(
                session,
                world["leader"],
                shifts.ShiftPlan(**{**plan, "post_id": None}),
                settings=shift_settings,
                zone=SHANGHAI,
                now=NOW,
            )
        with pytest.raises(StartsInPast):
            await shifts.create_shifts(
                session,
                world["leader"],
                shifts.ShiftPlan(**plan),
                settings=shift_settings,
                zone=SHANGHAI,
                now=START + timedelta(minutes=1),
            )
        with pytest.raises(InvalidNumber):
            await shifts.create_shifts(
                session,
                world["leader"],
                shifts.ShiftPlan(**{**plan, "capacity": 0}),
                settings=shift_settings,
                zone=SHANGHAI,
                now=NOW,
            )
        # An elder visit needs no post.
        made = await shifts.create_shifts(
            session,
            world["leader"],
            shifts.ShiftPlan(**{**plan, "kind": "elder_visit", "post_id": None}),
            settings=shift_settings,
            zone=SHANGHAI,
            now=NOW - timedelta(days=1),
        )
        assert made.shifts[0].post_id is None


# --- signing up ----------------------------------------------------------------------------


async def test_capacity_waitlist_and_promotion(db, world, shift_settings):
    shift = await _shift(db, world, shift_settings, capacity=2)
    a, b, c, d, _ = world["members"]
    assert (await _sign(db, a, shift.id, shift_settings)).signup.status == SignupStatus.CONFIRMED
    assert (await _sign(db, b, shift.id, shift_settings)).signup.status == SignupStatus.CONFIRMED
    assert (await _sign(db, c, shift.id, shift_settings)).signup.status == SignupStatus.WAITLISTED
    assert (await _sign(db, d, shift.id, shift_settings)).signup.status == SignupStatus.WAITLISTED
    again = await _sign(db, c, shift.id, shift_settings)
    assert again.already and again.signup.status == SignupStatus.WAITLISTED

    async with db.session_factory.begin() as session:
        change = await signups.cancel(
            session,
            a,
            shift.id,
            reason="家里有事",
            settings=shift_settings,
            zone=SHANGHAI,
            now=NOW - timedelta(days=1),
        )
    # The first on the waitlist gets the place; no late notice two days ahead.
    assert change.promoted == [c.id] and change.late_to == []
    assert await _status(db, shift.id, c) == SignupStatus.CONFIRMED
    assert await _status(db, shift.id, d) == SignupStatus.WAITLISTED
    async with db.session_factory() as session:
        found = await shifts.info(session, shift.id)
        assert (found.taken, found.waitlisted, found.full) == (2, 1, True)


async def test_many_taps_on_the_last_places(db, world, shift_settings, base_settings):
    """Everyone taps at once: exactly `capacity` get a place, the rest wait."""
    async with db.session_factory.begin() as session:
        crowd = []
        for number in range(12):
            who = await helpers.person(session)
            await helpers.register(
                session,
                who,
                base_settings.registration,
                name=f"快手{'一二三四五六七八九十甲乙'[number]}",
                phone=f"1390000{number:04d}",
            )
            crowd.append(who)
        admin = world["admin"]
        open_shift = await helpers.shift(
            session, admin, shift_settings, team_id=None, post_id=world["post"].id, capacity=3
        )

    results = await asyncio.gather(
        *(_sign(db, who, open_shift.id, shift_settings) for who in crowd)
    )
    statuses = [r.signup.status for r in results]
    assert statuses.count(SignupStatus.CONFIRMED) == 3
    assert statuses.count(SignupStatus.WAITLISTED) == 9
    async with db.session_factory() as session:
        assert (await shifts.info(session, open_shift.id)).taken == 3


async def test_overlapping_sign_ups_are_refused_with_the_clash_named(db, world, shift_settings):
    catalogs = Catalogs()
    morning = await _shift(db, world, shift_settings, start=time(8, 30), minutes=120)
    overlapping = await _shift(
        db, world, shift_settings, kind="traffic", start=time(10, 0), minutes=60
    )
    later = await _shift(db, world, shift_settings, kind="traffic", start=time(10, 30), minutes=60)
    volunteer = world["members"][0]
    await _sign(db, volunteer, morning.id, shift_settings)
    with pytest.raises(ShiftClash) as clash:
        await _sign(db, volunteer, overlapping.id, shift_settings)
    named = clash.value.params["shift"].localize(catalogs.translator("zh_Hans"))
    assert named == "清洁家园 · 11月27日周五 08:30–10:30 · 东风路口"
    # Back to back is not an overlap.
    assert (await _sign(db, volunteer, later.id, shift_settings)).signup.status == "confirmed"


async def test_who_may_sign_up(db, world, shift_settings):
    shift = await _shift(db, world, shift_settings)
    with pytest.raises(NotEligible):  # not in the team
        await _sign(db, world["outsider"], shift.id, shift_settings)
    async with db.session_factory.begin() as session:
        stranger = await helpers.person(session)
    with pytest.raises(NotRegistered):
        await _sign(db, stranger, shift.id, shift_settings)
    with pytest.raises(ShiftStarted):
        await _sign(db, world["members"][0], shift.id, shift_settings, now=START)


async def test_cancel_cutoff_tells_the_leader(db, world, shift_settings):
    shift = await _shift(db, world, shift_settings)
    member = world["members"][0]
    await _sign(db, member, shift.id, shift_settings)
    cutoff = timedelta(hours=shift_settings.cancel_cutoff_hours)
    async with db.session_factory.begin() as session:
        with pytest.raises(InvalidReason):
            await signups.cancel(
                session,
                member,
                shift.id,
                reason="  ",
                settings=shift_settings,
                zone=SHANGHAI,
                now=START - cutoff - timedelta(minutes=1),
            )
    async with db.session_factory.begin() as session:
        on_time = await signups.cancel(
            session,
            member,
            shift.id,
            reason="加班",
            settings=shift_settings,
            zone=SHANGHAI,
            now=START - cutoff - timedelta(minutes=1),
        )
        assert not on_time.signup.late and on_time.late_to == []
    await _sign(db, member, shift.id, shift_settings, now=START - cutoff)
    async with db.session_factory.begin() as session:
        late = await signups.cancel(
            session,
            member,
            shift.id,
            reason="生病了",
            settings=shift_settings,
            zone=SHANGHAI,
            now=START - cutoff + timedelta(minutes=1),
        )
        assert late.signup.late and late.late_to == [world["leader"].id]
        assert late.signup.cancel_reason == "生病了"
        with pytest.raises(NotSignedUp):
            await signups.cancel(
                session,
                member,
                shift.id,
                reason="x",
                settings=shift_settings,
                zone=SHANGHAI,
                now=START - timedelta(hours=1),
            )


async def test_leader_assigns_and_moves_up_over_capacity(db, world, shift_settings):
    shift = await _shift(db, world, shift_settings, capacity=1)
    a, b, c, *_ = world["members"]
    await _sign(db, a, shift.id, shift_settings)
    await _sign(db, b, shift.id, shift_settings)  # waitlisted
    async with db.session_factory.begin() as session:
        with pytest.raises(PermissionDenied):
            await signups.invite(
                session, a, shift.id, c.id, settings=shift_settings, zone=SHANGHAI, now=EARLIER
            )
        invited = await signups.invite(
            session,
            world["leader"],
            shift.id,
            c.id,
            settings=shift_settings,
            zone=SHANGHAI,
            now=EARLIER,
        )
        assert invited.signup.status == SignupStatus.INVITED
        moved = await signups.move_up(session, world["leader"], shift.id, b.id, now=EARLIER)
        assert moved.signup.status == SignupStatus.CONFIRMED
        assert (await shifts.info(session, shift.id)).taken == 3  # leader's call
    async with db.session_factory.begin() as session:
        declined = await signups.answer_invitation(
            session, c, shift.id, accept=False, settings=shift_settings, zone=SHANGHAI, now=EARLIER
        )
        assert declined.signup.status == SignupStatus.DECLINED
        assert declined.late_to == [world["leader"].id]


async def test_cancelling_a_shift_lists_everyone_to_tell(db, world, shift_settings):
    shift = await _shift(db, world, shift_settings, capacity=1)
    a, b, *_ = world["members"]
    await _sign(db, a, shift.id, shift_settings)
    await _sign(db, b, shift.id, shift_settings)
    async with db.session_factory.begin() as session:
        with pytest.raises(PermissionDenied):
            await shifts.cancel_shift(session, a, shift.id, reason="", now=EARLIER)
        cancelled = await shifts.cancel_shift(
            session, world["leader"], shift.id, reason="暴雨预警", now=EARLIER
        )
    assert sorted(cancelled.people) == sorted([a.id, b.id])
    assert cancelled.shift.cancel_reason == "暴雨预警"


async def test_leaders_manage_posts_of_their_own_community(db, world, base_settings):
    async with db.session_factory.begin() as session:
        jianshe = await helpers.community(session, "jianshe")
        other_team = await teams.create_team(
            session, world["admin"], name="建设劝导队", community_id=jianshe.id, now=NOW
        )
        other_leader = await helpers.person(session)
        await helpers.register(
            session,
            other_leader,
            base_settings.registration,
            name="建设队长",
            phone="13900000009",
            grid_code="jianshe-1",
        )
        await teams.join_team(session, other_leader, other_team, now=NOW)
        await teams.set_member_role(
            session,
            world["admin"],
            team_id=other_team.id,
            person_id=other_leader.id,
            role=MemberRole.LEADER,
        )
    async with db.session_factory.begin() as session:
        # 东风路口 is in 东风社区: the 建设 leader may not move or pause it...
        with pytest.raises(PermissionDenied):
            await posts.update_post(session, other_leader, world["post"].id, active=False)
        # ...nor add a post in 东风社区, but may in 建设社区.
        with pytest.raises(PermissionDenied):
            await posts.create_post(
                session,
                other_leader,
                name="东风新岗",
                address="东风路",
                grid_id=(await helpers.grid(session, "dongfeng-2")).id,
                latitude=31.2,
                longitude=121.4,
                radius_m=150,
                now=NOW,
            )
        mine = await posts.create_post(
            session,
            other_leader,
            name="建设路口",
            address="建设路",
            grid_id=(await helpers.grid(session, "jianshe-1")).id,
            latitude=31.2,
            longitude=121.4,
            radius_m=150,
            now=NOW,
        )
        assert (
            await posts.update_post(session, other_leader, mine.id, radius_m=300)
        ).radius_m == 300
        # The 东风 leader and the admin may change 东风路口.
        await posts.update_post(session, world["leader"], world["post"].id, name="东风路口（东）")
        await posts.update_post(session, world["admin"], world["post"].id, radius_m=100)


# --- attendance ----------------------------------------------------------------------------


async def test_check_in_by_location_inside_and_outside_the_radius(db, world, shift_settings):
    shift = await _shift(db, world, shift_settings)
    volunteer = world["members"][0]
    await _sign(db, volunteer, shift.id, shift_settings)

    async def share(lat, lon, now):
        async with db.session_factory.begin() as session:
            return await attendance.check_by_location(
                session, volunteer, lat, lon, settings=shift_settings, zone=SHANGHAI, now=now
            )

    with pytest.raises(NoCurrentShift):  # 31 minutes early: not open yet
        await share(POST_LAT, POST_LON, START - timedelta(minutes=31))
    with pytest.raises(TooFar) as far:  # about 300 m north
        await share(POST_LAT + 0.0027, POST_LON, START - timedelta(minutes=5))
    assert 290 <= far.value.params["distance"] <= 310
    assert far.value.params["post"] == "东风路口" and far.value.params["radius"] == 150

    near = await share(POST_LAT + 0.001, POST_LON, START - timedelta(minutes=5))  # ~111 m
    assert near.checked_in and near.attendance.check_in_method == CheckMethod.LOCATION
    assert 100 < near.attendance.check_in_distance_m < 120
    with pytest.raises(AlreadyCheckedIn):
        await share(POST_LAT, POST_LON, START)
    out = await share(POST_LAT, POST_LON, START + timedelta(hours=2))
    assert not out.checked_in and out.attendance.status == AttendanceStatus.CHECKED_OUT
    with pytest.raises(AlreadyCheckedOut):
        await share(POST_LAT, POST_LON, START + timedelta(hours=2, minutes=5))


async def test_check_in_by_qr_code(db, world, shift_settings):
    shift = await _shift(db, world, shift_settings)
    volunteer = world["members"][1]
    with_code = world["post"].code
    async with db.session_factory.begin() as session:
        with pytest.raises(NoCurrentShift):  # not signed up
            await attendance.check_by_post_code(
                session, volunteer, with_code, settings=shift_settings, zone=SHANGHAI, now=START
            )
    await _sign(db, volunteer, shift.id, shift_settings)
    async with db.session_factory.begin() as session:
        result = await attendance.check_by_post_code(
            session,
            volunteer,
            with_code,
            settings=shift_settings,
            zone=SHANGHAI,
            now=START + timedelta(minutes=3),
        )
    assert result.checked_in and result.attendance.check_in_method == CheckMethod.QR


async def test_back_to_back_shifts_at_one_post(db, world, shift_settings):
    early = await _shift(db, world, shift_settings, kind="traffic", start=time(7, 0), minutes=60)
    later = await _shift(db, world, shift_settings, kind="traffic", start=time(8, 0), minutes=60)
    volunteer = world["members"][0]
    for shift in (early, later):
        await _sign(db, volunteer, shift.id, shift_settings)
    seven = START - timedelta(minutes=90)  # 07:00 in Shanghai

    async def scan(minutes_after_seven: int):
        async with db.session_factory.begin() as session:
            return await attendance.check_by_post_code(
                session,
                volunteer,
                world["post"].code,
                settings=shift_settings,
                zone=SHANGHAI,
                now=seven + timedelta(minutes=minutes_after_seven),
            )

    first = await scan(-5)
    assert first.checked_in and first.shift.id == early.id
    out = await scan(60)
    assert not out.checked_in and out.shift.id == early.id
    # Five minutes later the 07:00 shift is still in its grace, but it is done:
    # this scan is the check-in to the 08:00 shift.
    second = await scan(65)
    assert second.checked_in and second.shift.id == later.id
    assert (await scan(125)).shift.id == later.id


async def test_close_marks_missing_check_outs_for_review(db, world, shift_settings):
    shift = await _shift(db, world, shift_settings)
    stayed, forgot, absent, *_ = world["members"]
    for who in (stayed, forgot, absent):
        await _sign(db, who, shift.id, shift_settings)
    async with db.session_factory.begin() as session:
        for who in (stayed, forgot):
            await attendance.check_by_location(
                session, who, POST_LAT, POST_LON, settings=shift_settings, zone=SHANGHAI, now=START
            )
        await attendance.check_by_location(
            session,
            stayed,
            POST_LAT,
            POST_LON,
            settings=shift_settings,
            zone=SHANGHAI,
            now=START + timedelta(hours=2),
        )
    grace = timedelta(minutes=shift_settings.checkout_grace_minutes)
    end = START + timedelta(hours=2)
    async with db.session_factory.begin() as session:
        assert (
            await attendance.close_ended(
                session,
                settings=shift_settings,
                ledger=LEDGER,
                zone=SHANGHAI,
                now=end + grace - timedelta(seconds=1),
            )
            == []
        )
        (closed,) = await attendance.close_ended(
            session, settings=shift_settings, ledger=LEDGER, zone=SHANGHAI, now=end + grace
        )
        assert (closed.needs_review, closed.absent) == (1, 1)
        # Closing again changes nothing.
        assert (
            await attendance.close_ended(
                session, settings=shift_settings, ledger=LEDGER, zone=SHANGHAI, now=end + grace * 2
            )
            == []
        )
    async with db.session_factory() as session:
        records = {
            r.person_id: r
            for r in (
                await session.exec(select(Attendance).where(Attendance.shift_id == shift.id))
            ).all()
        }
    assert records[stayed.id].status == AttendanceStatus.CHECKED_OUT
    assert records[forgot.id].status == AttendanceStatus.NEEDS_REVIEW
    assert records[forgot.id].checked_out_at is None  # not credited silently
    assert records[absent.id].status == AttendanceStatus.ABSENT

    async with db.session_factory.begin() as session:
        with pytest.raises(PermissionDenied):
            await attendance.review(
                session,
                stayed,
                shift.id,
                absent.id,
                present=False,
                ledger=LEDGER,
                zone=SHANGHAI,
                now=end + grace,
            )
        no_show = await attendance.review(
            session,
            world["leader"],
            shift.id,
            absent.id,
            present=False,
            ledger=LEDGER,
            zone=SHANGHAI,
            now=end + grace,
        )
        assert no_show.status == AttendanceStatus.NO_SHOW
        confirmed = await attendance.review(
            session,
            world["leader"],
            shift.id,
            forgot.id,
            present=True,
            ledger=LEDGER,
            zone=SHANGHAI,
            now=end + grace,
        )
        assert confirmed.status == AttendanceStatus.CONFIRMED
        assert confirmed.checked_out_at == end and confirmed.check_out_method == "leader"


async def test_leader_checks_in_by_hand_and_confirms_all(db, world, shift_settings):
    shift = await _shift(db, world, shift_settings)
    a, b, *_ = world["members"]
    for who in (a, b):
        await _sign(db, who, shift.id, shift_settings)
    async with db.session_factory.begin() as session:
        record = await attendance.leader_check_in(
            session, world["leader"], shift.id, a.id, settings=shift_settings, now=START
        )
        assert record.check_in_method == CheckMethod.LEADER
        assert record.recorded_by == world["leader"].id
        await attendance.check_by_location(
            session, b, POST_LAT, POST_LON, settings=shift_settings, zone=SHANGHAI, now=START
        )
        roster = await attendance.shift_roster(session, world["leader"], shift.id)
        assert {line.name for line in roster.checked_in} == {"志愿者乙", "志愿者丙"}
        assert all(line.phone.startswith("138") for line in roster.lines)
        with pytest.raises(PermissionDenied):
            await attendance.shift_roster(session, a, shift.id)
        assert (
            await attendance.confirm_all_present(
                session,
                world["leader"],
                shift.id,
                ledger=LEDGER,
                zone=SHANGHAI,
                now=START + timedelta(hours=2, minutes=5),
            )
            == 2
        )
        records = (
            await session.exec(select(Attendance).where(Attendance.shift_id == shift.id))
        ).all()
        assert {r.checked_out_at for r in records} == {START + timedelta(hours=2)}
        assert {r.status for r in records} == {AttendanceStatus.CONFIRMED}
