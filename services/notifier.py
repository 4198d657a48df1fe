"""How services and the scheduler reach people, whatever the channel.

A notice is a message id plus parameters; each channel's notifier renders it
in the recipient's language and delivers it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Notice:
    message: str  # a catalog message id (marked with N_)
    params: Mapping[str, str | int] = field(default_factory=dict)


class Notifier(Protocol):
    async def notify(self, person_id: int, notice: Notice) -> bool:
        """Deliver to the person; False when they cannot be reached."""
        ...
