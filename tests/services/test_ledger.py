"""Ledger invariants on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import func, select

from models import Attendance, EntrySource, EntryStatus, LedgerEntry, MemberRole
from services import attendance, ledger, signups, teams
from services.errors import (
    AlreadyDecided,
    DayFull,
    DisputeTooLate,
    FutureDate,
    InvalidReason,
    OwnEntry,
    PermissionDenied,
    StaleAction,
)
from services.ledger import stars
from tests.services import helpers
from tests.services.helpers import NOW, POST_LAT, POST_LON, SHANGHAI

START = NOW.replace(hour=0, minute=30)  # Friday 27 Nov 2026 08:30 in Shanghai
TODAY = date(2026, 11, 27)


@pytest.fixture
def settings(base_settings):
    return base_settings


@pytest.fixture
async def crew(db, settings):
    async with db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        leader, volunteer, other = [await helpers.person(session) for _ in range(3)]
        for who, name, phone in [
            (leader, "刘队长", "13800000001"),
            (volunteer, "陈队员", "13800000002"),
            (other, "林队员", "13800000003"),
        ]:
            await helpers.register(session, who, settings.registration, name=name, phone=phone)
            await teams.join_team(session, who, team, now=NOW)
        await teams.set_member_role(
            session, admin, team_id=team.id, person_id=leader.id, role=MemberRole.LEADER
        )
        post = await helpers.post(session, admin)
    return {
        "admin": admin,
        "team": team,
        "leader": leader,
        "volunteer": volunteer,
        "other": other,
        "post": post,
    }


async def _log(db, crew, settings, who="volunteer", day=TODAY, minutes=120, **extra):
    async with db.session_factory.begin() as session:
        return await ledger.log_manual(
            session,
            crew[who],
            service_date=day,
            minutes=minutes,
            activity="elder_visit",
            note="陪王奶奶聊天",
            settings=settings.ledger,
            shift_settings=settings.shifts,
            zone=SHANGHAI,
            now=NOW,
            **extra,
        )


async def _decide(db, actor, entry_id, approve=True, reason=None):
    async with db.session_factory.begin() as session:
        return await ledger.decide(
            session, actor, entry_id, approve=approve, reason=reason, now=NOW
        )


# --- append-only ----------------------------------------------------------------------


async def test_decided_entries_cannot_be_changed_or_deleted(db, crew, settings):
    entry = await _log(db, crew, settings)
    await _decide(db, crew["leader"], entry.id)
    for statement in [
        "UPDATE ledger_entry SET minutes = 600 WHERE id = :id",
        "UPDATE ledger_entry SET status = 'rejected' WHERE id = :id",
        "DELETE FROM ledger_entry WHERE id = :id",
    ]:
        with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
            async with db.engine.begin() as connection:
                await connection.execute(text(statement), {"id": entry.id})
    # A pending entry cannot have its minutes changed either, only be decided.
    pending = await _log(db, crew, settings, day=TODAY - timedelta(days=1))
    with pytest.raises((DBAPIError, IntegrityError), match="append-only"):
        async with db.engine.begin() as connection:
            await connection.execute(
                text("UPDATE ledger_entry SET minutes = 1 WHERE id = :id"), {"id": pending.id}
            )
    async with db.session_factory() as session:
        assert (await session.get(LedgerEntry, entry.id)).minutes == 120


async def test_corrections_are_new_entries_and_totals_follow(db, crew, settings):
    entry = await _log(db, crew, settings, minutes=120)
    await _decide(db, crew["leader"], entry.id)
    async with db.session_factory.begin() as session:
        with pytest.raises(OwnEntry):
            await ledger.correct(
                session, crew["volunteer"], entry.id, new_minutes=180, reason="记错了", now=NOW
            )
        with pytest.raises(InvalidReason):
            await ledger.correct(
                session, crew["leader"], entry.id, new_minutes=90, reason=" ", now=NOW
            )
        first = await ledger.correct(
            session,
            crew["leader"],
            entry.id,
            new_minutes=90,
            reason="实际只服务了一个半小时",
            now=NOW,
        )
        second = await ledger.correct(
            session, crew["admin"], entry.id, new_minutes=100, reason="复核后确认 100 分钟", now=NOW
        )
    assert (first.minutes, second.minutes) == (-30, 10)
    assert first.corrects_id == second.corrects_id == entry.id
    assert first.source == EntrySource.CORRECTION and first.decided_by == crew["leader"].id
    async with db.session_factory() as session:
        original = await session.get(LedgerEntry, entry.id)
        assert original.minutes == 120  # untouched
        assert await ledger.effective_minutes(session, original) == 100
        total = await ledger.totals(session, crew["volunteer"].id, today=TODAY)
        assert total.total == 100 and total.by_activity == {"elder_visit": 100}


async def test_no_double_credit_for_one_attendance(db, crew, settings):
    async with db.session_factory.begin() as session:
        shift = await helpers.shift(
            session,
            crew["leader"],
            settings.shifts,
            team_id=crew["team"].id,
            post_id=crew["post"].id,
        )
        await signups.sign_up(
            session,
            crew["volunteer"],
            shift.id,
            settings=settings.shifts,
            zone=SHANGHAI,
            now=NOW - timedelta(days=1),
        )
    async with db.session_factory.begin() as session:
        await attendance.check_by_location(
            session,
            crew["volunteer"],
            POST_LAT,
            POST_LON,
            settings=settings.shifts,
            zone=SHANGHAI,
            now=START - timedelta(minutes=20),
        )
    async with db.session_factory.begin() as session:
        await attendance.check_by_location(
            session,
            crew["volunteer"],
            POST_LAT,
            POST_LON,
            settings=settings.shifts,
            zone=SHANGHAI,
            now=START + timedelta(hours=2, minutes=10),
        )
    closing = START + timedelta(hours=3)
    for _ in range(2):  # the close job runs again (a restart, a second process)
        async with db.session_factory.begin() as session:
            await attendance.close_ended(
                session,
                settings=settings.shifts,
                ledger=settings.ledger,
                zone=SHANGHAI,
                now=closing,
            )
    async with db.session_factory.begin() as session:
        record = (await session.exec(select(Attendance))).one()
        again = await ledger.credit_attendance(
            session, record, settings=settings.ledger, zone=SHANGHAI, now=closing
        )
        entries = (await session.exec(select(LedgerEntry))).all()
    (entry,) = entries
    assert again.id == entry.id
    # Check-in 20 minutes early and check-out 10 minutes late: the shift's 120 minutes.
    assert entry.minutes == 120 and entry.verified
    assert entry.status == EntryStatus.APPROVED and entry.decided_by is None
    assert entry.service_date == TODAY and entry.source == EntrySource.SHIFT
    with pytest.raises(IntegrityError):
        async with db.session_factory.begin() as session:
            session.add(
                LedgerEntry(
                    person_id=entry.person_id,
                    activity=entry.activity,
                    source=EntrySource.SHIFT,
                    attendance_id=entry.attendance_id,
                    service_date=TODAY,
                    minutes=120,
                    status=EntryStatus.APPROVED,
                    created_at=NOW,
                    created_by=entry.person_id,
                )
            )


async def test_unverified_attendance_waits_for_the_leader(db, crew, settings):
    async with db.session_factory.begin() as session:
        shift = await helpers.shift(
            session,
            crew["leader"],
            settings.shifts,
            team_id=crew["team"].id,
            post_id=crew["post"].id,
        )
        for who in ("volunteer", "other"):
            await signups.sign_up(
                session,
                crew[who],
                shift.id,
                settings=settings.shifts,
                zone=SHANGHAI,
                now=NOW - timedelta(days=1),
            )
        await attendance.leader_check_in(
            session,
            crew["leader"],
            shift.id,
            crew["volunteer"].id,
            settings=settings.shifts,
            now=START,
        )
    async with db.session_factory.begin() as session:
        await attendance.check_by_location(
            session,
            crew["volunteer"],
            POST_LAT,
            POST_LON,
            settings=settings.shifts,
            zone=SHANGHAI,
            now=START + timedelta(minutes=90),
        )
        await attendance.close_ended(
            session,
            settings=settings.shifts,
            ledger=settings.ledger,
            zone=SHANGHAI,
            now=START + timedelta(hours=3),
        )
        (entry,) = (await session.exec(select(LedgerEntry))).all()
        # Checked in by the leader's hand, out by location: 90 minutes, for review.
        assert (entry.minutes, entry.verified, entry.status) == (90, False, EntryStatus.PENDING)
        assert await ledger.approvers(session, entry) == [crew["leader"].id]
        # The absent volunteer earns nothing; a leader's "present" credits the shift.
        await attendance.review(
            session,
            crew["leader"],
            shift.id,
            crew["other"].id,
            present=False,
            ledger=settings.ledger,
            zone=SHANGHAI,
            now=START + timedelta(hours=3),
        )
        assert (await session.exec(select(func.count()).select_from(LedgerEntry))).one() == 1


async def test_manual_entry_limits(db, crew, settings):
    with pytest.raises(FutureDate):
        await _log(db, crew, settings, day=TODAY + timedelta(days=1))
    await _log(db, crew, settings, minutes=12 * 60)
    await _log(db, crew, settings, minutes=11 * 60)
    with pytest.raises(DayFull):
        await _log(db, crew, settings, minutes=61)
    await _log(db, crew, settings, minutes=60)  # exactly 24 hours is the limit
    # Older than the window: only administrators decide.
    old = await _log(db, crew, settings, day=TODAY - timedelta(days=31))
    assert old.needs_admin
    async with db.session_factory() as session:
        assert not await ledger.may_decide(session, crew["leader"], old)
        assert await ledger.may_decide(session, crew["admin"], old)
        assert crew["leader"].id not in await ledger.approvers(session, old)
    with pytest.raises(PermissionDenied):
        await _decide(db, crew["leader"], old.id)
    await _decide(db, crew["admin"], old.id)


async def test_who_decides(db, crew, settings):
    own = await _log(db, crew, settings, who="leader")
    with pytest.raises(OwnEntry):
        await _decide(db, crew["leader"], own.id)
    with pytest.raises(PermissionDenied):
        await _decide(db, crew["other"], own.id)
    async with db.session_factory() as session:
        # The team's only leader logged it: the administrators are asked.
        assert await ledger.approvers(session, own) == [crew["admin"].id]
    entry = await _log(db, crew, settings)
    with pytest.raises(InvalidReason):
        await _decide(db, crew["leader"], entry.id, approve=False)
    rejected = await _decide(db, crew["leader"], entry.id, approve=False, reason="当天没有活动")
    assert rejected.status == EntryStatus.REJECTED and rejected.decision_note == "当天没有活动"
    with pytest.raises(AlreadyDecided):
        await _decide(db, crew["admin"], entry.id)
    async with db.session_factory() as session:
        waiting = await ledger.pending_for(session, crew["leader"])
        assert [e.id for e in waiting] == []  # own entry excluded, other decided
        assert [e.id for e in await ledger.pending_for(session, crew["admin"])] == [own.id]


async def test_disputes_within_the_window(db, crew, settings):
    async with db.session_factory.begin() as session:
        shift = await helpers.shift(
            session,
            crew["leader"],
            settings.shifts,
            team_id=crew["team"].id,
            post_id=crew["post"].id,
        )
        await signups.sign_up(
            session,
            crew["volunteer"],
            shift.id,
            settings=settings.shifts,
            zone=SHANGHAI,
            now=NOW - timedelta(days=1),
        )
        await attendance.check_by_location(
            session,
            crew["volunteer"],
            POST_LAT,
            POST_LON,
            settings=settings.shifts,
            zone=SHANGHAI,
            now=START,
        )
        # Forgot to check out: the leader confirms "present" at the end of the day.
        await attendance.close_ended(
            session,
            settings=settings.shifts,
            ledger=settings.ledger,
            zone=SHANGHAI,
            now=START + timedelta(hours=3),
        )
        await attendance.confirm_all_present(
            session,
            crew["leader"],
            shift.id,
            ledger=settings.ledger,
            zone=SHANGHAI,
            now=START + timedelta(hours=4),
        )
        (entry,) = (await session.exec(select(LedgerEntry))).all()
        assert entry.minutes == 120 and entry.decided_by == crew["leader"].id
    later = START + timedelta(days=settings.ledger.dispute_days, hours=3)
    async with db.session_factory.begin() as session:
        with pytest.raises(DisputeTooLate):
            await ledger.request_correction(
                session,
                crew["volunteer"],
                entry.id,
                started_at=START + timedelta(minutes=30),
                ended_at=START + timedelta(hours=2),
                reason="其实晚到了",
                settings=settings.ledger,
                now=later,
            )
        with pytest.raises(PermissionDenied):
            await ledger.request_correction(
                session,
                crew["other"],
                entry.id,
                started_at=START,
                ended_at=START,
                reason="x",
                settings=settings.ledger,
                now=START + timedelta(days=1),
            )
        asked = await ledger.request_correction(
            session,
            crew["volunteer"],
            entry.id,
            started_at=START + timedelta(minutes=30),
            ended_at=START + timedelta(hours=5),
            reason="我九点才到",
            settings=settings.ledger,
            now=START + timedelta(days=1),
        )
    # Clipped to the shift: 09:00–10:30 is 90 minutes, 30 fewer than recorded.
    assert asked.minutes == -30 and asked.status == EntryStatus.PENDING
    assert asked.corrects_id == entry.id and asked.created_by == crew["volunteer"].id
    await _decide(db, crew["leader"], asked.id)
    async with db.session_factory() as session:
        assert (await ledger.totals(session, crew["volunteer"].id, today=TODAY)).total == 90


async def test_a_pending_shift_entry_cannot_be_disputed(db, crew, settings):
    async with db.session_factory.begin() as session:
        shift = await helpers.shift(
            session,
            crew["leader"],
            settings.shifts,
            team_id=crew["team"].id,
            post_id=crew["post"].id,
        )
        await signups.sign_up(
            session,
            crew["volunteer"],
            shift.id,
            settings=settings.shifts,
            zone=SHANGHAI,
            now=NOW - timedelta(days=1),
        )
        await attendance.leader_check_in(
            session,
            crew["leader"],
            shift.id,
            crew["volunteer"].id,
            settings=settings.shifts,
            now=START,
        )
        await attendance.check_by_location(
            session,
            crew["volunteer"],
            POST_LAT,
            POST_LON,
            settings=settings.shifts,
            zone=SHANGHAI,
            now=START + timedelta(minutes=90),
        )
        await attendance.close_ended(
            session,
            settings=settings.shifts,
            ledger=settings.ledger,
            zone=SHANGHAI,
            now=START + timedelta(hours=3),
        )
        (entry,) = (await session.exec(select(LedgerEntry))).all()
        assert entry.status == EntryStatus.PENDING
        assert (
            await ledger.disputable(
                session,
                crew["volunteer"].id,
                settings=settings.ledger,
                now=START + timedelta(days=1),
            )
            == []
        )
        with pytest.raises(StaleAction):
            await ledger.request_correction(
                session,
                crew["volunteer"],
                entry.id,
                started_at=START,
                ended_at=START + timedelta(hours=2),
                reason="我一直在",
                settings=settings.ledger,
                now=START + timedelta(days=1),
            )


async def test_totals_by_period_and_activity(db, crew, settings):
    for day, minutes in [(TODAY, 60), (date(2026, 11, 1), 30), (date(2026, 10, 31), 45)]:
        entry = await _log(
            db,
            crew,
            settings,
            day=day,
            minutes=minutes,
        )
        await _decide(db, crew["admin"], entry.id)
    await _log(db, crew, settings, minutes=15)  # still pending
    async with db.session_factory() as session:
        total = await ledger.totals(session, crew["volunteer"].id, today=TODAY)
    assert (total.total, total.this_month, total.this_year, total.pending) == (135, 90, 135, 15)


@pytest.mark.parametrize(
    ("minutes", "level", "next_hours", "to_next"),
    [
        (0, 0, 100, 6000),
        (5999, 0, 100, 1),
        (6000, 1, 300, 12000),
        (17999, 1, 300, 1),
        (18000, 2, 600, 18000),
        (60000, 4, 1500, 30000),
        (90000, 5, None, None),
        (200000, 5, None, None),
    ],
)
def test_star_levels(minutes, level, next_hours, to_next):
    assert stars(minutes, [100, 300, 600, 1000, 1500]) == ledger.Stars(level, next_hours, to_next)


async def test_rankings_and_team_totals(db, crew, settings):
    for who, minutes in [("volunteer", 120), ("other", 120), ("leader", 60)]:
        entry = await _log(db, crew, settings, who=who, minutes=minutes)
        await _decide(db, crew["admin"], entry.id)
    async with db.session_factory.begin() as session:
        await ledger.set_in_rankings(session, crew["other"], False)
    start, end = ledger.month_bounds(TODAY)
    assert (start, end) == (date(2026, 11, 1), date(2026, 11, 30))
    async with db.session_factory() as session:
        ranked = await ledger.ranking(session, start=start, end=end, team_id=crew["team"].id)
        totals = await ledger.team_totals(session, start=start, end=end)
    assert [(r.rank, r.name, r.minutes) for r in ranked] == [
        (1, "陈队员", 120),
        (1, None, 120),
        (3, "刘队长", 60),
    ]
    assert [(t.team.id, t.minutes, t.volunteers) for t in totals] == [(crew["team"].id, 300, 3)]
