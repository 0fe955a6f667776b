"""HR's system lens: what recurs across people and teams, read from stored check-ins.

Figures only: a theme is a phrase with counts of people, teams and weeks; a team with fewer
people behind a figure than the anonymity minimum shows no figure (DESIGN.md section 6)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from cadence.domain.periods import current_week, shift_week, week_label, weeks_back
from cadence.domain.rounds import MIN_RESPONSES
from cadence.domain.themes import BlockerNote, Theme, find_themes
from cadence.services.common import JobReport
from cadence.services.deps import Deps
from cadence.storage import lens_repo
from cadence.storage.db import read_scope, session_scope

log = logging.getLogger(__name__)

WINDOW_WEEKS = 12
THEMES = "themes"


@dataclass(frozen=True, slots=True)
class ThemeLine:
    """One recurring blocker as HR reads it."""

    name: str
    people: int
    teams: int
    weeks: int
    window: int
    trend: str
    where: str  # "Maya Lead's team 4 · 2 teams with fewer than 3": plain text
    first_week: str
    last_week: str


def last_closed_week(now: datetime) -> str:
    """The newest week whose answers are all in: a week stays open until Tuesday 12:00 in each
    person's zone (as late as Tuesday 22:00 UTC), so from Wednesday (UTC) on it is last week."""
    this_week = current_week(now, "UTC")
    return shift_week(this_week, -1 if now.isoweekday() >= 3 else -2)


def window(last: str) -> list[str]:
    """WINDOW_WEEKS weeks ending with `last`, oldest first."""
    return weeks_back(last, WINDOW_WEEKS)


def run_lens(deps: Deps, now: datetime) -> JobReport:
    """The weekly figures of HR's system lens, computed once per closed week (the scheduler's
    tick asks every minute; only the first ask of a week computes)."""
    report = JobReport("lens", now)
    last = last_closed_week(now)
    with read_scope(deps.engine) as session:
        if lens_repo.has_snapshot(THEMES, last, session=session):
            return report
    lines = recurring_blockers(deps, last)
    payload = json.dumps([asdict(line) for line in lines])
    try:
        with session_scope(deps.engine) as session:
            lens_repo.save_snapshot(THEMES, last, payload, now, session=session)
    except IntegrityError:  # another scheduler stored the same week first
        return report
    log.info("lens: %d recurring blockers up to %s", len(lines), last)
    report.add("themes", len(lines))
    return report


def home_context(deps: Deps) -> dict[str, Any]:
    """HR's App Home section: the latest stored recurring blockers."""
    with read_scope(deps.engine) as session:
        snapshot = lens_repo.latest_snapshot(THEMES, session=session)
    if snapshot is None:
        return {"themes": [], "window": WINDOW_WEEKS, "as_of": ""}
    themes = [ThemeLine(**item) for item in json.loads(snapshot.payload)]
    return {"themes": themes, "window": WINDOW_WEEKS, "as_of": week_label(snapshot.period)}


def recurring_blockers(deps: Deps, last: str) -> list[ThemeLine]:
    periods = window(last)
    with read_scope(deps.engine) as session:
        rows = lens_repo.blocker_notes(periods, session=session)
    team_names = {team: name for _, team, name, _, _ in rows}
    themes = find_themes([BlockerNote(p, team, period, text) for p, team, _, period, text in rows])
    return [_line(theme, team_names, len(periods)) for theme in themes]


def _line(theme: Theme, team_names: dict[str, str], weeks_in_window: int) -> ThemeLine:
    minimum = MIN_RESPONSES
    named = sorted(
        (
            (_team_label(team_names.get(team, "")), n)
            for team, n in theme.teams.items()
            if n >= minimum
        ),
        key=lambda item: (-item[1], item[0]),
    )
    small = sum(1 for n in theme.teams.values() if n < minimum)
    parts = [f"{label} {n}" for label, n in named]
    if small:
        parts.append(f"{small} {'team' if small == 1 else 'teams'} with fewer than {minimum}")
    weeks = sorted(theme.weeks)
    return ThemeLine(
        name=theme.name,
        people=theme.people,
        teams=theme.team_count(),
        weeks=len(weeks),
        window=weeks_in_window,
        trend=theme.trend,
        where=" · ".join(parts),
        first_week=week_label(weeks[0]),
        last_week=week_label(weeks[-1]),
    )


def _team_label(manager_name: str) -> str:
    return f"{manager_name}'s team" if manager_name else "Top level"
