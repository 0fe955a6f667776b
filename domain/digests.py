"""A manager's weekly digest, built from plain data (DESIGN.md sections 5 and 9).

Pure: no SQL, no Slack, no clock. The service hands in each report's last WINDOW weeks of
effective values (an imported value wins over the self-reported one), the open actions and the
teams below; this module reads the signals, orders the reports so the first screen answers
"who needs me this week, and why", and prepares every number as the digest shows it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from cadence.domain.checkins import metric_sparkline
from cadence.domain.periods import two_weeks_label
from cadence.domain.roles import Metric, Role, fmt
from cadence.domain.signals import (
    LABELS,
    MetricReading,
    Signal,
    SignalKind,
    below_floor,
    fmt_number,
    mood_concern,
    pair_words,
    read_pair,
)
from cadence.domain.status import ActionStatus, CheckinStatus
from cadence.domain.weeks import WeekState

WINDOW = 12  # weeks of history a digest reads (baselines need 5, sparklines 8, the chart 4)
SPARK_WEEKS = 8
BLOCKERS_SHOWN = 600  # characters of blockers per report in the digest

# Most urgent first; the first screen lists the flagged and missing reports in this order.
ORDER: dict[SignalKind, int] = {
    SignalKind.QUALITY_BELOW_FLOOR: 0,
    SignalKind.STRAIN: 1,
    SignalKind.SUPPORT: 2,
    SignalKind.STALL: 3,
    SignalKind.MISSING: 4,
    SignalKind.NOT_ENOUGH_HISTORY: 5,
    SignalKind.HEALTHY: 6,
    SignalKind.NOTHING_TO_READ: 7,
    SignalKind.NOT_YET: 8,
    SignalKind.SKIPPED: 9,
    SignalKind.AWAY: 10,
    SignalKind.HOLIDAY: 11,
    SignalKind.OFF_WEEK: 12,
}
EMOJI: dict[SignalKind, str] = {
    SignalKind.QUALITY_BELOW_FLOOR: "🔴",
    SignalKind.STRAIN: "🟠",
    SignalKind.SUPPORT: "🟠",
    SignalKind.STALL: "🟡",
    SignalKind.MISSING: "⚪",
    SignalKind.NOT_ENOUGH_HISTORY: "⚪",
    SignalKind.HEALTHY: "🟢",
    SignalKind.NOT_YET: "⏳",
    SignalKind.NOTHING_TO_READ: "✅",
    SignalKind.SKIPPED: "⏭️",
    SignalKind.AWAY: "🌴",
    SignalKind.HOLIDAY: "🎉",
    SignalKind.OFF_WEEK: "💤",
}
# A week with no numbers: its state decides the reading (no signal for an absence).
NO_NUMBERS: dict[str, SignalKind] = {
    "skipped": SignalKind.SKIPPED,
    "away": SignalKind.AWAY,
    "holiday": SignalKind.HOLIDAY,
    "off-week": SignalKind.OFF_WEEK,
    "open": SignalKind.NOT_YET,
}


@dataclass(frozen=True, slots=True)
class Week:
    """One person's week as the digest reads it. `*_source` is "self", the system an imported
    value came from, or "" when there is no value."""

    status: str = "missing"  # domain.weeks.WeekState: answered|skipped|away|missing|open
    quality: float | None = None
    output: float | None = None
    quality_source: str = ""
    output_source: str = ""
    mood: int | None = None
    blockers: str = ""
    weeks: int = 1  # what its check-in covers: 1, or 2 (the off-week before it too)


NO_WEEK = Week()


@dataclass(frozen=True, slots=True)
class ReportInput:
    person_id: int
    slack_id: str
    name: str
    role: Role
    weeks: Sequence[Week]  # oldest first; the last one is the digest's week


@dataclass(frozen=True, slots=True)
class MetricLine:
    kind: str  # quality | output
    name: str
    unit: str
    value: str  # "82.5 %" or "–"
    bound: str  # "floor 85" / "target 60"
    change: str  # "−6 vs baseline 88.5 ▼ worse", "" without a baseline
    spark: str
    source: str  # "self-reported", "imported from zendesk", ""


@dataclass(frozen=True, slots=True)
class ReportRow:
    report: ReportInput
    signal: Signal
    quality: MetricLine
    output: MetricLine

    @property
    def week(self) -> Week:
        return self.report.weeks[-1] if self.report.weeks else NO_WEEK

    @property
    def kind(self) -> SignalKind:
        return self.signal.kind

    @property
    def emoji(self) -> str:
        return EMOJI[self.signal.kind]

    @property
    def checkin(self) -> str:
        return {
            "answered": "checked in",
            "skipped": "skipped the week",
            "away": "away",
            "holiday": "public holiday",
            "off-week": "off-week (not due)",
            "open": "not checked in yet",
        }.get(self.week.status, "no check-in")

    @property
    def words(self) -> str:
        """The pair read as a pair ("output ▲ while quality ▼")."""
        return pair_words(self.signal, self.report.role)

    @property
    def blockers(self) -> str:
        text = self.week.blockers.strip()
        return text if len(text) <= BLOCKERS_SHOWN else text[: BLOCKERS_SHOWN - 1] + "…"


@dataclass(frozen=True, slots=True)
class ActionInput:
    id: int
    report_name: str
    text: str
    owner_label: str
    due: date
    period: str
    signal: SignalKind
    status: str  # open | done
    created_at: datetime
    closed_at: datetime | None
    due_line: str = ""  # "due Fri 27 Nov" or "⚠️ overdue since Fri 27 Nov" (actions.due_phrase)


@dataclass(frozen=True, slots=True)
class TeamStats:
    people: int
    checked_in: int
    with_output: int
    at_target: int
    with_quality: int
    below_floor: int
    mood: float | None
    off_week: int = 0  # not due: every-two-weeks check-ins, their off-week

    def checkins(self, of: str = " of ") -> str:
        """ "3 of 5"; with off-weeks "1 of 1 due (2 off-week, not due)": nobody in their
        off-week counts as not checked in."""
        if not self.off_week:
            return f"{self.checked_in}{of}{self.people}"
        due = self.people - self.off_week
        return f"{self.checked_in}{of}{due} due ({self.off_week} off-week, not due)"


@dataclass(frozen=True, slots=True)
class Rollup:
    """A team below a manager of managers: aggregates only, never a person's answers."""

    manager_name: str
    stats: TeamStats
    flagged: int

    @property
    def line(self) -> str:
        t = self.stats
        mood = f"mood {fmt(t.mood)}/5" if t.mood is not None else "no mood"
        return (
            f"{self.manager_name}'s team ({t.people}): {self.flagged} flagged · "
            f"{t.below_floor} below floor · {t.at_target}/{t.with_output} at target · "
            f"{t.checkins('/')} checked in · {mood}"
        )


TRAIL_WEEKS = 4  # the chart's trail: each report's last weeks, this one included
# The chart's four quadrants, split by the output target (x = 100 %) and the quality floor (y = 0).
HEALTHY, STRAIN, STALL, LOW = "healthy", "strain", "stall", "below floor"
QUADRANTS = (HEALTHY, STRAIN, STALL, LOW)
# % of target: the team pair's scale, and how far right the pictures draw (a point beyond sits
# on the edge; its true figure is in the text). Never a cap on the figure itself.
MAX_OUTPUT_SHARE = 300.0


@dataclass(frozen=True, slots=True)
class PairPoint:
    """One week of a report's pair on the team picture: `output` as % of the role's target
    (100 = on target, more is better), `quality` above (+) or below (−) the floor."""

    output: float
    quality: float

    @property
    def quadrant(self) -> str:
        if self.quality >= 0:
            return HEALTHY if self.output >= 100 else STALL
        return STRAIN if self.output >= 100 else LOW


@dataclass(frozen=True, slots=True)
class PairTrail:
    """A report on the team picture: their last TRAIL_WEEKS weeks, oldest first (None: no
    pair that week). The chart and its text fallback both draw from this."""

    name: str
    signal: SignalKind  # this week's reading in the digest (the point's colour)
    quality_unit: str  # of the distance to the floor: "pts" for a percentage
    points: list[PairPoint | None]

    @property
    def now(self) -> PairPoint | None:
        return self.points[-1] if self.points else None


def pair_point(role: Role, week: Week) -> PairPoint | None:
    """Where a week sits against the role's target and floor (None without both values)."""
    q = role.quality
    if week.quality is None or week.output is None or q.floor is None:
        return None
    share = output_share(role.output, week.output)
    if share is None:
        return None
    above = week.quality - q.floor if q.higher_is_better else q.floor - week.quality
    return PairPoint(round(share, 1), round(above, 2))


def output_share(metric: Metric, value: float | None) -> float | None:
    """Output as % of the target, more is better whatever the metric's direction: the one rule
    every reader of the pair uses (the digest, a team-read manager's pair, HR's lens and its
    picture). The true figure, never capped (400 % reads 400 %); None without a value or a
    target, and for a lower-is-better output of 0, which has no share to state."""
    if value is None or not metric.target:
        return None
    if metric.higher_is_better:
        return 100 * value / metric.target
    return 100 * metric.target / value if value > 0 else None


def pair_trails(rows: Sequence[ReportRow]) -> list[PairTrail]:
    """Each report with a pair this week, in the digest's order (flagged first)."""
    out = []
    for r in rows:
        role = r.report.role
        points = [pair_point(role, w) for w in r.report.weeks[-TRAIL_WEEKS:]]
        if points and points[-1] is not None:
            out.append(PairTrail(r.report.name, r.kind, _delta_unit(role.quality), points))
    return out


def pair_table(trails: Sequence[PairTrail]) -> str:
    """The team picture as text (sent when the picture cannot be uploaded): per report, where
    this week sits, then the trail (output % of target / quality against the floor)."""
    return "\n".join(
        pair_line(t.name, f"digest: {LABELS[t.signal]}", t.points, t.quality_unit) for t in trails
    )


def pair_line(
    name: str, reading: str, points: Sequence[PairPoint | None], unit: str, span: str = "weeks"
) -> str:
    """One dot of a pair picture as text: its quadrant and `reading`, where it sits now, then
    its trail, one point per `span` (the last point is the dot: never None)."""
    now = points[-1]
    assert now is not None  # noqa: S101 - a dot is drawn only with a pair now
    trail = " → ".join(
        "–" if p is None else f"{fmt(p.output)}%/{_signed(p.quality)}" for p in points
    )
    return (
        f"{name}: {now.quadrant} quadrant ({reading}) · output {fmt(now.output)} % of target · "
        f"quality {_signed(now.quality)} {unit} vs floor · last {len(points)} {span}: {trail}"
    )


def _signed(value: float) -> str:
    return "±0" if value == 0 else f"{'+' if value > 0 else '−'}{fmt(abs(value))}"


@dataclass(frozen=True, slots=True)
class Digest:
    manager_slack_id: str
    manager_name: str
    period: str
    period_label: str
    rows: list[ReportRow]
    team: TeamStats
    last_week: TeamStats
    actions: list[ActionInput]
    actions_last_week: tuple[int, int]  # (closed since the last digest, open at the last digest)
    rollups: list[Rollup]
    pairs: list[PairTrail]  # the team picture (chart) and its text fallback
    recognised: list[str] = field(default_factory=list)
    open_until: str = ""  # the answer deadline as people read it ("Tuesday 12:00")
    plans: list[str] = field(default_factory=list)  # reports' open plans (plain text)
    outcomes: list[str] = field(default_factory=list)  # did last month's actions help?
    plans_due: int = 0  # open plans with a check-in or an end before the next digest
    # Nobody in the manager's team (at any depth) had a check-in due: every-two-weeks
    # check-ins, all in their off-week. `next_line` says when their check-ins come.
    nothing_due: bool = False
    next_line: str = ""
    two_weeks: bool = False  # every direct report's check-in for the period covers two weeks

    @property
    def silent(self) -> bool:
        """Nothing was due and nothing asks the manager to act (no flagged report, no open
        action coming back, no plan check-in or end before the next digest): no digest."""
        return self.nothing_due and not self.needs_you and not self.actions and not self.plans_due

    @property
    def trail_weeks(self) -> int:
        return TRAIL_WEEKS

    @property
    def needs_you(self) -> list[ReportRow]:
        """Flagged reports only: each gets its own row with a Plan action button."""
        return [r for r in self.rows if r.signal.flagged]

    def span_note(self, row: ReportRow) -> str:
        """What `row`'s check-in covers when it covers two weeks in a team whose check-ins
        cover different spans ("two weeks of 23 Nov – 6 Dec"); "" when the header says it
        for everyone, or the row is one week's."""
        if self.two_weeks or row.week.weeks != 2 or row.week.status == WeekState.OFF_WEEK:
            return ""
        return two_weeks_label(self.period)

    @property
    def folded(self) -> list[str]:
        """Everyone else, one line per kind of week ("Nora, Mia and 3 more are on track"; a
        name whose check-in covered two weeks among one-week ones says so: "Cat (two weeks)");
        none when nothing was due (the digest says so in one line instead)."""
        if self.nothing_due:
            return []
        lines = []
        for kinds, icon, one, many in FOLDS:
            names = [
                r.report.name + (" (two weeks)" if self.span_note(r) else "")
                for r in self.rows
                if r.kind in kinds
            ]
            if names:
                words = (one if len(names) == 1 else many).format(until=self.open_until)
                lines.append(f"{icon} {name_list(names)} {words}")
        return lines

    @property
    def team_line(self) -> str:
        return team_line(self.team)

    @property
    def movement(self) -> str:
        return movement(self.team, self.last_week, since=self.since_label)

    @property
    def since_label(self) -> str:
        """What the team's figures are compared with: last week, or with every-two-weeks
        check-ins each report's check-in before (their off-weeks have no figures)."""
        return "the check-in before" if self.two_weeks else "last week"


FOLDS: list[tuple[frozenset[SignalKind], str, str, str]] = [
    (frozenset({SignalKind.HEALTHY}), "🟢", "is on track", "are on track"),
    (
        frozenset({SignalKind.NOTHING_TO_READ}),
        "✅",
        "checked in; their team had no numbers to read this week",
        "checked in; their teams had no numbers to read this week",
    ),
    (
        frozenset({SignalKind.NOT_ENOUGH_HISTORY}),
        "⚪",
        "has too few weeks for a baseline yet",
        "have too few weeks for a baseline yet",
    ),
    (frozenset({SignalKind.SKIPPED}), "⏭️", "skipped the week", "skipped the week"),
    (frozenset({SignalKind.AWAY}), "🌴", "was away", "were away"),
    (frozenset({SignalKind.HOLIDAY}), "🎉", "had public holidays", "had public holidays"),
    (
        frozenset({SignalKind.OFF_WEEK}),
        "💤",
        "had an off-week (check-ins every two weeks)",
        "had an off-week (check-ins every two weeks)",
    ),
    (
        frozenset({SignalKind.NOT_YET}),
        "⏳",
        "hasn't checked in yet (open until {until})",
        "haven't checked in yet (open until {until})",
    ),
    (
        frozenset({SignalKind.MISSING}),
        "❗",
        "missed the check-in: ask in your 1:1",
        "missed the check-in: ask in your 1:1s",
    ),
]
NAMES_SHOWN = 2


def name_list(names: Sequence[str]) -> str:
    """ "Nora", "Nora and Mia", "Nora, Mia and 3 more"."""
    if len(names) == 1:
        return names[0]
    if len(names) <= NAMES_SHOWN + 1:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return ", ".join(names[:NAMES_SHOWN]) + f" and {len(names) - NAMES_SHOWN} more"


def mean(values: Sequence[float]) -> float:
    """Plain float mean (statistics.mean is exact but ~20x slower; digests compute many)."""
    return sum(values) / len(values)


# ---------------------------------------------------------------- reading one report


def _values(weeks: Sequence[Week], kind: str) -> list[float | None]:
    return [w.quality if kind == "quality" else w.output for w in weeks]


def _delta_unit(metric: Metric) -> str:
    """The unit of a change: points for a percentage, the thing counted otherwise."""
    if metric.unit.strip().startswith("%"):
        return "pts"
    return metric.unit.split("/")[0].strip()


def _change(metric: Metric, r: MetricReading) -> str:
    """ "−7 pts vs usual 89 %", "+15 tickets vs usual 48": rounded as people say numbers."""
    if r.change is None or r.baseline is None:
        return ""
    amount = fmt_number(abs(r.change), metric.decimals)
    sign = "±" if amount == "0" else ("+" if r.change > 0 else "−")
    base = fmt_number(r.baseline, metric.decimals)
    unit = f" {metric.unit}" if metric.unit.strip().startswith("%") else ""
    return f"{sign}{amount} {_delta_unit(metric)} vs usual {base}{unit}"


def _source(week: Week, kind: str) -> str:
    source = week.quality_source if kind == "quality" else week.output_source
    if not source:
        return ""
    if source == TEAM_SOURCE:
        return "from their team's check-ins"
    return "self-reported" if source == "self" else f"imported from {source}"


def _line(metric: Metric, week: Week, weeks: Sequence[Week], reading: MetricReading) -> MetricLine:
    values = _values(weeks, metric.kind)
    value = values[-1] if values else None
    if metric.kind == "quality":
        bound = f"floor {fmt(metric.floor)}"
    else:
        bound = f"target {fmt(metric.target)}"
    return MetricLine(
        kind=metric.kind,
        name=metric.name,
        unit=metric.unit,
        value=f"{fmt(value)} {metric.unit}" if value is not None else "–",
        bound=bound,
        change=_change(metric, reading),
        spark=metric_sparkline(values[-SPARK_WEEKS:], metric),
        source=_source(week, metric.kind),
    )


def previous_due(weeks: Sequence[Week]) -> Week:
    """The week before the last of `weeks` that had a check-in due: last week, or with
    every-two-weeks check-ins the due week before the off-week (NO_WEEK without one)."""
    return next((w for w in reversed(weeks[:-1]) if w.status != WeekState.OFF_WEEK), NO_WEEK)


def week_signal(role: Role, weeks: Sequence[Week]) -> Signal:
    """The reading of the last of `weeks` (oldest first) against the weeks before it. Mood is
    read against the check-in before (an off-week has none to compare with)."""
    week = weeks[-1] if weeks else NO_WEEK
    before = weeks[:-1]
    skipped_off = bool(before) and before[-1].status == WeekState.OFF_WEEK
    running = "two check-ins running" if skipped_off else "two weeks running"
    moods = [w.mood for w in before if w.status != WeekState.OFF_WEEK]
    signal = read_pair(
        role,
        week.quality,
        week.output,
        _values(before, "quality"),
        _values(before, "output"),
        week.mood,
        moods,
        running=running,
    )
    if (week.quality is None or week.output is None) and week.status in NO_NUMBERS:
        signal = Signal(NO_NUMBERS[week.status], signal.quality, signal.output)
    elif week.quality is None and week.output is None and week.status == CheckinStatus.ANSWERED:
        # Checked in with nothing to read (a team-read manager whose team had no numbers,
        # e.g. all in their off-week): never "missed"; a mood that asks for support still does.
        concern = mood_concern(week.mood, moods, running)
        kind = SignalKind.SUPPORT if concern else SignalKind.NOTHING_TO_READ
        signal = Signal(kind, signal.quality, signal.output, concern)
    return signal


def read_report(report: ReportInput) -> ReportRow:
    """The signal and the display lines for one report's digest week."""
    weeks = list(report.weeks) or [NO_WEEK]
    role = report.role
    week = weeks[-1]
    signal = week_signal(role, weeks)
    return ReportRow(
        report=report,
        signal=signal,
        quality=_line(role.quality, week, weeks, signal.quality),
        output=_line(role.output, week, weeks, signal.output),
    )


# ---------------------------------------------------------------- team figures


def meets_target(metric: Metric, value: float) -> bool:
    if metric.target is None:
        return True
    return value >= metric.target if metric.higher_is_better else value <= metric.target


def team_stats(people: Sequence[tuple[Role, Week]]) -> TeamStats:
    outputs = [(r, w.output) for r, w in people if w.output is not None]
    qualities = [(r, w.quality) for r, w in people if w.quality is not None]
    moods = [w.mood for _, w in people if w.mood is not None]
    return TeamStats(
        people=len(people),
        checked_in=sum(1 for _, w in people if w.status == CheckinStatus.ANSWERED),
        with_output=len(outputs),
        at_target=sum(1 for r, v in outputs if meets_target(r.output, v)),
        with_quality=len(qualities),
        below_floor=sum(1 for r, v in qualities if below_floor(r.quality, v)),
        mood=round(mean(moods), 1) if moods else None,
        off_week=sum(1 for _, w in people if w.status == WeekState.OFF_WEEK),
    )


def team_line(t: TeamStats) -> str:
    mood = f"mood {fmt(t.mood)}/5" if t.mood is not None else "no mood yet"
    return (
        f"Output: {t.at_target} of {t.with_output} at target · "
        f"Quality: {t.below_floor} of {t.with_quality} below floor · "
        f"Check-ins: {t.checkins()} · {mood}"
    )


def _delta(now: float | None, before: float | None, better_when_higher: bool = True) -> str:
    if now is None or before is None:
        return "–"
    diff = round(now - before, 1)
    if diff == 0:
        return "±0"
    arrow = "▲" if (diff > 0) == better_when_higher else "▼"
    return f"{'+' if diff > 0 else '−'}{fmt(abs(diff))} {arrow}"


def movement(now: TeamStats, before: TeamStats, since: str = "last week") -> str:
    """How the team moved since `since` (▲ better, ▼ worse)."""
    if before.people == 0 or (before.with_output == 0 and before.checked_in == 0):
        return f"Since {since}: no figures for {since} to compare with."
    return (
        f"Since {since}: at target {_delta(now.at_target, before.at_target)} · "
        f"below floor {_delta(now.below_floor, before.below_floor, better_when_higher=False)} · "
        f"check-ins {_delta(now.checked_in, before.checked_in)} · "
        f"mood {_delta(now.mood, before.mood)}"
    )


def rollup(manager_name: str, rows: Sequence[ReportRow]) -> Rollup:
    stats = team_stats([(r.report.role, r.week) for r in rows])
    return Rollup(manager_name, stats, sum(1 for r in rows if r.signal.flagged))


# ---------------------------------------------------------------- managers: read by their team

TEAM_SOURCE = "team"  # a value read from the manager's team, not their own answer
TEAM_FLOOR = 20.0  # % of a team below their quality floor beyond which the team's quality is low


def reads_team(role: Role, manages: bool) -> bool:
    """A person who manages others is read by their team's pair unless their role says
    `read_as = "self"` (roles.toml)."""
    return manages and role.read_as == "team"


def team_role(role: Role) -> Role:
    """The pair a team-read manager is measured by: the team's output against the summed
    target of the reports, and the share of the team below its quality floor."""
    return replace(
        role,
        title=f"{role.title}, read by the team",
        quality=Metric(
            kind="quality",
            name="Team below the floor",
            unit="%",
            higher_is_better=False,
            min=0,
            max=100,
            decimals=True,
            noise=0.10,
            floor=TEAM_FLOOR,
        ),
        output=Metric(
            kind="output",
            name="Team output",
            unit="% of target",
            higher_is_better=True,
            min=0,
            max=MAX_OUTPUT_SHARE,
            decimals=True,
            noise=0.10,
            target=100,
        ),
    )


def team_week(own: Week, reports: Sequence[tuple[Role, Week]]) -> Week:
    """A manager's week read by their team: output as % of the reports' summed target (each
    report's output counted as a share of their own target, so roles with other units add up),
    quality as the % of reports with a quality value who are below their floor. The status,
    mood and blockers stay the manager's own."""
    weighted = [
        (share, r.output.target)
        for r, w in reports
        if w.output is not None
        and r.output.target
        and (share := output_share(r.output, w.output)) is not None
    ]
    qualities = [below_floor(r.quality, w.quality) for r, w in reports if w.quality is not None]
    summed_target = sum(t for _, t in weighted)
    output = round(sum(s * t for s, t in weighted) / summed_target, 1) if weighted else None
    quality = round(100 * sum(qualities) / len(qualities), 1) if qualities else None
    return replace(
        own,
        quality=quality,
        output=output,
        quality_source=TEAM_SOURCE if quality is not None else "",
        output_source=TEAM_SOURCE if output is not None else "",
    )


# ---------------------------------------------------------------- actions


def actions_closed_since(actions: Sequence[ActionInput], since: datetime) -> tuple[int, int]:
    """Of last week's actions (open at some time since `since`, the previous digest,
    including those planned from it), how many are closed now."""
    last_week = [a for a in actions if a.closed_at is None or a.closed_at >= since]
    return sum(1 for a in last_week if a.status == ActionStatus.DONE), len(last_week)


# ---------------------------------------------------------------- the digest


def sort_rows(rows: Sequence[ReportRow]) -> list[ReportRow]:
    return sorted(rows, key=lambda r: (ORDER[r.kind], r.report.name.casefold(), r.report.slack_id))


def build_digest(
    *,
    manager_slack_id: str,
    manager_name: str,
    period: str,
    period_label: str,
    rows: Sequence[ReportRow],
    actions: Sequence[ActionInput],
    since: datetime,
    rollups: Sequence[Rollup] = (),
    recognised: Sequence[str] = (),
    open_until: str = "",
    plans: Sequence[str] = (),
    outcomes: Sequence[str] = (),
    plans_due: int = 0,
    nothing_due: bool = False,
    next_line: str = "",
    two_weeks: bool = False,
) -> Digest:
    """One manager's digest for `period`. `rows` are the direct reports only (individual data);
    `rollups` the teams below them (aggregates); `recognised` the names of direct reports who
    were recognised this week (kudos); `open_until` the answer deadline as people read it
    (Schedule.answer_deadline.label); `plans_due` how many reports' plans have a check-in or
    end before the next digest; `nothing_due`: nobody in the team had a check-in due (their
    off-week), `next_line` when their check-ins come; `two_weeks`: every direct report's
    check-in covers two weeks. Each report's movement is read against their check-in before
    (last week, or the week before their off-week)."""
    ordered = sort_rows(rows)
    this_week = [(r.report.role, r.week) for r in ordered]
    last_week = [(r.report.role, previous_due(r.report.weeks)) for r in ordered]
    open_actions = sorted(
        (a for a in actions if a.status == ActionStatus.OPEN), key=lambda a: (a.due, a.id)
    )
    return Digest(
        manager_slack_id=manager_slack_id,
        manager_name=manager_name,
        period=period,
        period_label=period_label,
        rows=ordered,
        team=team_stats(this_week),
        last_week=team_stats(last_week),
        actions=open_actions,
        actions_last_week=actions_closed_since(actions, since),
        rollups=[] if nothing_due else sorted(rollups, key=lambda r: r.manager_name.casefold()),
        pairs=pair_trails(ordered),
        recognised=sorted(set(recognised), key=str.casefold),
        open_until=open_until,
        plans=list(plans),
        outcomes=list(outcomes),
        plans_due=plans_due,
        nothing_due=nothing_due,
        next_line=next_line,
        two_weeks=two_weeks,
    )


def owner_label(owner_kind: str, owner_name: str | None, owner_slack_id: str) -> str:
    """Who owns an action, as the manager reads it (a name is shown as text, escaped)."""
    if owner_kind == "manager":
        return "you"
    return owner_name or f"Slack user {owner_slack_id}"
