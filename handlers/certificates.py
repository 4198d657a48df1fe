"""Service certificates: a volunteer asks (/certificate), a leader or admin issues,
the PDF arrives in the volunteer's chat; anyone can check one with /verify."""

from __future__ import annotations

from datetime import date

from telegram import Update

from handlers.common import (
    Message,
    Response,
    Work,
    button,
    callback_args,
    int_arg,
    keyboard,
    respond,
    tell,
    work,
)
from handlers.context import BotContext
from services import certificate_files, certificates, drafts
from services.certificate_files import DECLINE_FLOW, PERIODS, period_bounds
from services.errors import StaleAction
from services.i18n import format_duration
from services.notifier import Notice


def _today(w: Work) -> date:
    return w.now.astimezone(w.deps.settings.bot.zone).date()


def _choose_period(w: Work) -> Message:
    rows = [[button(w.tr(label), f"ct:p:{code}")] for code, label in PERIODS.items()]
    text = w.tr(
        "A certificate of your volunteer service, issued by your team leader or the "
        "office. For which period?"
    )
    return Message(text, keyboard(rows))


async def on_certificate(update: Update, context: BotContext) -> None:
    async with work(update, context) as w:
        message = _choose_period(w)
    await respond(update, Response(messages=[message]))


async def on_button(update: Update, context: BotContext) -> None:
    action = (update.callback_query.data or "").split(":")[1]
    issued_id = None
    async with work(update, context) as w:
        if action == "new":
            response = Response(messages=[_choose_period(w)])
        elif action == "p":
            (code,) = callback_args(update, 1)
            bounds = period_bounds(code, _today(w))
            if bounds is None:
                raise StaleAction()
            asked = await certificates.request_certificate(
                w.session, w.person, start=bounds[0], end=bounds[1], today=_today(w), now=w.now
            )
            await tell(w, await certificate_files.approval_notices(w.session, asked))
            response = Response(
                edit=Message(
                    w.tr("📨 Your request has been sent. The certificate will arrive here.")
                )
            )
        elif action == "ok":
            (cert_id,) = callback_args(update, 1)
            issued = await certificates.decide_certificate(
                w.session,
                w.person,
                int_arg(cert_id),
                approve=True,
                reason=None,
                settings=w.deps.settings.certificates,
                organisation_name=w.deps.settings.organisation.label("zh_Hans"),
                zone=w.deps.settings.bot.zone,
                now=w.now,
            )
            await certificate_files.queue_delivery(
                w.session, issued, links=w.deps.file_links, catalogs=w.deps.catalogs, now=w.now
            )
            issued_id = issued.id
            response = Response(
                edit=Message(w.tr("✅ Issued: {serial}").format(serial=issued.serial))
            )
        elif action == "no":
            (cert_id,) = callback_args(update, 1)
            await drafts.save(
                w.session,
                w.person.id,
                DECLINE_FLOW,
                step="reason",
                data={"certificate_id": int_arg(cert_id)},
                now=w.now,
            )
            response = Response(
                edit=Message(w.tr("Please type the reason in a few words (or /cancel)."))
            )
        else:
            raise StaleAction()
    await respond(update, response)
    if issued_id is not None:  # committed: the PDF (or a link) goes to its holder
        await context.deps.jobs.deliver_certificate(issued_id)


async def on_decline_text(w: Work, text: str) -> tuple[Response, list[tuple[int, Notice]]]:
    draft = await drafts.load(w.session, w.person.id, DECLINE_FLOW)
    if draft is None:
        raise StaleAction()
    declined = await certificates.decide_certificate(
        w.session,
        w.person,
        draft.data["certificate_id"],
        approve=False,
        reason=text,
        settings=w.deps.settings.certificates,
        organisation_name=w.deps.settings.organisation.label("zh_Hans"),
        now=w.now,
    )
    await drafts.discard(w.session, w.person.id, DECLINE_FLOW)
    notice = certificate_files.declined_notice(declined)
    return Response.say(w.tr("Declined; they have been told.")), [(declined.person_id, notice)]


async def on_verify(update: Update, context: BotContext) -> None:
    serial = " ".join(context.args or [])
    async with work(update, context) as w:
        if not serial:
            text = w.tr("Send /verify followed by the serial printed on the certificate.")
        else:
            found = await certificates.verify(w.session, serial, zone=w.deps.settings.bot.zone)
            text = (
                w.tr(
                    "✅ Certificate {serial} is genuine: {initial}, {duration} of volunteer "
                    "service from {start} to {end}, issued {issued}."
                ).format(
                    serial=certificates.normalize_serial(serial),
                    initial=found.initial,
                    duration=format_duration(w.tr, found.minutes),
                    start=found.period_start.isoformat(),
                    end=found.period_end.isoformat(),
                    issued=found.issued_on.isoformat(),
                )
                if found
                else w.tr("❌ No certificate with this serial was issued.")
            )
    await respond(update, Response.say(text))
