"""What leaders type instead of tapping: dates, times, numbers, coordinates."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from services.errors import InvalidDate, InvalidLocation, InvalidNumber, InvalidTime
from services.post_setup import parse_coordinates
from services.shift_setup import date_picks, parse_date, parse_number, parse_time

TODAY = date(2026, 11, 26)  # a Thursday


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("2026-12-04", date(2026, 12, 4)),
        ("2027/1/8", date(2027, 1, 8)),
        ("12-04", date(2026, 12, 4)),
        ("12/4", date(2026, 12, 4)),
        ("12月4日", date(2026, 12, 4)),
        ("１２月４日", date(2026, 12, 4)),
        ("1-8", date(2027, 1, 8)),  # already past this year: next year's
        ("11-26", date(2026, 11, 26)),  # today
    ],
)
def test_dates(typed, meant):
    assert parse_date(typed, TODAY) == meant


@pytest.mark.parametrize("typed", ["2026-02-30", "13-01", "tomorrow", "", "12-04-05-06"])
def test_not_dates(typed):
    with pytest.raises(InvalidDate):
        parse_date(typed, TODAY)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("07:30", time(7, 30)),
        ("7:30", time(7, 30)),
        ("7.30", time(7, 30)),
        ("7点30", time(7, 30)),
        ("7点", time(7, 0)),
        ("7点半", time(7, 30)),
        ("14点半", time(14, 30)),
        ("１７：００", time(17, 0)),
        ("7", None),
    ],
)
def test_times(typed, meant):
    if meant is None:
        with pytest.raises(InvalidTime):
            parse_time(typed)
    else:
        assert parse_time(typed) == meant


@pytest.mark.parametrize("typed", ["25:00", "7:60", "noon", ""])
def test_not_times(typed):
    with pytest.raises(InvalidTime):
        parse_time(typed)


def test_numbers():
    assert parse_number(" 20 ", 1, 500) == 20
    assert parse_number("２０", 1, 500) == 20
    for typed in ["0", "501", "-3", "twenty", "2.5", ""]:
        with pytest.raises(InvalidNumber):
            parse_number(typed, 1, 500)


def test_coordinates():
    assert parse_coordinates("31.2304, 121.4737") == (31.2304, 121.4737)
    assert parse_coordinates("31.2304，121.4737") == (31.2304, 121.4737)
    assert parse_coordinates("-33.86 151.21") == (-33.86, 151.21)
    for typed in ["东风路口", "95, 121", "31.2", "31.2, 121.4, 7"]:
        with pytest.raises(InvalidLocation):
            parse_coordinates(typed)


def test_date_picks_on_a_thursday_and_on_a_friday():
    zone = ZoneInfo("Asia/Shanghai")
    thursday = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    picks = {p.name: p.day for p in date_picks(thursday, zone) if p.name != "weekday"}
    # Tomorrow is this Friday: one button, called "tomorrow".
    assert picks == {
        "today": date(2026, 11, 26),
        "tomorrow": date(2026, 11, 27),
        "next_friday": date(2026, 12, 4),
    }
    friday_evening = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
    picks = {p.name: p.day for p in date_picks(friday_evening, zone) if p.name != "weekday"}
    assert picks == {
        "today": date(2026, 11, 27),
        "tomorrow": date(2026, 11, 28),
        "next_friday": date(2026, 12, 4),
    }
    # Every day of the coming week is offered once, plus next Friday.
    days = [p.day for p in date_picks(thursday, zone)]
    assert len(days) == len(set(days))
    assert set(days) == {date(2026, 11, 26 + n) for n in range(5)} | {
        date(2026, 12, n) for n in range(1, 5)
    }
