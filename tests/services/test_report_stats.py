"""Report statistics over a period, with controlled time: counts by category and grid,
open vs resolved, the median times to accept and resolve, and grid filtering."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services import reports
from services.report_stats import ReportStats, report_stats
from services.reports import PhotoInput, Submission
from tests.services import helpers
from tests.services.helpers import NOW

IN_DONGFENG_1 = (30.2725, 120.1625)
IN_JIANSHE_1 = (30.2725, 120.1775)
AFTER = PhotoInput(file_id="after-photo", channel="telegram")
START, END = NOW, NOW + timedelta(days=7)
H = timedelta(hours=1)


def located(place: tuple[float, float], category: str) -> Submission:
    return Submission(category=category, latitude=place[0], longitude=place[1])


@pytest.fixture
async def week(db, base_settings):
    """A week of reports, handled by an admin at known times:

    - vending, dongfeng-1: accepted after 1 h, resolved after 5 h
    - parking, dongfeng-1: accepted after 3 h, resolved after 9 h, confirmed (closed)
    - vending, jianshe-1: accepted after 2 h, resolved after 4 h, then reopened (open)
    - parking, typed address (triage): waiting
    - vending, jianshe-1: merged as a duplicate of the one above
    - dumping, jianshe-1: rejected without being accepted
    and two outside the week: one a minute before it, one at its very end.
    """
    settings = base_settings.reports
    async with db.session_factory.begin() as session:
        admin = await helpers.person(session, admin=True)
        resident = await helpers.person(session)
        dongfeng_1 = (await helpers.grid(session, "dongfeng-1")).id
        jianshe_1 = (await helpers.grid(session, "jianshe-1")).id

        async def new(submission: Submission, at) -> reports.Report:
            return await reports.submit(
                session, submission, reporter=resident, settings=settings, now=at
            )

        await new(located(IN_DONGFENG_1, "vending"), START - timedelta(minutes=1))
        await new(located(IN_DONGFENG_1, "vending"), END)

        fixed = await new(located(IN_DONGFENG_1, "vending"), START)
        await reports.accept(session, fixed, admin, now=START + 1 * H)
        await reports.resolve(session, fixed, admin, photos=[AFTER], note=None, now=START + 5 * H)

        t = START + 1 * H
        confirmed = await new(located(IN_DONGFENG_1, "parking"), t)
        await reports.accept(session, confirmed, admin, now=t + 3 * H)
        await reports.resolve(session, confirmed, admin, photos=[AFTER], note=None, now=t + 9 * H)
        await reports.confirm(session, confirmed, resident, now=t + 10 * H)

        t = START + 2 * H
        reopened = await new(located(IN_JIANSHE_1, "vending"), t)
        await reports.accept(session, reopened, admin, now=t + 2 * H)
        await reports.resolve(session, reopened, admin, photos=[AFTER], note=None, now=t + 4 * H)
        await reports.reopen(session, reopened, resident, settings=settings, now=t + 5 * H)

        await new(Submission(category="parking", address="建设路 8 号后门"), START + 3 * H)

        copy = await new(located(IN_JIANSHE_1, "vending"), START + 4 * H)
        await reports.mark_duplicate(
            session, copy, admin, original_id=reopened.id, now=START + 5 * H
        )

        bogus = await new(located(IN_JIANSHE_1, "dumping"), START + 5 * H)
        await reports.reject(session, bogus, admin, reason="照片与描述不符", now=START + 6 * H)
    return {"dongfeng_1": dongfeng_1, "jianshe_1": jianshe_1}


async def _stats(db, grid_ids: list[int] | None, start=START, end=END) -> ReportStats:
    async with db.session_factory() as session:
        return await report_stats(session, start=start, end=end, grid_ids=grid_ids)


async def test_the_whole_office_sees_every_grid_and_triage(db, week):
    stats = await _stats(db, None)
    assert stats.total == 6
    assert (stats.open, stats.resolved, stats.rejected, stats.duplicate) == (2, 2, 1, 1)
    assert stats.by_category == {"vending": 3, "parking": 2, "dumping": 1}
    assert stats.by_grid == {week["dongfeng_1"]: 2, week["jianshe_1"]: 3, None: 1}
    # Accepted after 1 h, 3 h and 2 h (the reopened one keeps its acceptance).
    assert stats.median_to_accept == timedelta(hours=2)
    # Resolved after 5 h and 9 h; the reopened one is not resolved any more.
    assert stats.median_to_resolve == timedelta(hours=7)


async def test_a_grid_officer_sees_only_their_grids(db, week):
    dongfeng = await _stats(db, [week["dongfeng_1"]])
    assert dongfeng.total == 2
    assert (dongfeng.open, dongfeng.resolved, dongfeng.rejected, dongfeng.duplicate) == (
        0,
        2,
        0,
        0,
    )
    assert dongfeng.by_category == {"vending": 1, "parking": 1}
    assert dongfeng.by_grid == {week["dongfeng_1"]: 2}
    assert dongfeng.median_to_accept == timedelta(hours=2)  # 1 h and 3 h
    assert dongfeng.median_to_resolve == timedelta(hours=7)

    jianshe = await _stats(db, [week["jianshe_1"]])
    assert (jianshe.total, jianshe.open, jianshe.resolved) == (3, 1, 0)
    assert (jianshe.rejected, jianshe.duplicate) == (1, 1)
    assert jianshe.by_grid == {week["jianshe_1"]: 3}
    assert jianshe.median_to_accept == timedelta(hours=2)
    assert jianshe.median_to_resolve is None

    both = await _stats(db, [week["dongfeng_1"], week["jianshe_1"]])
    assert both.total == 5 and None not in both.by_grid


async def test_no_grids_and_an_empty_period_give_zeros_and_no_medians(db, week):
    for stats in (
        await _stats(db, []),
        await _stats(db, None, start=END + timedelta(days=1), end=END + timedelta(days=8)),
    ):
        assert stats == ReportStats(
            total=0,
            open=0,
            resolved=0,
            rejected=0,
            duplicate=0,
            by_category={},
            by_grid={},
            median_to_accept=None,
            median_to_resolve=None,
        )


async def test_the_period_includes_its_start_and_excludes_its_end(db, week):
    # The report a minute before the week and the one at its end are counted in their
    # own periods, not in this one.
    before = await _stats(db, None, start=START - timedelta(days=1), end=START)
    assert before.total == 1
    after = await _stats(db, None, start=END, end=END + timedelta(days=1))
    assert after.total == 1
    assert after.by_grid == {week["dongfeng_1"]: 1}
    # A period of the first minute holds just the report made at its start.
    first = await _stats(db, None, start=START, end=START + timedelta(minutes=1))
    assert (first.total, first.resolved) == (1, 1)
    assert first.median_to_resolve == timedelta(hours=5)
