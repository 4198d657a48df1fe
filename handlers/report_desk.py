"""Handling reports in chat: the officer's queue and buttons, the volunteer's task, the
reporter's confirm or reopen, and /myreports."""

from __future__ import annotations

from telegram import Update

from handlers.common import (
    Message,
    Response,
    Work,
    button,
    int_arg,
    keyboard,
    respond,
    work,
)
from handlers.context import BotContext
from handlers.report_stats import stats_message
from models import PhotoStage, Report
from services import drafts, org, report_actions, report_fix, report_views, reports
from services.errors import PermissionDenied, StaleAction
from services.i18n import N_
from services.notifier import Action
from services.report_labels import CategoryLabel, StatusLabel, ticket
from services.reports import PhotoInput
from services.roles import Role, roles_of

REJECT_FLOW = "reportreject"
FIX_FLOW = report_fix.FLOW
QUEUE_SIZE = 15

ESCALATED = N_("⏰ Not accepted in time: please see to it.")


def markup(w: Work, actions: tuple[tuple[Action, ...], ...]):
    rows = [[button(w.tr(a.label), a.data) for a in row] for row in actions]
    return keyboard(rows) if rows else None


async def _card_message(w: Work, report: Report, *, audit: bool = False) -> Message:
    settings = w.deps.settings
    body = await report_views.card(
        w.session,
        report,
        settings=settings.reports,
        zone=settings.bot.zone,
        viewer=w.person,
        audit=audit,
    )
    actions = await report_views.viewer_actions(w.session, report, w.person)
    if await reports.may_handle(w.session, w.person, report):
        # Back to the list: a morning's queue is cleared one report after another.
        actions = (*actions, (Action(N_("📋 Open reports"), "rp:queue:0"),))
    return Message(body.localize(w.tr), markup(w, actions))


async def _photos(w: Work, report: Report, stage: PhotoStage) -> list[dict[str, str]]:
    return report_views.photo_refs(await reports.photos_of(w.session, report.id, stage))


# --- /reports: the handler's queue ---------------------------------------------------------


async def on_reports(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        response = await queue_response(w)
    await respond(update, response)


async def queue_response(w: Work) -> Response:
    roles = await roles_of(w.session, w.person)
    if not roles & {Role.GRID_OFFICER, Role.LEADER, Role.ADMIN}:
        tasks = await reports.tasks_of(w.session, w.person.id)
        if not tasks:
            raise PermissionDenied()
        return _list(w, w.tr("🧹 Reports you are handling:"), tasks)
    open_reports = await reports.queue(w.session, w.person, limit=QUEUE_SIZE)
    if not open_reports:
        text = w.tr("🎉 No open reports in your grids.")
        return Response.say(text, keyboard([[button(w.tr("📊 Statistics"), "rp:stats:7")]]))
    return _list(
        w,
        w.tr("📋 Open reports, oldest first. Tap one to handle it:"),
        open_reports,
        extra=[[button(w.tr("📊 Statistics"), "rp:stats:7")]],
    )


def _list(
    w: Work, title: str, items: list[Report], *, action: str = "view", extra: list | None = None
) -> Response:
    rows = [
        [
            button(
                report_views.list_line(w.tr, report, w.deps.settings),
                f"rp:{action}:{report.id}",
            )
        ]
        for report in items
    ]
    return Response.say(title, keyboard(rows + (extra or [])))


# --- buttons -------------------------------------------------------------------------------


async def on_button(update: Update, context: BotContext) -> None:
    parts = (update.callback_query.data or "").split(":")
    action, args = parts[1] if len(parts) > 1 else "", [int_arg(a) for a in parts[2:]]
    if not args:
        raise StaleAction()
    async with work(update, context) as w:
        response = await _on_action(w, action, args)
    await respond(update, response)


async def _on_action(w: Work, action: str, args: list[int]) -> Response:
    if action == "stats":
        return await stats_response(w, days=args[0])
    if action == "queue":
        return await queue_response(w)
    report = await reports.get_report(w.session, args[0])
    handlers = {
        "view": _view,
        "acc": _accept,
        "asg": _assign_choices,
        "to": _assign_to,
        "dup": _duplicate_choices,
        "dof": _duplicate_of,
        "rej": _ask_reject_reason,
        "grid": _grid_choices,
        "gto": _route_to_grid,
        "who": _audit,
        "blk": _block,
        "go": _start,
        "fix": _ask_after_photo,
        "ok": _confirm,
        "re": _reopen,
        "mine": _mine,
    }
    handler = handlers.get(action)
    if handler is None:
        raise StaleAction()
    return await handler(w, report, args[1:])


async def _view(w: Work, report: Report, _: list[int]) -> Response:
    if not await reports.may_resolve(w.session, w.person, report):
        raise PermissionDenied()
    return Response(
        messages=[await _card_message(w, report)],
        photos=await _photos(w, report, PhotoStage.BEFORE),
        location=(report.latitude, report.longitude) if report.latitude is not None else None,
    )


def _at(w: Work) -> dict:
    return {"settings": w.deps.settings, "now": w.now}


async def _send(w: Work, outgoing: report_actions.Outgoing) -> None:
    for person_id, notice, options in outgoing:
        await w.enqueue(person_id, notice, **options)


async def _accept(w: Work, report: Report, _: list[int]) -> Response:
    await _send(w, await report_actions.accept(w.session, report, w.person, **_at(w)))
    return Response(
        edit=await _card_message(w, report), popup=w.tr("Accepted. Assign it to a volunteer next.")
    )


async def _assign_choices(w: Work, report: Report, _: list[int]) -> Response:
    await reports.require_handler(w.session, w.person, report)
    volunteers = await reports.assignable_volunteers(w.session, report)
    if not volunteers:
        return Response(
            popup=w.tr(
                "No volunteer of a team in this community yet. Accept it and handle it "
                "yourself, or put it in another grid."
            ),
            alert=True,
        )
    rows = [[button(v.real_name, f"rp:to:{report.id}:{v.person_id}")] for v in volunteers[:40]]
    rows.append([button(w.tr("◀ Back"), f"rp:view:{report.id}")])
    text = w.tr("Who should handle {ticket}?").format(ticket=ticket(report.id))
    return Response(edit=Message(text, keyboard(rows)))


async def _assign_to(w: Work, report: Report, args: list[int]) -> Response:
    if len(args) != 1:
        raise StaleAction()
    await _send(w, await report_actions.assign(w.session, report, w.person, args[0], **_at(w)))
    return Response(
        edit=await _card_message(w, report), popup=w.tr("Assigned. They have been told.")
    )


async def _duplicate_choices(w: Work, report: Report, _: list[int]) -> Response:
    await reports.require_handler(w.session, w.person, report)
    candidates = await reports.duplicate_candidates(w.session, report)
    if not candidates:
        return Response(popup=w.tr("No other open report of this kind in this grid."), alert=True)
    tr, zone = w.tr, w.deps.settings.bot.zone
    rows = [
        [
            button(
                report_views.candidate_line(report, other, zone),
                f"rp:dof:{report.id}:{other.id}",
            )
        ]
        for other in candidates
    ]
    rows.append([button(tr("◀ Back"), f"rp:view:{report.id}")])
    text = tr("{ticket} is the same problem as which report?").format(ticket=ticket(report.id))
    return Response(edit=Message(text, keyboard(rows)))


async def _duplicate_of(w: Work, report: Report, args: list[int]) -> Response:
    if len(args) != 1:
        raise StaleAction()
    original, outgoing = await report_actions.mark_duplicate(
        w.session, report, w.person, args[0], **_at(w)
    )
    await _send(w, outgoing)
    return Response(
        edit=await _card_message(w, report),
        popup=w.tr("Merged into {ticket}; its reporter will follow that one.").format(
            ticket=ticket(original.id)
        ),
    )


async def _ask_reject_reason(w: Work, report: Report, _: list[int]) -> Response:
    await reports.require_handler(w.session, w.person, report)
    if report.status not in reports.OPEN_STATUSES:
        raise StaleAction()
    await drafts.save(
        w.session, w.person.id, REJECT_FLOW, step="reason", data={"report": report.id}, now=w.now
    )
    return Response.say(
        w.tr(
            "Why is {ticket} rejected? The reporter will read it, so please be polite (or /cancel)."
        ).format(ticket=ticket(report.id))
    )


async def on_reject_reason_text(w: Work, text: str) -> Response:
    draft = await drafts.load(w.session, w.person.id, REJECT_FLOW)
    report = await reports.get_report(w.session, draft.data["report"])
    await _send(w, await report_actions.reject(w.session, report, w.person, text, **_at(w)))
    await drafts.discard(w.session, w.person.id, REJECT_FLOW)
    return Response.say(
        w.tr("{ticket} rejected; the reporter has been told.").format(ticket=ticket(report.id))
    )


async def _grid_choices(w: Work, report: Report, _: list[int]) -> Response:
    await reports.require_handler(w.session, w.person, report)
    rows = []
    for community in await org.active_communities(w.session):
        for grid in await org.active_grids(w.session, community.id):
            rows.append(
                [button(org.place_label(grid, w.tr.language), f"rp:gto:{report.id}:{grid.id}")]
            )
    text = w.tr("Which grid is {ticket} in?").format(ticket=ticket(report.id))
    return Response(edit=Message(text, keyboard(rows)))


async def _route_to_grid(w: Work, report: Report, args: list[int]) -> Response:
    if len(args) != 1:
        raise StaleAction()
    await _send(
        w, await report_actions.route_to_grid(w.session, report, w.person, args[0], **_at(w))
    )
    return Response(edit=await _card_message(w, report))


async def _audit(w: Work, report: Report, _: list[int]) -> Response:
    message = await _card_message(w, report, audit=True)  # refuses non-admins
    rows = []
    if report.reporter_id is not None:  # a chat reporter can be stopped from reporting
        rows.append([button(w.tr("🚫 Block this reporter"), f"rp:blk:{report.id}")])
    return Response(messages=[Message(message.text, keyboard(rows) if rows else None)])


async def _block(w: Work, report: Report, _: list[int]) -> Response:
    await reports.block_reporter(w.session, w.person, report=report, reason=None, now=w.now)
    return Response(
        edit=Message(w.tr("Blocked: this person can no longer send reports.")),
    )


# --- the volunteer's task ------------------------------------------------------------------


async def _start(w: Work, report: Report, _: list[int]) -> Response:
    await _send(w, await report_actions.start_work(w.session, report, w.person, **_at(w)))
    return Response(
        edit=await _card_message(w, report),
        popup=w.tr("Thank you! Send the after photo with “Resolved” when it is done."),
    )


async def _ask_after_photo(w: Work, report: Report, _: list[int]) -> Response:
    await report_fix.begin(w.session, w.person, report, now=w.now)
    return Response.say(fix_prompt(w, report_fix.PHOTO, report.id))


def fix_prompt(w: Work, step: str, report_id: int) -> str:
    if step == report_fix.PHOTO:
        return w.tr("📷 Please send a photo of {ticket} as it is now (the after photo).").format(
            ticket=ticket(report_id)
        )
    return w.tr("📝 In a few words, what was done? (or press Skip)")


def _note_markup(w: Work):
    return keyboard([[button(w.tr("⏭ Skip"), "rp:fixskip:0")]])


async def on_fix_photo(w: Work, stored: PhotoInput) -> Response:
    """An after photo, already fetched and kept as our own copy."""
    report_id = await report_fix.add_photo(w.session, w.person, stored, now=w.now)
    return Response.say(fix_prompt(w, report_fix.NOTE, report_id), _note_markup(w))


async def on_fix_text(w: Work, text: str | None) -> Response:
    step, report_id = await report_fix.step_of(w.session, w.person) or (None, 0)
    if step == report_fix.PHOTO:
        return Response.say(fix_prompt(w, report_fix.PHOTO, report_id))
    report, outgoing = await report_actions.finish_resolving(w.session, w.person, text, **_at(w))
    await _send(w, outgoing)
    return Response.say(
        w.tr(
            "✅ {ticket} is resolved. Thank you! The reporter has been sent the after photo."
        ).format(ticket=ticket(report.id))
    )


async def on_fix_skip(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        step = await report_fix.step_of(w.session, w.person)
        if step is None or step[0] != report_fix.NOTE:
            raise StaleAction()
        response = await on_fix_text(w, None)
    await respond(update, response)


# --- the reporter --------------------------------------------------------------------------


async def _confirm(w: Work, report: Report, _: list[int]) -> Response:
    await _send(w, await report_actions.confirm(w.session, report, w.person, now=w.now))
    return Response(
        edit=Message(
            w.tr("Thank you for confirming! {ticket} is closed.").format(ticket=ticket(report.id))
        )
    )


async def _reopen(w: Work, report: Report, _: list[int]) -> Response:
    await _send(w, await report_actions.reopen(w.session, report, w.person, **_at(w)))
    return Response(
        edit=Message(
            w.tr("{ticket} is reopened; the grid has been told it is not fixed yet.").format(
                ticket=ticket(report.id)
            )
        )
    )


async def on_myreports(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        mine = await reports.followed_by(w.session, w.person.id)
        if not mine:
            response = Response.say(
                w.tr("You have not sent any report yet. Send /report to report a problem.")
            )
        else:
            response = _list(w, w.tr("📣 Your reports (tap one for details):"), mine, action="mine")
    await respond(update, response)


async def _mine(w: Work, report: Report, _: list[int]) -> Response:
    if w.person.id not in await reports.follower_ids(w.session, report.id):
        raise PermissionDenied()
    tr, settings = w.tr, w.deps.settings
    lines = [
        tr("📣 Report {ticket} · {category}").format(
            ticket=ticket(report.id),
            category=CategoryLabel(settings.reports, report.category).localize(tr),
        ),
        tr("Status: {status}").format(status=StatusLabel(report.status).localize(tr)),
    ]
    lines.extend(report_views.outcome_lines(tr, report))
    actions = report_views.reporter_actions(report)
    return Response(
        messages=[Message("\n".join(lines), markup(w, actions))],
        photos=await _photos(w, report, PhotoStage.AFTER),
    )


# --- statistics ----------------------------------------------------------------------------


async def stats_response(w: Work, *, days: int) -> Response:
    return await stats_message(w, days=days)
