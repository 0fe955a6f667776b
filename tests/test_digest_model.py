"""The digest model built from plain data: order, team figures, movement, actions, chart data."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from cadence.config import PROJECT_ROOT
from cadence.domain.digests import (
    BLOCKERS_SHOWN,
    HEALTHY,
    LOW,
    NO_WEEK,
    STALL,
    STRAIN,
    TEAM_FLOOR,
    TRAIL_WEEKS,
    WINDOW,
    ActionInput,
    Digest,
    PairPoint,
    ReportInput,
    Week,
    actions_closed_since,
    build_digest,
    movement,
    pair_point,
    pair_table,
    read_report,
    reads_team,
    rollup,
    team_role,
    team_stats,
    team_week,
)
from cadence.domain.roles import load_roles
from cadence.domain.schedule import DEFAULT_SCHEDULE, Schedule, WeeklySlot
from cadence.domain.signals import SignalKind

ROLES = load_roles(PROJECT_ROOT / "roles.toml")
SUPPORT = ROLES["support"]
PERIOD = "2026-W47"
MONDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


def wk(q: float | None, o: float | None, *, mood: int | None = 4, source: str = "self") -> Week:
    if q is None and o is None:
        return NO_WEEK
    return Week("answered", q, o, source, source, mood)


def person(name: str, this: Week, steady: tuple[float, float] = (92, 60), role: str = "support"):  # type: ignore[no-untyped-def]
    past = [wk(*steady) for _ in range(WINDOW - 1)]
    pid = abs(hash(name)) % 10_000
    return read_report(ReportInput(pid, f"U{pid}", name, ROLES[role], [*past, this]))


def digest(rows, actions=(), rollups=(), recognised=(), schedule=DEFAULT_SCHEDULE) -> Digest:  # type: ignore[no-untyped-def]
    return build_digest(
        manager_slack_id="UMGR",
        manager_name="Mia Manager",
        period=PERIOD,
        period_label="2026-W47 (16–22 Nov)",
        rows=rows,
        actions=actions,
        since=MONDAY - timedelta(days=7),
        rollups=rollups,
        recognised=recognised,
        open_until=schedule.answer_deadline.label,
    )


def sample_digest(nasty: str, reports: int = 6) -> Digest:
    """A digest with every kind of row, an open action and a roll-up; `nasty` as user text."""
    rows = [
        person(f"{nasty} {i}", replace(wk(80 + i, 70), blockers=nasty * 3)) for i in range(reports)
    ]
    rows.append(person("Missing Max", NO_WEEK))
    action = ActionInput(
        1, nasty, nasty, nasty, date(2026, 11, 27), PERIOD, SignalKind.STRAIN, "open", MONDAY, None
    )
    made = digest(rows, [action], [rollup(nasty, rows[:3])], [nasty])
    return replace(made, plans=[f"📋 {nasty} · development plan"], outcomes=[f"{nasty}: yes"])


def test_first_screen_lists_who_needs_you_most_urgent_first() -> None:
    d = digest(
        [
            person("Hal Healthy", wk(93, 61)),
            person("Mo Missing", NO_WEEK),
            person("Sam Strain", wk(88, 75)),  # output up, quality down (above the floor)
            person("Fay Floor", wk(80, 80)),  # below floor beats more output
            person("Sue Support", wk(87, 40)),
        ]
    )
    assert [r.report.name for r in d.rows] == [
        "Fay Floor",
        "Sam Strain",
        "Sue Support",
        "Mo Missing",
        "Hal Healthy",
    ]
    assert [r.report.name for r in d.needs_you] == ["Fay Floor", "Sam Strain", "Sue Support"]
    assert d.folded == [
        "🟢 Hal Healthy is on track",
        "❗ Mo Missing missed the check-in: ask in your 1:1",
    ]


def test_rows_show_values_units_baseline_change_source_and_sparklines() -> None:
    row = person("Ana", replace(wk(84.5, 66, source="zendesk"), output_source="self"))
    assert row.kind == SignalKind.QUALITY_BELOW_FLOOR
    assert (row.quality.value, row.quality.bound) == ("84.5 %", "floor 85")
    assert row.quality.change == "−7.5 pts vs usual 92 %"
    assert row.quality.source == "imported from zendesk"
    assert row.output.source == "self-reported"
    assert row.output.change == "+6 tickets vs usual 60"  # within 10 % of 60: steady
    assert row.signal.output.trend == "flat"
    assert len(row.quality.spark) == len(row.output.spark) == 8


@pytest.mark.parametrize(
    ("status", "kind", "fold"),
    [
        ("skipped", SignalKind.SKIPPED, "⏭️ Sid skipped the week"),
        ("away", SignalKind.AWAY, "🌴 Sid was away"),
        ("open", SignalKind.NOT_YET, "⏳ Sid hasn't checked in yet (open until Tuesday 12:00)"),
        ("missing", SignalKind.MISSING, "❗ Sid missed the check-in: ask in your 1:1"),
    ],
)
def test_a_week_without_numbers_reads_as_its_state_and_never_needs_you(
    status: str, kind: SignalKind, fold: str
) -> None:
    row = person("Sid", Week(status=status))
    assert row.kind == kind and row.quality.value == "–" and row.quality.change == ""
    d = digest([row])
    assert d.needs_you == [] and d.folded == [fold]


def test_the_not_yet_line_names_the_schedules_own_deadline() -> None:
    later = Schedule(answer_deadline=WeeklySlot(3, time(17, 30), 1))
    d = digest([person("Sid", Week(status="open"))], schedule=later)
    assert d.folded == ["⏳ Sid hasn't checked in yet (open until Wednesday 17:30)"]


def test_not_enough_history_for_a_newcomer() -> None:
    new = read_report(ReportInput(1, "U1", "New", SUPPORT, [NO_WEEK] * 11 + [wk(90, 60)]))
    assert new.kind == SignalKind.NOT_ENOUGH_HISTORY and new.quality.change == ""
    assert new not in digest([new]).needs_you


def test_team_figures_count_the_floor_and_target_edges_and_lower_is_better() -> None:
    lower = replace(
        SUPPORT,
        output=replace(SUPPORT.output, higher_is_better=False, target=10),
    )
    stats = team_stats(
        [
            (SUPPORT, wk(85, 60, mood=2)),  # exactly on floor and target: fine
            (SUPPORT, wk(84.9, 59, mood=4)),  # below both
            (lower, wk(90, 9, mood=None)),  # 9 minutes per ticket, target 10: at target
            (SUPPORT, Week(status="skipped")),
        ]
    )
    assert (stats.people, stats.checked_in) == (4, 3)
    assert (stats.at_target, stats.with_output) == (2, 3)
    assert (stats.below_floor, stats.with_quality) == (1, 3)
    assert stats.mood == 3


def test_movement_since_last_week() -> None:
    this = team_stats([(SUPPORT, wk(90, 61, mood=4)), (SUPPORT, wk(80, 70, mood=4))])
    last = team_stats([(SUPPORT, wk(90, 50, mood=3)), (SUPPORT, wk(90, 50, mood=3))])
    text = movement(this, last)
    assert "at target +2 ▲" in text and "below floor +1 ▼" in text and "mood +1 ▲" in text
    assert "no figures" in movement(this, team_stats([]))


def test_last_weeks_actions_closed_counts_those_open_since_the_last_digest() -> None:
    since = MONDAY - timedelta(days=7)

    def action(i: int, created: datetime, closed: datetime | None) -> ActionInput:
        status = "done" if closed else "open"
        return ActionInput(
            i, "R", "t", "you", date(2026, 12, 1), PERIOD, SignalKind.STALL, status, created, closed
        )

    actions = [
        action(1, since - timedelta(days=3), MONDAY - timedelta(days=1)),  # closed this week
        action(2, since - timedelta(days=3), None),  # still open
        action(3, since - timedelta(days=10), since - timedelta(days=1)),  # closed before: no
        action(4, since + timedelta(hours=1), MONDAY - timedelta(hours=1)),  # planned, done
    ]
    assert actions_closed_since(actions, since) == (2, 3)
    d = digest([person("A", wk(90, 60))], actions)
    assert [a.id for a in d.actions] == [2]


@pytest.mark.parametrize(
    ("quality", "output", "point", "quadrant"),
    [
        (90, 60, PairPoint(100, 5), HEALTHY),  # on target, 5 pts above the floor
        (85, 66, PairPoint(110, 0), HEALTHY),  # exactly on the floor is acceptable
        (95, 30, PairPoint(50, 10), STALL),
        (80, 72, PairPoint(120, -5), STRAIN),
        (84.5, 59, PairPoint(98.3, -0.5), LOW),
    ],
)
def test_each_week_sits_against_target_and_floor(
    quality: float, output: float, point: PairPoint, quadrant: str
) -> None:
    assert pair_point(SUPPORT, wk(quality, output)) == point
    assert point.quadrant == quadrant


def test_lower_is_better_metrics_turn_so_that_right_and_up_stay_better() -> None:
    lower = replace(
        SUPPORT,
        quality=replace(SUPPORT.quality, higher_is_better=False, floor=5),
        output=replace(SUPPORT.output, higher_is_better=False, target=10),
    )
    assert pair_point(lower, wk(3, 5)) == PairPoint(200, 2)  # half the target, 2 under the cap
    assert pair_point(lower, wk(3, 2)) == PairPoint(500, 2)  # the true figure: never capped
    assert pair_point(lower, wk(8, 0)) is None  # 0 against a lower-is-better target: no share


def test_the_picture_has_a_trail_per_report_with_a_pair_this_week() -> None:
    rows = [
        person("A", wk(80, 66)),
        person("B", NO_WEEK),  # missing this week: not on the picture
        person("C", Week(status="away")),
    ]
    d = digest(rows)
    assert [t.name for t in d.pairs] == ["A"]
    [a] = d.pairs
    assert a.signal == SignalKind.QUALITY_BELOW_FLOOR and len(a.points) == TRAIL_WEEKS
    assert a.points[0] == PairPoint(100, 7) and a.now == PairPoint(110, -5)
    assert pair_table(d.pairs) == (
        "A: strain quadrant (digest: Quality below floor) · output 110 % of target · "
        "quality −5 pts vs floor · last 4 weeks: 100%/+7 → 100%/+7 → 100%/+7 → 110%/−5"
    )


def test_recognised_is_empty_by_default_and_sorted_when_given() -> None:
    rows = [person("A", wk(90, 60))]
    assert digest(rows).recognised == []
    assert digest(rows, recognised=["zed", "Amy", "zed"]).recognised == ["Amy", "zed"]


def test_long_blockers_are_clipped_for_the_digest() -> None:
    row = person("B", replace(wk(90, 60), blockers="x" * 5000))
    assert len(row.blockers) == BLOCKERS_SHOWN


def test_rollups_carry_figures_only() -> None:
    r = rollup("Ben", [person("Cat", replace(wk(80, 60), blockers="SECRET"))])
    assert "SECRET" not in repr(r) and "Cat" not in repr(r)
    assert r.line.startswith("Ben's team (1): 1 flagged · 1 below floor")


@pytest.mark.parametrize(
    ("reports", "quality", "output"),
    [
        # (role, quality, output) per report → team % below floor, team output % of target
        ([("support", 90, 60), ("support", 80, 66)], 50, 105),  # 126 of 120 tickets
        ([("support", 90, 30), ("support", 91, 60)], 0, 75),
        # Mixed roles: each output counts as a share of its own target, weighted by it.
        ([("support", 90, 60), ("engineering", 70, 8)], 50, 106.2),  # (100·60 + 200·4) / 64
        ([("support", None, None), ("support", 84.9, 54)], 100, 90),  # no answer: not counted
        ([("support", None, None)], None, None),
    ],
)
def test_a_manager_read_by_the_team(
    reports: list[tuple[str, float | None, float | None]],
    quality: float | None,
    output: float | None,
) -> None:
    weeks = [
        (ROLES[r], Week("answered", q, o) if q is not None else NO_WEEK) for r, q, o in reports
    ]
    own = Week("answered", 99, 99, "self", "self", mood=4, blockers="hiring")
    team = team_week(own, weeks)
    assert (team.quality, team.output) == (quality, output)
    assert (team.mood, team.blockers, team.status) == (4, "hiring", "answered")  # still theirs


@pytest.mark.parametrize(
    ("read_as", "manages", "by_team"),
    [("team", True, True), ("self", True, False), ("team", False, False), ("self", False, False)],
)
def test_who_is_read_by_the_team(read_as: str, manages: bool, by_team: bool) -> None:
    assert reads_team(replace(SUPPORT, read_as=read_as), manages) is by_team


def test_the_team_pair_has_a_target_of_100_percent_and_a_floor_of_a_fifth_below() -> None:
    role = team_role(SUPPORT)
    assert (role.output.target, role.output.unit) == (100, "% of target")
    assert (role.quality.floor, role.quality.higher_is_better) == (TEAM_FLOOR, False)
    # A third of the team below the floor reads as the manager's quality below the floor.
    row = read_report(ReportInput(1, "U1", "Tom", role, [wk(0, 100)] * 11 + [wk(33.3, 101)]))
    assert row.kind == SignalKind.QUALITY_BELOW_FLOOR
