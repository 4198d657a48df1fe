"""Handling reports on WeChat by number: the officer's queue and card, accepting,
assigning, merging, rejecting with a typed reason, placing in a grid; the volunteer's
"on my way" and "resolved"; the reporter's confirm or reopen. The steps and whom they
tell are services/report_actions, shared with Telegram."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.wechat import menus
from models import Report
from services import drafts, org, report_actions, report_fix, report_views, reports
from services.errors import PermissionDenied
from services.i18n import N_
from services.report_labels import ticket
from services.roles import Role, roles_of

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn

REJECT_FLOW = "reportreject"  # the same typed-reason draft as on Telegram
QUEUE_SIZE = 15
QUEUE = N_("📋 Open reports")


async def queue(turn: Turn) -> str:
    roles = await roles_of(turn.session, turn.person)
    if not roles & {Role.GRID_OFFICER, Role.LEADER, Role.ADMIN}:
        raise PermissionDenied()
    open_reports = await reports.queue(turn.session, turn.person, limit=QUEUE_SIZE)
    if not open_reports:
        return turn.tr("🎉 No open reports in your grids.")
    tr = turn.tr
    options = [
        (report_views.list_line(tr, report, turn.settings), f"rp:view:{report.id}")
        for report in open_reports
    ]
    lines = await menus.offer(turn, options)
    return "\n".join([tr("📋 Open reports, oldest first. Reply a number to handle it:"), *lines])


async def card(turn: Turn, report: Report) -> str:
    """The report with its actions as numbers."""
    if not await reports.may_resolve(turn.session, turn.person, report):
        raise PermissionDenied()
    settings = turn.settings
    body = await report_views.card(
        turn.session, report, settings=settings.reports, zone=settings.bot.zone, viewer=turn.person
    )
    actions = await report_views.viewer_actions(turn.session, report, turn.person)
    options = [(turn.tr(a.label), a.data) for row in actions for a in row]
    options.append((turn.tr(QUEUE), "rp:queue:0"))
    return "\n".join([body.localize(turn.tr), *await menus.offer(turn, options)])


async def press(turn: Turn, verb: str, args: list[int]) -> str:
    session, person, tr, settings = turn.session, turn.person, turn.tr, turn.settings
    at = {"settings": settings, "now": turn.now}
    if verb == "queue":
        return await queue(turn)
    report = await reports.get_report(session, args[0])
    extra = args[1] if len(args) > 1 else None
    if verb == "view":
        return await card(turn, report)
    if verb == "acc":
        await turn.send(await report_actions.accept(session, report, person, **at))
        return tr("Accepted. Assign it to a volunteer next.") + "\n" + await card(turn, report)
    if verb == "asg":
        return await _assign_choices(turn, report)
    if verb == "to" and extra is not None:
        await turn.send(await report_actions.assign(session, report, person, extra, **at))
        return tr("Assigned. They have been told.")
    if verb == "dup":
        return await _duplicate_choices(turn, report)
    if verb == "dof" and extra is not None:
        original, outgoing = await report_actions.mark_duplicate(
            session, report, person, extra, **at
        )
        await turn.send(outgoing)
        return tr("Merged into {ticket}; its reporter will follow that one.").format(
            ticket=ticket(original.id)
        )
    if verb == "rej":
        await reports.require_handler(session, person, report)
        await drafts.save(
            session,
            person.id,
            REJECT_FLOW,
            step="reason",
            data={"report": report.id},
            now=turn.now,
        )
        return tr(
            "Why is {ticket} rejected? The reporter will read it, so please be polite (or /cancel)."
        ).format(ticket=ticket(report.id))
    if verb == "grid":
        await reports.require_handler(session, person, report)
        options = [
            (org.place_label(grid, tr.language), f"rp:gto:{report.id}:{grid.id}")
            for community in await org.active_communities(session)
            for grid in await org.active_grids(session, community.id)
        ]
        question = tr("Which grid is {ticket} in?").format(ticket=ticket(report.id))
        return "\n".join([question, *await menus.offer(turn, options)])
    if verb == "gto" and extra is not None:
        await turn.send(await report_actions.route_to_grid(session, report, person, extra, **at))
        return await card(turn, report)
    if verb == "who":
        audit = await report_views.card(
            session,
            report,
            settings=settings.reports,
            zone=settings.bot.zone,
            viewer=person,
            audit=True,
        )
        return audit.localize(tr)
    if verb == "go":
        await turn.send(await report_actions.start_work(session, report, person, **at))
        return tr("Thank you! Send the after photo with “Resolved” when it is done.")
    if verb == "fix":
        await report_fix.begin(session, person, report, now=turn.now)
        return tr("📷 Please send a photo of {ticket} as it is now (the after photo).").format(
            ticket=ticket(report.id)
        )
    if verb == "ok":
        await turn.send(await report_actions.confirm(session, report, person, now=turn.now))
        return tr("Thank you for confirming! {ticket} is closed.").format(ticket=ticket(report.id))
    if verb == "re":
        await turn.send(await report_actions.reopen(session, report, person, **at))
        return tr("{ticket} is reopened; the grid has been told it is not fixed yet.").format(
            ticket=ticket(report.id)
        )
    return tr("For now, please answer this one on Telegram.")


async def reject_with_reason(turn: Turn, report_id: int, text: str) -> str:
    report = await reports.get_report(turn.session, report_id)
    outgoing = await report_actions.reject(
        turn.session, report, turn.person, text, settings=turn.settings, now=turn.now
    )
    await drafts.discard(turn.session, turn.person.id, REJECT_FLOW)
    await turn.send(outgoing)
    return turn.tr("{ticket} rejected; the reporter has been told.").format(
        ticket=ticket(report.id)
    )


async def _assign_choices(turn: Turn, report: Report) -> str:
    await reports.require_handler(turn.session, turn.person, report)
    volunteers = await reports.assignable_volunteers(turn.session, report)
    if not volunteers:
        return turn.tr(
            "No volunteer of a team in this community yet. Accept it and handle it "
            "yourself, or put it in another grid."
        )
    options = [(v.real_name, f"rp:to:{report.id}:{v.person_id}") for v in volunteers[:40]]
    question = turn.tr("Who should handle {ticket}?").format(ticket=ticket(report.id))
    return "\n".join([question, *await menus.offer(turn, options)])


async def _duplicate_choices(turn: Turn, report: Report) -> str:
    await reports.require_handler(turn.session, turn.person, report)
    candidates = await reports.duplicate_candidates(turn.session, report)
    if not candidates:
        return turn.tr("No other open report of this kind in this grid.")
    zone = turn.settings.bot.zone
    options = [
        (report_views.candidate_line(report, other, zone), f"rp:dof:{report.id}:{other.id}")
        for other in candidates
    ]
    question = turn.tr("{ticket} is the same problem as which report?").format(
        ticket=ticket(report.id)
    )
    return "\n".join([question, *await menus.offer(turn, options)])
