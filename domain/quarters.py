"""Calendar quarters (`2026-Q4`) and how ISO weeks fall into them.

An ISO week belongs to the quarter of its Thursday, as ISO 8601 does for years: 2026-W40 runs
Monday 28 Sep – Sunday 4 Oct 2026; its Thursday is 1 Oct, so it counts in 2026-Q4, not Q3.
2026-W53 (28 Dec 2026 – 3 Jan 2027) counts in 2026-Q4. Every week counts in exactly one
quarter; a quarter of 90–92 days holds 12, 13 or 14 weeks (the number of its Thursdays).
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from cadence.domain.periods import week_day, week_of

_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")
REVIEW_WINDOW_DAYS = 14  # self-assessment prompts: the last two weeks of the quarter


def parse_quarter(quarter: str) -> tuple[int, int]:
    match = _QUARTER.match(quarter)
    if not match:
        raise ValueError(f"not a quarter: {quarter!r} (expected e.g. 2026-Q4)")
    return int(match.group(1)), int(match.group(2))


def is_quarter(quarter: str) -> bool:
    return _QUARTER.match(quarter) is not None


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_start(quarter: str) -> date:
    year, q = parse_quarter(quarter)
    return date(year, 3 * (q - 1) + 1, 1)


def quarter_end(quarter: str) -> date:
    """The quarter's last day."""
    return quarter_start(shift_quarter(quarter, 1)) - timedelta(days=1)


def shift_quarter(quarter: str, n: int) -> str:
    year, q = parse_quarter(quarter)
    index = year * 4 + (q - 1) + n
    return f"{index // 4}-Q{index % 4 + 1}"


def quarter_of_week(period: str) -> str:
    """The quarter an ISO week counts in: the quarter of its Thursday."""
    return quarter_of(week_day(period, 4))


def month_of_week(period: str) -> date:
    """The first day of the month an ISO week counts in (its Thursday's month)."""
    return week_day(period, 4).replace(day=1)


def quarter_weeks(quarter: str) -> list[str]:
    """The ISO weeks whose Thursday falls in `quarter`, oldest first (12 to 14)."""
    start, end = quarter_start(quarter), quarter_end(quarter)
    # The Thursday on or after the quarter's first day.
    thursday = start + timedelta(days=(3 - start.weekday()) % 7)
    weeks = []
    while thursday <= end:
        weeks.append(week_of(thursday))
        thursday += timedelta(days=7)
    return weeks


def review_window(quarter: str) -> tuple[date, date]:
    """First and last local day on which the self-assessment prompt may go out."""
    end = quarter_end(quarter)
    return end - timedelta(days=REVIEW_WINDOW_DAYS - 1), end


def review_quarter_on(day: date) -> str | None:
    """The quarter whose review window contains `day` (a person's local date), or None."""
    quarter = quarter_of(day)
    first, last = review_window(quarter)
    return quarter if first <= day <= last else None


def weeks_until(quarter: str, day: date) -> list[str]:
    """The quarter's weeks that have started by `day` (all of them once the quarter is over)."""
    return [w for w in quarter_weeks(quarter) if week_day(w, 1) <= day]


def quarter_label(quarter: str) -> str:
    """'2026-Q4 (Oct–Dec)'."""
    start, end = quarter_start(quarter), quarter_end(quarter)
    return f"{quarter} ({start:%b}–{end:%b})"
