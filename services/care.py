"""The daily call and the weekly visit: prompts, answers, retries, the backup, escalation.

Every step is derived from stored care tasks each minute (the scheduler's
maintenance), and every message goes through the outbox with a key naming the
task and the step, so a restart or a second process never sends one twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import (
    CareKind,
    CareStatus,
    CareTask,
    Elder,
    Notification,
    NotificationStatus,
    Person,
    Team,
)
from services import elders, ledger, outbox
from services.errors import AlreadyDecided, AlreadyHandled, PermissionDenied, StaleAction
from services.i18n import N_, Translator, format_day
from services.notifier import Action, Notice
from services.profile import real_name
from services.reminders import Moment
from services.settings import CareSettings
from services.teams import leader_ids

log = logging.getLogger(__name__)


def _at(day: date, moment: time, at: Moment) -> datetime:
    return datetime.combine(day, moment, tzinfo=at.zone)


def deadline_of(kind: str, settings: CareSettings) -> time:
    return settings.visit_deadline if kind == CareKind.VISIT else settings.call_deadline


async def _enqueue(session: AsyncSession, at: Moment, notice: Notice, key: str, **options) -> int:
    written = await outbox.enqueue(
        session, notice, catalogs=at.catalogs, now=at.now, key=key, kind="care", **options
    )
    return 1 if written is not None else 0


# --- what the caller sees ---------------------------------------------------------------


@dataclass(frozen=True)
class PromptText:
    kind: str
    elder: str
    retry: bool
    backup_for: str | None

    def localize(self, tr: Translator) -> str:
        if self.kind == CareKind.VISIT:
            text = tr("🏠 Today is {elder}'s weekly home visit.").format(elder=self.elder)
        elif self.retry:
            text = tr("📞 Please try {elder} again.").format(elder=self.elder)
        else:
            text = tr("📞 Please call {elder} today and see how they are.").format(elder=self.elder)
        if self.backup_for:
            text += "\n" + tr("{name} cannot do it today; you are the backup.").format(
                name=self.backup_for
            )
        return text + "\n" + tr("Tell me how it went with the buttons below.")


def prompt_actions(task: CareTask) -> tuple[tuple[Action, ...], ...]:
    visit = task.kind == CareKind.VISIT
    return (
        (
            Action(
                N_("📱 Address and number") if visit else N_("📱 Show the number"),
                f"ca:num:{task.id}",
            ),
        ),
        (
            Action(
                N_("✅ Visited, all is well") if visit else N_("✅ Talked, all is well"),
                f"ca:ok:{task.id}",
            ),
            Action(N_("🆘 Needs help"), f"ca:help:{task.id}"),
        ),
        (
            Action(N_("🚪 Nobody home") if visit else N_("📵 Could not reach"), f"ca:nr:{task.id}"),
            Action(N_("🙅 I cannot today"), f"ca:away:{task.id}"),
        ),
    )


async def _prompt(
    session: AsyncSession, at: Moment, task: CareTask, elder: Elder, *, backup_for: str | None
) -> int:
    if task.assignee_id is None:
        return 0
    task.prompts += 1
    task.prompted_at = at.now
    task.answered_at = None
    notice = Notice(
        PromptText(
            task.kind,
            elder.name,
            retry=task.unreached > 0 and backup_for is None,
            backup_for=backup_for,
        ),
        actions=prompt_actions(task),
    )
    return await _enqueue(
        session, at, notice, f"care:{task.id}:prompt:{task.prompts}", person_id=task.assignee_id
    )


# --- planning, each minute --------------------------------------------------------------


async def plan_care(session: AsyncSession, at: Moment) -> int:
    written = await _open_today(session, at)
    written += await _assign_late(session, at)
    written += await _retries(session, at)
    written += await _hand_over_silent(session, at)
    written += await _escalate_overdue(session, at)
    written += await _birthdays(session, at)
    return written


async def _open_today(session: AsyncSession, at: Moment) -> int:
    settings = at.settings.care
    local = at.local()
    today = local.date()
    written = 0
    for kind in (CareKind.CALL, CareKind.VISIT):
        if not settings.call_time <= local.time() < deadline_of(kind, settings):
            continue
        planned = select(CareTask.elder_id).where(CareTask.kind == kind, CareTask.day == today)
        query = select(Elder).where(Elder.active, col(Elder.id).not_in(planned))
        if kind == CareKind.VISIT:
            query = query.where(Elder.visit_weekday == today.weekday())
        for elder in (await session.exec(query.order_by(col(Elder.id)))).all():
            written += await _open_task(session, at, elder, kind, today)
    return written


async def _open_task(session: AsyncSession, at: Moment, elder: Elder, kind: str, day: date) -> int:
    callers = await elders.callers(session, elder.id)
    task = CareTask(
        elder_id=elder.id,
        kind=kind,
        day=day,
        created_at=at.now,
        assignee_id=_turn(callers, day),
    )
    if elders.is_paused(elder, day):
        task.status = CareStatus.SKIPPED
        task.assignee_id = None
    try:
        async with session.begin_nested():
            session.add(task)
            await session.flush()
    except IntegrityError:  # another process planned it a moment ago
        return 0
    # Without a caller nobody is asked, and the deadline escalates: a gap in the plan
    # must not go unnoticed.
    return await _prompt(session, at, task, elder, backup_for=None)


def _turn(callers: list[int], day: date) -> int | None:
    """Several callers share the calls: each day the next one."""
    return callers[day.toordinal() % len(callers)] if callers else None


async def _assign_late(session: AsyncSession, at: Moment) -> int:
    """A caller chosen after the day's task was opened is asked the same day."""
    written = 0
    for task in await _open_tasks(session, at, CareTask.assignee_id.is_(None)):
        task.assignee_id = _turn(await elders.callers(session, task.elder_id), task.day)
        if task.assignee_id is not None and _before_deadline(task, at):
            elder = await session.get_one(Elder, task.elder_id)
            written += await _prompt(session, at, task, elder, backup_for=None)
    return written


async def _open_tasks(session: AsyncSession, at: Moment, *conditions) -> list[CareTask]:
    today = at.local().date()
    result = await session.exec(
        select(CareTask)
        .where(
            CareTask.status == CareStatus.OPEN,
            col(CareTask.day) >= today - timedelta(days=1),
            *conditions,
        )
        .order_by(col(CareTask.id))
    )
    return list(result.all())


def _before_deadline(task: CareTask, at: Moment) -> bool:
    return at.now < _at(task.day, deadline_of(task.kind, at.settings.care), at)


async def _retries(session: AsyncSession, at: Moment) -> int:
    written = 0
    for task in await _open_tasks(session, at, col(CareTask.retry_at) <= at.now):
        task.retry_at = None
        if _before_deadline(task, at):
            elder = await session.get_one(Elder, task.elder_id)
            written += await _prompt(session, at, task, elder, backup_for=None)
    return written


async def _hand_over_silent(session: AsyncSession, at: Moment) -> int:
    """The caller has not answered the prompt at all: the backup is asked."""
    silent_since = at.now - timedelta(minutes=at.settings.care.backup_after_minutes)
    written = 0
    for task in await _open_tasks(
        session,
        at,
        CareTask.handed_over.is_(False),
        CareTask.answered_at.is_(None),
        CareTask.retry_at.is_(None),
        col(CareTask.prompted_at) <= silent_since,
    ):
        if _before_deadline(task, at):
            written += await _hand_over(session, at, task)
    return written


async def _hand_over(session: AsyncSession, at: Moment, task: CareTask) -> int:
    """To a backup; without one, the leaders hear that nobody is on it (once)."""
    elder = await session.get_one(Elder, task.elder_id)
    backup = next(
        (p for p in await elders.backups(session, elder.id) if p != task.assignee_id), None
    )
    task.handed_over = True
    previous = await real_name(session, task.assignee_id) if task.assignee_id else ""
    if backup is None:
        notice = Notice(
            N_("⚠️ {name} cannot reach out to {elder} today and there is no backup."),
            {"name": previous or "—", "elder": elder.name},
            actions=((Action(N_("📱 Show the number"), f"ca:num:{task.id}"),),),
        )
        written = 0
        for person_id in await _overseers(session, elder):
            written += await _enqueue(
                session, at, notice, f"care:{task.id}:nobackup:{person_id}", person_id=person_id
            )
        return written
    task.assignee_id = backup
    return await _prompt(session, at, task, elder, backup_for=previous or "—")


async def _escalate_overdue(session: AsyncSession, at: Moment) -> int:
    written = 0
    for task in await _open_tasks(session, at):
        if not _before_deadline(task, at):
            written += await escalate(session, at, task, reason="deadline")
    return written


# --- escalation -------------------------------------------------------------------------


async def _overseers(session: AsyncSession, elder: Elder) -> list[int]:
    """The caring team's leaders and the grid's officers."""
    people = await leader_ids(session, elder.team_id) if elder.team_id else []
    for officer in await elders.grid_officer_ids(session, elder.grid_id):
        if officer not in people:
            people.append(officer)
    return people


@dataclass(frozen=True)
class AlertText:
    reason: str
    elder: Elder
    day: date
    caller: str
    unreached: int

    def localize(self, tr: Translator) -> str:
        elder = self.elder
        if self.reason == "help":
            lines = [
                tr("🆘 {caller} spoke with {elder}: they need help.").format(
                    caller=self.caller, elder=elder.name
                )
            ]
        else:
            lines = [
                tr("🚨 Nobody has reached {elder} today ({day}).").format(
                    elder=elder.name, day=format_day(self.day, tr.language)
                ),
                tr("Caller: {caller} · unanswered attempts: {count}").format(
                    caller=self.caller or tr("nobody assigned"), count=self.unreached
                ),
            ]
        lines.append(
            tr("📞 {phone} · 📍 {address}").format(phone=elder.phone, address=elder.address)
        )
        if elder.family_phone:
            lines.append(
                tr("Family: {name} {phone}").format(
                    name=elder.family_name or "", phone=elder.family_phone
                )
            )
        if elder.notes:
            lines.append(tr("Notes: {notes}").format(notes=elder.notes))
        lines.append(tr("Whoever takes it, press “I'll handle it”; the others will see."))
        return "\n".join(lines)


def alert_actions(task: CareTask) -> tuple[tuple[Action, ...], ...]:
    return (
        (
            Action(N_("🙋 I'll handle it"), f"ca:ack:{task.id}"),
            Action(N_("✅ Reached, all is well"), f"ca:ok:{task.id}"),
        ),
    )


async def escalate(session: AsyncSession, at: Moment, task: CareTask, *, reason: str) -> int:
    """Tell the overseers (urgent: quiet hours do not hold it back), and the family when
    nobody reached the elder and the record says so."""
    elder = await session.get_one(Elder, task.elder_id)
    task.status = CareStatus.HELP if reason == "help" else CareStatus.ESCALATED
    task.escalated_at = at.now
    task.escalation = reason
    caller = await real_name(session, task.assignee_id) if task.assignee_id else ""
    notice = Notice(
        AlertText(reason, elder, task.day, caller, task.unreached), actions=alert_actions(task)
    )
    written = 0
    for person_id in await _overseers(session, elder):
        if person_id == task.contacted_by:
            continue
        written += await _enqueue(
            session,
            at,
            notice,
            f"care:{task.id}:alert:{person_id}",
            person_id=person_id,
            urgent=True,
        )
    if reason == "deadline" and elder.family_alerts and elder.family_person_id:
        family = Notice(
            N_(
                "🚨 Our volunteers could not reach {elder} by phone today. Please check on "
                "them if you can; the community team has been told as well."
            ),
            {"elder": elder.name},
        )
        written += await _enqueue(
            session,
            at,
            family,
            f"care:{task.id}:family",
            person_id=elder.family_person_id,
            urgent=True,
        )
    return written


async def _alerted(session: AsyncSession, task: CareTask, *, family: bool = False) -> list[int]:
    """Who got this task's alert (and, with `family`, its family message)."""
    sent = col(Notification.key).startswith(f"care:{task.id}:alert:")
    if family:
        sent = sent | (Notification.key == f"care:{task.id}:family")
    result = await session.exec(select(Notification.person_id).where(sent))
    return [p for p in result.all() if p is not None]


# --- answers ----------------------------------------------------------------------------


async def get_task(session: AsyncSession, task_id: int) -> CareTask:
    task = await session.get(CareTask, task_id)
    if task is None:
        raise StaleAction()
    return task


async def fresh_notifications(session: AsyncSession, task_id: int, now: datetime) -> list[int]:
    """What an answer just wrote for this task, to send right after the commit."""
    result = await session.exec(
        select(Notification.id).where(
            col(Notification.key).startswith(f"care:{task_id}:"),
            Notification.created_at == now,
            Notification.status == NotificationStatus.PENDING,
        )
    )
    return list(result.all())


async def _task(session: AsyncSession, task_id: int) -> tuple[CareTask, Elder]:
    task = await session.get(CareTask, task_id)
    if task is None:
        raise StaleAction()
    return task, await session.get_one(Elder, task.elder_id)


async def _require_may_answer(
    session: AsyncSession, actor: Person, task: CareTask, elder: Elder
) -> None:
    if actor.id == task.assignee_id or await elders.can_see_private(session, actor, elder):
        return
    raise PermissionDenied()


async def contact(session: AsyncSession, actor: Person, task_id: int) -> Elder:
    """The number (and address) behind the prompt's button, for those allowed."""
    task, elder = await _task(session, task_id)
    await _require_may_answer(session, actor, task, elder)
    return elder


async def reached(session: AsyncSession, actor: Person, task_id: int, at: Moment) -> CareTask:
    """Talked (or visited), all is well. After an escalation: the all-clear."""
    task, elder = await _task(session, task_id)
    await _require_may_answer(session, actor, task, elder)
    if task.status == CareStatus.DONE:
        raise AlreadyDecided()
    if task.status == CareStatus.SKIPPED:
        raise StaleAction()
    task.status = CareStatus.DONE
    task.answered_at = task.answered_at or at.now
    task.contacted_at = at.now
    task.contacted_by = actor.id
    task.retry_at = None
    if task.escalated_at is not None:
        name = await real_name(session, actor.id)
        clear = Notice(
            N_("✅ All clear: {name} reached {elder} at {time}."),
            {"name": name, "elder": elder.name, "time": _clock(at.now, at)},
        )
        for person_id in await _alerted(session, task, family=True):
            if person_id != actor.id:
                await _enqueue(
                    session,
                    at,
                    clear,
                    f"care:{task.id}:clear:{person_id}",
                    person_id=person_id,
                    urgent=True,
                )
    await session.flush()
    return task


def _clock(moment: datetime, at: Moment) -> str:
    return moment.astimezone(at.zone).strftime("%H:%M")


async def unreached(
    session: AsyncSession, actor: Person, task_id: int, at: Moment
) -> datetime | None:
    """Could not reach (or nobody home): returns when the caller will be asked again,
    or None when that would be past the deadline (which escalates)."""
    task, elder = await _task(session, task_id)
    await _require_may_answer(session, actor, task, elder)
    if task.status != CareStatus.OPEN:
        raise AlreadyDecided()
    if task.retry_at is not None and task.answered_at is not None:
        return task.retry_at  # pressed twice: one attempt, one retry
    task.unreached += 1
    task.answered_at = at.now
    retry = at.now + timedelta(minutes=at.settings.care.retry_after_minutes)
    task.retry_at = (
        retry if retry < _at(task.day, deadline_of(task.kind, at.settings.care), at) else None
    )
    await session.flush()
    return task.retry_at


async def needs_help(session: AsyncSession, actor: Person, task_id: int, at: Moment) -> CareTask:
    """Reached, and they need help: the overseers are alerted at once."""
    task, elder = await _task(session, task_id)
    await _require_may_answer(session, actor, task, elder)
    if task.status in (CareStatus.HELP, CareStatus.SKIPPED):
        raise AlreadyDecided()
    task.answered_at = at.now
    task.contacted_at = at.now
    task.contacted_by = actor.id
    task.retry_at = None
    await escalate(session, at, task, reason="help")
    await session.flush()
    return task


async def add_note(
    session: AsyncSession, actor: Person, task_id: int, text: str, at: Moment
) -> CareTask:
    """What help is needed, in the caller's words: stored, and sent to those alerted."""
    task, elder = await _task(session, task_id)
    await _require_may_answer(session, actor, task, elder)
    note = elders.normalize_notes(text)
    task.note = note
    notice = Notice(
        N_("📝 {name} about {elder}: {note}"),
        {"name": await real_name(session, actor.id), "elder": elder.name, "note": note},
        actions=alert_actions(task) if task.acknowledged_by is None else (),
    )
    count = await session.exec(
        select(Notification.id).where(col(Notification.key).startswith(f"care:{task.id}:note:"))
    )
    number = len(count.all()) + 1
    for person_id in await _alerted(session, task):
        await _enqueue(
            session,
            at,
            notice,
            f"care:{task.id}:note:{number}:{person_id}",
            person_id=person_id,
            urgent=True,
        )
    await session.flush()
    return task


async def cannot_today(session: AsyncSession, actor: Person, task_id: int, at: Moment) -> bool:
    """The caller cannot do it today: the backup is asked. Returns whether there was one."""
    task, elder = await _task(session, task_id)
    if actor.id != task.assignee_id:
        raise PermissionDenied()
    if task.status != CareStatus.OPEN:
        raise AlreadyDecided()
    task.answered_at = at.now
    task.retry_at = None
    has_backup = any(p != actor.id for p in await elders.backups(session, elder.id))
    await _hand_over(session, at, task)
    await session.flush()
    return has_backup


async def acknowledge(session: AsyncSession, actor: Person, task_id: int, at: Moment) -> CareTask:
    """Someone alerted takes it; the others are told who."""
    task, elder = await _task(session, task_id)
    alerted = await _alerted(session, task)
    if actor.id not in alerted and not await elders.can_manage(session, actor, elder):
        raise PermissionDenied()
    if task.acknowledged_by is not None:
        if task.acknowledged_by == actor.id:
            return task
        raise AlreadyHandled(name=await real_name(session, task.acknowledged_by))
    task.acknowledged_by = actor.id
    task.acknowledged_at = at.now
    notice = Notice(
        N_("👍 {name} is handling {elder}."),
        {"name": await real_name(session, actor.id), "elder": elder.name},
    )
    for person_id in alerted:
        if person_id != actor.id:
            await _enqueue(
                session,
                at,
                notice,
                f"care:{task.id}:ack:{person_id}",
                person_id=person_id,
                urgent=True,
            )
    await session.flush()
    return task


# The choices offered for a visit's service time (minutes).
VISIT_MINUTES = (30, 60, 90, 120)


async def log_visit(session: AsyncSession, actor: Person, task_id: int, minutes: int, at: Moment):
    """A completed visit's minutes into the ledger (a leader approves them as usual)."""
    task, elder = await _task(session, task_id)
    if task.kind != CareKind.VISIT or task.status != CareStatus.DONE:
        raise StaleAction()
    if task.contacted_by != actor.id:
        raise PermissionDenied()
    if task.ledger_entry_id is not None:
        raise AlreadyDecided()
    entry = await ledger.log_manual(
        session,
        actor,
        service_date=task.day,
        minutes=minutes,
        activity=at.settings.care.visit_activity,
        note=elder.name,
        team_id=elder.team_id if elder.team_id else None,
        settings=at.settings.ledger,
        shift_settings=at.settings.shifts,
        zone=at.zone,
        now=at.now,
    )
    task.ledger_entry_id = entry.id
    await session.flush()
    return entry


# --- birthdays --------------------------------------------------------------------------


def _birthday_in(year: int, born: date) -> date:
    try:
        return born.replace(year=year)
    except ValueError:  # 29 February in an ordinary year
        return date(year, 2, 28)


async def _birthdays(session: AsyncSession, at: Moment) -> int:
    settings = at.settings.care
    local = at.local()
    if local.time() < settings.call_time:
        return 0
    today = local.date()
    ahead = today + timedelta(days=settings.birthday_days_before)
    written = 0
    for elder in (
        await session.exec(select(Elder).where(Elder.active, Elder.birthday.is_not(None)))
    ).all():
        for when, day in (("before", ahead), ("day", today)):
            birthday = _birthday_in(day.year, elder.birthday)
            if birthday != day:
                continue
            notice = Notice(
                N_("🎂 {elder} turns {age} on {day}. A call, a visit or a small party?")
                if when == "before"
                else N_("🎂 Today {elder} turns {age}! A call or a visit would make their day."),
                {"elder": elder.name, "age": day.year - elder.birthday.year, "day": _Day(day)},
            )
            key = f"birthday:{elder.id}:{day.year}:{when}"
            written += await _to_team(session, at, elder, notice, key)
    return written


@dataclass(frozen=True)
class _Day:
    day: date

    def localize(self, tr: Translator) -> str:
        return format_day(self.day, tr.language)


async def _to_team(
    session: AsyncSession, at: Moment, elder: Elder, notice: Notice, key: str
) -> int:
    """The caring team's group if it has one, else the carers and the leaders."""
    team = await session.get(Team, elder.team_id) if elder.team_id else None
    if team is not None and team.group_chat_id:
        return await _enqueue(
            session,
            at,
            notice,
            f"{key}:group",
            chat_id=team.group_chat_id,
            language=at.settings.bot.default_language,
        )
    people = [c.person_id for c in await elders.carers(session, elder.id)]
    for person_id in await _overseers(session, elder):
        if person_id not in people:
            people.append(person_id)
    written = 0
    for person_id in people:
        written += await _enqueue(session, at, notice, f"{key}:{person_id}", person_id=person_id)
    return written


# --- the record -------------------------------------------------------------------------


@dataclass(frozen=True)
class ElderWeek:
    elder: Elder
    days: list[tuple[date, CareTask | None]]

    def covered(self, today: date) -> bool:
        """Every past day since registration was reached, escalated or paused."""
        registered = self.elder.created_at.date()
        return all(
            task is not None and task.status != CareStatus.OPEN
            for day, task in self.days
            if registered <= day < today
        )

    def escalations(self) -> int:
        return sum(1 for _, task in self.days if task is not None and task.escalated_at)


async def elder_week(
    session: AsyncSession, elder: Elder, *, last_day: date, days: int = 7
) -> ElderWeek:
    first = last_day - timedelta(days=days - 1)
    tasks = (
        await session.exec(
            select(CareTask).where(
                CareTask.elder_id == elder.id,
                CareTask.kind == CareKind.CALL,
                col(CareTask.day) >= first,
                col(CareTask.day) <= last_day,
            )
        )
    ).all()
    by_day = {t.day: t for t in tasks}
    return ElderWeek(
        elder,
        [(first + timedelta(days=n), by_day.get(first + timedelta(days=n))) for n in range(days)],
    )


async def week_record(
    session: AsyncSession, actor: Person, *, last_day: date, days: int = 7
) -> list[ElderWeek]:
    """For each elder the actor oversees: each day's call, for the last `days` days."""
    first = last_day - timedelta(days=days - 1)
    shown = [
        e
        for e in await elders.visible_elders(session, actor)
        if await elders.can_manage(session, actor, e)
    ]
    if not shown:
        return []
    tasks = (
        await session.exec(
            select(CareTask).where(
                col(CareTask.elder_id).in_([e.id for e in shown]),
                CareTask.kind == CareKind.CALL,
                col(CareTask.day) >= first,
                col(CareTask.day) <= last_day,
            )
        )
    ).all()
    by_day = {(t.elder_id, t.day): t for t in tasks}
    return [
        ElderWeek(
            elder,
            [
                (first + timedelta(days=n), by_day.get((elder.id, first + timedelta(days=n))))
                for n in range(days)
            ],
        )
        for elder in shown
    ]


async def skip_today(session: AsyncSession, elder: Elder, today: date) -> None:
    """Paused from today: today's open call or visit is off (no prompts, no alert)."""
    result = await session.exec(
        select(CareTask).where(
            CareTask.elder_id == elder.id,
            CareTask.day == today,
            CareTask.status == CareStatus.OPEN,
        )
    )
    for task in result.all():
        task.status = CareStatus.SKIPPED
        task.retry_at = None
    await session.flush()


def day_mark(task: CareTask | None) -> str:
    """One character per day in the record."""
    if task is None:
        return "·"
    if task.status == CareStatus.DONE:
        return "✅" if task.escalated_at is None else "☑️"
    return {
        CareStatus.OPEN: "⏳",
        CareStatus.HELP: "🆘",
        CareStatus.ESCALATED: "⚠️",
        CareStatus.SKIPPED: "⏸",
    }[task.status]


async def today_task(session: AsyncSession, elder_id: int, day: date) -> CareTask | None:
    result = await session.exec(
        select(CareTask).where(
            CareTask.elder_id == elder_id, CareTask.kind == CareKind.CALL, CareTask.day == day
        )
    )
    return result.first()
