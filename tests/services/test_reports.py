"""Residents' reports with controlled time: routing on submission, probable duplicates,
who may do what at each step, the daily limit and blocks, escalation and closing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from geopy.distance import geodesic
from sqlalchemy import func
from sqlmodel import select

from models import (
    GridOfficer,
    MemberRole,
    Person,
    Report,
    ReportEvent,
    ReportPhoto,
    ReportStatus,
)
from services import report_views, reports, teams
from services.errors import (
    AfterPhotoRequired,
    DescriptionTooLong,
    InvalidReason,
    NotDuplicateCandidate,
    PermissionDenied,
    PlaceRequired,
    ReopenTooLate,
    ReportingBlocked,
    ReportStateConflict,
    TooManyReports,
    UnknownChoice,
)
from services.reports import PhotoInput, Submission
from services.settings import ReportSettings
from tests.services import helpers
from tests.services.helpers import NOW

# The middle of dongfeng-1 (the south-west cell of the shipped grids file).
IN_DONGFENG_1 = (30.2725, 120.1625)
IN_JIANSHE_1 = (30.2725, 120.1775)
BEFORE = PhotoInput(file_id="before-photo", channel="telegram")
AFTER = PhotoInput(file_id="after-photo", channel="telegram")


def moved(place: tuple[float, float], metres: float, bearing: float = 0) -> tuple[float, float]:
    """The point `metres` away from `place` (geodesic, bearing in degrees from north)."""
    destination = geodesic(meters=metres).destination(place, bearing)
    return destination.latitude, destination.longitude


def located(
    place: tuple[float, float] = IN_DONGFENG_1, category: str = "vending", **kwargs: Any
) -> Submission:
    return Submission(
        category=category, latitude=place[0], longitude=place[1], photos=[BEFORE], **kwargs
    )


@pytest.fixture
def settings(base_settings) -> ReportSettings:
    return base_settings.reports


@pytest.fixture
async def town(db, base_settings):
    """Dongfeng's cleanup team (a leader and two volunteers), an officer for dongfeng-1
    and one for jianshe-1, Jianshe's own team leader, an admin, and residents."""
    async with db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        dongfeng_team = await helpers.team(session, admin)
        jianshe = await helpers.community(session, "jianshe")
        jianshe_team = await teams.create_team(
            session, admin, name="建设劝导队", community_id=jianshe.id, now=NOW
        )
        people = {}
        for index, (role, team) in enumerate(
            [
                ("leader", dongfeng_team),
                ("volunteer", dongfeng_team),
                ("helper", dongfeng_team),
                ("jianshe_leader", jianshe_team),
            ]
        ):
            who = await helpers.person(session)
            await helpers.register(
                session,
                who,
                base_settings.registration,
                name=f"队员{'甲乙丙丁'[index]}",
                phone=f"1390000000{index}",
            )
            await teams.join_team(session, who, team, now=NOW - timedelta(days=30))
            people[role] = who
        for role, team in (("leader", dongfeng_team), ("jianshe_leader", jianshe_team)):
            await teams.set_member_role(
                session, admin, team_id=team.id, person_id=people[role].id, role=MemberRole.LEADER
            )
        officer = await helpers.person(session)
        other_officer = await helpers.person(session)
        dongfeng_1 = await helpers.grid(session, "dongfeng-1")
        jianshe_1 = await helpers.grid(session, "jianshe-1")
        session.add(GridOfficer(grid_id=dongfeng_1.id, person_id=officer.id, assigned_at=NOW))
        session.add(GridOfficer(grid_id=jianshe_1.id, person_id=other_officer.id, assigned_at=NOW))
        residents = [await helpers.person(session) for _ in range(3)]
    return {
        "admin": admin,
        "officer": officer,
        "other_officer": other_officer,
        "resident": residents[0],
        "neighbour": residents[1],
        "passer_by": residents[2],
        "dongfeng_1": dongfeng_1.id,
        "jianshe_1": jianshe_1.id,
        **people,
    }


async def submit(
    db, who: Person | None, submission: Submission, settings: ReportSettings, now: datetime
) -> Report:
    async with db.session_factory.begin() as session:
        return await reports.submit(session, submission, reporter=who, settings=settings, now=now)


async def act(db, action: Callable[..., Awaitable[Any]], report_id: int, *args, **kwargs) -> Any:
    """One step as a handler takes it: its own transaction, the report read afresh."""
    async with db.session_factory.begin() as session:
        report = await reports.get_report(session, report_id)
        return await action(session, report, *args, **kwargs)


async def current(db, report_id: int) -> Report:
    async with db.session_factory() as session:
        return await reports.get_report(session, report_id)


async def report_count(db) -> int:
    async with db.session_factory() as session:
        return (await session.exec(select(func.count()).select_from(Report))).one()


# --- submission and routing ------------------------------------------------------------------


async def test_a_shared_location_routes_to_the_grid_it_is_in(db, town, settings):
    report = await submit(
        db, town["resident"], located(description="  卖水果的摊子占了人行道 "), settings, NOW
    )
    stored = await current(db, report.id)
    assert (stored.grid_id, stored.routed_by) == (town["dongfeng_1"], "polygon")
    assert stored.status == ReportStatus.SUBMITTED
    assert stored.description == "卖水果的摊子占了人行道"
    async with db.session_factory() as session:
        assert await reports.follower_ids(session, report.id) == [town["resident"].id]
        (photo,) = await reports.photos_of(session, report.id)
        assert photo.file_id == "before-photo"
        # The grid's officer and the community's team leader hear of it; not Jianshe's.
        assert await reports.handler_ids(session, stored) == sorted(
            [town["officer"].id, town["leader"].id]
        )

    other = await submit(db, town["neighbour"], located(IN_JIANSHE_1), settings, NOW)
    assert (other.grid_id, other.routed_by) == (town["jianshe_1"], "polygon")


async def test_a_place_outside_every_grid_goes_to_the_nearest(db, town, settings):
    # 800 m south of dongfeng-1's centre.
    report = await submit(db, town["resident"], located((30.265, 120.1625)), settings, NOW)
    assert (report.grid_id, report.routed_by) == (town["dongfeng_1"], "nearest")


async def test_a_typed_address_goes_to_triage_for_every_officer(db, town, settings):
    typed = Submission(category="parking", address="东风路12号门口", photos=[BEFORE])
    report = await submit(db, town["resident"], typed, settings, NOW)
    assert (report.grid_id, report.routed_by) == (None, "triage")
    assert report.latitude is None and report.address == "东风路12号门口"
    async with db.session_factory() as session:
        # Every grid officer and the admins are told; team leaders are not.
        assert await reports.handler_ids(session, report) == sorted(
            [town["officer"].id, town["other_officer"].id, town["admin"].id]
        )
        assert [r.id for r in await reports.queue(session, town["other_officer"])] == [report.id]
        assert await reports.queue(session, town["leader"]) == []
    # Any officer may place it; then only that grid's handlers may act.
    await act(
        db,
        reports.route_to_grid,
        report.id,
        town["other_officer"],
        grid_id=town["dongfeng_1"],
        now=NOW + timedelta(minutes=5),
    )
    placed = await current(db, report.id)
    assert (placed.grid_id, placed.routed_by) == (town["dongfeng_1"], "officer")
    with pytest.raises(PermissionDenied):
        await act(db, reports.accept, report.id, town["other_officer"], now=NOW)
    await act(db, reports.accept, report.id, town["leader"], now=NOW + timedelta(minutes=9))


async def test_no_place_at_all_is_refused(db, town, settings):
    with pytest.raises(PlaceRequired):
        await submit(db, town["resident"], Submission(category="parking"), settings, NOW)
    with pytest.raises(PlaceRequired):
        await submit(db, town["resident"], located((95.0, 120.16)), settings, NOW)
    half = Submission(category="parking", latitude=30.2725, address="东风路12号门口")
    with pytest.raises(PlaceRequired):
        await submit(db, town["resident"], half, settings, NOW)
    assert await report_count(db) == 0


# --- probable duplicates ----------------------------------------------------------------------


async def _first_and_second(db, town, settings, *, second: Submission, later: timedelta):
    first = await submit(db, town["resident"], located(), settings, NOW)
    again = await submit(db, town["neighbour"], second, settings, NOW + later)
    return first, await current(db, again.id)


async def test_same_category_close_by_and_recent_is_a_probable_duplicate(db, town, settings):
    assert settings.duplicate_distance_m == 50 and settings.duplicate_hours == 24
    first, second = await _first_and_second(
        db, town, settings, second=located(moved(IN_DONGFENG_1, 49, 90)), later=timedelta(hours=2)
    )
    assert second.probable_duplicate_of == first.id
    # Flagged, not merged: the officer decides.
    assert second.status == ReportStatus.SUBMITTED


async def test_just_beyond_the_distance_is_not_a_duplicate(db, town, settings):
    _, second = await _first_and_second(
        db, town, settings, second=located(moved(IN_DONGFENG_1, 51, 0)), later=timedelta(hours=2)
    )
    assert second.probable_duplicate_of is None


async def test_another_category_at_the_same_spot_is_not_a_duplicate(db, town, settings):
    _, second = await _first_and_second(
        db, town, settings, second=located(category="parking"), later=timedelta(hours=2)
    )
    assert second.probable_duplicate_of is None


async def test_a_report_older_than_the_window_is_not_a_duplicate(db, town, settings):
    _, second = await _first_and_second(
        db, town, settings, second=located(), later=timedelta(hours=24, minutes=1)
    )
    assert second.probable_duplicate_of is None
    # Just inside the window it is.
    third = await submit(db, town["passer_by"], located(), settings, NOW + timedelta(hours=24))
    assert third.probable_duplicate_of is not None


async def test_the_nearest_open_report_is_the_one_flagged(db, town, settings):
    far = await submit(db, town["resident"], located(moved(IN_DONGFENG_1, 40, 0)), settings, NOW)
    near = await submit(
        db, town["neighbour"], located(moved(IN_DONGFENG_1, 10, 180)), settings, NOW
    )
    newest = await submit(db, town["passer_by"], located(), settings, NOW + timedelta(hours=1))
    assert newest.probable_duplicate_of == near.id != far.id


@pytest.mark.parametrize("ending", ["rejected", "closed"])
async def test_a_finished_report_is_not_a_duplicate_candidate(db, town, settings, ending):
    first = await submit(db, town["resident"], located(), settings, NOW)
    later = NOW + timedelta(minutes=30)
    if ending == "rejected":
        await act(db, reports.reject, first.id, town["officer"], reason="不属实", now=later)
    else:
        await act(db, reports.accept, first.id, town["officer"], now=later)
        await act(
            db, reports.resolve, first.id, town["officer"], photos=[AFTER], note=None, now=later
        )
        await act(db, reports.confirm, first.id, town["resident"], now=later)
    assert (await current(db, first.id)).status == ending
    second = await submit(db, town["neighbour"], located(), settings, NOW + timedelta(hours=1))
    assert second.probable_duplicate_of is None


# --- handling: who may do what, in which order --------------------------------------------------


async def test_the_whole_way_from_report_to_confirmation(db, town, settings):
    report = await submit(db, town["resident"], located(), settings, NOW)
    t = NOW
    await act(db, reports.accept, report.id, town["officer"], now=t + timedelta(minutes=10))
    await act(
        db,
        reports.assign,
        report.id,
        town["officer"],
        volunteer_id=town["volunteer"].id,
        now=t + timedelta(minutes=11),
    )
    async with db.session_factory() as session:
        assert [r.id for r in await reports.tasks_of(session, town["volunteer"].id)] == [report.id]
    await act(db, reports.start_work, report.id, town["volunteer"], now=t + timedelta(minutes=30))
    await act(
        db,
        reports.resolve,
        report.id,
        town["volunteer"],
        photos=[AFTER],
        note=" 摊主已劝离 ",
        now=t + timedelta(hours=1),
    )
    resolved = await current(db, report.id)
    assert resolved.status == ReportStatus.RESOLVED
    assert resolved.accepted_at == t + timedelta(minutes=10)
    assert resolved.resolved_at == t + timedelta(hours=1)
    assert resolved.resolution_note == "摊主已劝离"
    await act(db, reports.confirm, report.id, town["resident"], now=t + timedelta(hours=2))
    closed = await current(db, report.id)
    assert (closed.status, closed.closed_at) == (ReportStatus.CLOSED, t + timedelta(hours=2))
    async with db.session_factory() as session:
        events = await reports.events_of(session, report.id)
        after = await reports.photos_of(session, report.id, reports.PhotoStage.AFTER)
    assert [e.action for e in events] == [
        "submitted",
        "accepted",
        "assigned",
        "started",
        "resolved",
        "confirmed",
    ]
    assert [e.actor_id for e in events[1:3]] == [town["officer"].id] * 2
    assert [p.file_id for p in after] == ["after-photo"]


async def test_nothing_is_resolved_before_it_is_accepted(db, town, settings):
    report = await submit(db, town["resident"], located(), settings, NOW)
    with pytest.raises(ReportStateConflict) as caught:
        await act(
            db, reports.resolve, report.id, town["officer"], photos=[AFTER], note=None, now=NOW
        )
    assert caught.value.params["ticket"] == f"R{report.id:06d}"
    assert (await current(db, report.id)).status == ReportStatus.SUBMITTED


async def test_resolving_needs_a_photo_of_the_result(db, town, settings):
    report = await submit(db, town["resident"], located(), settings, NOW)
    await act(db, reports.accept, report.id, town["officer"], now=NOW)
    with pytest.raises(AfterPhotoRequired):
        await act(db, reports.resolve, report.id, town["officer"], photos=[], note="好了", now=NOW)
    assert (await current(db, report.id)).status == ReportStatus.ACCEPTED


async def test_only_the_assignee_starts_the_work(db, town, settings):
    report = await submit(db, town["resident"], located(), settings, NOW)
    await act(
        db, reports.assign, report.id, town["leader"], volunteer_id=town["volunteer"].id, now=NOW
    )
    for someone in ("helper", "officer", "leader", "admin"):
        with pytest.raises(PermissionDenied):
            await act(db, reports.start_work, report.id, town[someone], now=NOW)
    # Nor may a volunteer who is not the assignee resolve it.
    with pytest.raises(PermissionDenied):
        await act(
            db, reports.resolve, report.id, town["helper"], photos=[AFTER], note=None, now=NOW
        )
    await act(db, reports.start_work, report.id, town["volunteer"], now=NOW)
    assert (await current(db, report.id)).status == ReportStatus.IN_PROGRESS


async def test_only_volunteers_of_the_community_can_be_assigned(db, town, settings):
    report = await submit(db, town["resident"], located(), settings, NOW)
    with pytest.raises(UnknownChoice):
        await act(
            db,
            reports.assign,
            report.id,
            town["officer"],
            volunteer_id=town["jianshe_leader"].id,
            now=NOW,
        )
    assert (await current(db, report.id)).status == ReportStatus.SUBMITTED


async def test_rejecting_needs_a_reason(db, town, settings):
    report = await submit(db, town["resident"], located(), settings, NOW)
    for reason in ("", "  ", "无"):
        with pytest.raises(InvalidReason):
            await act(db, reports.reject, report.id, town["officer"], reason=reason, now=NOW)
    assert (await current(db, report.id)).status == ReportStatus.SUBMITTED
    await act(db, reports.reject, report.id, town["officer"], reason=" 照片看不清 ", now=NOW)
    rejected = await current(db, report.id)
    assert (rejected.status, rejected.reject_reason) == (ReportStatus.REJECTED, "照片看不清")
    # A finished report takes no further step.
    with pytest.raises(ReportStateConflict):
        await act(db, reports.accept, report.id, town["officer"], now=NOW)


async def test_a_volunteer_who_does_not_handle_reports_cannot_accept(db, town, settings):
    report = await submit(db, town["resident"], located(), settings, NOW)
    for someone in ("volunteer", "resident", "neighbour"):
        with pytest.raises(PermissionDenied):
            await act(db, reports.accept, report.id, town[someone], now=NOW)
    assert (await current(db, report.id)).status == ReportStatus.SUBMITTED


async def test_another_grids_officer_and_another_communitys_leader_cannot_act(db, town, settings):
    report = await submit(db, town["resident"], located(), settings, NOW)
    other = await submit(db, town["neighbour"], located(IN_JIANSHE_1), settings, NOW)
    for someone in ("other_officer", "jianshe_leader"):
        who = town[someone]
        with pytest.raises(PermissionDenied):
            await act(db, reports.accept, report.id, who, now=NOW)
        with pytest.raises(PermissionDenied):
            await act(db, reports.reject, report.id, who, reason="不是这里的", now=NOW)
        with pytest.raises(PermissionDenied):
            await act(
                db, reports.assign, report.id, who, volunteer_id=town["volunteer"].id, now=NOW
            )
        with pytest.raises(PermissionDenied):
            await act(db, reports.mark_duplicate, report.id, who, original_id=other.id, now=NOW)
        async with db.session_factory() as session:
            assert report.id not in [r.id for r in await reports.queue(session, who)]
    assert (await current(db, report.id)).status == ReportStatus.SUBMITTED


async def test_a_team_leader_in_the_grids_community_handles_it(db, town, settings):
    report = await submit(db, town["resident"], located(), settings, NOW)
    async with db.session_factory() as session:
        assert [r.id for r in await reports.queue(session, town["leader"])] == [report.id]
        names = [v.real_name for v in await reports.assignable_volunteers(session, report)]
    assert names == sorted(["队员甲", "队员乙", "队员丙"])
    await act(db, reports.accept, report.id, town["leader"], now=NOW + timedelta(minutes=3))
    await act(
        db, reports.assign, report.id, town["leader"], volunteer_id=town["helper"].id, now=NOW
    )
    assigned = await current(db, report.id)
    assert (assigned.status, assigned.assignee_id) == (ReportStatus.ASSIGNED, town["helper"].id)


async def test_a_leader_who_stepped_down_no_longer_handles_reports(db, town, settings):
    report = await submit(db, town["resident"], located(), settings, NOW)
    async with db.session_factory.begin() as session:
        dongfeng_team = (await teams.led_teams(session, town["leader"]))[0]
        await teams.set_member_role(
            session,
            town["admin"],
            team_id=dongfeng_team.id,
            person_id=town["leader"].id,
            role=MemberRole.MEMBER,
        )
    with pytest.raises(PermissionDenied):
        await act(db, reports.accept, report.id, town["leader"], now=NOW)


async def test_confirm_and_reopen_are_for_followers_only(db, town, settings):
    report = await submit(db, town["resident"], located(), settings, NOW)
    await act(db, reports.accept, report.id, town["officer"], now=NOW)
    await act(db, reports.resolve, report.id, town["officer"], photos=[AFTER], note=None, now=NOW)
    for someone in ("neighbour", "officer", "admin"):
        with pytest.raises(PermissionDenied):
            await act(db, reports.confirm, report.id, town[someone], now=NOW)
        with pytest.raises(PermissionDenied):
            await act(db, reports.reopen, report.id, town[someone], settings=settings, now=NOW)
    assert (await current(db, report.id)).status == ReportStatus.RESOLVED


async def test_reopen_goes_back_to_whoever_had_it_within_the_window(db, town, settings):
    report = await submit(db, town["resident"], located(), settings, NOW)
    await act(
        db, reports.assign, report.id, town["officer"], volunteer_id=town["volunteer"].id, now=NOW
    )
    resolved_at = NOW + timedelta(hours=1)
    await act(
        db,
        reports.resolve,
        report.id,
        town["volunteer"],
        photos=[AFTER],
        note=None,
        now=resolved_at,
    )
    nearly = resolved_at + timedelta(days=settings.confirm_days) - timedelta(minutes=1)
    await act(db, reports.reopen, report.id, town["resident"], settings=settings, now=nearly)
    reopened = await current(db, report.id)
    assert (reopened.status, reopened.assignee_id) == (ReportStatus.ASSIGNED, town["volunteer"].id)
    assert reopened.resolved_at is None
    # A report nobody assigned goes back to "accepted".
    other = await submit(db, town["neighbour"], located(IN_JIANSHE_1), settings, NOW)
    await act(db, reports.accept, other.id, town["other_officer"], now=NOW)
    await act(
        db, reports.resolve, other.id, town["other_officer"], photos=[AFTER], note=None, now=NOW
    )
    await act(db, reports.reopen, other.id, town["neighbour"], settings=settings, now=NOW)
    assert (await current(db, other.id)).status == ReportStatus.ACCEPTED


async def test_reopening_after_the_confirm_window_is_too_late(db, town, settings):
    report = await submit(db, town["resident"], located(), settings, NOW)
    await act(db, reports.accept, report.id, town["officer"], now=NOW)
    await act(db, reports.resolve, report.id, town["officer"], photos=[AFTER], note=None, now=NOW)
    late = NOW + timedelta(days=settings.confirm_days, minutes=1)
    with pytest.raises(ReopenTooLate) as caught:
        await act(db, reports.reopen, report.id, town["resident"], settings=settings, now=late)
    assert caught.value.params == {"days": settings.confirm_days}
    assert (await current(db, report.id)).status == ReportStatus.RESOLVED


async def test_a_duplicate_s_reporter_follows_the_original(db, town, settings):
    original = await submit(db, town["resident"], located(), settings, NOW)
    copy = await submit(db, town["neighbour"], located(), settings, NOW + timedelta(minutes=20))
    assert copy.probable_duplicate_of == original.id
    async with db.session_factory() as session:
        candidates = await reports.duplicate_candidates(session, copy)
    assert [c.id for c in candidates] == [original.id]
    with pytest.raises(NotDuplicateCandidate):
        await act(
            db, reports.mark_duplicate, copy.id, town["officer"], original_id=copy.id, now=NOW
        )
    merged_into, added = await act(
        db,
        reports.mark_duplicate,
        copy.id,
        town["officer"],
        original_id=original.id,
        now=NOW + timedelta(minutes=30),
    )
    assert merged_into.id == original.id
    assert added == [town["neighbour"].id]
    merged = await current(db, copy.id)
    assert (merged.status, merged.duplicate_of) == (ReportStatus.DUPLICATE, original.id)
    async with db.session_factory() as session:
        assert await reports.follower_ids(session, original.id) == sorted(
            [town["resident"].id, town["neighbour"].id]
        )
        followed = await reports.followed_by(session, town["neighbour"].id)
    assert [r.id for r in followed] == [copy.id, original.id]  # newest first
    # The second reporter may now confirm the original once it is resolved.
    await act(db, reports.accept, original.id, town["officer"], now=NOW + timedelta(hours=1))
    await act(
        db,
        reports.resolve,
        original.id,
        town["officer"],
        photos=[AFTER],
        note=None,
        now=NOW + timedelta(hours=2),
    )
    await act(db, reports.confirm, original.id, town["neighbour"], now=NOW + timedelta(hours=3))
    assert (await current(db, original.id)).status == ReportStatus.CLOSED


async def test_no_merging_into_a_report_of_a_grid_one_does_not_handle(db, town, settings):
    mine = await submit(db, town["resident"], located(IN_JIANSHE_1), settings, NOW)
    theirs = await submit(db, town["neighbour"], located(), settings, NOW)
    # The Jianshe officer may close their own report, but not change Dongfeng's followers.
    with pytest.raises(PermissionDenied):
        await act(
            db,
            reports.mark_duplicate,
            mine.id,
            town["other_officer"],
            original_id=theirs.id,
            now=NOW,
        )
    assert (await current(db, mine.id)).status == ReportStatus.SUBMITTED
    async with db.session_factory() as session:
        assert await reports.follower_ids(session, theirs.id) == [town["neighbour"].id]


# --- the daily limit, blocks, and bad input -------------------------------------------------------


async def test_the_daily_limit_counts_the_last_24_hours(db, town, settings):
    three = settings.model_copy(update={"per_day": 3})
    for hour in range(3):
        await submit(db, town["resident"], located(), three, NOW + timedelta(hours=hour))
    with pytest.raises(TooManyReports) as caught:
        await submit(db, town["resident"], located(), three, NOW + timedelta(hours=3))
    assert caught.value.params == {"limit": 3}
    with pytest.raises(TooManyReports):
        await submit(db, town["resident"], located(), three, NOW + timedelta(hours=23, minutes=59))
    assert await report_count(db) == 3
    # Somebody else is not held back.
    await submit(db, town["neighbour"], located(), three, NOW + timedelta(hours=3))
    # A day after the first report, one more is allowed.
    await submit(db, town["resident"], located(), three, NOW + timedelta(hours=24))
    with pytest.raises(TooManyReports):
        await submit(db, town["resident"], located(), three, NOW + timedelta(hours=24, minutes=1))


async def test_a_blocked_reporter_cannot_report(db, town, settings):
    report = await submit(db, town["resident"], located(), settings, NOW)
    # Officers do not know who reported, so they cannot block.
    with pytest.raises(PermissionDenied):
        await _block(db, town["officer"], report)
    await _block(db, town["admin"], report)
    with pytest.raises(ReportingBlocked):
        await submit(db, town["resident"], located(), settings, NOW + timedelta(days=2))
    assert await report_count(db) == 1
    # Blocking twice is harmless; others may still report.
    await _block(db, town["admin"], report)
    await submit(db, town["neighbour"], located(), settings, NOW + timedelta(days=2))


async def _block(db, actor: Person, report: Report) -> int:
    async with db.session_factory.begin() as session:
        fresh = await reports.get_report(session, report.id)
        return await reports.block_reporter(
            session, actor, report=fresh, reason="恶意举报", now=NOW + timedelta(hours=1)
        )


async def test_a_too_long_description_is_refused_and_nothing_is_stored(db, town, settings):
    limit = settings.description_max
    with pytest.raises(DescriptionTooLong) as caught:
        await submit(db, town["resident"], located(description="乱" * (limit + 1)), settings, NOW)
    assert caught.value.params == {"limit": limit, "length": limit + 1}
    assert await report_count(db) == 0
    async with db.session_factory() as session:
        assert (await session.exec(select(func.count()).select_from(ReportPhoto))).one() == 0
        assert (await session.exec(select(func.count()).select_from(ReportEvent))).one() == 0
    report = await submit(db, town["resident"], located(description="乱" * limit), settings, NOW)
    assert len(report.description) == limit


# --- the clock: escalation and closing -----------------------------------------------------------


async def test_unaccepted_reports_are_escalated_once(db, town, settings):
    assert settings.accept_within_hours == 4
    waiting = await submit(db, town["resident"], located(), settings, NOW)
    taken = await submit(db, town["neighbour"], located(IN_JIANSHE_1), settings, NOW)
    await act(db, reports.accept, taken.id, town["other_officer"], now=NOW + timedelta(hours=1))

    async def due(now: datetime) -> list[int]:
        async with db.session_factory.begin() as session:
            found = await reports.unaccepted_overdue(session, settings=settings, now=now)
            for report in found:
                await reports.mark_escalated(session, report, now=now)
            return [r.id for r in found]

    assert await due(NOW + timedelta(hours=3, minutes=59)) == []
    assert await due(NOW + timedelta(hours=4)) == [waiting.id]
    assert await due(NOW + timedelta(hours=5)) == []
    escalated = await current(db, waiting.id)
    assert escalated.escalated_at == NOW + timedelta(hours=4)
    # An internal step: the resident (and Open311) do not see the report as updated.
    assert escalated.updated_at == NOW


async def test_resolved_reports_close_when_nobody_reopens(db, town, settings):
    assert settings.confirm_days == 3
    report = await submit(db, town["resident"], located(), settings, NOW)
    await act(db, reports.accept, report.id, town["officer"], now=NOW)
    await act(db, reports.resolve, report.id, town["officer"], photos=[AFTER], note=None, now=NOW)
    still_open = await submit(db, town["neighbour"], located(IN_JIANSHE_1), settings, NOW)

    async def close(now: datetime) -> list[int]:
        async with db.session_factory.begin() as session:
            closed = await reports.close_confirm_window(session, settings=settings, now=now)
            return [r.id for r in closed]

    assert await close(NOW + timedelta(days=3) - timedelta(minutes=1)) == []
    assert await close(NOW + timedelta(days=3)) == [report.id]
    assert await close(NOW + timedelta(days=4)) == []
    closed = await current(db, report.id)
    assert (closed.status, closed.closed_at) == (ReportStatus.CLOSED, NOW + timedelta(days=3))
    assert (await current(db, still_open.id)).status == ReportStatus.SUBMITTED
    with pytest.raises(ReportStateConflict):
        await act(
            db,
            reports.reopen,
            report.id,
            town["resident"],
            settings=settings,
            now=NOW + timedelta(days=3, minutes=1),
        )


async def test_overdue_follows_the_category_deadline(db, town, settings):
    vending = await submit(db, town["resident"], located(), settings, NOW)
    structure = await submit(db, town["neighbour"], located(category="structures"), settings, NOW)
    a_day_later = NOW + timedelta(hours=25)
    assert reports.overdue(await current(db, vending.id), settings, a_day_later)
    assert not reports.overdue(await current(db, structure.id), settings, a_day_later)
    await act(db, reports.reject, vending.id, town["officer"], reason="已处理过", now=NOW)
    assert not reports.overdue(await current(db, vending.id), settings, a_day_later)


# --- anonymity in every view ---------------------------------------------------------------


async def _views(db, base_settings, catalogs, report_id: int, viewer: Person) -> list[str]:
    """What the officer's card, the new-report notice and the volunteer's task show."""
    tr = catalogs.translator("zh_Hans")
    async with db.session_factory() as session:
        report = await reports.get_report(session, report_id)
        card = await report_views.card(
            session, report, settings=base_settings.reports, zone=helpers.SHANGHAI, viewer=viewer
        )
        notice, _ = await report_views.handler_notice(
            session, report, base_settings, recipient_id=viewer.id, headline="🆕 New report"
        )
        task, _ = await report_views.task_notice(session, report, base_settings)
    return [card.localize(tr), notice.text(tr), task.text(tr)]


async def test_an_anonymous_reporter_is_hidden_from_everyone_but_the_admins_audit(
    db, town, settings, base_settings, catalogs
):
    # The volunteer 队员乙 (phone 13900000001) reports anonymously.
    report = await submit(db, town["volunteer"], located(anonymous=True), settings, NOW)
    for viewer in ("officer", "leader", "helper", "admin"):
        for text in await _views(db, base_settings, catalogs, report.id, town[viewer]):
            assert "举报人：匿名" in text
            assert "队员乙" not in text and "13900000001" not in text
    async with db.session_factory() as session:
        stored = await reports.get_report(session, report.id)
        for viewer in ("officer", "leader"):
            with pytest.raises(PermissionDenied):
                await report_views.card(
                    session,
                    stored,
                    settings=settings,
                    zone=helpers.SHANGHAI,
                    viewer=town[viewer],
                    audit=True,
                )
        audit = await report_views.card(
            session,
            stored,
            settings=settings,
            zone=helpers.SHANGHAI,
            viewer=town["admin"],
            audit=True,
        )
    audit_text = audit.localize(catalogs.translator("zh_Hans"))
    assert "队员乙" in audit_text and "13900000001" in audit_text


async def test_a_named_reporter_is_shown_by_name_never_by_phone(
    db, town, settings, base_settings, catalogs
):
    report = await submit(db, town["volunteer"], located(anonymous=False), settings, NOW)
    for text in await _views(db, base_settings, catalogs, report.id, town["officer"]):
        assert "举报人：队员乙" in text
        assert "13900000001" not in text
