"""WeChat end to end through the callback endpoint: real encrypted XML in, passive
replies and customer-service messages out (recorded by a local stand-in for WeChat's
API). A resident reports with a picture and a location; the grid officer, who uses
WeChat, gets the report as a numbered menu; a retry is handled once; a tampered
message is refused; slow work is acknowledged and answered later; accounts link."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta

import httpx
from sqlalchemy import func
from sqlmodel import select

from bot.web import start_web
from models import CarerRole, ChatIdentity, GridOfficer, MemberRole, Notification, Report
from services import care, channel_link, elders, identity, teams
from services.reminders import Moment
from tests.services import helpers
from tests.wechat_fakes import PICTURE, FixedClock
from tests.wechat_server import ACCOUNT, TOKEN

RESIDENT, OFFICER = "oResident000000000000000001", "oOfficer0000000000000000001"
IN_DONGFENG_2 = (30.2725, 120.1675)


async def _officer_on_wechat(db) -> None:
    """The grid officer of 东风第二网格 uses WeChat only."""
    async with db.session_factory.begin() as session:
        officer = await identity.resolve_person(
            session,
            identity.ChatUser(channel="wechat", external_id=OFFICER, chat_id=OFFICER),
            now=helpers.NOW,
            default_language="zh_Hans",
        )
        grid = await helpers.grid(session, "dongfeng-2")
        session.add(GridOfficer(grid_id=grid.id, person_id=officer.id, assigned_at=helpers.NOW))


async def _reports(db) -> int:
    async with db.session_factory() as session:
        return (await session.exec(select(func.count()).select_from(Report))).one()


async def test_url_verification_echoes_only_a_signed_request(server):
    timestamp, nonce = "1700000000", "abc"
    signature = hashlib.sha1("".join(sorted([TOKEN, timestamp, nonce])).encode()).hexdigest()
    query = {"signature": signature, "timestamp": timestamp, "nonce": nonce, "echostr": "hi42"}
    ok = await server.http.get(f"{server.base}/wechat/callback", params=query)
    assert ok.status_code == 200 and ok.text == "hi42"
    query["signature"] = "0" * 40
    refused = await server.http.get(f"{server.base}/wechat/callback", params=query)
    assert refused.status_code == 403


async def test_resident_reports_with_picture_and_location_officer_gets_a_menu(server, stand_in):
    await _officer_on_wechat(server.db)
    menu = await server.text(RESIDENT, "/report")
    assert "是什么问题" in menu and "2. 占道经营" in menu
    assert "请回复编号" in await server.text(RESIDENT, "十一")  # not a number on the list
    photos = await server.text(RESIDENT, "２")  # a full-width digit from a Chinese keyboard
    assert "最多 3 张" in photos
    received = await server.picture(RESIDENT, f"{stand_in.url}/pic/1.jpg")
    assert "已收到图片：1" in received
    place = await server.text(RESIDENT, "0")
    assert "在哪里" in place
    describe = await server.location(RESIDENT, *IN_DONGFENG_2)
    assert "补充几句" in describe
    anonymous = await server.text(RESIDENT, "0")
    assert "1. 显示我的名字" in anonymous
    summary = await server.text(RESIDENT, "2")
    assert "类别：占道经营" in summary and "照片：1" in summary and "举报人：匿名" in summary
    done = await server.text(RESIDENT, "1")
    assert "R000001" in done and "东风第二网格" in done

    # The officer, on WeChat, gets it as a customer-service message with numbered actions.
    (card,) = stand_in.texts_to(OFFICER)
    assert "🆕 新举报" in card and "R000001" in card and "举报人：匿名" in card
    assert stand_in.pictures_to(OFFICER) == [PICTURE]  # our copy, uploaded to WeChat
    assert "【1】✅ 受理" in card

    mine = await server.text(RESIDENT, "我的举报")
    assert "R000001 · 占道经营 · 等待受理" in mine


async def test_a_retried_message_is_handled_once_and_a_tampered_one_is_refused(server, stand_in):
    await server.text(RESIDENT, "举报", msg_id=7)
    await server.text(RESIDENT, "10", msg_id=8)  # "other"
    await server.text(RESIDENT, "0", msg_id=9)
    await server.text(RESIDENT, "东风路12号门口", msg_id=10)
    await server.text(RESIDENT, "0", msg_id=11)
    await server.text(RESIDENT, "1", msg_id=12)
    assert "R000001" in await server.text(RESIDENT, "1", msg_id=13)
    # WeChat did not get the answer in time and sends the same message again.
    assert await server.text(RESIDENT, "1", msg_id=13) == ""
    assert await _reports(server.db) == 1

    body = (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{RESIDENT}]]></FromUserName><CreateTime>1</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[举报]]></Content>"
        "<MsgId>99</MsgId></xml>"
    )
    refused = await server.post(body, tamper=True)
    assert refused.status_code == 403
    async with server.db.session_factory() as session:
        drafts_now = await session.exec(
            select(ChatIdentity).where(ChatIdentity.external_id == RESIDENT)
        )
        assert len(drafts_now.all()) == 1  # nothing new came of it


async def test_slow_work_is_acknowledged_in_time_and_answered_later(server, stand_in):
    server.callback.reply_within = 0.2
    stand_in.picture_delay = 1.0  # WeChat's picture server is slow today
    await server.text(RESIDENT, "举报")
    await server.text(RESIDENT, "1")
    ack = await server.picture(RESIDENT, f"{stand_in.url}/pic/slow.jpg")
    assert "稍等" in ack
    await server.callback.drain()
    (follow_up,) = stand_in.texts_to(RESIDENT)
    assert "已收到图片：1" in follow_up


async def test_linking_makes_one_person_of_both_accounts(server):
    async with server.db.session_factory.begin() as session:
        volunteer = await helpers.person(session)
        code = await channel_link.issue_code(
            session, volunteer, channel="telegram", now=server.clock.now()
        )
    assert "有误或已过期" in await server.text(RESIDENT, "绑定 AAAA2222")
    linked = await server.text(RESIDENT, f"绑定 {code}")
    assert "已绑定" in linked
    async with server.db.session_factory() as session:
        accounts = (
            await session.exec(
                select(ChatIdentity.channel).where(ChatIdentity.person_id == volunteer.id)
            )
        ).all()
    assert sorted(accounts) == ["telegram", "wechat"]
    # The code is used up.
    assert "有误或已过期" in await server.text(RESIDENT, f"绑定 {code}")


MONDAY_9AM = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


async def _caller_of_an_elder(server, *, visit_weekday: int | None = None) -> str:
    """陈队员 (registered on Telegram) calls 王秀英 every day; returns a code to link his
    WeChat."""
    async with server.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        caller = await helpers.person(session)
        await helpers.register(session, caller, server.settings.registration, name="陈队员")
        await teams.join_team(session, caller, team, now=helpers.NOW)
        officer = await helpers.person(session)
        grid = await helpers.grid(session)
        session.add(GridOfficer(grid_id=grid.id, person_id=officer.id, assigned_at=helpers.NOW))
        elder = await elders.create_elder(
            session,
            officer,
            elders.ElderDetails(
                name="王秀英",
                phone="0571-8888 1234",
                address="东风路 12 号",
                grid_id=grid.id,
                team_id=team.id,
                birthday=None,
                family_name=None,
                family_phone=None,
                family_alerts=False,
                notes=None,
            ),
            now=helpers.NOW,
        )
        elder.visit_weekday = visit_weekday
        await elders.set_carer(
            session, admin, elder.id, caller.id, CarerRole.CALLER, now=helpers.NOW
        )
        return await channel_link.issue_code(session, caller, channel="telegram", now=MONDAY_9AM)


async def test_a_linked_volunteer_answers_the_daily_call_and_sees_minutes_on_wechat(
    server, stand_in, catalogs
):
    """The caller registered on Telegram, linked WeChat, and gets the prompt there."""
    settings = server.settings
    code = await _caller_of_an_elder(server)
    server.clock.moment = MONDAY_9AM
    assert "已绑定" in await server.text(RESIDENT, f"绑定 {code}")

    async with server.db.session_factory.begin() as session:
        await care.plan_care(session, Moment(settings, catalogs, MONDAY_9AM))
    await server.runner.dispatch()
    (prompt,) = stand_in.texts_to(RESIDENT)
    assert "王秀英" in prompt and "【1】📱 显示电话" in prompt and "【4】📵 没联系上" in prompt
    assert "0571" not in prompt  # the number only on request

    assert "057188881234" in await server.text(RESIDENT, "1")
    retry = await server.text(RESIDENT, "4")
    assert "11:00" in retry  # asked again two hours later
    assert "✅" in await server.text(RESIDENT, "2")

    minutes = await server.text(RESIDENT, "时长")
    assert "陈队员" in minutes and "累计" in minutes
    assert "目前没有可以报名的班次" in await server.text(RESIDENT, "班次")


async def test_a_report_is_handled_and_confirmed_entirely_on_wechat(server, stand_in):
    """Officer accepts by number, the volunteer (registered on Telegram, linked to WeChat)
    resolves with an after picture, the resident sees it and confirms."""
    await _officer_on_wechat(server.db)
    volunteer_id = "oVolunteer00000000000000001"
    async with server.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        volunteer = await helpers.person(session)
        await helpers.register(session, volunteer, server.settings.registration, name="陈队员")
        await teams.join_team(session, volunteer, team, now=helpers.NOW)
        code = await channel_link.issue_code(
            session, volunteer, channel="telegram", now=server.clock.now()
        )
    assert "已绑定" in await server.text(volunteer_id, f"绑定 {code}")

    for answer in ("举报", "2", "0"):
        await server.text(RESIDENT, answer)
    await server.location(RESIDENT, *IN_DONGFENG_2)
    for answer in ("0", "1"):
        await server.text(RESIDENT, answer)
    assert "R000001" in await server.text(RESIDENT, "1")

    assert "已受理" in await server.text(OFFICER, "1")  # 【1】✅ 受理
    await server.runner.dispatch()
    assert any("已被网格受理" in t for t in stand_in.texts_to(RESIDENT))

    # The officer goes through the queue by number: the report, then 指派, then 陈队员.
    listing = await server.text(OFFICER, "待办")
    assert "【1】R000001" in listing
    card = await server.text(OFFICER, "1")
    assert "R000001" in card and "👤 指派" in card
    number = next(line for line in card.splitlines() if "👤 指派" in line)[1]
    volunteers = await server.text(OFFICER, number)
    assert "【1】陈队员" in volunteers
    assert "已指派" in await server.text(OFFICER, "1")
    await server.runner.dispatch()
    (task,) = stand_in.texts_to(volunteer_id)
    assert "R000001" in task and "【1】🚶" in task and "【2】✅" in task

    assert "谢谢" in await server.text(volunteer_id, "1")
    await server.runner.dispatch()
    assert "处理后" in await server.text(volunteer_id, "2")  # asked for the after picture
    assert "处理后" in await server.text(volunteer_id, "好了")  # text is not a picture
    assert "做了什么" in await server.picture(volunteer_id, f"{stand_in.url}/pic/after.jpg")
    assert "R000001 已处理" in await server.text(volunteer_id, "已劝离摊主")

    await server.runner.dispatch()
    assert stand_in.pictures_to(RESIDENT) == [PICTURE]
    verdict = stand_in.texts_to(RESIDENT)[-1]
    assert "已劝离摊主" in verdict and "【1】👍" in verdict
    assert "已关闭" in await server.text(RESIDENT, "1")


async def _subscribe(server, open_id: str, scene: str) -> str:
    inner = (
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event>"
        f"<EventKey><![CDATA[qrscene_{scene}]]></EventKey><Ticket><![CDATA[T]]></Ticket>"
    )
    return await server.say(open_id, inner, msg_id=None)


async def test_a_volunteer_registers_and_joins_a_team_from_its_qr_code(server):
    async with server.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
    newcomer = "oNewcomer000000000000000001"
    assert "志愿者" in await server.text(newcomer, "时长")  # not registered yet
    ask_name = await _subscribe(server, newcomer, f"join_{team.invite_code}")
    assert "东风清洁队" in ask_name and "真实姓名" in ask_name
    ask_phone = await server.text(newcomer, "王芳")
    assert "手机号" in ask_phone
    assert "手机号" in await server.text(newcomer, "打电话给我")  # not a number: asked again
    communities = await server.text(newcomer, "13900001111")
    assert "1. 东风社区" in communities
    grids = await server.text(newcomer, "1")
    assert "2. 东风第二网格" in grids
    availability = await server.text(newcomer, "2")
    assert "周五" in availability
    skills = await server.text(newcomer, "3 4")
    assert "急救" in skills
    consent = await server.text(newcomer, "0")
    assert "隐私" in consent
    summary = await server.text(newcomer, "1")
    assert "王芳" in summary and "13900001111" in summary and "东风第二网格" in summary
    welcome = await server.text(newcomer, "1")
    assert "王芳" in welcome and "东风清洁队" in welcome
    async with server.db.session_factory() as session:
        person_id = (
            await session.exec(
                select(ChatIdentity.person_id).where(ChatIdentity.external_id == newcomer)
            )
        ).one()
        assert await teams.team_ids_of(session, person_id) == [team.id]
    assert "王芳" in await server.text(newcomer, "时长")
    # A second team's invite code typed by hand (codes are case-sensitive).
    async with server.db.session_factory.begin() as session:
        second = await helpers.team(session, admin, name="东风劝导队")
    assert "东风劝导队" in await server.text(newcomer, f"加入 {second.invite_code}")


async def test_a_volunteer_signs_up_and_checks_in_and_out_by_location_on_wechat(server):
    newcomer = "oCheckin0000000000000000001"
    friday_8am = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    server.clock.moment = friday_8am
    async with server.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        volunteer = await helpers.person(session)
        await helpers.register(session, volunteer, server.settings.registration, name="陈队员")
        await teams.join_team(session, volunteer, team, now=helpers.NOW)
        post = await helpers.post(session, admin)
        shift = await helpers.shift(
            session, admin, server.settings.shifts, team_id=team.id, post_id=post.id
        )
        code = await channel_link.issue_code(session, volunteer, channel="telegram", now=friday_8am)
    await server.text(newcomer, f"绑定 {code}")

    listing = await server.text(newcomer, "班次")
    assert f"{shift.id}. " in listing and "清洁家园" in listing
    assert "报名成功" in await server.text(newcomer, f"报名 {shift.id}")
    assert "已经报名" in await server.text(newcomer, f"报名 {shift.id}")
    far = await server.location(newcomer, helpers.POST_LAT + 0.01, helpers.POST_LON)
    assert "米" in far  # too far from the post: how far, and nothing recorded
    server.clock.moment = friday_8am + timedelta(minutes=25)
    checked_in = await server.location(newcomer, helpers.POST_LAT, helpers.POST_LON)
    assert "签到成功" in checked_in
    server.clock.moment = friday_8am + timedelta(hours=2, minutes=35)
    # Leaving, they scan the post's WeChat QR code instead (its scene is checkin_<code>).
    scan = (
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event>"
        f"<EventKey><![CDATA[checkin_{post.code}]]></EventKey><Ticket><![CDATA[T]]></Ticket>"
    )
    checked_out = await server.say(newcomer, scan)
    assert "签退" in checked_out and "2 小时" in checked_out


async def test_a_replayed_old_message_is_refused(server):
    """A captured, correctly signed message sent again ten minutes later does nothing."""
    body = (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{RESIDENT}]]></FromUserName><CreateTime>1</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[举报]]></Content>"
        "<MsgId>4242</MsgId></xml>"
    )
    response = await server.post(body, signed_at=time.time() - 600)
    assert response.status_code == 403
    async with server.db.session_factory() as session:
        known = await session.exec(select(ChatIdentity).where(ChatIdentity.external_id == RESIDENT))
        assert known.all() == []


async def test_a_volunteer_records_service_for_the_leaders_approval_on_wechat(server):
    newcomer = "oLogger00000000000000000001"
    async with server.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        leader = await helpers.person(session)
        await helpers.register(session, leader, server.settings.registration, name="刘队长")
        await teams.join_team(session, leader, team, now=helpers.NOW)
        await teams.set_member_role(
            session, admin, team_id=team.id, person_id=leader.id, role=MemberRole.LEADER
        )
        volunteer = await helpers.person(session)
        await helpers.register(
            session, volunteer, server.settings.registration, name="陈队员", phone="13800000009"
        )
        await teams.join_team(session, volunteer, team, now=helpers.NOW)
        code = await channel_link.issue_code(
            session, volunteer, channel="telegram", now=server.clock.now()
        )
    await server.text(newcomer, f"绑定 {code}")

    assert "哪一天" in await server.text(newcomer, "记录")
    not_a_date = await server.text(newcomer, "上周某天")  # asked again, in WeChat's words
    assert "12-04" in not_a_date and "按钮" not in not_a_date
    assert "多长时间" in await server.text(newcomer, "11-26")
    kinds = await server.text(newcomer, "1.5h")
    assert "4. 助老探访" in kinds
    assert "请回复列表中的编号" in await server.text(newcomer, "9")  # not on the list
    assert "做了什么" in await server.text(newcomer, "4")
    summary = await server.text(newcomer, "帮王奶奶买菜")
    assert "1 小时 30 分钟" in summary and "帮王奶奶买菜" in summary
    sent = await server.text(newcomer, "1")
    assert "已提交审核" in sent
    async with server.db.session_factory() as session:
        asked = (
            await session.exec(select(Notification).where(Notification.person_id == leader.id))
        ).all()
    assert any("陈队员" in n.text and "帮王奶奶买菜" in n.text for n in asked)


async def test_a_leader_on_wechat_declines_logged_service_with_a_typed_reason(server, stand_in):
    leader_id, volunteer_id = "oLeader000000000000000000001", "oLogger00000000000000000002"
    async with server.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        people = {}
        for name, phone in (("刘队长", "13800000008"), ("陈队员", "13800000009")):
            who = await helpers.person(session)
            await helpers.register(
                session, who, server.settings.registration, name=name, phone=phone
            )
            await teams.join_team(session, who, team, now=helpers.NOW)
            people[name] = who
        await teams.set_member_role(
            session, admin, team_id=team.id, person_id=people["刘队长"].id, role=MemberRole.LEADER
        )
        codes = {
            name: await channel_link.issue_code(
                session, who, channel="telegram", now=server.clock.now()
            )
            for name, who in people.items()
        }
    await server.text(leader_id, f"绑定 {codes['刘队长']}")
    await server.text(volunteer_id, f"绑定 {codes['陈队员']}")
    for answer in ("记录", "11-26", "90", "4", "帮王奶奶买菜", "1"):
        await server.text(volunteer_id, answer)
    await server.runner.dispatch()
    (asked,) = stand_in.texts_to(leader_id)
    assert "陈队员" in asked and "【1】✅" in asked and "【2】❌" in asked

    reasons = await server.text(leader_id, "2")
    assert "【4】" in reasons  # another reason…
    assert "原因" in await server.text(leader_id, "4")
    declined = await server.text(leader_id, "当天没有安排探访")
    assert "未批准" in declined
    await server.runner.dispatch()
    told = stand_in.texts_to(volunteer_id)[-1]
    assert "当天没有安排探访" in told


async def test_with_open311_off_the_web_server_serves_no_reports(db, base_settings):
    """Running the server for WeChat alone must not publish residents' reports."""
    settings = base_settings.model_copy(
        update={"open311": base_settings.open311.model_copy(update={"enabled": False, "port": 0})}
    )
    web_server = await start_web(settings, db.session_factory, FixedClock())
    try:
        async with httpx.AsyncClient() as http:
            response = await http.get(
                f"http://127.0.0.1:{web_server.port}/open311/v2/requests.json"
            )
        assert response.status_code == 404
    finally:
        await web_server.stop()


async def test_an_officer_rejects_a_report_with_a_typed_reason_on_wechat(server, stand_in):
    await _officer_on_wechat(server.db)
    for answer in ("举报", "1", "0"):
        await server.text(RESIDENT, answer)
    await server.location(RESIDENT, *IN_DONGFENG_2)
    for answer in ("0", "1", "1"):
        await server.text(RESIDENT, answer)
    listing = await server.text(OFFICER, "待办")
    card = await server.text(OFFICER, listing.splitlines()[1][1])
    reject = next(line for line in card.splitlines() if "❌" in line)[1]
    assert "原因" in await server.text(OFFICER, reject)
    assert "不予受理" in await server.text(OFFICER, "车辆已驶离，现场无违停")
    await server.runner.dispatch()
    assert any("车辆已驶离" in t for t in stand_in.texts_to(RESIDENT))


async def test_a_weekly_visit_is_answered_and_its_minutes_logged_on_wechat(
    server, stand_in, catalogs
):
    settings = server.settings
    code = await _caller_of_an_elder(server, visit_weekday=0)  # visits on Mondays
    server.clock.moment = MONDAY_9AM
    await server.text(RESIDENT, f"绑定 {code}")
    async with server.db.session_factory.begin() as session:
        await care.plan_care(session, Moment(settings, catalogs, MONDAY_9AM))
    await server.runner.dispatch()
    last = stand_in.texts_to(RESIDENT)[-1]
    assert "上门" in last or "探访" in last, last  # the visit prompt came last
    visited = await server.text(RESIDENT, "2")  # 【2】✅ visited, all is well
    assert "【2】1 小时" in visited
    logged = await server.text(RESIDENT, "2")
    assert "已提交审核" in logged and "1 小时" in logged


async def test_a_follower_switches_to_english_and_is_answered_in_it(server):
    newcomer = "oEnglish00000000000000000001"
    choices = await server.text(newcomer, "语言")
    assert "【1】简体中文" in choices and "【2】繁體中文" in choices and "【3】English" in choices
    switched = await server.text(newcomer, "3")
    assert "I will speak English" in switched and "report a problem" in switched
    assert "register" in await server.text(newcomer, "shifts")  # not registered yet
    # Typed the old way, with a slash and full-width letters: the same command.
    assert "【2】繁體中文" in await server.text(newcomer, "／ＬＡＮＧ")
    assert "繁體中文" in await server.text(newcomer, "2")
    # The words as a 繁體 user types them.
    assert (await server.text(newcomer, "舉報")).startswith("📢")
    assert "取消" in await server.text(newcomer, "取消")
    assert "請選擇" in await server.text(newcomer, "language")
    # Moving on without choosing: a later number no longer picks from that list.
    assert "舉報" in await server.text(newcomer, "help")
    assert "沒看懂" in await server.text(newcomer, "1")
