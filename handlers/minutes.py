"""Service minutes in chat: /minutes (totals, star level, history, corrections),
/ranking, and /approvals where leaders decide pending entries."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from telegram import Update

from handlers.common import (
    Message,
    Response,
    Work,
    button,
    callback_args,
    in_rows,
    int_arg,
    keyboard,
    pager_row,
    paginate,
    respond,
    work,
)
from handlers.context import BotContext
from models import EntryStatus, LedgerEntry, Volunteer
from services import drafts, ledger, ledger_text
from services.errors import InvalidTime, NotRegistered, PermissionDenied, StaleAction
from services.i18n import N_
from services.ledger_text import EntryLabel, history_line, minutes_summary
from services.notifier import Notice
from services.profile import real_name
from services.roles import Role, roles_of
from services.shift_setup import parse_number, parse_time

HISTORY_PER_PAGE = 10
APPROVALS_PER_PAGE = 5
DISPUTE_FLOW = "dispute"
REJECT_FLOW = "rejectreason"
LEADING = frozenset({Role.LEADER, Role.ADMIN})
REJECT_REASONS = ledger_text.REJECT_REASONS


def _today(w: Work) -> date:
    return w.now.astimezone(w.deps.settings.bot.zone).date()


# --- /minutes ----------------------------------------------------------------------------------


async def on_minutes(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        message = await _summary(w)
    await respond(update, Response(messages=[message]))


async def _summary(w: Work) -> Message:
    tr = w.tr
    volunteer = await w.session.get(Volunteer, w.person.id)
    if volunteer is None:
        raise NotRegistered()
    totals = await ledger.totals(w.session, w.person.id, today=_today(w))
    lines = minutes_summary(tr, volunteer.real_name, totals, w.deps.settings)
    rows = [
        [button(tr("📜 History"), "mn:h:0"), button(tr("✏️ Correct a shift's times"), "mn:d")],
        [button(tr("🏅 Ranking"), "rk:team:0"), button(tr("📄 Service certificate"), "ct:new")],
        [
            button(
                tr("🙈 Hide my name in rankings")
                if volunteer.in_rankings
                else tr("🙋 Show my name in rankings"),
                f"mn:rank:{0 if volunteer.in_rankings else 1}",
            )
        ],
    ]
    return Message("\n".join(lines), keyboard(rows))


async def _history(w: Work, page: int) -> Message:
    tr = w.tr
    entries = await ledger.history(
        w.session, w.person.id, limit=HISTORY_PER_PAGE + 1, offset=page * HISTORY_PER_PAGE
    )
    more = len(entries) > HISTORY_PER_PAGE
    entries = entries[:HISTORY_PER_PAGE]
    if not entries:
        text = tr("Nothing recorded yet. Sign up for a shift with /shifts, or /log service.")
    else:
        zone = w.deps.settings.bot.zone
        lines = [tr("Your service record (newest first):"), ""]
        lines += [history_line(tr, e, w.deps.settings.shifts, zone) for e in entries]
        text = "\n".join(lines)
    nav = []
    if page:
        nav.append(button(tr("◀ Previous"), f"mn:h:{page - 1}"))
    if more:
        nav.append(button(tr("Next ▶"), f"mn:h:{page + 1}"))
    return Message(text, keyboard([nav, [button(tr("◀ Back"), "mn:s")]]))


async def on_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    async with work(update, context) as w:
        if action == "s":
            message = await _summary(w)
        elif action == "h":
            (page,) = callback_args(update, 1)
            message = await _history(w, max(0, int_arg(page)))
        elif action == "rank":
            (shown,) = callback_args(update, 1)
            await ledger.set_in_rankings(w.session, w.person, shown == "1")
            message = await _summary(w)
        elif action == "d":
            message = await _disputable(w)
        elif action == "de":
            (entry_id,) = callback_args(update, 1)
            message = await _ask_times(w, int_arg(entry_id))
        else:
            raise StaleAction()
    await respond(update, Response(edit=message))


# --- correcting a shift's times ------------------------------------------------------------------


async def _disputable(w: Work) -> Message:
    tr = w.tr
    entries = await ledger.disputable(
        w.session, w.person.id, settings=w.deps.settings.ledger, now=w.now
    )
    if not entries:
        text = tr("There is no shift from the last {days} days to correct.").format(
            days=w.deps.settings.ledger.dispute_days
        )
        return Message(text, keyboard([[button(tr("◀ Back"), "mn:s")]]))
    zone = w.deps.settings.bot.zone
    buttons = [
        button(history_line(tr, e, w.deps.settings.shifts, zone)[:60], f"mn:de:{e.id}")
        for e in entries
    ]
    rows = [*in_rows(buttons, 1), [button(tr("◀ Back"), "mn:s")]]
    return Message(tr("Which shift's recorded times are wrong?"), keyboard(rows))


async def _ask_times(w: Work, entry_id: int) -> Message:
    entry = await ledger.get_entry(w.session, entry_id)
    if entry.person_id != w.person.id:
        raise StaleAction()
    await drafts.save(
        w.session, w.person.id, DISPUTE_FLOW, step="times", data={"entry_id": entry_id}, now=w.now
    )
    return Message(
        w.tr(
            "When did you really arrive and leave? Type it like 08:30-10:15 "
            "(or /cancel). Only time within the shift counts."
        )
    )


async def on_dispute_text(w: Work, text: str) -> tuple[Response, list[tuple[int, Notice]]]:
    """The typed times, then the typed reason; then the leaders are asked."""
    draft = await drafts.load(w.session, w.person.id, DISPUTE_FLOW)
    if draft is None:
        raise StaleAction()
    data = dict(draft.data)
    if draft.step == "times":
        start, end = _times(text)
        data["start"], data["end"] = start, end
        await drafts.save(w.session, w.person.id, DISPUTE_FLOW, step="reason", data=data, now=w.now)
        return Response.say(w.tr("What happened? (a few words for your leader)")), []
    entry = await ledger.get_entry(w.session, data["entry_id"])
    day = entry.service_date
    zone = w.deps.settings.bot.zone
    asked = await ledger.request_correction(
        w.session,
        w.person,
        entry.id,
        started_at=_on(day, data["start"], zone),
        ended_at=_on(day, data["end"], zone),
        reason=text,
        settings=w.deps.settings.ledger,
        now=w.now,
    )
    await drafts.discard(w.session, w.person.id, DISPUTE_FLOW)
    notices = await approval_notices(w, asked)
    text = w.tr("Sent to your leader: {entry}. You will be told the answer.").format(
        entry=EntryLabel(asked, w.deps.settings.shifts).localize(w.tr)
    )
    return Response.say(text), notices


def _times(text: str) -> tuple[str, str]:
    """08:30-10:15 (also with ~, ～ or 到 between)."""
    for separator in ("～", "~", "到", "—", "–"):
        text = text.replace(separator, "-")
    parts = text.split("-")
    if len(parts) != 2:
        raise InvalidTime()
    start, end = (parse_time(part) for part in parts)
    return start.strftime("%H:%M"), end.strftime("%H:%M")


def _on(day: date, hhmm: str, zone) -> datetime:
    return datetime.combine(day, parse_time(hhmm), tzinfo=zone)


# --- approvals ------------------------------------------------------------------------------------


async def approval_notices(w: Work, entry: LedgerEntry) -> list[tuple[int, Notice]]:
    """Ask whoever may decide a pending entry."""
    return await ledger_text.approval_notices(w.session, entry, w.deps.settings.shifts)


async def on_approvals(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        message = await _approvals(w, 0)
    await respond(update, Response(messages=[message]))


async def _approvals(w: Work, page: int) -> Message:
    tr = w.tr
    if not LEADING & await roles_of(w.session, w.person):
        raise PermissionDenied()
    waiting = await ledger.pending_for(w.session, w.person)
    if not waiting:
        return Message(tr("Nothing is waiting for your approval."))
    shown = paginate(waiting, page, APPROVALS_PER_PAGE)
    lines = [tr("Waiting for your approval:"), ""]
    rows = []
    for entry in shown.items:
        label = EntryLabel(
            entry, w.deps.settings.shifts, await real_name(w.session, entry.person_id)
        )
        line = f"#{entry.id} {label.localize(tr)}"
        if entry.note:
            line += f" · {entry.note}"
        if entry.corrects_id:
            line += " · " + tr("correction of #{id}").format(id=entry.corrects_id)
        lines.append(line)
        rows.append(
            [
                button(f"✅ #{entry.id}", f"lg:ok:{entry.id}"),
                button(f"❌ #{entry.id}", f"lg:no:{entry.id}"),
            ]
        )
    rows.append(pager_row(shown, tr, lambda n: f"lg:list:{n}"))
    return Message("\n".join(lines), keyboard(rows))


async def on_decision_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    async with work(update, context) as w:
        if action == "list":
            (page,) = callback_args(update, 1)
            response = Response(edit=await _approvals(w, int_arg(page)))
        elif action == "ok":
            (entry_id,) = callback_args(update, 1)
            entry = await ledger.decide(
                w.session, w.person, int_arg(entry_id), approve=True, now=w.now
            )
            response = await _decided(w, entry)
        elif action == "no":
            (entry_id,) = callback_args(update, 1)
            entry = await ledger.get_entry(w.session, int_arg(entry_id))
            await ledger.require_decider(w.session, w.person, entry)
            reasons = [
                button(w.tr(label), f"lg:nr:{entry.id}:{code}")
                for code, label in REJECT_REASONS.items()
            ]
            rows = [
                *in_rows(reasons, 1),
                [button(w.tr("Another reason…"), f"lg:nr:{entry.id}:other")],
            ]
            response = Response(edit=Message(w.tr("Why not?"), keyboard(rows)))
        elif action == "nr":
            entry_id, code = callback_args(update, 2)
            if code == "other":
                entry = await ledger.get_entry(w.session, int_arg(entry_id))
                await ledger.require_decider(w.session, w.person, entry)
                await drafts.save(
                    w.session,
                    w.person.id,
                    REJECT_FLOW,
                    step="reason",
                    data={"entry_id": entry.id},
                    now=w.now,
                )
                response = Response(
                    edit=Message(w.tr("Please type the reason in a few words (or /cancel)."))
                )
            elif code in REJECT_REASONS:
                entry = await ledger.decide(
                    w.session,
                    w.person,
                    int_arg(entry_id),
                    approve=False,
                    reason=w.tr(REJECT_REASONS[code]),
                    now=w.now,
                )
                response = await _decided(w, entry)
            else:
                raise StaleAction()
        else:
            raise StaleAction()
    await respond(update, response)


async def on_reject_reason_text(w: Work, text: str) -> tuple[Response, list[tuple[int, Notice]]]:
    draft = await drafts.load(w.session, w.person.id, REJECT_FLOW)
    if draft is None:
        raise StaleAction()
    entry = await ledger.decide(
        w.session, w.person, draft.data["entry_id"], approve=False, reason=text, now=w.now
    )
    await drafts.discard(w.session, w.person.id, REJECT_FLOW)
    response = await _decided(w, entry)
    return Response(messages=[response.edit]), []


async def _decided(w: Work, entry: LedgerEntry) -> Response:
    """Edit the leader's message; tell the volunteer."""
    approved = entry.status == EntryStatus.APPROVED
    done = (w.tr("✅ Approved: {entry}") if approved else w.tr("❌ Not approved: {entry}")).format(
        entry=EntryLabel(
            entry, w.deps.settings.shifts, await real_name(w.session, entry.person_id)
        ).localize(w.tr)
    )
    person_id, notice = await ledger_text.decision_notice(
        w.session, entry, w.person, w.deps.settings.shifts
    )
    await w.enqueue(person_id, notice)
    return Response(edit=Message(done))


# --- /ranking ------------------------------------------------------------------------------------


async def on_ranking(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        message = await _ranking(w, "team", 0)
    await respond(update, Response(messages=[message]))


async def _ranking(w: Work, scope: str, months_back: int) -> Message:
    tr = w.tr
    day = _today(w).replace(day=1)
    for _ in range(months_back):
        day = (day - timedelta(days=1)).replace(day=1)
    roles = await roles_of(w.session, w.person)
    lines = await ledger_text.ranking_lines(w.session, tr, w.person, scope=scope, month=day)
    rows = [
        [
            button(tr("My team"), f"rk:team:{months_back}"),
            button(tr("Everyone"), f"rk:all:{months_back}"),
        ],
        [
            button(tr("◀ Earlier month"), f"rk:{scope}:{months_back + 1}"),
        ]
        + ([button(tr("Later month ▶"), f"rk:{scope}:{months_back - 1}")] if months_back else []),
    ]
    if LEADING & roles:
        rows.append([button(tr("Team totals"), f"rk:teams:{months_back}")])
    return Message("\n".join(lines), keyboard(rows))


async def on_ranking_button(update: Update, context: BotContext) -> None:
    parts = (update.callback_query.data or "").split(":")
    if len(parts) != 3 or parts[1] not in ("team", "all", "teams"):
        raise StaleAction()
    scope, months_back = parts[1], min(max(int_arg(parts[2]), 0), 24)
    async with work(update, context) as w:
        message = await _ranking(w, scope, months_back)
    await respond(update, Response(edit=message))


# --- /correct (leaders and admins) ------------------------------------------------------------

CORRECT_FLOW = "correct"


async def on_correct(update: Update, context: BotContext) -> None:
    """/correct <entry no.>: a leader or admin fixes an approved entry (a new entry)."""
    async with work(update, context) as w:
        number = (context.args or [""])[0].lstrip("#")
        if not number.isdigit():
            response = Response.say(
                w.tr(
                    "Send /correct followed by the entry number from the ledger, e.g. /correct 12."
                )
            )
        else:
            entry = await ledger.get_entry(w.session, int(number))
            await ledger.require_decider(w.session, w.person, entry)
            if entry.status != EntryStatus.APPROVED or entry.corrects_id is not None:
                raise StaleAction()
            label = EntryLabel(
                entry, w.deps.settings.shifts, await real_name(w.session, entry.person_id)
            )
            now_counted = await ledger.effective_minutes(w.session, entry)
            await drafts.save(
                w.session,
                w.person.id,
                CORRECT_FLOW,
                step="minutes",
                data={"entry_id": entry.id},
                now=w.now,
            )
            response = Response.say(
                w.tr(
                    "#{id} {entry}: {minutes} minutes count now. How many minutes should it "
                    "be? (or /cancel)"
                ).format(id=entry.id, entry=label.localize(w.tr), minutes=now_counted)
            )
    await respond(update, response)


async def on_correct_text(w: Work, text: str) -> tuple[Response, list[tuple[int, Notice]]]:
    draft = await drafts.load(w.session, w.person.id, CORRECT_FLOW)
    if draft is None:
        raise StaleAction()
    data = dict(draft.data)
    if draft.step == "minutes":
        data["minutes"] = parse_number(text, 0, ledger.DAY_MINUTES)
        await drafts.save(w.session, w.person.id, CORRECT_FLOW, step="reason", data=data, now=w.now)
        return Response.say(w.tr("Why? (it is kept with the correction)")), []
    correction = await ledger.correct(
        w.session, w.person, data["entry_id"], new_minutes=data["minutes"], reason=text, now=w.now
    )
    await drafts.discard(w.session, w.person.id, CORRECT_FLOW)
    leader = await real_name(w.session, w.person.id) or w.tr("an administrator")
    label = EntryLabel(correction, w.deps.settings.shifts)
    notice = Notice(
        N_("✏️ {leader} corrected your record #{id}: {entry}. Reason: {reason}"),
        {"leader": leader, "id": correction.corrects_id, "entry": label, "reason": correction.note},
    )
    done = w.tr("✓ Correction #{id} recorded: {entry}").format(
        id=correction.id, entry=label.localize(w.tr)
    )
    return Response.say(done), [(correction.person_id, notice)]
