"""Elder care with controlled time: the daily prompt, retries, the backup, escalation,
acknowledgement, the all-clear, pauses, birthdays, visits and the weekly record."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from models import (
    CarerRole,
    CareStatus,
    CareTask,
    GridOfficer,
    LedgerEntry,
    MemberRole,
    Notification,
    Person,
)
from services import care, elders, outbox, teams
from services.errors import AlreadyHandled, InvalidBirthday, InvalidContactPhone, PermissionDenied
from services.i18n import Catalogs
from services.outbox import QuietHours
from services.reminders import Moment
from tests.services import helpers
from tests.services.helpers import SHANGHAI

CATALOGS = Catalogs()
# Monday 30 November 2026 in Shanghai.
MONDAY = date(2026, 11, 30)


def at_local(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
async def home(db, base_settings):
    """Grandma Wang in Dongfeng grid 1, cared for by the cleanup team."""
    start = at_local(8) - timedelta(days=3)
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
                phone=f"1390000000{index}",
            )
            await teams.join_team(session, who, team, now=start)
        leader, caller, backup, other = people
        await teams.set_member_role(
            session, admin, team_id=team.id, person_id=leader.id, role=MemberRole.LEADER
        )
        officer = await helpers.person(session)
        grid = await helpers.grid(session)
        session.add(GridOfficer(grid_id=grid.id, person_id=officer.id, assigned_at=start))
        family = await helpers.person(session)
        elder = await elders.create_elder(
            session,
            officer,
            elders.ElderDetails(
                name="王秀英",
                phone="0571-8888 1234",
                address="东风路 12 号 3 单元 201",
                grid_id=grid.id,
                team_id=team.id,
                birthday=date(1941, 3, 15),
                family_name="王强",
                family_phone="13700001111",
                family_alerts=False,
                notes="耳背，电话多响几声",
            ),
            now=start,
        )
        await elders.set_carer(session, leader, elder.id, caller.id, CarerRole.CALLER, now=start)
        await elders.set_carer(
            session, leader, elder.id, backup.id, CarerRole.BACKUP, now=start + timedelta(1)
        )
        code = await elders.family_invite(session, officer, elder.id)
        await elders.join_as_family(session, family, code.removeprefix("family_"))
    return {
        "admin": admin,
        "team": team,
        "leader": leader,
        "caller": caller,
        "backup": backup,
        "other": other,
        "officer": officer,
        "family": family,
        "elder": elder,
    }


async def _plan(db, settings, now) -> int:
    async with db.session_factory.begin() as session:
        return await care.plan_care(session, Moment(settings, CATALOGS, now))


async def _act(db, settings, now, action, *args):
    async with db.session_factory.begin() as session:
        return await action(session, *args, Moment(settings, CATALOGS, now))


async def _notes(db, prefix: str) -> list[Notification]:
    async with db.session_factory() as session:
        rows = await session.exec(
            select(Notification)
            .where(col(Notification.key).startswith(prefix))
            .order_by(col(Notification.id))
        )
        return list(rows.all())


async def _task(db) -> CareTask:
    async with db.session_factory() as session:
        return (await session.exec(select(CareTask))).one()


def test_contact_phones_and_birthdays_are_checked():
    assert elders.normalize_contact_phone("0571-8888 1234") == "057188881234"
    assert elders.normalize_contact_phone("138 1234 5678") == "13812345678"
    with pytest.raises(InvalidContactPhone):
        elders.normalize_contact_phone("call me")
    assert elders.parse_birthday("1941-12-07", MONDAY) == date(1941, 12, 7)
    assert elders.parse_birthday("1941年12月7日", MONDAY) == date(1941, 12, 7)
    for wrong in ("12-07", "2030-01-01", "1941-13-40"):
        with pytest.raises(InvalidBirthday):
            elders.parse_birthday(wrong, MONDAY)


async def test_the_daily_prompt_comes_once_at_call_time(db, base_settings, home):
    assert await _plan(db, base_settings, at_local(8, 59)) == 0
    assert await _plan(db, base_settings, at_local(9)) == 1
    assert await _plan(db, base_settings, at_local(9, 1)) == 0
    (prompt,) = await _notes(db, "care:")
    assert prompt.person_id == home["caller"].id
    assert prompt.text.startswith("📞 请今天给王秀英打个电话，问问近况。")
    # The number is not in the prompt: it is revealed with a button, to the carer only.
    assert "8888" not in prompt.text
    labels = [b["label"] for row in prompt.buttons for b in row]
    assert labels == [
        "📱 显示电话",
        "✅ 通话了，一切都好",
        "🆘 需要帮助",
        "📵 没联系上",
        "🙅 我今天不行",
    ]
    async with db.session_factory() as session:
        task = await _task(db)
        elder = await care.contact(session, home["caller"], task.id)
        assert elder.phone == "057188881234"
        with pytest.raises(PermissionDenied):
            await care.contact(session, home["other"], task.id)


async def test_unreached_retry_then_escalation_and_all_clear(db, base_settings, home):
    await _plan(db, base_settings, at_local(9))
    task = await _task(db)
    retry = await _act(db, base_settings, at_local(9, 30), care.unreached, home["caller"], task.id)
    assert retry == at_local(11, 30)
    assert await _plan(db, base_settings, at_local(11, 29)) == 0
    assert await _plan(db, base_settings, at_local(11, 30)) == 1
    (_, again) = await _notes(db, f"care:{task.id}:prompt:")
    assert again.text.startswith("📞 请再试着联系王秀英。")
    # Late in the afternoon a retry would come after the deadline: none is planned.
    retry = await _act(db, base_settings, at_local(16, 30), care.unreached, home["caller"], task.id)
    assert retry is None
    assert await _plan(db, base_settings, at_local(17, 59)) == 0
    # 18:00: the leader, the grid officer and the family hear it, once, urgently.
    assert await _plan(db, base_settings, at_local(18)) == 3
    assert await _plan(db, base_settings, at_local(18, 5)) == 0
    alerts = await _notes(db, f"care:{task.id}:alert:")
    assert {a.person_id for a in alerts} == {home["leader"].id, home["officer"].id}
    assert all(a.urgent for a in alerts)
    text = alerts[0].text
    assert text.startswith("🚨 今天（11月30日周一）还没有人联系上王秀英。")
    assert "负责电话：队员乙 · 未接通次数：2" in text
    assert "📞 057188881234 · 📍 东风路 12 号 3 单元 201" in text
    assert "家属：王强 13700001111" in text and "备注：耳背，电话多响几声" in text
    (family,) = await _notes(db, f"care:{task.id}:family")
    assert family.person_id == home["family"].id and "057188881234" not in family.text

    # The officer takes it; the leader sees who; the leader cannot take it as well.
    await _act(db, base_settings, at_local(18, 10), care.acknowledge, home["officer"], task.id)
    (ack,) = await _notes(db, f"care:{task.id}:ack:")
    assert ack.person_id == home["leader"].id and ack.text.startswith("👍 ")
    with pytest.raises(AlreadyHandled):
        await _act(db, base_settings, at_local(18, 11), care.acknowledge, home["leader"], task.id)

    # The officer reaches her: everyone alerted gets the all-clear.
    await _act(db, base_settings, at_local(18, 40), care.reached, home["officer"], task.id)
    clear = await _notes(db, f"care:{task.id}:clear:")
    assert {c.person_id for c in clear} == {home["leader"].id, home["family"].id}
    assert "18:40" in clear[0].text
    assert (await _task(db)).status == CareStatus.DONE


async def test_needs_help_escalates_at_once_even_in_quiet_hours(db, base_settings, home):
    await _plan(db, base_settings, at_local(9))
    task = await _task(db)
    await _act(db, base_settings, at_local(9, 20), care.needs_help, home["caller"], task.id)
    alerts = await _notes(db, f"care:{task.id}:alert:")
    assert len(alerts) == 2 and alerts[0].text.startswith("🆘 队员乙和王秀英通了电话：需要帮助。")
    # No family message: she was reached.
    assert await _notes(db, f"care:{task.id}:family") == []
    await _act(
        db, base_settings, at_local(9, 21), care.add_note, home["caller"], task.id, "药吃完了"
    )
    notes = await _notes(db, f"care:{task.id}:note:")
    assert len(notes) == 2 and "药吃完了" in notes[0].text
    # At 23:00 an urgent alert still goes out; a non-urgent one waits for the morning.
    quiet = QuietHours(
        base_settings.notifications.quiet_start, base_settings.notifications.quiet_end, SHANGHAI
    )
    async with db.session_factory.begin() as session:
        claimed = await outbox.claim_due(session, now=at_local(23), quiet=quiet)
    kinds = {n.key.split(":")[2] for n in claimed}
    assert "alert" in kinds and "prompt" not in kinds


async def test_a_silent_caller_hands_over_to_the_backup(db, base_settings, home):
    await _plan(db, base_settings, at_local(9))
    assert await _plan(db, base_settings, at_local(10, 59)) == 0
    assert await _plan(db, base_settings, at_local(11)) == 1
    (_, to_backup) = await _notes(db, "care:")
    assert to_backup.person_id == home["backup"].id
    assert "队员乙今天不方便，由您作为替补。" in to_backup.text
    # The backup says they cannot either: there is nobody else, the overseers hear it.
    task = await _task(db)
    had_backup = await _act(
        db, base_settings, at_local(11, 5), care.cannot_today, home["backup"], task.id
    )
    assert had_backup is False
    told = await _notes(db, f"care:{task.id}:nobackup:")
    assert {n.person_id for n in told} == {home["leader"].id, home["officer"].id}


async def test_two_callers_take_turns(db, base_settings, home):
    async with db.session_factory.begin() as session:
        await elders.set_carer(
            session,
            home["leader"],
            home["elder"].id,
            home["other"].id,
            CarerRole.CALLER,
            now=at_local(8),
        )
    await _plan(db, base_settings, at_local(9))
    await _plan(db, base_settings, at_local(9, day=MONDAY + timedelta(days=1)))
    prompts = [n for n in await _notes(db, "care:") if ":prompt:" in n.key]
    assert len(prompts) == 2 and len({p.person_id for p in prompts}) == 2


async def test_a_paused_plan_sends_nothing(db, base_settings, home):
    async with db.session_factory.begin() as session:
        await elders.pause(
            session,
            home["leader"],
            home["elder"].id,
            MONDAY + timedelta(days=1),
            today=MONDAY,
            reason="住院",
        )
    for hour in (9, 12, 18, 20):
        assert await _plan(db, base_settings, at_local(hour)) == 0
    assert (await _task(db)).status == CareStatus.SKIPPED
    # After the pause the calls resume.
    assert await _plan(db, base_settings, at_local(9, day=MONDAY + timedelta(days=2))) == 1


async def test_birthdays_a_week_before_and_on_the_day(db, base_settings, home):
    async with db.session_factory.begin() as session:
        elder = await elders.get_elder(session, home["elder"].id)
        elder.birthday = date(1941, 12, 7)
    week_before = date(2026, 11, 30)
    assert await _plan(db, base_settings, at_local(9, day=week_before)) >= 1
    before = await _notes(db, "birthday:")
    assert {n.person_id for n in before} == {
        home["caller"].id,
        home["backup"].id,
        home["leader"].id,
        home["officer"].id,
    }
    assert "王秀英12月7日周一满 85 岁" in before[0].text
    await _plan(db, base_settings, at_local(10, day=week_before))
    assert len(await _notes(db, "birthday:")) == 4
    await _plan(db, base_settings, at_local(9, day=date(2026, 12, 7)))
    on_the_day = [
        n
        for n in await _notes(db, "birthday:")
        if n.key.endswith(f":{n.person_id}") and ":day:" in n.key
    ]
    assert len(on_the_day) == 4 and "今天王秀英满 85 岁" in on_the_day[0].text


async def test_weekly_visit_and_its_minutes(db, base_settings, home):
    async with db.session_factory.begin() as session:
        await elders.set_visit_day(session, home["leader"], home["elder"].id, MONDAY.weekday())
    assert await _plan(db, base_settings, at_local(9)) == 2  # the call and the visit
    async with db.session_factory() as session:
        visit = (await session.exec(select(CareTask).where(CareTask.kind == "visit"))).one()
    (prompt,) = await _notes(db, f"care:{visit.id}:prompt:")
    assert prompt.text.startswith("🏠 今天是王秀英的每周上门探访。")
    await _act(db, base_settings, at_local(15), care.reached, home["caller"], visit.id)
    entry = await _act(
        db, base_settings, at_local(15, 1), care.log_visit, home["caller"], visit.id, 60
    )
    async with db.session_factory() as session:
        stored = await session.get_one(LedgerEntry, entry.id)
    assert stored.minutes == 60 and stored.status == "pending" and stored.note == "王秀英"
    # The visit day's deadline is 20:00; the call's 18:00 escalates on its own.
    await _plan(db, base_settings, at_local(18))
    assert len(await _notes(db, f"care:{visit.id}:alert:")) == 0


async def test_who_sees_whom(db, base_settings, home):
    async with db.session_factory() as session:
        elder = home["elder"]
        for who in ("admin", "officer", "leader", "caller", "backup"):
            assert await elders.can_see_private(session, home[who], elder), who
            assert elder in await elders.visible_elders(session, home[who])
        assert not await elders.can_see_private(session, home["other"], elder)
        assert await elders.visible_elders(session, home["other"]) == []
        assert not await elders.can_manage(session, home["caller"], elder)
        assert [g.code for g in await elders.registrable_grids(session, home["officer"])] == [
            "dongfeng-1"
        ]
        with pytest.raises(PermissionDenied):
            await elders.require_registrar(session, home["leader"])


async def test_the_week_record(db, base_settings, home):
    for offset in range(3):
        day = MONDAY + timedelta(days=offset)
        await _plan(db, base_settings, at_local(9, day=day))
        task_id = max(t.id for t in await _tasks(db))
        if offset == 0:
            await _act(
                db, base_settings, at_local(10, day=day), care.reached, home["caller"], task_id
            )
        elif offset == 1:
            await _plan(db, base_settings, at_local(18, day=day))
    async with db.session_factory() as session:
        (week,) = await care.week_record(
            session, home["officer"], last_day=MONDAY + timedelta(days=2), days=4
        )
    assert [care.day_mark(task) for _, task in week.days] == ["·", "✅", "⚠️", "⏳"]


async def _tasks(db) -> list[CareTask]:
    async with db.session_factory() as session:
        return list((await session.exec(select(CareTask))).all())


async def test_a_caller_chosen_later_in_the_day_is_asked_that_day(db, base_settings, home):
    async with db.session_factory.begin() as session:
        await elders.set_carer(
            session, home["leader"], home["elder"].id, home["caller"].id, None, now=at_local(8)
        )
    assert await _plan(db, base_settings, at_local(9)) == 0  # nobody to ask yet
    async with db.session_factory.begin() as session:
        await elders.set_carer(
            session,
            home["leader"],
            home["elder"].id,
            home["other"].id,
            CarerRole.CALLER,
            now=at_local(10),
        )
    assert await _plan(db, base_settings, at_local(10, 1)) == 1
    (prompt,) = await _notes(db, "care:")
    assert prompt.person_id == home["other"].id


async def test_twenty_elders_for_a_week_every_day_reached_or_escalated(db, base_settings, home):
    """The issue's "done": twenty elders, a week of calls answered in every way, planning
    run twice per tick (a restart, a second process): every day of every elder ends
    reached or escalated, and no prompt is sent twice."""
    start = at_local(8, day=MONDAY)
    async with db.session_factory.begin() as session:
        first = home["elder"]
        registered = [first]
        for number in range(19):
            elder = await elders.create_elder(
                session,
                home["officer"],
                elders.ElderDetails(
                    name=f"老人{'一二三四五六七八九十'[number % 10]}{'甲乙'[number // 10]}",
                    phone=f"05718888{number:04d}",
                    address=f"东风路 {number + 1} 号",
                    grid_id=first.grid_id,
                    team_id=first.team_id,
                    birthday=None,
                    family_name=None,
                    family_phone=None,
                    family_alerts=False,
                    notes=None,
                ),
                now=start - timedelta(days=1),
            )
            callers = (home["caller"], home["other"])
            await elders.set_carer(
                session,
                home["leader"],
                elder.id,
                callers[number % 2].id,
                CarerRole.CALLER,
                now=start,
            )
            await elders.set_carer(
                session, home["leader"], elder.id, home["backup"].id, CarerRole.BACKUP, now=start
            )
            registered.append(elder)
        first_row = await elders.get_elder(session, first.id)
        first_row.created_at = start - timedelta(days=1)

    async def tick(moment):
        for _ in range(2):
            await _plan(db, base_settings, moment)

    async def open_task(elder_id, day):
        async with db.session_factory() as session:
            return await care.today_task(session, elder_id, day)

    expected_escalations = 0
    for offset in range(7):
        day = MONDAY + timedelta(days=offset)
        await tick(at_local(9, day=day))
        for index, elder in enumerate(registered):
            task = await open_task(elder.id, day)
            way = (index + offset) % 4
            if way == 0:  # reached at once
                await _act(
                    db,
                    base_settings,
                    at_local(9, 30, day),
                    care.reached,
                    await _person(db, task.assignee_id),
                    task.id,
                )
            elif way == 1:  # not reached, then reached on the retry
                await _act(
                    db,
                    base_settings,
                    at_local(9, 30, day),
                    care.unreached,
                    await _person(db, task.assignee_id),
                    task.id,
                )
        for hour, minute in ((11, 30), (12, 0)):
            await tick(at_local(hour, minute, day))
        for index, elder in enumerate(registered):
            task = await open_task(elder.id, day)
            way = (index + offset) % 4
            if way == 1:
                await _act(
                    db,
                    base_settings,
                    at_local(11, 40, day),
                    care.reached,
                    await _person(db, task.assignee_id),
                    task.id,
                )
            elif way == 2 and task.handed_over:  # silent caller: the backup reaches them
                await _act(
                    db,
                    base_settings,
                    at_local(12, 10, day),
                    care.reached,
                    await _person(db, task.assignee_id),
                    task.id,
                )
        await tick(at_local(18, day=day))
        for index, elder in enumerate(registered):
            task = await open_task(elder.id, day)
            if (index + offset) % 4 == 3 or task.status == CareStatus.ESCALATED:
                expected_escalations += 1
                assert task.status == CareStatus.ESCALATED
                await _act(
                    db,
                    base_settings,
                    at_local(19, day=day),
                    care.acknowledge,
                    home["leader"],
                    task.id,
                )
                await _act(
                    db, base_settings, at_local(19, 30, day), care.reached, home["leader"], task.id
                )
        await tick(at_local(20, day=day))

    async with db.session_factory() as session:
        record = await care.week_record(
            session, home["officer"], last_day=MONDAY + timedelta(days=6)
        )
        today = MONDAY + timedelta(days=7)
        assert len(record) == 20 and all(row.covered(today) for row in record)
        assert sum(row.escalations() for row in record) == expected_escalations
        # One prompt notification per prompt the tasks counted: none sent twice.
        tasks = (await session.exec(select(CareTask).where(CareTask.kind == "call"))).all()
    prompts = await _notes(db, "care:")
    assert len([n for n in prompts if ":prompt:" in n.key]) == sum(t.prompts for t in tasks)
    assert len(tasks) == 20 * 7


async def _person(db, person_id):
    async with db.session_factory() as session:
        return await session.get_one(Person, person_id)
