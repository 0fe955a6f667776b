"""When check-ins, reminders and deadlines fall, in each person's own zone, across the edges:
DST changes, ISO week 53, UTC+13 and UTC-10, and a person who moves zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cadence.domain.periods import (
    current_week,
    is_valid_timezone,
    shift_week,
    week_label,
    weeks_back,
)
from cadence.domain.schedule import DEFAULT_SCHEDULE as S


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("period", "tz", "expected_utc"),
    [
        # Europe leaves summer time on 2026-10-25: 15:00 Paris is 13:00 UTC before, 14:00 after.
        ("2026-W43", "Europe/Paris", utc(2026, 10, 23, 13, 0)),
        ("2026-W44", "Europe/Paris", utc(2026, 10, 30, 14, 0)),
        # The US changes on 2026-11-01: New York 15:00 is 19:00 UTC, then 20:00 UTC.
        ("2026-W44", "America/New_York", utc(2026, 10, 30, 19, 0)),
        ("2026-W45", "America/New_York", utc(2026, 11, 6, 20, 0)),
        # UTC+13 and UTC-10: the same ISO week, almost a day apart.
        ("2026-W47", "Pacific/Tongatapu", utc(2026, 11, 20, 2, 0)),
        ("2026-W47", "Pacific/Honolulu", utc(2026, 11, 21, 1, 0)),
        # Friday 2027-01-01 belongs to ISO week 2026-W53.
        ("2026-W53", "Europe/Paris", utc(2027, 1, 1, 14, 0)),
    ],
)
def test_checkin_falls_on_friday_15h_local(period: str, tz: str, expected_utc: datetime) -> None:
    assert S.checkin.for_period(period, tz) == expected_utc
    assert S.checkin_due(expected_utc, tz) == [period]


def _minute() -> timedelta:
    return timedelta(minutes=1)


@pytest.mark.parametrize(
    ("tz", "fire"),
    [
        ("Europe/Paris", utc(2026, 10, 30, 14, 0)),
        ("America/New_York", utc(2026, 10, 30, 19, 0)),
        ("Pacific/Tongatapu", utc(2026, 10, 30, 2, 0)),
        ("Pacific/Honolulu", utc(2026, 10, 31, 1, 0)),
        ("Europe/Paris", utc(2027, 1, 1, 14, 0)),
    ],
)
def test_not_due_a_minute_before(tz: str, fire: datetime) -> None:
    period = current_week(fire, tz)
    assert period not in S.checkin_due(fire - _minute(), tz)
    assert period in S.checkin_due(fire, tz)


def test_week_53_and_the_year_turn() -> None:
    assert current_week(utc(2027, 1, 1, 14, 0), "Europe/Paris") == "2026-W53"
    assert shift_week("2026-W53", 1) == "2027-W01"
    assert shift_week("2027-W01", -1) == "2026-W53"
    assert weeks_back("2027-W02", 3) == ["2026-W53", "2027-W01", "2027-W02"]
    assert week_label("2026-W53") == "week of 28 Dec"
    # The reminder for W53 comes on Monday 2027-01-04 10:00 local.
    assert S.reminder.for_period("2026-W53", "Europe/Paris") == utc(2027, 1, 4, 9, 0)
    assert S.reminder_due(utc(2027, 1, 4, 9, 0), "Europe/Paris") == ["2026-W53"]


def test_reminder_window_closes_at_the_tuesday_deadline() -> None:
    tz = "America/New_York"
    assert S.reminder_due(utc(2026, 11, 23, 15, 0), tz) == ["2026-W47"]  # Mon 10:00 NY
    assert S.reminder_due(utc(2026, 11, 24, 16, 59), tz) == ["2026-W47"]  # Tue 11:59
    assert S.reminder_due(utc(2026, 11, 24, 17, 0), tz) == []  # Tue 12:00: closed


def test_answerable_periods_around_the_deadline() -> None:
    tz = "Pacific/Honolulu"
    # Tuesday 11:59 Honolulu (21:59 UTC): last week still open, this week first.
    assert S.answerable_periods(utc(2026, 11, 24, 21, 59), tz) == ["2026-W48", "2026-W47"]
    assert S.answerable_periods(utc(2026, 11, 24, 22, 0), tz) == ["2026-W48"]


def test_a_person_who_moves_zone_is_prompted_by_the_new_zone_once() -> None:
    # Someone in Tonga was prompted at 02:00 UTC Friday for W47. After moving to Honolulu
    # the same week is still W47 there: the job asks "is W47 due?" and the outbox key
    # (person, period) is the same, so no second prompt follows.
    assert S.checkin_due(utc(2026, 11, 20, 2, 0), "Pacific/Tongatapu") == ["2026-W47"]
    assert "2026-W47" in S.checkin_due(utc(2026, 11, 21, 1, 0), "Pacific/Honolulu")


def test_night_is_quiet_in_the_recipients_zone() -> None:
    assert S.is_quiet(utc(2026, 11, 20, 22, 0), "Europe/Paris")  # 23:00 Paris
    assert not S.is_quiet(utc(2026, 11, 20, 22, 0), "America/New_York")  # 17:00 NY
    assert S.checkin_due(utc(2026, 11, 20, 22, 0), "Europe/Paris") == []


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("Europe/Paris", True),
        ("UTC", True),
        ("Mars/Olympus", False),
        ("", False),
        ("../etc", False),
        ("EST5EDT ", False),
    ],
)
def test_timezone_names(name: str, valid: bool) -> None:
    assert is_valid_timezone(name) is valid
