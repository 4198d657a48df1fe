"""The resident's report conversation, kept as a draft so a restart loses nothing.

Steps: category → photos (optional) → place → description (optional) →
anonymous or not → summary → submit. Each answer is checked when given and
again at submission.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models import Person, Report
from services import drafts, reports
from services.errors import PlaceRequired, StaleAction
from services.geo import valid_coordinates
from services.reports import PhotoInput, Submission
from services.settings import ReportSettings

FLOW = "report"


class Step(StrEnum):
    CATEGORY = "category"
    PHOTOS = "photos"
    PLACE = "place"
    DESCRIPTION = "description"
    ANONYMOUS = "anonymous"
    CONFIRM = "confirm"


@dataclass
class ReportDraft:
    step: Step
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def photos(self) -> list[dict[str, Any]]:
        return self.data.get("photos", [])

    @property
    def category(self) -> str | None:
        return self.data.get("category")

    @property
    def has_place(self) -> bool:
        return bool(self.data.get("address")) or self.data.get("latitude") is not None


async def current(session: AsyncSession, person: Person) -> ReportDraft | None:
    draft = await drafts.load(session, person.id, FLOW)
    return ReportDraft(Step(draft.step), dict(draft.data)) if draft else None


async def _save(
    session: AsyncSession, person: Person, state: ReportDraft, now: datetime
) -> ReportDraft:
    await drafts.save(session, person.id, FLOW, step=state.step, data=state.data, now=now)
    return state


async def start(
    session: AsyncSession, person: Person, *, settings: ReportSettings, now: datetime
) -> ReportDraft:
    """A fresh report (a blocked or over-limit reporter is told before typing anything)."""
    await reports.check_may_report(session, person.id, settings=settings, now=now)
    return await _save(session, person, ReportDraft(Step.CATEGORY), now)


async def _expect(session: AsyncSession, person: Person, *steps: Step) -> ReportDraft:
    state = await current(session, person)
    if state is None or state.step not in steps:
        raise StaleAction()
    return state


async def choose_category(
    session: AsyncSession, person: Person, code: str, *, settings: ReportSettings, now: datetime
) -> ReportDraft:
    state = await _expect(session, person, Step.CATEGORY)
    state.data["category"] = reports.check_category(settings, code)
    state.step = Step.PHOTOS if settings.max_photos else Step.PLACE
    return await _save(session, person, state, now)


async def add_photo(
    session: AsyncSession,
    person: Person,
    photo: PhotoInput,
    *,
    settings: ReportSettings,
    now: datetime,
) -> ReportDraft:
    """One more photo; at the limit the conversation moves on to the place."""
    state = await _expect(session, person, Step.PHOTOS)
    reports.check_photo_count(settings, len(state.photos) + 1)
    if any(p["file_id"] == photo.file_id for p in state.photos):
        return state  # the same photo again (a redelivered update)
    state.data["photos"] = [
        *state.photos,
        {
            "file_id": photo.file_id,
            "channel": photo.channel,
            "path": photo.local_path,
            "size": photo.size_bytes,
        },
    ]
    if len(state.photos) >= settings.max_photos:
        state.step = Step.PLACE
    return await _save(session, person, state, now)


async def photos_done(session: AsyncSession, person: Person, *, now: datetime) -> ReportDraft:
    state = await _expect(session, person, Step.PHOTOS)
    state.step = Step.PLACE
    return await _save(session, person, state, now)


async def set_point(
    session: AsyncSession, person: Person, latitude: float, longitude: float, *, now: datetime
) -> ReportDraft:
    state = await _expect(session, person, Step.PLACE)
    if not valid_coordinates(latitude, longitude):
        raise PlaceRequired()
    state.data.update(latitude=latitude, longitude=longitude)
    state.step = Step.DESCRIPTION
    return await _save(session, person, state, now)


async def set_address(
    session: AsyncSession, person: Person, text: str, *, now: datetime
) -> ReportDraft:
    state = await _expect(session, person, Step.PLACE)
    state.data["address"] = reports.check_address(text)
    state.step = Step.DESCRIPTION
    return await _save(session, person, state, now)


async def set_description(
    session: AsyncSession,
    person: Person,
    text: str | None,
    *,
    settings: ReportSettings,
    now: datetime,
) -> ReportDraft:
    state = await _expect(session, person, Step.DESCRIPTION)
    state.data["description"] = reports.check_description(settings, text)
    state.step = Step.ANONYMOUS
    return await _save(session, person, state, now)


async def set_anonymous(
    session: AsyncSession, person: Person, anonymous: bool, *, now: datetime
) -> ReportDraft:
    state = await _expect(session, person, Step.ANONYMOUS)
    state.data["anonymous"] = anonymous
    state.step = Step.CONFIRM
    return await _save(session, person, state, now)


def submission(state: ReportDraft) -> Submission:
    data = state.data
    return Submission(
        category=data.get("category") or "",
        latitude=data.get("latitude"),
        longitude=data.get("longitude"),
        address=data.get("address"),
        description=data.get("description"),
        anonymous=bool(data.get("anonymous")),
        photos=[
            PhotoInput(
                file_id=p["file_id"],
                channel=p.get("channel", "telegram"),
                local_path=p.get("path"),
                size_bytes=p.get("size"),
            )
            for p in state.photos
        ],
    )


async def send(
    session: AsyncSession, person: Person, *, settings: ReportSettings, now: datetime
) -> Report:
    state = await _expect(session, person, Step.CONFIRM)
    report = await reports.submit(
        session, submission(state), reporter=person, settings=settings, now=now
    )
    await drafts.discard(session, person.id, FLOW)
    return report
