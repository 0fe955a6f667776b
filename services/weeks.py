"""The state of people's weeks as every screen shows it (domain.weeks): the stored check-in
status, declared absences, and each week's answer deadline in the person's own zone."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from sqlmodel import Session

from cadence.domain.periods import shift_week, week_day
from cadence.domain.schedule import Schedule, span_label
from cadence.domain.schedule import weeks_covered as rule
from cadence.domain.weeks import WeekState, covers_week, week_state
from cadence.services import settings
from cadence.services.deps import Deps
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
    schedule_of: Callable[[Person, str], Schedule],
    people: Sequence[Person],
    periods: Sequence[str],
    stored: dict[tuple[int, str], str],
    away: set[tuple[int, str]],
    now: datetime,
) -> dict[tuple[int, str], WeekState]:
    """Each (person, week)'s state. `stored` maps (person, week) to the check-in's status;
    `schedule_of` gives each person's schedule for a week, the one in force when it closed
    (services.settings.Resolved.schedule): a past week keeps the cadence it had."""
    out: dict[tuple[int, str], WeekState] = {}
    for person in people:
        pid, tz = person.id or 0, person.timezone or "UTC"
        for p in periods:
            schedule = schedule_of(person, p)
            out[(pid, p)] = week_state(
                stored.get((pid, p)),
                away=(pid, p) in away,
                deadline_passed=schedule.deadline_passed(p, now, tz),
                holiday=schedule.holiday_week(p, tz, person.country),
                off_week=schedule.off_week(p),
            )
    return out


def weeks_covered(
    chosen: settings.Resolved, person: Person, period: str, stored: int | None = None
) -> int:
    """What `person`'s check-in under `period` covers (1 week, or 2: the week before it too):
    as stored on it when it was written; otherwise (no row yet, a row from before it was
    stored) by domain.schedule.weeks_covered, with the week before read under the settings in
    force for it and `period` under its own (`chosen`, read once). Every surface that names a
    check-in's span (the DM, reminder, modal, the note that replaces the DM, the skip reply,
    App Home, digests, evidence, export) and what is stored on a new check-in ask this."""
    if stored:
        return stored
    before = chosen.schedule(person, shift_week(period, -1))
    return rule(chosen.schedule(person, period), before, period)


def label(chosen: settings.Resolved, person: Person, period: str, stored: int | None = None) -> str:
    """What `person`'s check-in under `period` covers as people read it: 'week of 16 Nov' or
    'two weeks of 16 Nov – 29 Nov' (weeks_covered)."""
    return span_label(period, weeks_covered(chosen, person, period, stored))


def checkin_labels(
    deps: Deps, people: Iterable[Person], periods: Iterable[str], *, session: Session
) -> dict[tuple[int, str], str]:
    """What each (person, week)'s check-in covers as people read it ('week of 16 Nov', 'two
    weeks of 16 Nov – 29 Nov'), from the stored truth (services.weeks.weeks_covered)."""
    people = [p for p in people if p.id is not None]
    wanted = sorted(set(periods))
    rows = repo.checkins_in([p.id or 0 for p in people], wanted, session=session)
    chosen = settings.resolved(deps, session=session, only=[p.id or 0 for p in people])
    out = {}
    for person in people:
        for p in wanted:
            c = rows.get((person.id or 0, p))
            out[(person.id or 0, p)] = label(chosen, person, p, c.weeks if c else None)
    return out
