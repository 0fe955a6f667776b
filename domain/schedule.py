"""When each scheduled message is due, in the recipient's own time zone.

The database decides what has been done; these functions only say what *should* have happened
by `now`. A job asks "which periods are due for this person at `now`?" and records each one
under a unique key, so a missed tick is caught up by the next and a repeated run does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time

from cadence.domain.holidays import holiday_week, next_working_day
from cadence.domain.periods import (
    at_local,
    local_now,
    parse_week,
    shift_week,
    two_weeks_label,
    week_day,
    week_label,
    week_of,
)

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Check-in cadence: every week, or every two weeks on the ISO weeks of one parity. The parity
# is part of the value, so a restart or a settings change never shifts which weeks are due.
WEEKLY = "weekly"
CADENCES = (WEEKLY, "fortnightly-even", "fortnightly-odd")


def off_week(cadence: str, period: str) -> bool:
    """`period` is not a check-in week under `cadence` (its ISO week number has the other
    parity): no prompt, no reminder, and the week reads "off-week", never missing."""
    if cadence == "fortnightly-even":
        return parse_week(period)[1] % 2 == 1
    if cadence == "fortnightly-odd":
        return parse_week(period)[1] % 2 == 0
    return False


def weeks_covered(due: Schedule, before: Schedule, period: str) -> int:
    """What a check-in stored under `period` covers: 2 weeks (the week before it too) only
    when the week before was an off-week under the settings in force for that week
    (`before`, that week's schedule) and `period` is due under its own (`due`); else 1. So
    right after a switch from weekly to every two weeks the first check-in covers its own
    week alone: the week before was due on its own, as a weekly week. The one rule for what
    a check-in says it covers and what is stored on it (services.weeks.weeks_covered)."""
    if due.off_week(period) or not before.off_week(shift_week(period, -1)):
        return 1
    return 2


def span_label(period: str, weeks: int) -> str:
    """What a check-in stored under `period` covers, from its `weeks` (1, or 2: the off-week
    before it too): 'week of 16 Nov', or 'two weeks of 16 Nov – 29 Nov'."""
    return two_weeks_label(period) if weeks == 2 else week_label(period)


@dataclass(frozen=True, slots=True)
class WeeklySlot:
    """A weekly moment: `weekday` 1=Monday..7=Sunday at `at`, `week_offset` weeks after the
    period it concerns (0 = in the period's own week, 1 = in the following week)."""

    weekday: int
    at: time
    week_offset: int = 0

    @property
    def label(self) -> str:
        """'Tuesday 12:00': the moment as people read it (in their own zone)."""
        return f"{DAY_NAMES[self.weekday - 1]} {self.at:%H:%M}"

    def for_period(self, period: str, tz: str) -> datetime:
        day = week_day(shift_week(period, self.week_offset), self.weekday)
        return at_local(day, self.at, tz)


@dataclass(frozen=True, slots=True)
class Schedule:
    checkin: WeeklySlot = WeeklySlot(5, time(15, 0))  # Friday 15:00
    reminder: WeeklySlot = WeeklySlot(1, time(10, 0), 1)  # following Monday 10:00
    answer_deadline: WeeklySlot = WeeklySlot(2, time(12, 0), 1)  # following Tuesday 12:00
    digest: WeeklySlot = WeeklySlot(1, time(9, 0), 1)  # following Monday 09:00
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    cadence: str = WEEKLY

    def is_quiet(self, now: datetime, tz: str) -> bool:
        """Night in the recipient's zone: nobody is pinged then, a catch-up waits for morning."""
        t = local_now(now, tz).time()
        return t >= self.quiet_start or t < self.quiet_end

    def candidate_periods(self, now: datetime, tz: str) -> tuple[str, str]:
        """This local week and the one before (the only ones any weekly slot can concern)."""
        this = week_of(local_now(now, tz).date())
        return shift_week(this, -1), this

    def _moved(self, slot: WeeklySlot, period: str, tz: str, country: str) -> datetime | None:
        """When `slot` falls for `period`, moved off a public holiday to the next working day
        (same time); None when that is past the answer deadline or the week is a holiday
        week in `country`."""
        start = slot.for_period(period, tz)
        if not country:
            return start
        if holiday_week(country, period):
            return None
        day = local_now(start, tz).date()
        working = next_working_day(country, day)
        if working != day:
            start = at_local(working, slot.at, tz)
        return start if start < self.answer_deadline.for_period(period, tz) else None

    def prompt_at(self, period: str, tz: str, country: str = "") -> datetime | None:
        """When the check-in DM for `period` is due; None: no prompt (an off-week or a holiday
        week)."""
        if self.off_week(period):
            return None
        return self._moved(self.checkin, period, tz, country)

    def reminder_at(self, period: str, tz: str, country: str = "") -> datetime | None:
        """When the one reminder is due; None when the prompt itself moved past it."""
        prompt = self.prompt_at(period, tz, country)
        reminder = self._moved(self.reminder, period, tz, country)
        if prompt is None or reminder is None or reminder <= prompt:
            return None
        return reminder

    def off_week(self, period: str) -> bool:
        """No prompt for `period` because of the every-two-weeks cadence: reads "off-week"."""
        return off_week(self.cadence, period)

    def checkin_period(self, week: str) -> str:
        """The period whose check-in covers `week`: the week itself, or for an off-week the
        due week after it."""
        return shift_week(week, 1) if self.off_week(week) else week

    def next_prompt(self, period: str, tz: str, country: str = "") -> datetime:
        """When the check-in after `period`'s is asked (the next due week's Friday DM, moved
        off public holidays; a holiday week's slot when that week has no prompt)."""
        following = self.checkin_period(shift_week(period, 1))
        return self.prompt_at(following, tz, country) or self.checkin.for_period(following, tz)

    def holiday_week(self, period: str, tz: str, country: str) -> bool:
        """No prompt for `period` because of public holidays: the week reads "holiday"."""
        if not country or self.off_week(period):
            return False
        return self.prompt_at(period, tz, country) is None

    def _due(self, at: Callable[[str], datetime | None], now: datetime, tz: str) -> list[str]:
        if self.is_quiet(now, tz):
            return []
        due = []
        for period in self.candidate_periods(now, tz):
            start = at(period)
            end = self.answer_deadline.for_period(period, tz)
            if start is not None and start <= now < end:
                due.append(period)
        return due

    def checkin_due(self, now: datetime, tz: str, country: str = "") -> list[str]:
        """Periods whose check-in DM should have gone out by `now` (catch-up until the answer
        deadline, never at night, never on a public holiday in `country`)."""
        return self._due(lambda p: self.prompt_at(p, tz, country), now, tz)

    def reminder_due(self, now: datetime, tz: str, country: str = "") -> list[str]:
        return self._due(lambda p: self.reminder_at(p, tz, country), now, tz)

    def digest_due(self, now: datetime, tz: str) -> list[str]:
        return self._due(lambda p: self.digest.for_period(p, tz), now, tz)

    def _last_open(self, now: datetime, tz: str) -> str | None:
        """Last week, while its check-in is still open (never an off-week: it has none)."""
        last, _ = self.candidate_periods(now, tz)
        if self.off_week(last) or now >= self.answer_deadline.for_period(last, tz):
            return None
        return last

    def answerable_periods(self, now: datetime, tz: str) -> list[str]:
        """Periods a person may still answer or edit at `now`: the current check-in (this
        week's, or in an off-week the due week's after it, which covers this week), and last
        week's until its answer deadline. Most recent first."""
        _, this = self.candidate_periods(now, tz)
        last = self._last_open(now, tz)
        return [self.checkin_period(this)] + ([last] if last else [])

    def answer_week(self, now: datetime, tz: str) -> str:
        """The period a person should answer now: last week's from its Friday DM until its
        answer deadline (Tuesday 12:00 local), then the current one (in an off-week, the due
        week's after it). Every entry point (/checkin, the App Home and its button, the
        manager's completion panel) asks this."""
        return self.answerable_periods(now, tz)[-1]

    def deadline_passed(self, period: str, now: datetime, tz: str) -> bool:
        return now >= self.answer_deadline.for_period(period, tz)


DEFAULT_SCHEDULE = Schedule()
