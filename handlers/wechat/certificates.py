"""Service certificates on WeChat (证明): a volunteer asks for one by number, a leader
issues or declines it by number (a typed reason), and the PDF arrives as a download
link, since WeChat's messages cannot carry a file."""

from __future__ import annotations

from typing import TYPE_CHECKING

from handlers.wechat import menus
from models import Volunteer
from services import certificate_files, certificates, drafts
from services.certificate_files import DECLINE_FLOW, PERIODS, period_bounds
from services.errors import NotRegisteredOnWeChat, StaleAction

if TYPE_CHECKING:
    from handlers.wechat.chat import Turn


async def begin(turn: Turn) -> str:
    tr = turn.tr
    if await turn.session.get(Volunteer, turn.person.id) is None:
        raise NotRegisteredOnWeChat()
    if turn.links is None:
        return tr(
            "Certificates reach WeChat as a download link, which this office has not set "
            "up yet. Please ask your team leader."
        )
    options = [(tr(label), f"ct:p:{code}") for code, label in PERIODS.items()]
    question = tr(
        "A certificate of your volunteer service, issued by your team leader or the "
        "office. For which period?"
    )
    return "\n".join([question, *await menus.offer(turn, options)])


async def press(turn: Turn, verb: str, args: list[str]) -> str:
    tr, session, settings = turn.tr, turn.session, turn.settings
    if verb == "p" and len(args) == 1:
        today = turn.now.astimezone(settings.bot.zone).date()
        bounds = period_bounds(args[0], today)
        if bounds is None:
            raise StaleAction()
        asked = await certificates.request_certificate(
            session, turn.person, start=bounds[0], end=bounds[1], today=today, now=turn.now
        )
        for person_id, notice in await certificate_files.approval_notices(session, asked):
            await turn.enqueue(person_id, notice)
        return tr("📨 Your request has been sent. The certificate will arrive here.")
    if not (len(args) == 1 and args[0].isdigit()):
        raise StaleAction()
    certificate_id = int(args[0])
    if verb == "ok":
        issued = await certificates.decide_certificate(
            session,
            turn.person,
            certificate_id,
            approve=True,
            reason=None,
            settings=settings.certificates,
            organisation_name=settings.organisation.label("zh_Hans"),
            zone=settings.bot.zone,
            now=turn.now,
        )
        await certificate_files.queue_delivery(
            session, issued, links=turn.links, catalogs=turn.catalogs, now=turn.now
        )
        turn.certificates.append(issued.id)  # the PDF or the link, once committed
        return tr("✅ Issued: {serial}").format(serial=issued.serial)
    if verb == "no":
        await drafts.save(
            session,
            turn.person.id,
            DECLINE_FLOW,
            step="reason",
            data={"certificate_id": certificate_id},
            now=turn.now,
        )
        return tr("Please type the reason in a few words (or 取消).")
    raise StaleAction()


async def typed_reason(turn: Turn, text: str) -> str:
    draft = await drafts.load(turn.session, turn.person.id, DECLINE_FLOW)
    if draft is None:
        raise StaleAction()
    settings = turn.settings
    declined = await certificates.decide_certificate(
        turn.session,
        turn.person,
        int(draft.data["certificate_id"]),
        approve=False,
        reason=text,
        settings=settings.certificates,
        organisation_name=settings.organisation.label("zh_Hans"),
        now=turn.now,
    )
    await drafts.discard(turn.session, turn.person.id, DECLINE_FLOW)
    await turn.enqueue(declined.person_id, certificate_files.declined_notice(declined))
    return turn.tr("Declined; they have been told.")
