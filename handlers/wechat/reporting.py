"""Residents' reports on WeChat: the report's numbered questions (the same
services/report_setup steps as /report on Telegram), 我的举报, and the after photo and
note with which a volunteer or officer resolves a task."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.wechat.inbound import InboundMessage
from handlers.wechat.words import normalized
from models import Grid
from services import drafts, report_actions, report_fix, report_setup, report_views, reports
from services.errors import DomainError, PermissionDenied, ReportStateConflict, StaleAction
from services.i18n import Translator, render
from services.report_labels import CategoryLabel, StatusLabel, ticket
from services.report_setup import ReportDraft, Step
from services.reports import PhotoInput

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn


class PictureUnavailable(DomainError):
    message = "{reason}"  # already in the user's language


async def begin(turn: Turn, draft: ReportDraft | None) -> str:
    if draft is not None:
        return (
            turn.tr("Let us continue your report where you left off.") + "\n" + prompt(turn, draft)
        )
    state = await report_setup.start(
        turn.session, turn.person, settings=turn.settings.reports, now=turn.now
    )
    return prompt(turn, state)


async def answer(turn: Turn, draft: ReportDraft, said: str, text: str) -> str:
    """A typed answer to the report's current question."""
    session, person, now, settings = turn.session, turn.person, turn.now, turn.settings
    categories = settings.reports.categories
    if draft.step == Step.CATEGORY:
        number = int(said) if said.isdigit() else 0
        if not 1 <= number <= len(categories):
            return turn.tr("Please reply with one of the numbers.") + "\n" + prompt(turn, draft)
        state = await report_setup.choose_category(
            session, person, categories[number - 1].code, settings=settings.reports, now=now
        )
    elif draft.step == Step.PHOTOS:
        if said != "0":
            return turn.tr("Please send a picture, or reply 0.") + "\n" + prompt(turn, draft)
        state = await report_setup.photos_done(session, person, now=now)
    elif draft.step == Step.PLACE:
        state = await report_setup.set_address(session, person, text, now=now)
    elif draft.step == Step.DESCRIPTION:
        description = None if said == "0" else text
        state = await report_setup.set_description(
            session, person, description, settings=settings.reports, now=now
        )
    elif draft.step == Step.ANONYMOUS:
        if said not in ("1", "2"):
            return turn.tr("Please reply with one of the numbers.") + "\n" + prompt(turn, draft)
        state = await report_setup.set_anonymous(session, person, said == "2", now=now)
    else:  # the summary
        if said == "1":
            return await send(turn)
        if said == "2":
            await drafts.discard(session, person.id, report_setup.FLOW)
            state = await report_setup.start(session, person, settings=settings.reports, now=now)
        elif said == "0":
            await drafts.discard(session, person.id, report_setup.FLOW)
            return turn.tr("Report cancelled; nothing was sent.")
        else:
            return turn.tr("Please reply with one of the numbers.") + "\n" + prompt(turn, draft)
    return prompt(turn, state)


async def photo(turn: Turn, inbound: InboundMessage) -> str:
    state = await report_setup.add_photo(
        turn.session,
        turn.person,
        picture(turn),
        settings=turn.settings.reports,
        now=turn.now,
    )
    return prompt(turn, state)


async def fixing(turn: Turn, inbound: InboundMessage, fixing: tuple[str, int]) -> str:
    """Resolving a report: the after picture, then a note (0 for none)."""
    step, report_id = fixing
    # 取消 never gets here: it is a command, obeyed in the middle of any conversation.
    said = normalized(inbound.content)
    if inbound.kind == "image":
        report_id = await report_fix.add_photo(
            turn.session, turn.person, picture(turn), now=turn.now
        )
        return turn.tr("📝 In a few words, what was done? (or reply 0)")
    if step == report_fix.PHOTO:
        return after_photo_prompt(turn.tr, report_id)
    try:
        async with turn.session.begin_nested():
            report, outgoing = await report_actions.finish_resolving(
                turn.session,
                turn.person,
                None if said == "0" else inbound.content,
                settings=turn.settings,
                now=turn.now,
            )
    except (PermissionDenied, ReportStateConflict, StaleAction) as gone:
        # Reassigned or handled by someone else meanwhile: the conversation ends.
        await drafts.discard(turn.session, turn.person.id, report_fix.FLOW)
        return render(turn.tr, gone.message, gone.params)
    await turn.send(outgoing)
    return turn.tr(
        "✅ {ticket} is resolved. Thank you! The reporter has been sent the after photo."
    ).format(ticket=ticket(report.id))


async def send(turn: Turn) -> str:
    settings = turn.settings
    report = await report_setup.send(
        turn.session, turn.person, settings=settings.reports, now=turn.now
    )
    for person_id, notice, options in await report_views.new_report_notices(
        turn.session, report, settings
    ):
        await turn.enqueue(person_id, notice, **options)
    grid = await turn.session.get(Grid, report.grid_id) if report.grid_id else None
    return turn.tr(
        "✅ Thank you! Your report {ticket} has been sent to {grid}. I will tell you here "
        "at each step; reply 我的举报 to see it any time."
    ).format(ticket=ticket(report.id), grid=report_views.PlaceName(grid).localize(turn.tr))


def picture(turn: Turn) -> PhotoInput:
    """The picture fetched before the transaction (handle), or why it failed."""
    if isinstance(turn.picture, PhotoInput):
        return turn.picture
    raise PictureUnavailable(reason=turn.picture or "")


def after_photo_prompt(tr: Translator, report_id: int) -> str:
    return tr("📷 Please send a photo of {ticket} as it is now (the after photo).").format(
        ticket=ticket(report_id)
    ) + tr(" (reply 取消 to stop)")


def prompt(turn: Turn, state: ReportDraft) -> str:
    """The report's current question, with numbered choices."""
    tr, settings = turn.tr, turn.settings.reports
    if state.step == Step.CATEGORY:
        lines = [tr("📢 Report a problem. What kind of problem is it? Reply with its number:")]
        lines += [f"{n}. {c.label(tr.language)}" for n, c in enumerate(settings.categories, 1)]
        lines.append(tr("(reply 取消 to stop)"))
        return "\n".join(lines)
    if state.step == Step.PHOTOS:
        return tr(
            "📷 Send up to {limit} pictures of it. Pictures received: {count}. Reply 0 when "
            "done (or to send none)."
        ).format(limit=settings.max_photos, count=len(state.photos))
    if state.step == Step.PLACE:
        return tr("📍 Where is it? Send a location (+ → Location), or type the address.")
    if state.step == Step.DESCRIPTION:
        return tr(
            "✏️ Add a few words if they help (up to {limit} characters), or reply 0 to skip."
        ).format(limit=settings.description_max)
    if state.step == Step.ANONYMOUS:
        return tr(
            "🙈 May the grid officer see your name? Your phone number is never shown.\n"
            "1. Show my name\n2. Stay anonymous"
        )
    data = state.data
    lines = [
        tr("Please check your report:"),
        tr("Category: {category}").format(
            category=CategoryLabel(settings, state.category or "").localize(tr)
        ),
        tr("Photos: {count}").format(count=len(state.photos)),
        tr("Place: {address}").format(
            address=data.get("address") or tr("the map location you sent")
        ),
        tr("Description: {text}").format(text=data.get("description") or "—"),
        tr("Reporter: anonymous") if data.get("anonymous") else tr("Your name is shown"),
        tr("1. Send the report · 2. Start over · 0. Cancel"),
    ]
    return "\n".join(lines)


async def my_reports(turn: Turn) -> str:
    mine = await reports.followed_by(turn.session, turn.person.id)
    if not mine:
        return turn.tr("You have not sent any report yet. Reply 举报 to report a problem.")
    tr, settings = turn.tr, turn.settings
    lines = [tr("📣 Your reports:")]
    for report in mine:
        category = CategoryLabel(settings.reports, report.category).localize(tr)
        status = StatusLabel(report.status).localize(tr)
        lines.append(f"{ticket(report.id)} · {category} · {status}")
    return "\n".join(lines)
