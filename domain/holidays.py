"""Public holidays by country (ISO 3166 alpha-2, from the org CSV's optional `country`
column), read from the maintained `holidays` package.

No prompt or reminder goes out on a person's public holiday: it moves to their next working
day, and if that is past the week's answer deadline it is not sent. A week whose working days
are mostly public holidays (as many as make a declared absence cover a week) reads "holiday":
no prompt, no reminder, never missing.

Pure: dates in, answers out (the package's tables are data, not a service)."""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays as holiday_tables

from cadence.domain.periods import week_day

HOLIDAY_WORKDAYS = 3  # as for declared absences: 3 of Mon–Fri make the week a holiday week


@lru_cache(maxsize=1)
def supported_countries() -> frozenset[str]:
    return frozenset(holiday_tables.list_supported_countries())


def is_country(code: str) -> bool:
    return code in supported_countries()


@lru_cache(maxsize=512)
def _days(country: str, year: int) -> frozenset[date]:
    return frozenset(holiday_tables.country_holidays(country, years=year))


def is_holiday(country: str, day: date) -> bool:
    """A public holiday in `country` ("" = no country known: none)."""
    return bool(country) and day in _days(country, day.year)


def holiday_name(country: str, day: date) -> str:
    if not is_holiday(country, day):
        return ""
    return str(holiday_tables.country_holidays(country, years=day.year).get(day) or "")


def is_working_day(country: str, day: date) -> bool:
    return day.isoweekday() <= 5 and not is_holiday(country, day)


def next_working_day(country: str, day: date) -> date:
    """`day` itself when it is a working day, else the next one."""
    while not is_working_day(country, day):
        day += timedelta(days=1)
    return day


def holiday_week(country: str, period: str) -> bool:
    """Most of the week's working days (Mon–Fri) are public holidays in `country`."""
    if not country:
        return False
    days = [week_day(period, d) for d in range(1, 6)]
    return sum(is_holiday(country, d) for d in days) >= HOLIDAY_WORKDAYS
