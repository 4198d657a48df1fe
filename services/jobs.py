"""What handlers may ask of the scheduler, without importing it."""

from typing import Protocol


class JobRequests(Protocol):
    def request_publish(self) -> None:
        """Announce shifts that are due, soon."""
        ...

    def request_refresh(self, shift_id: int) -> None:
        """Bring a shift's announcements up to date (coalesced)."""
        ...

    def request_dispatch(self) -> None:
        """Send what is due now, batch after batch (e.g. a broadcast was just written)."""
        ...

    async def deliver_certificate(self, certificate_id: int) -> None:
        """An issued certificate to its holder: the PDF, or a link where files cannot go."""
        ...

    async def deliver(self, notification_ids: list[int]) -> None:
        """Send these outbox notifications now (they were just committed)."""
        ...
