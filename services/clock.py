"""The source of "now" for services, so tests can control time."""

from datetime import datetime
from typing import Protocol

from models.clock import utcnow


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware UTC."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return utcnow()
