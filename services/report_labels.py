"""How reports are named in every language: ticket numbers, statuses, categories."""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.i18n import N_, Translator
from services.settings import ReportSettings

_TICKET = re.compile(r"^\s*#?\s*[Rr]?0*(\d{1,9})\s*$")


def ticket(report_id: int) -> str:
    """The number residents quote: R000123."""
    return f"R{report_id:06d}"


def parse_ticket(text: str) -> int | None:
    match = _TICKET.match(text)
    return int(match.group(1)) if match else None


STATUS_NAMES = {
    "submitted": N_("waiting to be accepted"),
    "accepted": N_("accepted"),
    "assigned": N_("assigned to a volunteer"),
    "in_progress": N_("being handled"),
    "resolved": N_("resolved"),
    "closed": N_("closed"),
    "rejected": N_("rejected"),
    "duplicate": N_("merged as a duplicate"),
}


@dataclass(frozen=True)
class StatusLabel:
    status: str

    def localize(self, tr: Translator) -> str:
        return tr(STATUS_NAMES.get(self.status, self.status))


@dataclass(frozen=True)
class CategoryLabel:
    settings: ReportSettings
    code: str

    def localize(self, tr: Translator) -> str:
        category = self.settings.category(self.code)
        return category.label(tr.language) if category else self.code
