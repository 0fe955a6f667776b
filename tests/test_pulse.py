"""Organisation pulse (HR's system lens), pure: participation with absences apart, the team's
pair read as a system question, groups below the minimum without figures, action outcomes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cadence.config import PROJECT_ROOT
from cadence.domain.digests import Week
from cadence.domain.pulse import (
    ActionFact,
    Outcome,
    PersonSeries,
    action_outcome,
    outcome_lines,
    pulse,
    team_reading,
)
from cadence.domain.roles import load_roles
from cadence.domain.signals import SignalKind

SUPPORT = load_roles(PROJECT_ROOT / "roles.toml")["support"]  # CSAT floor 85, 60 tickets
WINDOW = 12
T0 = datetime(2026, 9, 1, tzinfo=UTC)


def answered(q: float, o: float, mood: int = 4) -> Week:
    return Week(status="answered", quality=q, output=o, mood=mood)


def person(pid: int, weeks: list[Week]) -> PersonSeries:
    return PersonSeries(pid, SUPPORT, weeks)


def steady(pid: int, q: float = 92, o: float = 60) -> PersonSeries:
    return person(pid, [answered(q, o) for _ in range(16)])


def trending(pid: int, q: tuple[float, float], o: tuple[float, float]) -> PersonSeries:
    """Weeks 0–11 at the first values, the last 4 at the second."""
    return person(pid, [answered(q[0], o[0])] * 12 + [answered(q[1], o[1])] * 4)


@pytest.mark.parametrize(
    ("members", "reading"),
    [
        # Output up 25 %, quality down 7 pts across the team: process strain.
        ([trending(i, (93, 86), (60, 75)) for i in range(4)], "strain"),
        # Quality high and rising, output well under target and falling: a stall.
        ([trending(i, (90, 95), (50, 45)) for i in range(4)], "stall"),
        # Quality above floor, output steady under target: still a stall (nothing moves).
        ([steady(i, 95, 48) for i in range(4)], "stall"),
        # Steady at target above the floor: nothing to ask.
        ([steady(i) for i in range(4)], ""),
        # Both fall: a person-level support question, not a system pattern.
        ([trending(i, (93, 88), (60, 50)) for i in range(4)], ""),
    ],
)
def test_a_teams_pair_is_read_as_a_system_question(
    members: list[PersonSeries], reading: str
) -> None:
    assert team_reading(members, WINDOW) == reading
    p = pulse("Maya's team", members, WINDOW)
    assert p.reading == reading
    assert (p.question != "") == bool(reading)


def test_participation_counts_due_weeks_and_keeps_absences_apart() -> None:
    weeks = [answered(92, 60)] * 12 + [
        Week(status="skipped"),
        Week(status="away"),
        Week(status="missing"),
        Week(status="open"),
    ]
    members = [person(1, weeks), steady(2), steady(3)]
    p = pulse("Team", members, WINDOW)
    # Person 1: 8 answered + 1 missing due in the window (skipped, away and open are not due).
    assert (p.answered, p.due, p.skipped, p.away) == (8 + 24, 9 + 24, 1, 1)
    assert "check-ins 32 of 33 due (97 %) · 1 skipped and 1 away apart" in p.line


def test_a_group_below_the_minimum_shows_no_figures() -> None:
    p = pulse("Kenji's team", [steady(1, 70, 90), steady(2, 70, 90)], WINDOW)
    assert not p.shown and p.answered == 0 and p.reading == ""
    assert p.line == (
        "Kenji's team: fewer than 3 people, no figures (they count in the whole organisation)."
    )


def test_quality_floor_output_target_signals_and_action_closure() -> None:
    members = [steady(1, 80, 66), steady(2, 90, 54), steady(3, 90, 60)]
    actions = [
        ActionFact(1, SignalKind.QUALITY_BELOW_FLOOR, "2026-W40", T0, T0 + timedelta(days=4)),
        ActionFact(1, SignalKind.QUALITY_BELOW_FLOOR, "2026-W41", T0, T0 + timedelta(days=10)),
        ActionFact(2, SignalKind.STALL, "2026-W41", T0, None),
    ]
    p = pulse("Team", members, WINDOW, actions)
    assert p.below_floor_pct == pytest.approx(33.3)
    assert p.output_pct == 100
    assert p.signals == {"quality_below_floor": 12}
    assert (p.actions, p.closed, p.median_days) == (3, 2, 7.0)
    assert "actions 2 of 3 closed, median 7 days to close" in p.line


PERIODS = [f"2026-W{w:02d}" for w in range(30, 46)]


@pytest.mark.parametrize(
    ("signal", "before", "after", "outcome"),
    [
        (SignalKind.STRAIN, (88, 70), (93, 66), "helped"),  # quality back up
        (SignalKind.STRAIN, (88, 70), (86, 72), "not_helped"),
        (SignalKind.QUALITY_BELOW_FLOOR, (80, 60), (86, 60), "helped"),  # back above the floor
        (SignalKind.QUALITY_BELOW_FLOOR, (80, 60), (81, 60), "not_helped"),
        (SignalKind.STALL, (95, 45), (95, 55), "helped"),  # output up
        (SignalKind.STALL, (95, 45), (95, 46), "not_helped"),
        (SignalKind.SUPPORT, (90, 55), (90, 56), "helped"),  # the pair held
    ],
)
def test_did_the_action_help(
    signal: SignalKind, before: tuple[float, float], after: tuple[float, float], outcome: str
) -> None:
    weeks = [answered(*before)] * 8 + [answered(*after)] * 8
    action = ActionFact(1, signal, PERIODS[7], T0, T0)
    assert action_outcome(SUPPORT, weeks, PERIODS, action) == outcome


def test_an_action_is_judged_only_after_four_weeks() -> None:
    weeks = [answered(88, 70)] * 16
    action = ActionFact(1, SignalKind.STRAIN, PERIODS[-2], T0, T0)
    assert action_outcome(SUPPORT, weeks, PERIODS, action) == "too_early"
    helped: Outcome = "helped"
    not_helped: Outcome = "not_helped"
    early: Outcome = "too_early"
    outcomes = [(SignalKind.STRAIN, helped)] * 7 + [(SignalKind.STRAIN, not_helped)] * 3
    outcomes.append((SignalKind.STRAIN, early))
    lines = outcome_lines(outcomes)
    assert [x.line for x in lines] == [
        "Actions on strain closed: quality recovered in 7 of 10 (1 too early to tell)."
    ]
