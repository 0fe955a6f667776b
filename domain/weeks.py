"""What a person's week is (DESIGN.md section 5): answered, skipped, away, missing, or not yet
due; and which week a person should answer now.

Pure: the caller says what is stored (the check-in row's status, the declared absences) and
whether the week's answer deadline has passed. An absence is not neglect: only a week whose
deadline has passed with no answer, no skip and no absence is missing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from cadence.domain.periods import week_day


class WeekState(StrEnum):
    ANSWERED = "answered"
    SKIPPED = "skipped"
    AWAY = "away"
    MISSING = "missing"
    OPEN = "open"  # not answered yet, and its deadline has not passed
    HOLIDAY = "holiday"  # no prompt: public holidays in the person's country
    OFF_WEEK = "off-week"  # not due: every-two-weeks check-ins, the other parity of ISO week


ICONS: dict[WeekState, str] = {
    WeekState.ANSWERED: "✅",
    WeekState.SKIPPED: "⏭️",
    WeekState.AWAY: "🌴",
    WeekState.MISSING: "❗",
    WeekState.OPEN: "⏳",
    WeekState.HOLIDAY: "🎉",
    WeekState.OFF_WEEK: "💤",
}

WORDS: dict[WeekState, str] = {
    WeekState.ANSWERED: "checked in",
    WeekState.SKIPPED: "skipped",
    WeekState.AWAY: "away",
    WeekState.MISSING: "missing",
    WeekState.OPEN: "not yet",
    WeekState.HOLIDAY: "public holiday",
    WeekState.OFF_WEEK: "off-week (not due)",
}

# Stored check-in statuses. "away" is written when Slack's status said so at prompt time.
ABSENT = frozenset({WeekState.SKIPPED, WeekState.AWAY, WeekState.HOLIDAY, WeekState.OFF_WEEK})


def week_state(
    stored: str | None,
    *,
    away: bool,
    deadline_passed: bool,
    holiday: bool = False,
    off_week: bool = False,
) -> WeekState:
    """The state of one week from the stored check-in status (answered | skipped | away, or
    None without a row), whether a declared absence covers it, whether public holidays made
    it a week without a prompt, whether the every-two-weeks cadence made it a week not due,
    and whether its answer deadline has passed."""
    if stored == "answered":
        return WeekState.ANSWERED
    if stored == "skipped":
        return WeekState.SKIPPED
    if stored == "away" or away:
        return WeekState.AWAY
    if off_week:
        return WeekState.OFF_WEEK
    if holiday:
        return WeekState.HOLIDAY
    return WeekState.MISSING if deadline_passed else WeekState.OPEN


# ---------------------------------------------------------------- declared absences

AWAY_WORKDAYS = 3  # an absence covering at least this many of a week's Mon–Fri covers the week
MAX_ABSENCE_DAYS = 366


@dataclass(frozen=True, slots=True)
class Absence:
    start: date
    end: date  # inclusive


def covers_week(absences: Iterable[Absence], period: str) -> bool:
    """Whether declared absences cover `period`: at least AWAY_WORKDAYS of its working days."""
    monday = week_day(period, 1)
    workdays = {monday + timedelta(days=i) for i in range(5)}
    off = {d for a in absences for d in workdays if a.start <= d <= a.end}
    return len(off) >= AWAY_WORKDAYS


def check_absence(start: date, end: date, today: date) -> str | None:
    """What is wrong with a declared absence from `start` to `end` (inclusive), or None."""
    if end < start:
        return "The last day comes before the first day."
    if end < today:
        return "That absence is already over: pick dates from today on."
    if (end - start).days + 1 > MAX_ABSENCE_DAYS:
        return f"An absence can be at most {MAX_ABSENCE_DAYS} days; declare a longer one in parts."
    return None


def parse_absence(text: str) -> tuple[date, date] | str:
    """`2026-12-21 2027-01-03` → the two dates, or what is wrong with the text."""
    parts = text.replace("→", " ").replace(" to ", " ").split()
    usage = "Give the first and last day as dates, e.g. `/cadence away 2026-12-21 2027-01-03`."
    if len(parts) != 2:
        return usage
    try:
        start, end = date.fromisoformat(parts[0]), date.fromisoformat(parts[1])
    except ValueError:
        return f"I couldn't read those dates. {usage}"
    return start, end


def day_label(day: date) -> str:
    """'Mon 21 Dec 2026'."""
    return f"{day:%a} {day.day} {day:%b %Y}"
