"""The state of people's weeks as every screen shows it (domain.weeks): the stored check-in
status, declared absences, and each week's answer deadline in the person's own zone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlmodel import Session

from cadence.domain.periods import week_day
from cadence.domain.schedule import Schedule
from cadence.domain.weeks import WeekState, covers_week, week_state
from cadence.storage import repo
from cadence.storage.models import Person


def covered(
    person_ids: Iterable[int], periods: Sequence[str], *, session: Session
) -> set[tuple[int, str]]:
    """The (person, week) pairs that declared absences cover, for `periods`."""
    if not periods:
        return set()
    first = min(week_day(p, 1) for p in periods)
    last = max(week_day(p, 7) for p in periods)
    found = repo.absences_of(person_ids, first, last, session=session)
    return {(pid, p) for pid, spans in found.items() for p in periods if covers_week(spans, p)}


def states(
    schedule_of: Callable[[Person], Schedule],
    people: Sequence[Person],
    periods: Sequence[str],
    stored: dict[tuple[int, str], str],
    away: set[tuple[int, str]],
    now: datetime,
) -> dict[tuple[int, str], WeekState]:
    """Each (person, week)'s state. `stored` maps (person, week) to the check-in's status;
    `schedule_of` gives each person's schedule (services.settings.Resolved.schedule)."""
    out: dict[tuple[int, str], WeekState] = {}
    for person in people:
        pid, tz = person.id or 0, person.timezone or "UTC"
        schedule = schedule_of(person)
        for p in periods:
            out[(pid, p)] = week_state(
                stored.get((pid, p)),
                away=(pid, p) in away,
                deadline_passed=schedule.deadline_passed(p, now, tz),
                holiday=schedule.holiday_week(p, tz, person.country),
                off_week=schedule.off_week(p),
            )
    return out
