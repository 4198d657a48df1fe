"""Ledger entries as people read them, in any channel and language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from models import EntrySource, EntryStatus, LedgerEntry, Person, Team
from services.errors import PermissionDenied
from services.i18n import N_, Translator, format_day, format_duration, format_month
from services.ledger import Totals, approvers, month_bounds, ranking, stars, team_totals
from services.notifier import Action, Notice
from services.profile import real_name
from services.roles import Role, roles_of
from services.settings import Settings, ShiftSettings
from services.teams import team_ids_of

STATUS_MARKS = {EntryStatus.APPROVED: "✅", EntryStatus.PENDING: "⏳", EntryStatus.REJECTED: "❌"}
SOURCE_LABELS = {
    EntrySource.SHIFT: N_("shift"),
    EntrySource.MANUAL: N_("logged"),
    EntrySource.CORRECTION: N_("correction"),
}


@dataclass(frozen=True)
class EntryLabel:
    """11月27日周五 · 助老探访 · 2 小时 (陈队员)."""

    entry: LedgerEntry
    shifts: ShiftSettings
    who: str | None = None

    def localize(self, tr: Translator) -> str:
        kind = self.shifts.kind(self.entry.activity)
        text = " · ".join(
            [
                format_day(self.entry.service_date, tr.language),
                kind.label(tr.language) if kind else self.entry.activity,
                format_duration(tr, self.entry.minutes),
            ]
        )
        return tr("{what} ({who})").format(what=text, who=self.who) if self.who else text


def history_line(tr: Translator, entry: LedgerEntry, shifts: ShiftSettings, zone: ZoneInfo) -> str:
    line = f"{STATUS_MARKS[EntryStatus(entry.status)]} #{entry.id} " + EntryLabel(
        entry, shifts
    ).localize(tr)
    if entry.source == EntrySource.CORRECTION:
        line += " · " + tr("correction of #{id}").format(id=entry.corrects_id)
    elif entry.started_at and entry.ended_at:
        line += (
            f" · {entry.started_at.astimezone(zone):%H:%M}–{entry.ended_at.astimezone(zone):%H:%M}"
        )
    if entry.note:
        line += f" · {entry.note}"
    if entry.status == EntryStatus.REJECTED and entry.decision_note:
        line += " · " + tr("not approved: {reason}").format(reason=entry.decision_note)
    return line


def minutes_summary(tr: Translator, name: str, totals: Totals, settings: Settings) -> list[str]:
    """A volunteer's service time and star level (/minutes on Telegram, 时长 on WeChat)."""
    level = stars(totals.total, settings.ledger.star_hours)
    kinds = settings.shifts
    lines = [
        tr("⏱ Service of {name}").format(name=name),
        tr("In total: {duration}").format(duration=format_duration(tr, totals.total)),
        tr("This month: {month} · this year: {year}").format(
            month=format_duration(tr, totals.this_month), year=format_duration(tr, totals.this_year)
        ),
    ]
    if totals.by_activity:
        parts = [
            f"{kinds.kind(code).label(tr.language) if kinds.kind(code) else code} "
            f"{format_duration(tr, minutes)}"
            for code, minutes in sorted(totals.by_activity.items(), key=lambda kv: -kv[1])
        ]
        lines.append(tr("By kind: {kinds}").format(kinds=tr(", ").join(parts)))
    if totals.pending:
        lines.append(
            tr("Waiting for approval: {duration}").format(
                duration=format_duration(tr, totals.pending)
            )
        )
    shown = "⭐" * level.level
    if level.next_hours is None:
        lines.append(tr("{stars} Five-star volunteer: the highest level.").format(stars=shown))
    elif level.level == 0:
        lines.append(
            tr("{missing} to your first star ({hours} hours)").format(
                missing=format_duration(tr, level.minutes_to_next), hours=level.next_hours
            )
        )
    else:
        lines.append(
            (shown + " " if shown else "")
            + tr("{level}-star volunteer · {missing} to the next star ({hours} hours)").format(
                level=level.level,
                missing=format_duration(tr, level.minutes_to_next),
                hours=level.next_hours,
            )
        )
    return lines


async def approval_notices(
    session: AsyncSession, entry: LedgerEntry, shift_settings: ShiftSettings
) -> list[tuple[int, Notice]]:
    """Ask whoever may decide a pending entry (any channel)."""
    who = await real_name(session, entry.person_id)
    label = EntryLabel(entry, shift_settings, who)
    message = (
        N_("✏️ Correction asked: {entry}. Reason: {reason}")
        if entry.corrects_id
        else N_("📝 Service logged: {entry}. Note: {reason}")
    )
    notice = Notice(
        message,
        {"entry": label, "reason": entry.note or "—"},
        actions=(
            (
                Action(N_("✅ Approve"), f"lg:ok:{entry.id}"),
                Action(N_("❌ Reject"), f"lg:no:{entry.id}"),
            ),
        ),
    )
    return [(person_id, notice) for person_id in await approvers(session, entry)]


class AnAdministrator:
    """Who decided, when they have no name to show."""

    def localize(self, tr: Translator) -> str:
        return tr("an administrator")


# Reasons a leader picks from when not approving logged service.
REJECT_REASONS = {
    "unknown": N_("Not in our records"),
    "duration": N_("The duration is not right"),
    "twice": N_("Already recorded"),
}


async def decision_notice(
    session: AsyncSession,
    entry: LedgerEntry,
    decider: Person,
    shift_settings: ShiftSettings,
) -> tuple[int, Notice]:
    """What the volunteer is told when their logged service is decided."""
    label = EntryLabel(entry, shift_settings)
    leader = await real_name(session, decider.id) or AnAdministrator()
    if entry.status == EntryStatus.APPROVED:
        notice = Notice(
            N_("✅ {leader} approved: {entry}. See /minutes."), {"leader": leader, "entry": label}
        )
    else:
        notice = Notice(
            N_("❌ {leader} did not approve: {entry}. Reason: {reason}"),
            {"leader": leader, "entry": label, "reason": entry.decision_note},
        )
    return entry.person_id, notice


RANKING_SCOPES = ("team", "all", "teams")


async def ranking_lines(
    session: AsyncSession, tr: Translator, person: Person, *, scope: str, month: date
) -> list[str]:
    """The month's service: the person's (first) team, everyone, or (leaders and admins)
    each team's total."""
    start, end = month_bounds(month)
    label = format_month(start, tr.language)
    if scope == "teams":
        if not {Role.LEADER, Role.ADMIN} & await roles_of(session, person):
            raise PermissionDenied()
        totals = await team_totals(session, start=start, end=end)
        lines = [tr("Team totals, {month}:").format(month=label), ""]
        lines += [
            tr("{team}: {duration} from {count} volunteers").format(
                team=t.team.name, duration=format_duration(tr, t.minutes), count=t.volunteers
            )
            for t in totals
        ] or [tr("No teams yet.")]
        return lines
    teams = await team_ids_of(session, person.id) if scope == "team" else []
    team = await session.get(Team, teams[0]) if teams else None
    title = (
        tr("{team}, {month}:").format(team=team.name, month=label)
        if team
        else tr("Everyone, {month}:").format(month=label)
    )
    ranked = await ranking(session, start=start, end=end, team_id=team.id if team else None)
    lines = [title, ""]
    for row in ranked:
        name = row.name or tr("(a volunteer)")
        me = " ←" if row.person_id == person.id else ""
        lines.append(f"{row.rank}. {name} · {format_duration(tr, row.minutes)}{me}")
    if not ranked:
        lines.append(tr("No service recorded this month yet."))
    return lines
