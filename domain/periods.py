"""Periods: ISO weeks (`2026-W42`) and quarters (`2026-Q4`) in a person's own time zone."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def is_valid_timezone(name: str) -> bool:
    if not name or name != name.strip():
        return False
    if name in _ZONES:
        return True
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return "/" in name or name == "UTC"


_ZONES = frozenset(available_timezones())


def week_of(day: date) -> str:
    iso = day.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def local_now(now: datetime, tz: str) -> datetime:
    return now.astimezone(ZoneInfo(tz))


def current_week(now: datetime, tz: str) -> str:
    return week_of(local_now(now, tz).date())


def parse_week(period: str) -> tuple[int, int]:
    match = _WEEK.match(period)
    if not match:
        raise ValueError(f"not an ISO week period: {period!r}")
    year, week = int(match.group(1)), int(match.group(2))
    date.fromisocalendar(year, week, 1)  # raises ValueError for W53 in a 52-week year
    return year, week


def is_week(period: str) -> bool:
    try:
        parse_week(period)
    except ValueError:
        return False
    return True


def week_day(period: str, isoweekday: int) -> date:
    """The date of weekday 1 (Monday) .. 7 (Sunday) in `period`."""
    year, week = parse_week(period)
    return date.fromisocalendar(year, week, isoweekday)


def shift_week(period: str, weeks: int) -> str:
    return week_of(week_day(period, 1) + timedelta(weeks=weeks))


def weeks_back(period: str, count: int) -> list[str]:
    """`count` periods ending with `period`, oldest first."""
    return [shift_week(period, -i) for i in range(count - 1, -1, -1)]


def at_local(day: date, at: time, tz: str) -> datetime:
    """Wall-clock `at` on `day` in `tz`, as aware UTC (a time in a DST gap moves forward)."""
    local = datetime.combine(day, at, tzinfo=ZoneInfo(tz))
    # Round-trip through UTC normalises non-existent wall times (spring-forward gaps).
    return local.astimezone(UTC)


def week_label(period: str) -> str:
    """'week of 16 Nov': how people say a week (the ISO code may follow in small print)."""
    start = week_day(period, 1)
    return f"week of {start.day} {start:%b}"


def two_weeks_label(period: str) -> str:
    """'two weeks of 23 Nov – 6 Dec': `period` and the week before it, Monday to Sunday (what
    an every-two-weeks check-in covers)."""
    start, end = week_day(shift_week(period, -1), 1), week_day(period, 7)
    return f"two weeks of {start.day} {start:%b} – {end.day} {end:%b}"


def place(tz: str) -> str:
    """'New York' for America/New_York: the zone as people name it."""
    return tz.rsplit("/", 1)[-1].replace("_", " ")


def moment_label(at: datetime, reader_tz: str, origin_tz: str) -> str:
    """A deadline in the reader's zone, saying which moment it is: 'Friday 18 Dec, 18:00 your
    time (18:00 in New York)' when it was set in another zone."""
    mine, theirs = local_now(at, reader_tz), local_now(at, origin_tz)
    label = f"{mine:%A} {mine.day} {mine:%b}, {mine:%H:%M} your time"
    if mine.utcoffset() == theirs.utcoffset():
        return label
    day = "" if theirs.date() == mine.date() else f"{theirs:%A} {theirs.day} {theirs:%b}, "
    return f"{label} ({day}{theirs:%H:%M} in {place(origin_tz)})"


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
