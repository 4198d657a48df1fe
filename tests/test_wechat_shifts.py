"""Shifts on WeChat, end to end through the callback endpoint: a volunteer answers the
reminder and cancels with a typed reason (the waitlist moves up); a leader works the
roster by number (gives a place, assigns a member who accepts by number, checks someone
in, marks a no-show, cancels the shift)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlmodel import col, select

from models import Attendance, AttendanceStatus, MemberRole, Notification, Person, ShiftSignup
from services import broadcasts, channel_link, identity, ledger, reminders, signups, teams
from services.broadcasts import Scope
from services.reminders import Moment
from tests.services import helpers

# Later than the Telegram accounts' last use (helpers.NOW), so WeChat is where the
# people were seen last and where their notices go.
SUNDAY = date(2026, 11, 29)  # the shift: 08:30–10:30 in Shanghai
FRIDAY_2000 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SATURDAY_0840 = datetime(2026, 11, 28, 0, 40, tzinfo=UTC)
SUNDAY_0900 = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


async def _volunteer(session, server, team, name: str, phone: str):
    who = await helpers.person(session)
    await helpers.register(session, who, server.settings.registration, name=name, phone=phone)
    await teams.join_team(session, who, team, now=helpers.NOW)
    return who


async def _leader_and_member_on_wechat(
    server, leader_user: str, member_user: str, *, with_post: bool = False
) -> None:
    """A team led by 刘队长 with 陈队员 in it, both registered on Telegram and linked to
    WeChat on Friday evening (and the post 东风路口 when asked for)."""
    async with server.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        if with_post:
            await helpers.post(session, admin)
        leader = await _volunteer(session, server, team, "刘队长", "13800000030")
        await teams.set_member_role(
            session, admin, team_id=team.id, person_id=leader.id, role=MemberRole.LEADER
        )
        member = await _volunteer(session, server, team, "陈队员", "13800000031")
        codes = [
            await channel_link.issue_code(session, who, channel="telegram", now=FRIDAY_2000)
            for who in (leader, member)
        ]
    await server.text(leader_user, f"绑定 {codes[0]}")
    await server.text(member_user, f"绑定 {codes[1]}")


@dataclass(frozen=True)
class SignedUp:
    admin_id: int
    volunteer_id: int
    shift_id: int


async def _signed_up_on_wechat(server, wechat_user: str, name: str, phone: str) -> SignedUp:
    """A volunteer registered on Telegram, signed up for Sunday's cleanup at 东风路口, and
    linked to WeChat on Friday evening."""
    server.clock.moment = FRIDAY_2000
    async with server.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        volunteer = await _volunteer(session, server, team, name, phone)
        post = await helpers.post(session, admin)
        shift = await helpers.shift(
            session,
            admin,
            server.settings.shifts,
            team_id=team.id,
            post_id=post.id,
            day=SUNDAY,
            now=FRIDAY_2000,
        )
        await signups.sign_up(
            session,
            volunteer,
            shift.id,
            settings=server.settings.shifts,
            zone=server.settings.bot.zone,
            now=FRIDAY_2000,
        )
        code = await channel_link.issue_code(
            session, volunteer, channel="telegram", now=FRIDAY_2000
        )
        signed_up = SignedUp(admin.id, volunteer.id, shift.id)
    await server.text(wechat_user, f"绑定 {code}")
    return signed_up


async def _texts_for(server, person_id: int) -> list[str]:
    async with server.db.session_factory() as session:
        found = await session.exec(
            select(Notification.text)
            .where(Notification.person_id == person_id)
            .order_by(col(Notification.id))
        )
        return list(found.all())


async def test_a_volunteer_answers_the_reminder_and_cancels_with_a_typed_reason(
    server, stand_in, catalogs
):
    wechat_user = "oShifter00000000000000000001"
    server.clock.moment = FRIDAY_2000
    async with server.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        volunteer = await _volunteer(session, server, team, "陈队员", "13800000011")
        waiting = await _volunteer(session, server, team, "王候补", "13800000012")
        post = await helpers.post(session, admin)
        shift = await helpers.shift(
            session,
            admin,
            server.settings.shifts,
            team_id=team.id,
            post_id=post.id,
            day=SUNDAY,
            capacity=1,
        )
        code = await channel_link.issue_code(
            session, volunteer, channel="telegram", now=FRIDAY_2000
        )
    assert "已绑定" in await server.text(wechat_user, f"绑定 {code}")
    assert "报名成功" in await server.text(wechat_user, f"报名 {shift.id}")
    async with server.db.session_factory.begin() as session:
        await signups.sign_up(
            session,
            waiting,
            shift.id,
            settings=server.settings.shifts,
            zone=server.settings.bot.zone,
            now=FRIDAY_2000,
        )

    # The 24-hour reminder asks "still coming?" with numbered answers.
    server.clock.moment = SATURDAY_0840
    async with server.db.session_factory.begin() as session:
        await reminders.plan_reminders(session, Moment(server.settings, catalogs, SATURDAY_0840))
    await server.runner.dispatch()
    (reminder,) = stand_in.texts_to(wechat_user)
    assert "【1】" in reminder and "【2】" in reminder
    assert "能来" in reminder and "来不了" in reminder
    assert "谢谢" in await server.text(wechat_user, "1")

    mine = await server.text(wechat_user, "我的班次")
    assert "【1】" in mine and "清洁家园" in mine
    assert "1 到 1" in await server.text(wechat_user, "7")  # not on the list: nothing happens
    card = await server.text(wechat_user, "1")
    assert "您已报名" in card and "【1】取消报名" in card
    reasons = await server.text(wechat_user, "1")
    assert "【5】其他原因" in reasons and "【6】◀ 保留报名" in reasons
    assert "原因" in await server.text(wechat_user, "5")
    cancelled = await server.text(wechat_user, "临时要加班")
    assert "已取消" in cancelled

    async with server.db.session_factory() as session:
        places = {
            s.person_id: s.status
            for s in (
                await session.exec(select(ShiftSignup).where(ShiftSignup.shift_id == shift.id))
            ).all()
        }
    assert places == {volunteer.id: "cancelled", waiting.id: "confirmed"}
    assert any("名额" in text for text in await _texts_for(server, waiting.id))
    # Nothing left to cancel: the old choice is refused and changes nothing.
    assert "没有" in await server.text(wechat_user, "我的班次")


async def test_a_leader_works_the_roster_by_number_on_wechat(server, stand_in):
    leader_user, member_user = "oRosterLeader000000000000001", "oRosterMember000000000000001"
    server.clock.moment = FRIDAY_2000
    async with server.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        leader = await _volunteer(session, server, team, "刘队长", "13800000020")
        await teams.set_member_role(
            session, admin, team_id=team.id, person_id=leader.id, role=MemberRole.LEADER
        )
        first = await _volunteer(session, server, team, "陈一", "13800000021")
        second = await _volunteer(session, server, team, "陈二", "13800000022")
        member = await _volunteer(session, server, team, "陈三", "13800000023")
        post = await helpers.post(session, admin)
        shift = await helpers.shift(
            session,
            admin,
            server.settings.shifts,
            team_id=team.id,
            post_id=post.id,
            day=SUNDAY,
            capacity=1,
        )
        for who in (first, second):
            await signups.sign_up(
                session,
                who,
                shift.id,
                settings=server.settings.shifts,
                zone=server.settings.bot.zone,
                now=FRIDAY_2000,
            )
        codes = [
            await channel_link.issue_code(session, who, channel="telegram", now=FRIDAY_2000)
            for who in (leader, member)
        ]
    await server.text(leader_user, f"绑定 {codes[0]}")
    await server.text(member_user, f"绑定 {codes[1]}")
    assert "权限" in await server.text(member_user, "名单")  # not a leader

    shifts_listed = await server.text(leader_user, "名单")
    assert "【1】" in shifts_listed and "(1/1)" in shifts_listed
    roster = await server.text(leader_user, "1")
    assert "陈一 · 13800000021" in roster and "候补" in roster and "陈二" in roster
    assert "【1】➕" in roster and "【2】⬆" in roster

    # The waitlisted volunteer gets a place (over capacity: the leader's call).
    assert "陈二" in await server.text(leader_user, "2")
    given = await server.text(leader_user, "1")
    assert "已保存" in given and "(2/1)" in given
    assert any("名额" in text for text in await _texts_for(server, second.id))

    # A member is put on the shift and accepts by number on WeChat.
    members = await server.text(leader_user, "1")
    assert "陈三" in members and "陈一" not in members
    number = next(line[1] for line in members.splitlines() if "陈三" in line)
    assert "已发出邀请" in await server.text(leader_user, number)
    await server.runner.dispatch()
    (asked,) = stand_in.texts_to(member_user)
    assert "刘队长" in asked and "【1】✅" in asked
    assert "谢谢" in await server.text(member_user, "1")

    # At the post: one checked in by the leader, one marked as not come.
    server.clock.moment = SUNDAY_0900
    roster = await server.text(leader_user, "名单")
    roster = await server.text(leader_user, "1")
    assert "未签到" in roster
    check_in = next(line[1] for line in roster.splitlines() if "✋" in line)
    people = await server.text(leader_user, check_in)
    number = next(line[1] for line in people.splitlines() if "陈一" in line)
    assert "已签到" in await server.text(leader_user, number)
    roster = await server.text(leader_user, "名单")
    roster = await server.text(leader_user, "1")
    no_show = next(line[1] for line in roster.splitlines() if "🚫" in line)
    people = await server.text(leader_user, no_show)
    assert "陈一" not in people
    number = next(line[1] for line in people.splitlines() if "陈二" in line)
    assert "陈二 · 13800000022 · 未到岗" in await server.text(leader_user, number)
    async with server.db.session_factory() as session:
        records = {
            a.person_id: a.status
            for a in (
                await session.exec(select(Attendance).where(Attendance.shift_id == shift.id))
            ).all()
        }
    assert records[first.id] == AttendanceStatus.CHECKED_IN
    assert records[second.id] == AttendanceStatus.NO_SHOW

    # Cancelling asks first; "No" changes nothing, "Yes" tells everyone.
    roster = await server.text(leader_user, "名单")
    roster = await server.text(leader_user, "1")
    cancel = next(line[1] for line in roster.splitlines() if "❌ 取消" in line)
    assert "确定取消" in await server.text(leader_user, cancel)
    assert "📋" in await server.text(leader_user, "2")  # no: the roster again
    assert "确定取消" in await server.text(leader_user, cancel)
    assert "正在通知" in await server.text(leader_user, "1")
    await server.runner.dispatch()
    assert "取消" in stand_in.texts_to(member_user)[-1]
    assert "没看懂" in await server.text(leader_user, "1")  # the old numbers are gone


async def test_a_leader_sets_up_a_shift_by_numbers_and_typed_answers(server):
    leader_user, member_user = "oNewShiftLeader0000000000001", "oNewShiftMember0000000000001"
    server.clock.moment = FRIDAY_2000
    await _leader_and_member_on_wechat(server, leader_user, member_user, with_post=True)
    assert "权限" in await server.text(member_user, "新班次")

    kinds = await server.text(leader_user, "新班次")  # one team: straight to the duty
    assert "1. 清洁家园" in kinds
    assert "请回复列表中的编号" in await server.text(leader_user, "9")  # not on the list
    assert "东风路口" in await server.text(leader_user, "1")
    assert "重复" in await server.text(leader_user, "1")
    dates = await server.text(leader_user, "1")  # just once
    assert "12-04" in dates and "1. 今天" in dates
    assert "07:30" in await server.text(leader_user, "12-05")
    assert "07:30" in await server.text(leader_user, "25:00")  # not a time: asked again
    # Interrupted: another word, then back where they were.
    assert "时长" in await server.text(leader_user, "帮助")
    resumed = await server.text(leader_user, "新班次")
    assert "接着" in resumed and "几点" in resumed
    assert "分钟" in await server.text(leader_user, "7点半")
    assert "最多" in await server.text(leader_user, "120")
    assert "至少" in await server.text(leader_user, "10")
    assert "0 到 10 之间" in await server.text(leader_user, "20")  # more than the places
    summary = await server.text(leader_user, "3")
    assert "12月5日" in summary and "07:30" in summary and "10 人（至少 3 人）" in summary
    created = await server.text(leader_user, "1")
    assert "已创建" in created and "名单" in created

    listing = await server.text(member_user, "班次")
    assert "12月5日" in listing and "(0/10)" in listing


async def test_a_leader_sends_a_long_announcement_to_the_team_on_wechat(server, stand_in):
    leader_user, member_user = "oBroadcastLeader000000000001", "oBroadcastMember000000000001"
    server.clock.moment = FRIDAY_2000
    await _leader_and_member_on_wechat(server, leader_user, member_user)
    assert "只有队长" in await server.text(member_user, "群发")

    asked = await server.text(leader_user, "群发")  # one team: straight to the text
    assert "东风清洁队" in asked and "取消" in asked
    draft = await server.text(leader_user, "周六上午集合地点改到东风路口。")
    assert "周六上午集合地点改到东风路口" in draft and "1. 发送" in draft
    assert "请回复列表中的编号" in await server.text(leader_user, "5")
    assert "请输入" in await server.text(leader_user, "2")
    # Longer than one WeChat message: it arrives whole, in parts.
    long_text = "周六上午集合地点改到东风路口。" + "请大家带好手套和马甲，" * 120 + "谢谢！"
    assert await server.text(leader_user, long_text) == ""  # too long for a passive reply
    await server.callback.drain()  # the preview comes as customer-service messages, in order
    preview = stand_in.texts_to(leader_user)
    assert preview[0].startswith("通知预览") and "将送达 1 人" in preview[0]
    assert "1. 发送" in preview[-1] and all(len(part.encode()) <= 2048 for part in preview)
    await server.text(leader_user, "1")
    await server.callback.drain()
    assert any("正在发送给 东风清洁队" in text for text in stand_in.texts_to(leader_user))
    await server.runner.dispatch()
    received = stand_in.texts_to(member_user)
    assert len(received) >= 2 and all(len(part.encode()) <= 2048 for part in received)
    assert "".join(received).replace("\n", "").count("请大家带好手套和马甲") == 120
    # Delivery done: the counts come back to the leader on WeChat.
    await server.runner.dispatch()
    await server.callback.drain()
    assert any(
        "发送完毕" in text and "送达 1 人" in text for text in stand_in.texts_to(leader_user)
    )


async def test_a_wechat_only_volunteer_hears_of_new_shifts_and_announcements(
    server, stand_in, catalogs
):
    """Registered on WeChat, never on Telegram: the new shift's announcement and the
    leader's broadcast still reach them, and they sign up from the announcement."""
    wechat_user = "oOnlyWeChat00000000000000001"
    server.clock.moment = FRIDAY_2000
    async with server.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        post = await helpers.post(session, admin)
        volunteer = await identity.resolve_person(
            session,
            identity.ChatUser(channel="wechat", external_id=wechat_user, chat_id=wechat_user),
            now=FRIDAY_2000,
            default_language="zh_Hans",
        )
        await helpers.register(
            session, volunteer, server.settings.registration, name="王微信", phone="13800000060"
        )
        await teams.join_team(session, volunteer, team, now=FRIDAY_2000)
        shift = await helpers.shift(
            session,
            admin,
            server.settings.shifts,
            team_id=team.id,
            post_id=post.id,
            day=SUNDAY,
            now=FRIDAY_2000,
        )
    await server.runner.jobs.publish_due()
    await server.runner.dispatch()
    (announced,) = stand_in.texts_to(wechat_user)
    assert "清洁家园" in announced and "【1】🙋 报名" in announced
    assert "报名成功" in await server.text(wechat_user, "1")
    async with server.db.session_factory() as session:
        assert (
            await session.exec(
                select(ShiftSignup.status).where(
                    ShiftSignup.shift_id == shift.id, ShiftSignup.person_id == volunteer.id
                )
            )
        ).one() == "confirmed"

    async with server.db.session_factory.begin() as session:
        state = await broadcasts.begin(session, admin, now=FRIDAY_2000)
        state = await broadcasts.choose(session, admin, Scope.TEAM, team.id, now=FRIDAY_2000)
        state = await broadcasts.submit_text(session, admin, "周日带好手套。", now=FRIDAY_2000)
        preview = await broadcasts.preview(session, admin, state, quiet=None, now=FRIDAY_2000)
        assert preview.reachable == 1
        await broadcasts.send(
            session, admin, state.rev, catalogs=catalogs, quiet=None, now=FRIDAY_2000
        )
    await server.runner.dispatch()
    assert "周日带好手套" in stand_in.texts_to(wechat_user)[-1]


async def test_a_volunteer_sees_the_ranking_and_turns_a_reminder_off_on_wechat(server, catalogs):
    wechat_user = "oRanking000000000000000000001"
    signed_up = await _signed_up_on_wechat(server, wechat_user, "陈排行", "13800000090")
    async with server.db.session_factory.begin() as session:
        volunteer = await session.get_one(Person, signed_up.volunteer_id)
        entry = await ledger.log_manual(
            session,
            volunteer,
            service_date=date(2026, 11, 20),
            minutes=150,
            activity="cleanup",
            note="清理楼道",
            settings=server.settings.ledger,
            shift_settings=server.settings.shifts,
            zone=server.settings.bot.zone,
            now=FRIDAY_2000,
        )
        admin = await session.get_one(Person, signed_up.admin_id)
        await ledger.decide(session, admin, entry.id, approve=True, now=FRIDAY_2000)

    ranked = await server.text(wechat_user, "排行")
    assert "1. 陈排行 · 2 小时 30 分钟 ←" in ranked and "【3】◀" in ranked
    earlier = await server.text(wechat_user, "3")
    assert "10月" in earlier and "陈排行" not in earlier

    kinds = await server.text(wechat_user, "提醒")
    assert "【1】🔔 清洁家园" in kinds
    assert "【1】🔕 清洁家园" in await server.text(wechat_user, "1")
    # Muted: the day-before reminder for the cleanup shift does not come.
    async with server.db.session_factory.begin() as session:
        written = await reminders.plan_reminders(
            session, Moment(server.settings, catalogs, SATURDAY_0840)
        )
    assert written == 0
