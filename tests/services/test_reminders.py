"""Reminders, leaders' alerts, the Friday call-up and the digest, with controlled time."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import col, select

from models import MemberRole, Notification
from services import attendance, outbox, reminders, reports, signups, teams
from services.i18n import Catalogs
from services.reminders import Moment, is_statutory_holiday
from tests.services import helpers
from tests.services.helpers import NOW, POST_LAT, POST_LON, SHANGHAI

# The shift: Friday 27 Nov 2026 08:30–10:30 in Shanghai (00:30 UTC).
START = NOW.replace(hour=0, minute=30)
CATALOGS = Catalogs()


@pytest.fixture
async def crew(db, base_settings):
    async with db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        people = [await helpers.person(session) for _ in range(4)]
        for index, who in enumerate(people):
            await helpers.register(
                session,
                who,
                base_settings.registration,
                name=f"队员{'甲乙丙丁'[index]}",
                phone=f"1380000000{index}",
            )
            await teams.join_team(session, who, team, now=NOW - timedelta(days=3))
        leader, a, b, c = people
        await teams.set_member_role(
            session, admin, team_id=team.id, person_id=leader.id, role=MemberRole.LEADER
        )
        post = await helpers.post(session, admin)
        shift = await helpers.shift(
            session,
            leader,
            base_settings.shifts,
            team_id=team.id,
            post_id=post.id,
            capacity=3,
            now=NOW - timedelta(days=3),
        )
        shift.min_volunteers = 3
        for who in (a, b):
            await signups.sign_up(
                session,
                who,
                shift.id,
                settings=base_settings.shifts,
                zone=SHANGHAI,
                now=NOW - timedelta(days=3),
            )
    return {
        "admin": admin,
        "team": team,
        "leader": leader,
        "a": a,
        "b": b,
        "c": c,
        "post": post,
        "shift": shift,
    }


async def _plan(db, settings, now, planner=reminders.plan_all) -> int:
    async with db.session_factory.begin() as session:
        return await planner(session, Moment(settings, CATALOGS, now))


async def _sent_everything(db, now) -> None:
    """Mark what is due as sent (the sending itself is tested with the outbox)."""
    async with db.session_factory.begin() as session:
        for row in await outbox.claim_due(session, now=now):
            await outbox.mark_sent(session, row.id, chat_id=None, message_id=None, now=now)


async def _keys(db, prefix: str = "") -> list[str]:
    async with db.session_factory() as session:
        rows = await session.exec(select(Notification.key).order_by(Notification.key))
        return [k for k in rows.all() if k.startswith(prefix)]


async def test_reminders_at_each_offset_once(db, base_settings, crew):
    shift, a, b = crew["shift"], crew["a"], crew["b"]
    assert (
        await _plan(db, base_settings, START - timedelta(hours=25), reminders.plan_reminders) == 0
    )
    first_moment = START - timedelta(hours=24)
    assert await _plan(db, base_settings, first_moment, reminders.plan_reminders) == 2
    # A minute later, or after a restart: nothing new.
    assert (
        await _plan(
            db, base_settings, first_moment + timedelta(minutes=1), reminders.plan_reminders
        )
        == 0
    )
    assert await _plan(db, base_settings, START - timedelta(hours=1), reminders.plan_reminders) == 2
    assert await _keys(db, "reminder:") == sorted(
        f"reminder:{shift.id}:{p.id}:{o}" for p in (a, b) for o in (1440, 60)
    )
    async with db.session_factory() as session:
        first = (
            await session.exec(
                select(Notification).where(Notification.key == f"reminder:{shift.id}:{a.id}:1440")
            )
        ).one()
        last = (
            await session.exec(
                select(Notification).where(Notification.key == f"reminder:{shift.id}:{a.id}:60")
            )
        ).one()
    assert first.text.startswith("⏰ 提醒：清洁家园 · 11月27日周五 08:30–10:30 · 东风路口。")
    assert "您还能来吗" in first.text
    assert [b["data"] for row in first.buttons for b in row] == [
        f"rm:yes:{shift.id}",
        f"my:cx:{shift.id}",
    ]
    assert first.location == {"latitude": POST_LAT, "longitude": POST_LON}
    assert first.due_at == first_moment and not first.urgent
    assert last.urgent  # the last one before the shift ignores quiet hours


async def test_after_downtime_only_the_latest_due_reminder_and_within_grace(
    db, base_settings, crew
):
    shift, a = crew["shift"], crew["a"]
    # Down from before the 24 h mark until 40 minutes before the start.
    back = START - timedelta(minutes=40)
    assert await _plan(db, base_settings, back, reminders.plan_reminders) == 2
    assert await _keys(db, f"reminder:{shift.id}:{a.id}") == [f"reminder:{shift.id}:{a.id}:60"]
    await _sent_everything(db, back)
    async with db.session_factory() as session:
        sent = (
            await session.exec(
                select(Notification).where(Notification.key == f"reminder:{shift.id}:{a.id}:60")
            )
        ).one()
    assert sent.late  # due 20 minutes earlier: sent, and marked late


async def test_a_reminder_missed_beyond_the_grace_window_is_skipped(db, base_settings, crew):
    # Back 7 hours after the 24 h mark (grace is 6 h); the 1 h one is not due yet.
    back = START - timedelta(hours=17)
    assert await _plan(db, base_settings, back, reminders.plan_reminders) == 0


async def test_muted_kinds_and_late_sign_ups_get_no_reminder(db, base_settings, crew):
    shift = crew["shift"]
    async with db.session_factory.begin() as session:
        await reminders.set_muted(
            session, crew["a"], "cleanup", muted=True, shifts=base_settings.shifts
        )
        # C signs up 20 hours before: after the 24 h reminder's moment.
        await signups.sign_up(
            session,
            crew["c"],
            shift.id,
            settings=base_settings.shifts,
            zone=SHANGHAI,
            now=START - timedelta(hours=20),
        )
    assert (
        await _plan(db, base_settings, START - timedelta(hours=19), reminders.plan_reminders) == 1
    )  # only B
    assert (
        await _plan(db, base_settings, START - timedelta(hours=1), reminders.plan_reminders) == 2
    )  # B and C, not the muted A


async def test_the_leader_hears_who_did_not_confirm(db, base_settings, crew):
    shift, a, leader = crew["shift"], crew["a"], crew["leader"]
    asked = START - timedelta(hours=24)
    await _plan(db, base_settings, asked, reminders.plan_reminders)
    await _sent_everything(db, asked)
    async with db.session_factory.begin() as session:
        await reminders.answer_coming(session, a, shift.id, now=asked + timedelta(hours=1))
    deadline = START - timedelta(hours=12)
    assert (
        await _plan(db, base_settings, deadline - timedelta(minutes=1), reminders.plan_unconfirmed)
        == 0
    )
    assert await _plan(db, base_settings, deadline, reminders.plan_unconfirmed) == 1
    assert (
        await _plan(db, base_settings, deadline + timedelta(hours=1), reminders.plan_unconfirmed)
        == 0
    )
    async with db.session_factory() as session:
        notice = (
            await session.exec(
                select(Notification).where(
                    Notification.key == f"unconfirmed:{shift.id}:{leader.id}"
                )
            )
        ).one()
    assert "队员丙 13800000002" in notice.text and "队员乙" not in notice.text


async def test_missing_at_the_start_and_understaffed_before(db, base_settings, crew):
    shift, a, leader = crew["shift"], crew["a"], crew["leader"]
    # Two of at least three: the leader is warned within 24 hours, once.
    assert (
        await _plan(db, base_settings, START - timedelta(hours=25), reminders.plan_understaffed)
        == 0
    )
    assert (
        await _plan(db, base_settings, START - timedelta(hours=23), reminders.plan_understaffed)
        == 1
    )
    assert (
        await _plan(db, base_settings, START - timedelta(hours=2), reminders.plan_understaffed) == 0
    )
    async with db.session_factory.begin() as session:
        await attendance.check_by_location(
            session, a, POST_LAT, POST_LON, settings=base_settings.shifts, zone=SHANGHAI, now=START
        )
    assert (
        await _plan(db, base_settings, START + timedelta(minutes=14), reminders.plan_missing) == 0
    )
    assert (
        await _plan(db, base_settings, START + timedelta(minutes=15), reminders.plan_missing) == 1
    )
    async with db.session_factory() as session:
        notice = (
            await session.exec(
                select(Notification).where(Notification.key == f"missing:{shift.id}:{leader.id}")
            )
        ).one()
    assert "队员丙" in notice.text and "队员乙" not in notice.text


THURSDAY_1900 = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)  # 19:00 in Shanghai


async def test_friday_call_up(db, base_settings, crew):
    shift, c, leader, team = crew["shift"], crew["c"], crew["leader"], crew["team"]
    assert (
        await _plan(db, base_settings, THURSDAY_1900 - timedelta(minutes=1), reminders.plan_callups)
        == 0
    )
    # C is not on the shift yet; the leader gets the report.
    assert await _plan(db, base_settings, THURSDAY_1900, reminders.plan_callups) == 2
    assert await _keys(db, "callup") == sorted(
        [f"callup:{shift.id}:{c.id}", f"callup-leader:{shift.id}:{leader.id}"]
    )
    # With the team's group linked, the call goes to the group instead.
    async with db.session_factory.begin() as session:
        await teams.link_group(session, crew["admin"], team.id, "-100777")
        second = await helpers.shift(
            session,
            leader,
            base_settings.shifts,
            team_id=team.id,
            post_id=crew["post"].id,
            start=time(14, 0),
            now=NOW - timedelta(days=3),
        )
    assert (
        await _plan(db, base_settings, THURSDAY_1900 + timedelta(minutes=5), reminders.plan_callups)
        == 2
    )
    async with db.session_factory() as session:
        group = (
            await session.exec(
                select(Notification).where(Notification.key == f"callup:{second.id}:group")
            )
        ).one()
    assert group.chat_id == "-100777" and group.person_id is None
    assert "还缺 3 名志愿者" in group.text


async def test_call_up_on_a_statutory_holiday_follows_the_setting(db, base_settings, crew):
    assert is_statutory_holiday(date(2026, 10, 2))  # National Day, a Friday
    assert not is_statutory_holiday(date(2026, 11, 27))
    assert not is_statutory_holiday(date(2030, 5, 3))  # no data: an ordinary day
    holiday_eve = datetime(2026, 10, 1, 11, 0, tzinfo=UTC)  # Thursday 1 Oct, 19:00
    async with db.session_factory.begin() as session:
        await helpers.shift(
            session,
            crew["leader"],
            base_settings.shifts,
            team_id=crew["team"].id,
            post_id=crew["post"].id,
            day=date(2026, 10, 2),
            now=holiday_eve - timedelta(days=3),
        )
    assert await _plan(db, base_settings, holiday_eve, reminders.plan_callups) == 0
    send = base_settings.reminders.model_copy(update={"callup_on_holiday": "send"})
    anyway = base_settings.model_copy(update={"reminders": send})
    assert await _plan(db, anyway, holiday_eve, reminders.plan_callups) > 0


async def test_weekly_digest(db, base_settings, crew):
    shift, a, b, leader = crew["shift"], crew["a"], crew["b"], crew["leader"]
    settings = base_settings
    async with db.session_factory.begin() as session:
        await attendance.check_by_location(
            session, a, POST_LAT, POST_LON, settings=settings.shifts, zone=SHANGHAI, now=START
        )
        await attendance.check_by_location(
            session,
            a,
            POST_LAT,
            POST_LON,
            settings=settings.shifts,
            zone=SHANGHAI,
            now=START + timedelta(hours=2),
        )
        await attendance.close_ended(
            session,
            settings=settings.shifts,
            ledger=settings.ledger,
            zone=SHANGHAI,
            now=START + timedelta(hours=3),
        )
        await attendance.review(
            session,
            leader,
            shift.id,
            b.id,
            present=False,
            ledger=settings.ledger,
            zone=SHANGHAI,
            now=START + timedelta(hours=3),
        )
        # Next week: the recurring Friday still needs people.
        await helpers.shift(
            session,
            leader,
            settings.shifts,
            team_id=crew["team"].id,
            post_id=crew["post"].id,
            day=date(2026, 12, 4),
            capacity=10,
            now=NOW,
        )
    monday_8am = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    # Residents' reports: parking is due within 24 h, rubbish too; the posters one was
    # reported in another community.
    async with db.session_factory.begin() as session:
        for category, latitude, longitude, reported in [
            ("parking", 30.2725, 120.1675, monday_8am - timedelta(days=2)),  # dongfeng, late
            ("dumping", 30.2725, 120.1625, monday_8am - timedelta(hours=3)),  # dongfeng
            ("posters", 30.2725, 120.1775, monday_8am - timedelta(days=3)),  # jianshe
        ]:
            await reports.submit(
                session,
                reports.Submission(category=category, latitude=latitude, longitude=longitude),
                reporter=None,
                settings=settings.reports,
                now=reported,
            )
    assert await _plan(db, settings, monday_8am - timedelta(minutes=1), reminders.plan_digests) == 0
    assert await _plan(db, settings, monday_8am, reminders.plan_digests) == 1
    assert await _plan(db, settings, monday_8am + timedelta(hours=1), reminders.plan_digests) == 0
    async with db.session_factory() as session:
        digest = (
            await session.exec(
                select(Notification).where(col(Notification.key).startswith("digest:"))
            )
        ).one()
    assert digest.person_id == leader.id
    assert "班次：1 · 到岗：1 · 缺席：1" in digest.text
    assert "已批准服务：2 小时" in digest.text
    assert "12月4日周五 08:30–10:30" in digest.text and "0/10" in digest.text
    assert "本社区未办结的群众举报：2 件" in digest.text
    assert "已超过处理时限" in digest.text and "R000001 乱停乱放" in digest.text
    assert "R000002" not in digest.text and "R000003" not in digest.text
