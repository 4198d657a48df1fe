"""Recurring shifts keep their local wall-clock time, in zones with and without DST."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from services.recurrence import Repeat, occurrences, repeat_of, rule_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
NEW_YORK = ZoneInfo("America/New_York")


def test_every_friday_in_shanghai():
    friday = date(2026, 11, 27)
    rule = rule_for(Repeat.WEEKLY, friday)
    assert rule == "FREQ=WEEKLY;BYDAY=FR"
    found = occurrences(
        rule,
        first_date=friday,
        start_time=time(8, 30),
        duration=timedelta(hours=2),
        zone=SHANGHAI,
        start_from=datetime(2026, 11, 26, tzinfo=UTC),
        until=datetime(2026, 12, 25, tzinfo=UTC),
    )
    assert [o.local_date for o in found] == [
        date(2026, 11, 27),
        date(2026, 12, 4),
        date(2026, 12, 11),
        date(2026, 12, 18),
    ]
    # 08:30 in Shanghai (UTC+8, no DST) is always 00:30 UTC.
    assert all(o.starts_at.astimezone(UTC).time() == time(0, 30) for o in found)
    assert all(o.ends_at - o.starts_at == timedelta(hours=2) for o in found)
    assert all(o.starts_at.astimezone(SHANGHAI).time() == time(8, 30) for o in found)


def test_wall_clock_time_survives_the_end_of_dst():
    # New York leaves daylight saving time on Sunday 1 November 2026.
    friday = date(2026, 10, 23)
    found = occurrences(
        rule_for(Repeat.WEEKLY, friday),
        first_date=friday,
        start_time=time(8, 30),
        duration=timedelta(hours=2),
        zone=NEW_YORK,
        start_from=datetime(2026, 10, 20, tzinfo=UTC),
        until=datetime(2026, 11, 14, tzinfo=UTC),
    )
    assert [(o.local_date.day, o.starts_at.astimezone(UTC).hour) for o in found] == [
        (23, 12),
        (30, 12),
        (6, 13),
        (13, 13),  # EDT UTC-4, then EST UTC-5
    ]
    assert all(o.starts_at.astimezone(NEW_YORK).time() == time(8, 30) for o in found)


def test_a_wall_time_skipped_by_dst_moves_forward():
    # 2026-03-08 02:30 does not exist in New York (clocks jump 02:00 -> 03:00).
    sunday = date(2026, 3, 1)
    found = occurrences(
        "FREQ=WEEKLY;BYDAY=SU",
        first_date=sunday,
        start_time=time(2, 30),
        duration=timedelta(hours=1),
        zone=NEW_YORK,
        start_from=datetime(2026, 3, 7, tzinfo=UTC),
        until=datetime(2026, 3, 9, tzinfo=UTC),
    )
    (skipped_hour,) = found
    assert skipped_hour.starts_at.astimezone(NEW_YORK).time() == time(3, 30)


def test_weekdays_daily_and_skipped_dates():
    monday = date(2026, 11, 30)
    weekdays = occurrences(
        rule_for(Repeat.WEEKDAYS, monday),
        first_date=monday,
        start_time=time(7, 30),
        duration=timedelta(hours=1),
        zone=SHANGHAI,
        start_from=datetime(2026, 11, 29, tzinfo=UTC),
        until=datetime(2026, 12, 7, tzinfo=UTC),
        skipped=frozenset({date(2026, 12, 2)}),
    )
    # 7 Dec 07:30 in Shanghai is 6 Dec 23:30 UTC: still before `until`.
    assert [o.local_date.day for o in weekdays] == [30, 1, 3, 4, 7]
    daily = occurrences(
        rule_for(Repeat.DAILY, monday),
        first_date=monday,
        start_time=time(17, 0),
        duration=timedelta(hours=1),
        zone=SHANGHAI,
        start_from=datetime(2026, 11, 29, tzinfo=UTC),
        until=datetime(2026, 12, 3, 8, tzinfo=UTC),
    )
    assert [o.local_date.day for o in daily] == [30, 1, 2]
    assert rule_for(Repeat.ONCE, monday) is None
    assert repeat_of(rule_for(Repeat.WEEKDAYS, monday)) is Repeat.WEEKDAYS
    assert repeat_of(rule_for(Repeat.DAILY, monday)) is Repeat.DAILY
    assert repeat_of(rule_for(Repeat.WEEKLY, monday)) is Repeat.WEEKLY


def test_start_boundary_is_exact():
    friday = date(2026, 11, 27)
    start = datetime(2026, 11, 27, 0, 30, tzinfo=UTC)  # exactly the first start
    found = occurrences(
        rule_for(Repeat.WEEKLY, friday),
        first_date=friday,
        start_time=time(8, 30),
        duration=timedelta(hours=2),
        zone=SHANGHAI,
        start_from=start,
        until=start + timedelta(days=7),
    )
    assert [o.local_date.day for o in found] == [27, 4]
    later = occurrences(
        rule_for(Repeat.WEEKLY, friday),
        first_date=friday,
        start_time=time(8, 30),
        duration=timedelta(hours=2),
        zone=SHANGHAI,
        start_from=start + timedelta(seconds=1),
        until=start + timedelta(days=7),
    )
    assert [o.local_date.day for o in later] == [4]
