"""Steps on a shift and whom each one tells, for every channel.

The sign-up rules live in services/signups.py and services/shifts.py; this module adds
the notices those steps send (the waitlist promoted, leaders told of a late
cancellation, a volunteer asked to come, everyone told of a cancelled shift), so that
Telegram and WeChat say the same things to the same people.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Person
from services import drafts, shifts, signups
from services.errors import StaleAction
from services.i18n import N_, Localizable, Translator
from services.notifier import Action, Notice
from services.profile import real_name
from services.settings import Settings
from services.shifts import shift_label

# A volunteer typing their own reason for cancelling (both channels read this draft).
CANCEL_FLOW = "cancelreason"
CANCEL_REASONS = {
    "sick": N_("I am ill"),
    "work": N_("Work came up"),
    "family": N_("Family matters"),
    "away": N_("I am away"),
}
OTHER_REASON = "other"

Outgoing = list[tuple[int, Notice]]


@dataclass
class Outcome:
    """What a step did to a shift, in words, and the notices it sends."""

    shift_id: int
    label: Localizable
    already: bool = False
    # A cancellation close to the start: the leaders were told.
    late: bool = False
    outgoing: Outgoing = field(default_factory=list)


async def _label(session: AsyncSession, shift_id: int, settings: Settings) -> Localizable:
    info = await shifts.info(session, shift_id)
    return shift_label(info.shift, settings.shifts, settings.bot.zone, info.post)


def promoted_notice(label: Localizable) -> Notice:
    return Notice(
        N_("🎉 A place opened up: you are now signed up for {shift}. See /myshifts."),
        {"shift": label},
    )


def invitation_notice(label: Localizable, leader_name: str, shift_id: int) -> Notice:
    return Notice(
        N_("✉️ {leader} has put you on {shift}. Can you come?"),
        {"leader": leader_name, "shift": label},
        actions=(
            (
                Action(N_("✅ I will come"), f"asg:yes:{shift_id}"),
                Action(N_("❌ I cannot"), f"asg:no:{shift_id}"),
            ),
        ),
    )


def cancel_reason(tr: Translator, code: str) -> str:
    """A listed reason in the canceller's words (what their leader reads)."""
    return tr(CANCEL_REASONS[code])


async def cancel_place(
    session: AsyncSession,
    person: Person,
    shift_id: int,
    reason: str,
    *,
    settings: Settings,
    now: datetime,
) -> Outcome:
    """A volunteer gives up their place (or leaves the waitlist) with a reason."""
    change = await signups.cancel(
        session,
        person,
        shift_id,
        reason=reason,
        settings=settings.shifts,
        zone=settings.bot.zone,
        now=now,
    )
    await drafts.discard(session, person.id, CANCEL_FLOW)
    label = await _label(session, shift_id, settings)
    outgoing: Outgoing = [(pid, promoted_notice(label)) for pid in change.promoted]
    late = Notice(
        N_("⚠️ {name} cancelled {shift} close to the start. Reason: {reason}"),
        {"name": await real_name(session, person.id), "shift": label, "reason": reason},
    )
    outgoing += [(leader, late) for leader in change.late_to]
    return Outcome(shift_id, label, late=bool(change.late_to), outgoing=outgoing)


async def answer_invitation(
    session: AsyncSession,
    person: Person,
    shift_id: int,
    *,
    accept: bool,
    settings: Settings,
    now: datetime,
) -> Outcome:
    """A volunteer's answer to a leader putting them on a shift."""
    change = await signups.answer_invitation(
        session,
        person,
        shift_id,
        accept=accept,
        settings=settings.shifts,
        zone=settings.bot.zone,
        now=now,
    )
    label = await _label(session, change.shift.id, settings)
    outgoing: Outgoing = []
    if not accept:
        declined = Notice(
            N_("{name} cannot come to {shift}."),
            {"name": await real_name(session, person.id), "shift": label},
        )
        outgoing += [(leader, declined) for leader in change.late_to if leader is not None]
        outgoing += [(pid, promoted_notice(label)) for pid in change.promoted]
    return Outcome(change.shift.id, label, outgoing=outgoing)


async def invite(
    session: AsyncSession,
    leader: Person,
    shift_id: int,
    person_id: int,
    *,
    settings: Settings,
    now: datetime,
) -> Outcome:
    """A leader puts a team member on the shift; the member is asked to confirm."""
    change = await signups.invite(
        session,
        leader,
        shift_id,
        person_id,
        settings=settings.shifts,
        zone=settings.bot.zone,
        now=now,
    )
    label = await _label(session, shift_id, settings)
    if change.already:
        return Outcome(shift_id, label, already=True)
    leader_name = await real_name(session, leader.id)
    return Outcome(
        shift_id, label, outgoing=[(person_id, invitation_notice(label, leader_name, shift_id))]
    )


async def give_place(
    session: AsyncSession,
    leader: Person,
    shift_id: int,
    person_id: int,
    *,
    settings: Settings,
    now: datetime,
) -> Outcome:
    """A leader moves a waitlisted volunteer into a place."""
    await signups.move_up(session, leader, shift_id, person_id, now=now)
    label = await _label(session, shift_id, settings)
    return Outcome(shift_id, label, outgoing=[(person_id, promoted_notice(label))])


async def cancel_shifts(
    session: AsyncSession,
    leader: Person,
    shift_id: int,
    *,
    stop_repeating: bool,
    settings: Settings,
    now: datetime,
) -> list[Outcome]:
    """Cancel a shift (or, for a repeating one, every future date); everyone on them is
    told."""
    if stop_repeating:
        info = await shifts.info(session, shift_id)
        if info.shift.template_id is None:
            raise StaleAction()
        results = await shifts.stop_repeating(session, leader, info.shift.template_id, now=now)
    else:
        results = [await shifts.cancel_shift(session, leader, shift_id, reason="", now=now)]
    outcomes = []
    for result in results:
        label = await _label(session, result.shift.id, settings)
        notice = Notice(
            N_("❌ Cancelled by your leader: {shift}. Thank you all the same!"), {"shift": label}
        )
        outcomes.append(
            Outcome(result.shift.id, label, outgoing=[(pid, notice) for pid in result.people])
        )
    return outcomes
