"""Files WeChat cannot carry, end to end: a WeChat-only volunteer asks for a service
certificate by number, the leader issues it by number, and the PDF arrives as a signed
download link that the web server honours for a week; a declined request carries the
typed reason; a leader exports the team's ledger the same way."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

from openpyxl import load_workbook
from pypdf import PdfReader

from models import MemberRole, Person
from services import channel_link, identity, ledger, teams
from tests.services import helpers
from tests.wechat_server import PUBLIC_URL

VOLUNTEER, LEADER = "oCertVolunteer00000000000001", "oCertLeader000000000000000001"


async def _crew(server) -> dict[str, int]:
    """A leader on WeChat (linked) and a volunteer registered on WeChat only, with two
    hours of approved service this month. Returns the team's and the people's ids."""
    now = server.clock.now()
    async with server.db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        leader = await helpers.person(session)
        await helpers.register(
            session, leader, server.settings.registration, name="刘队长", phone="13800000070"
        )
        await teams.join_team(session, leader, team, now=now)
        await teams.set_member_role(
            session, admin, team_id=team.id, person_id=leader.id, role=MemberRole.LEADER
        )
        volunteer = await identity.resolve_person(
            session,
            identity.ChatUser(channel="wechat", external_id=VOLUNTEER, chat_id=VOLUNTEER),
            now=now,
            default_language="zh_Hans",
        )
        await helpers.register(
            session, volunteer, server.settings.registration, name="王证明", phone="13800000071"
        )
        await teams.join_team(session, volunteer, team, now=now)
        entry = await ledger.log_manual(
            session,
            volunteer,
            service_date=date(2026, 11, 20),
            minutes=120,
            activity="cleanup",
            note="清理楼道",
            settings=server.settings.ledger,
            shift_settings=server.settings.shifts,
            zone=server.settings.bot.zone,
            now=now,
        )
        await ledger.decide(session, admin, entry.id, approve=True, now=now)
        code = await channel_link.issue_code(session, leader, channel="telegram", now=now)
        ids = {"team": team.id, "admin": admin.id, "leader": leader.id}
    await server.text(LEADER, f"绑定 {code}")
    return ids


async def test_a_certificate_is_asked_issued_and_downloaded_on_wechat(server, stand_in):
    await _crew(server)
    periods = await server.text(VOLUNTEER, "证明")
    assert "【1】今年" in periods and "【3】" in periods
    assert "已发送" in await server.text(VOLUNTEER, "1")
    await server.text(VOLUNTEER, "证明")
    assert "等待" in await server.text(VOLUNTEER, "2")  # one request at a time
    await server.runner.dispatch()
    (asked,) = stand_in.texts_to(LEADER)
    assert "王证明" in asked and "【1】✅" in asked and "【2】❌" in asked

    issued = await server.text(LEADER, "1")
    assert "已开具" in issued
    assert "已经处理过" in await server.text(LEADER, "1")  # pressed twice: decided once
    await server.runner.dispatch()
    (delivered,) = stand_in.texts_to(VOLUNTEER)
    assert "2 小时" in delivered and "7 天" in delivered
    link = re.search(r"https://\S+", delivered).group(0)
    assert link.startswith(PUBLIC_URL + "/files/")
    local = link.replace(PUBLIC_URL, server.base)

    response = await server.http.get(local)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "certificate-" in response.headers["content-disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "王证明" in text

    tampered = local[:-3] + ("aaa" if not local.endswith("aaa") else "bbb")
    refused = await server.http.get(tampered)
    assert refused.status_code == 403 and "无效" in refused.text
    server.clock.moment += timedelta(days=8)
    expired = await server.http.get(local)
    assert expired.status_code == 410 and "过期" in expired.text


async def test_a_declined_certificate_tells_the_volunteer_why(server, stand_in):
    await _crew(server)
    await server.text(VOLUNTEER, "证明")
    await server.text(VOLUNTEER, "3")  # all my service
    await server.runner.dispatch()
    assert "原因" in await server.text(LEADER, "2")
    assert "已拒绝" in await server.text(LEADER, "服务记录还没有全部审核")
    await server.runner.dispatch()
    (told,) = stand_in.texts_to(VOLUNTEER)
    assert "服务记录还没有全部审核" in told
    assert "http" not in told


async def test_a_leader_exports_the_ledger_as_a_link_on_wechat(server):
    ids = await _crew(server)
    assert "权限" in await server.text(VOLUNTEER, "导出")  # not a leader
    periods = await server.text(LEADER, "导出")
    assert "【1】本月" in periods
    formats = await server.text(LEADER, "1")  # one team: straight to the format
    assert "【1】📊 Excel" in formats
    answer = await server.text(LEADER, "1")
    link = re.search(r"https://\S+", answer).group(0)
    assert "一天" in answer
    response = await server.http.get(link.replace(PUBLIC_URL, server.base))
    assert response.status_code == 200
    assert "spreadsheetml" in response.headers["content-type"]
    assert ".xlsx" in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [str(c.value) for ws in workbook for row in ws.iter_rows() for c in row]
    assert any("王证明" in cell for cell in cells)
    assert any("清理楼道" in cell for cell in cells)

    # A day later the ledger's link has expired (a certificate's lasts a week).
    server.clock.moment += timedelta(hours=25)
    expired = await server.http.get(link.replace(PUBLIC_URL, server.base))
    assert expired.status_code == 410
    server.clock.moment -= timedelta(hours=25)

    # No longer the leader: the link gives nothing.
    async with server.db.session_factory.begin() as session:
        admin = await session.get_one(Person, ids["admin"])
        await teams.set_member_role(
            session, admin, team_id=ids["team"], person_id=ids["leader"], role=MemberRole.MEMBER
        )
    gone = await server.http.get(link.replace(PUBLIC_URL, server.base))
    assert gone.status_code == 404
