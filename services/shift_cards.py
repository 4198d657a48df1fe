"""How a shift reads in any channel: the announcement card and its buttons."""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from models import ShiftStatus
from services.i18n import N_, Translator, format_span
from services.notifier import Action, Notice
from services.settings import ShiftSettings
from services.shifts import ShiftInfo

JOIN = "sh:join:{shift}"


def kind_label(settings: ShiftSettings, code: str, tr: Translator) -> str:
    kind = settings.kind(code)
    return kind.label(tr.language) if kind else code


@dataclass(frozen=True)
class ShiftCard:
    """Several lines: what, when, where, places. Shows no personal data (groups see it)."""

    info: ShiftInfo
    settings: ShiftSettings
    zone: ZoneInfo

    def localize(self, tr: Translator) -> str:
        shift = self.info.shift
        who = self.info.team.name if self.info.team else tr("all volunteers")
        lines = [f"📣 {kind_label(self.settings, shift.kind, tr)} · {who}"]
        lines.append("🕗 " + format_span(shift.starts_at, shift.ends_at, self.zone, tr.language))
        if self.info.post:
            lines.append(
                tr("📍 {post} ({address})").format(
                    post=self.info.post.name, address=self.info.post.address
                )
            )
        lines.append("👥 " + places(self.info, tr))
        if shift.status == ShiftStatus.CANCELLED:
            reason = shift.cancel_reason or tr("no reason given")
            lines.append(tr("❌ Cancelled: {reason}").format(reason=reason))
        elif shift.status == ShiftStatus.CLOSED:
            lines.append(tr("This shift is over."))
        return "\n".join(lines)


def places(info: ShiftInfo, tr: Translator) -> str:
    text = tr("{taken}/{capacity} signed up").format(taken=info.taken, capacity=info.shift.capacity)
    if info.shift.min_volunteers:
        text += " · " + tr("at least {minimum}").format(minimum=info.shift.min_volunteers)
    if info.waitlisted:
        text += " · " + tr("{count} waiting").format(count=info.waitlisted)
    return text


def join_action(info: ShiftInfo) -> Action:
    label = (
        N_("⏳ Join the waitlist ({taken}/{capacity})")
        if info.full
        else N_("🙋 Sign up ({taken}/{capacity})")
    )
    return Action(
        label,
        JOIN.format(shift=info.shift.id),
        {"taken": info.taken, "capacity": info.shift.capacity},
    )


def announcement(info: ShiftInfo, settings: ShiftSettings, zone: ZoneInfo) -> Notice:
    card = ShiftCard(info, settings, zone)
    if info.shift.status != ShiftStatus.OPEN:
        return Notice(card)
    return Notice(card, actions=((join_action(info),),))
