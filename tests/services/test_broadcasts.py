"""Broadcasts: who may address whom, who is reached and who skipped, the text, sending
exactly once, quiet hours, the progress report, and broadcasts not holding up others."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import col, select

from models import Broadcast, GridOfficer, MemberRole, Notification, NotificationStatus
from scheduler.broadcast_progress import BroadcastProgress
from scheduler.dispatch import Dispatcher
from services import broadcasts, drafts, identity, outbox, teams
from services.broadcasts import (
    TEXT_LIMIT,
    AnnouncementTooLong,
    EmptyAnnouncement,
    NoRecipients,
    NotAllowedToBroadcast,
    Scope,
    Step,
)
from services.errors import PermissionDenied, StaleAction, UnknownChoice
from services.i18n import N_, Catalogs
from services.notifier import Delivery, Notice, Unreachable
from services.outbox import QuietHours
from tests.services import helpers
from tests.services.helpers import NOW, SHANGHAI

CATALOGS = Catalogs()
QUIET = QuietHours(time(22, 0), time(7, 0), SHANGHAI)
NOON = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)  # Friday 12:00 in Shanghai
NIGHT = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # Friday 23:00 in Shanghai


class FixedClock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


@pytest.fixture
async def town(db, base_settings):
    """A team (leader, three members: one in English, one who blocked the bot, one who
    left), a second team, a grid officer, and volunteers elsewhere."""
    settings = base_settings.registration
    async with db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        team = await helpers.team(session, admin)
        other_team = await helpers.team(session, admin, name="建设巡逻队")
        people = {}
        for key, name, grid, language in [
            ("leader", "刘队长", "dongfeng-2", "zh-hans"),
            ("chen", "陈队员", "dongfeng-2", "zh-hans"),
            ("lin", "Lin Na", "dongfeng-1", "en"),
            ("blocked", "王屏蔽", "dongfeng-2", "zh-hans"),
            ("gone", "赵离队", "dongfeng-2", "zh-hans"),
            ("elsewhere", "周别队", "jianshe-1", "zh-hans"),
            ("officer", "孙网格", "dongfeng-1", "zh-hans"),
        ]:
            who = await helpers.person(session, language_code=language)
            await helpers.register(session, who, settings, name=name, grid_code=grid)
            people[key] = who
        for key in ("leader", "chen", "lin", "blocked", "gone"):
            await teams.join_team(session, people[key], team, now=NOW)
        await teams.join_team(session, people["elsewhere"], other_team, now=NOW)
        await teams.set_member_role(
            session, admin, team_id=team.id, person_id=people["leader"].id, role=MemberRole.LEADER
        )
        await teams.remove_member(
            session, admin, team_id=team.id, person_id=people["gone"].id, now=NOW
        )
        await identity.mark_unreachable(session, people["blocked"].id, identity.TELEGRAM)
        grid = await helpers.grid(session, "dongfeng-1")
        session.add(GridOfficer(grid_id=grid.id, person_id=people["officer"].id, assigned_at=NOW))
        newcomer = await helpers.person(session)  # not registered
    return {
        "admin": admin,
        "team": team,
        "other_team": other_team,
        "grid": grid,
        "newcomer": newcomer,
        **people,
    }


async def _begin(db, who, now=NOON):
    async with db.session_factory.begin() as session:
        return await broadcasts.begin(session, who, now=now)


async def _ready(db, who, text="周五上午八点半集合，请带好手套。", *, scope=None, target=None):
    """Through the conversation up to the preview; returns the state."""
    async with db.session_factory.begin() as session:
        state = await broadcasts.begin(session, who, now=NOON)
        if state.step is Step.SCOPE:
            state = await broadcasts.choose(session, who, scope, target, now=NOON)
        return await broadcasts.submit_text(session, who, text, now=NOON)


async def _send(db, who, rev, now=NOON, quiet=QUIET):
    async with db.session_factory.begin() as session:
        return await broadcasts.send(
            session,
            who,
            rev,
            catalogs=CATALOGS,
            quiet=quiet,
            now=now,
            progress_chat_id="1",
            progress_message_id="2",
        )


async def _notifications(db, broadcast_id) -> list[Notification]:
    async with db.session_factory() as session:
        rows = await session.exec(
            select(Notification)
            .where(Notification.broadcast_id == broadcast_id)
            .order_by(col(Notification.person_id))
        )
        return list(rows.all())


async def test_who_may_address_whom(db, town):
    leader, officer, admin = town["leader"], town["officer"], town["admin"]
    # One team led: straight to the text, addressed to the team.
    state = await _begin(db, leader)
    assert (state.step, state.scope, state.team_id) == (Step.TEXT, Scope.TEAM, town["team"].id)
    # A grid officer of one grid: their grid.
    state = await _begin(db, officer)
    assert (state.step, state.scope, state.grid_id) == (Step.TEXT, Scope.GRID, town["grid"].id)
    # An admin chooses among everything.
    state = await _begin(db, admin)
    assert state.step is Step.SCOPE
    async with db.session_factory() as session:
        choices = await broadcasts.options(session, admin)
    assert choices.everyone and len(choices.teams) == 2 and len(choices.grids) == 8
    # Volunteers and newcomers may not; nothing is kept.
    for who in (town["chen"], town["newcomer"]):
        with pytest.raises(NotAllowedToBroadcast):
            await _begin(db, who)
        async with db.session_factory() as session:
            assert await drafts.load(session, who.id, broadcasts.FLOW) is None


async def test_forged_choices_are_refused(db, town):
    leader, team, other_team = town["leader"], town["team"], town["other_team"]
    async with db.session_factory.begin() as session:
        await teams.join_team(session, leader, other_team, now=NOW)
        await teams.set_member_role(
            session, town["admin"], team_id=other_team.id, person_id=leader.id,
            role=MemberRole.LEADER,
        )  # fmt: skip
    assert (await _begin(db, leader)).step is Step.SCOPE  # two teams: a question
    for scope, target, error in [
        (Scope.ALL, None, PermissionDenied),
        (Scope.GRID, town["grid"].id, PermissionDenied),
        (Scope.TEAM, 999_999, UnknownChoice),
        (Scope.TEAM, None, StaleAction),
    ]:
        with pytest.raises(error):
            async with db.session_factory.begin() as session:
                await broadcasts.choose(session, leader, scope, target, now=NOON)
    async with db.session_factory.begin() as session:
        state = await broadcasts.choose(session, leader, Scope.TEAM, team.id, now=NOON)
        assert state.step is Step.TEXT
        # Dismissed as leader before typing the text: refused there too.
        await teams.set_member_role(
            session, town["admin"], team_id=team.id, person_id=leader.id, role=MemberRole.MEMBER
        )
    with pytest.raises(PermissionDenied):
        async with db.session_factory.begin() as session:
            await broadcasts.submit_text(session, leader, "明天集合", now=NOON)


async def test_who_is_reached_and_who_is_skipped(db, town):
    people = {key: town[key].id for key in ("leader", "chen", "lin", "blocked", "officer")}
    async with db.session_factory() as session:
        in_team = await broadcasts.audience(
            session, Scope.TEAM, team_id=town["team"].id, exclude=people["leader"]
        )
        in_grid = await broadcasts.audience(session, Scope.GRID, grid_id=town["grid"].id)
        everyone = await broadcasts.audience(session, Scope.ALL, exclude=town["admin"].id)
    # The author is not among them; nor is who left the team; who blocked the bot is skipped.
    assert [p for p, _ in in_team.reachable] == [people["chen"], people["lin"]]
    assert [p for p, _ in in_team.skipped] == [people["blocked"]]
    assert dict(in_team.reachable)[people["lin"]] == "en"
    # A grid: the volunteers registered in it, whatever their team.
    assert {p for p, _ in in_grid.reachable} == {people["lin"], people["officer"]}
    # Everyone: every registered volunteer (six reachable, one skipped); no newcomer.
    assert len(everyone.reachable) == 6 and len(everyone.skipped) == 1


async def test_the_text_is_checked_and_kept_as_typed(db, town):
    leader = town["leader"]
    await _begin(db, leader)
    for text, error in [
        ("   ", EmptyAnnouncement),
        ("\u200b\n", EmptyAnnouncement),
        ("字" * (TEXT_LIMIT + 1), AnnouncementTooLong),
        ("😀" * (TEXT_LIMIT // 2 + 1), AnnouncementTooLong),  # Telegram counts UTF-16
    ]:
        with pytest.raises(error):
            async with db.session_factory.begin() as session:
                await broadcasts.submit_text(session, leader, text, now=NOON)
        async with db.session_factory() as session:
            assert (await broadcasts.current(session, leader)).step is Step.TEXT
    async with db.session_factory.begin() as session:
        state = await broadcasts.submit_text(
            session, leader, "  第一行\r\n\n第二行 👨‍👩‍👧  \n", now=NOON
        )
    assert state.text == "第一行\n\n第二行 👨‍👩‍👧"
    assert (state.step, state.rev) == (Step.PREVIEW, 1)
    async with db.session_factory.begin() as session:
        await broadcasts.edit_text(session, leader, 1, now=NOON)
        state = await broadcasts.submit_text(session, leader, "字" * TEXT_LIMIT, now=NOON)
    assert (state.step, state.rev, len(state.text)) == (Step.PREVIEW, 2, TEXT_LIMIT)


async def test_preview_counts_and_quiet_hours(db, town):
    leader = town["leader"]
    state = await _ready(db, leader)
    async with db.session_factory() as session:
        shown = await broadcasts.preview(session, leader, state, quiet=QUIET, now=NOON)
        at_night = await broadcasts.preview(session, leader, state, quiet=QUIET, now=NIGHT)
    assert (shown.reachable, shown.skipped, shown.starts_at) == (2, 1, None)
    zh = shown.localize(CATALOGS.translator("zh_Hans"))
    assert zh.splitlines() == [
        "通知预览：发给 东风清洁队。",
        "将送达 2 人。",
        "另有 1 人已屏蔽机器人，将跳过。",
        "",
        "📢 来自 刘队长（东风清洁队）的通知：",
        "周五上午八点半集合，请带好手套。",
    ]
    assert at_night.starts_at == datetime(2026, 11, 28, 7, 0, tzinfo=SHANGHAI)
    en = at_night.localize(CATALOGS.translator("en"))
    assert "It will reach 2 people." in en
    assert "🌙 It is quiet hours now: delivery starts at 07:00." in en


async def test_sent_once_with_everything_in_one_transaction(db, town):
    leader, chen, lin, blocked = town["leader"], town["chen"], town["lin"], town["blocked"]
    state = await _ready(db, leader)
    sent = await _send(db, leader, state.rev)
    broadcast = sent.broadcast
    assert broadcast.recipients == 2 and broadcast.scope == "team"
    assert (broadcast.progress_chat_id, broadcast.progress_message_id) == ("1", "2")
    rows = await _notifications(db, broadcast.id)
    assert [(r.person_id, r.status) for r in rows] == [
        (chen.id, NotificationStatus.PENDING),
        (lin.id, NotificationStatus.PENDING),
        (blocked.id, NotificationStatus.CANCELLED),
    ]
    keys = [f"broadcast:{broadcast.id}:{p.id}" for p in (chen, lin, blocked)]
    assert [r.key for r in rows] == keys
    text = "周五上午八点半集合，请带好手套。"
    assert rows[0].text == f"📢 来自 刘队长（东风清洁队）的通知：\n{text}"
    assert rows[1].text == f"📢 Announcement from 刘队长 (东风清洁队):\n{text}"
    assert rows[0].due_at == NOON and rows[0].kind == "broadcast" and not rows[0].urgent
    # Pressing Send (or an old preview's buttons) again does nothing.
    for action in (
        lambda s: broadcasts.send(s, leader, state.rev, catalogs=CATALOGS, quiet=QUIET, now=NOON),
        lambda s: broadcasts.edit_text(s, leader, state.rev, now=NOON),
        lambda s: broadcasts.cancel(s, leader, state.rev),
    ):
        with pytest.raises(StaleAction):
            async with db.session_factory.begin() as session:
                await action(session)
    async with db.session_factory() as session:
        assert len((await session.exec(select(Broadcast))).all()) == 1
        assert await broadcasts.counts(session, broadcast.id) == broadcasts.Counts(
            waiting=2, skipped=1
        )
    # The key writes a notification once.
    async with db.session_factory.begin() as session:
        again = await outbox.enqueue(
            session,
            Notice(N_("Cancelled. Nothing was changed.")),
            catalogs=CATALOGS,
            now=NOON,
            person_id=chen.id,
            key=f"broadcast:{broadcast.id}:{chen.id}",
        )
    assert again is None


async def test_an_old_preview_is_out_of_date_and_cancel_keeps_nothing(db, town):
    leader = town["leader"]
    first = await _ready(db, leader, "旧内容")
    async with db.session_factory.begin() as session:
        await broadcasts.edit_text(session, leader, first.rev, now=NOON)
        second = await broadcasts.submit_text(session, leader, "新内容", now=NOON)
    with pytest.raises(StaleAction):
        await _send(db, leader, first.rev)
    async with db.session_factory.begin() as session:
        await broadcasts.cancel(session, leader, second.rev)
    with pytest.raises(StaleAction):
        await _send(db, leader, second.rev)
    async with db.session_factory() as session:
        assert (await session.exec(select(Broadcast))).all() == []
        assert (await session.exec(select(Notification))).all() == []


async def test_nobody_to_reach_is_refused(db, town):
    admin = town["admin"]
    async with db.session_factory.begin() as session:
        empty = await helpers.team(session, admin, name="空队")
    state = await _ready(db, admin, scope=Scope.TEAM, target=empty.id)
    with pytest.raises(NoRecipients):
        await _send(db, admin, state.rev)


async def test_at_night_delivery_waits_for_the_morning(db, town):
    leader = town["leader"]
    state = await _ready(db, leader)
    sent = await _send(db, leader, state.rev, now=NIGHT)
    morning = datetime(2026, 11, 28, 7, 0, tzinfo=SHANGHAI)
    assert sent.report.resumes_at == morning
    assert "🌙 免打扰时段：发给 东风清洁队 的通知将在 07:00 后发送（0/2）。" in (
        sent.report.localize(CATALOGS.translator("zh_Hans"))
    )
    rows = await _notifications(db, sent.broadcast.id)
    assert {r.due_at for r in rows if r.status == NotificationStatus.PENDING} == {morning}
    async with db.session_factory.begin() as session:
        assert await outbox.claim_due(session, now=NIGHT + timedelta(hours=1), quiet=QUIET) == []
        assert len(await outbox.claim_due(session, now=morning, quiet=QUIET)) == 2


class RecordingSender:
    def __init__(self, unreachable: set[int]) -> None:
        self.unreachable = unreachable
        self.sent: list[int] = []

    async def deliver(self, *, person_id, chat_id, text, buttons, location, photos) -> Delivery:
        if person_id in self.unreachable:
            raise Unreachable("Forbidden: bot was blocked by the user")
        self.sent.append(person_id)
        return Delivery("test", str(person_id), str(len(self.sent)))


class RecordingNotifier:
    """The progress job's side of the chat: edits and new messages, as text."""

    def __init__(self) -> None:
        self.edits: list[str] = []
        self.notices: list[str] = []
        self.tr = CATALOGS.translator("zh_Hans")

    async def edit(self, delivery: Delivery, notice: Notice, *, language: str) -> bool:
        self.edits.append(notice.text(CATALOGS.translator(language)))
        return True

    async def notify(self, person_id: int, notice: Notice):
        self.notices.append(notice.text(self.tr))


async def test_progress_is_edited_now_and_then_and_ends_with_the_counts(db, town, base_settings):
    admin, lin = town["admin"], town["lin"]
    state = await _ready(db, admin, "今晚停水。", scope=Scope.GRID, target=town["grid"].id)
    async with db.session_factory.begin() as session:  # a third person in the grid
        extra = await helpers.person(session)
        await helpers.register(
            session, extra, base_settings.registration, name="钱网格", grid_code="dongfeng-1"
        )
    sent = await _send(db, admin, state.rev)
    clock = FixedClock(NOON)
    sender = RecordingSender(unreachable={lin.id})
    dispatcher = Dispatcher(db.session_factory, sender, clock, quiet=QUIET, per_chat_interval=0)
    notifier = RecordingNotifier()
    progress = BroadcastProgress(
        db.session_factory,
        notifier,
        clock,
        quiet=QUIET,
        default_language="zh_Hans",
        catalogs=CATALOGS,
    )

    def status() -> str:
        return notifier.edits[-1].split("\n")[0]

    await dispatcher.run(limit=1)
    await progress.update()
    assert status() == "📤 正在发送给 东风第一网格：1/3"
    # A second later more went out, but the message is not edited that often.
    clock.moment += timedelta(seconds=1)
    await dispatcher.run(limit=1)
    await progress.update()
    assert len(notifier.edits) == 1
    clock.moment += timedelta(seconds=5)
    await progress.update()
    assert status() == "📤 正在发送给 东风第一网格：2/3"
    await progress.update()
    assert len(notifier.edits) == 2  # nothing new: no edit
    # The last one: the final report at once.
    await dispatcher.run()
    assert await progress.update() == 1
    assert status() == (
        "✅ 发给 东风第一网格 的通知已发送完毕：送达 2 人，失败 1 人，跳过 0 人（已屏蔽机器人）。"
    )
    assert notifier.edits[-1].endswith("📢 来自 Test（东风第一网格）的通知：\n今晚停水。")
    async with db.session_factory() as session:
        finished = await session.get_one(Broadcast, sent.broadcast.id)
        assert finished.finished_at == clock.moment
    assert await progress.update() == 0 and len(notifier.edits) == 3
    # Lin blocked the bot: marked by the channel, so the next broadcast skips them.
    async with db.session_factory.begin() as session:
        await identity.mark_unreachable(session, lin.id, identity.TELEGRAM)
    async with db.session_factory() as session:
        again = await broadcasts.audience(session, Scope.GRID, grid_id=town["grid"].id)
    assert [p for p, _ in again.skipped] == [lin.id]


async def test_broadcasts_do_not_hold_up_other_notifications(db, town):
    admin, chen = town["admin"], town["chen"]
    state = await _ready(db, admin, "全体通知", scope=Scope.ALL)
    await _send(db, admin, state.rev, now=NOON - timedelta(minutes=5))
    # Written later, and due later, than the broadcast's rows.
    async with db.session_factory.begin() as session:
        for urgent in (False, True):
            await outbox.enqueue(
                session,
                Notice(N_("Cancelled. Nothing was changed.")),
                catalogs=CATALOGS,
                now=NOON,
                person_id=chen.id,
                kind="reminder",
                urgent=urgent,
            )
        first, second, third = await outbox.claim_due(session, now=NOON, quiet=QUIET, limit=3)
    assert first.urgent and first.broadcast_id is None
    assert not second.urgent and second.broadcast_id is None
    assert third.broadcast_id is not None
