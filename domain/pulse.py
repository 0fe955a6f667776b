"""Organisation pulse: HR's system lens on teams and on the whole organisation (issue: HR's
system lens). Someone can perform well in a broken system; these figures read the system.

Per group of people over the lens window: check-in participation (answered of due, skipped and
away apart: an absence is not neglect), mood, share of answers below their quality floor,
output against target, signals by kind, and how actions close. A team's pair is read like a
person's (DESIGN.md section 5) but as a system question: output rising while quality falls
across a team is strain; quality high while output stalls is a stall. A group smaller than the
anonymity minimum shows no figures.

Action outcomes: for each closed action, the report's pair in the OUTCOME_WEEKS weeks after
the signal's week against the OUTCOME_WEEKS weeks up to it: did it help?

Pure: data in, figures and sentences out. No SQL, no clock, no Slack.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from cadence.domain.digests import Week, output_share, week_signal
from cadence.domain.roles import Metric, Role, fmt
from cadence.domain.rounds import MIN_RESPONSES
from cadence.domain.signals import FLAGGED, LABELS, SignalKind, below_floor, read_metric
from cadence.domain.status import CheckinStatus
from cadence.domain.words import plural

HISTORY = 4  # weeks before the window that the first week's baseline reads
OUTCOME_WEEKS = 4
OUTPUT_BAND = 0.05  # a team's output (% of target) moves when it changes by more than 5 %
QUALITY_BAND = 0.02  # a team's quality index (value / floor) moves beyond 2 %
SPAN = 4  # weeks: the team reading compares the last SPAN weeks with the SPAN before

TeamReading = Literal["strain", "stall", ""]
QUESTIONS: dict[str, str] = {
    "strain": (
        "Output is rising while quality falls across the team: is the process strained, is "
        "the team understaffed, do incentives reward volume over quality?"
    ),
    "stall": (
        "Quality is high while output stalls: what in the workflow, the approvals or the "
        "team's capacity holds the work back?"
    ),
}


@dataclass(frozen=True, slots=True)
class PersonSeries:
    person_id: int
    role: Role
    weeks: Sequence[Week]  # HISTORY weeks then the window, oldest first


@dataclass(frozen=True, slots=True)
class ActionFact:
    report_id: int
    signal: SignalKind
    period: str  # the week the signal was read for
    created_at: datetime
    closed_at: datetime | None


@dataclass(frozen=True, slots=True)
class TeamPulse:
    label: str
    people: int
    shown: bool  # False below the anonymity minimum: no figures at all
    answered: int = 0
    due: int = 0
    skipped: int = 0
    away: int = 0
    holiday: int = 0
    off_week: int = 0
    mood: float | None = None
    below_floor_pct: float | None = None
    output_pct: float | None = None
    signals: dict[str, int] = field(default_factory=dict)
    actions: int = 0
    closed: int = 0
    median_days: float | None = None
    reading: TeamReading = ""
    # HR's picture: [output % of target, quality % against the floor] per SPAN weeks of the
    # window, oldest first (team_trail); empty for a group that shows no figures.
    trail: list[list[float] | None] = field(default_factory=list)

    @property
    def participation(self) -> int | None:
        """Check-ins answered of those due, in % (None when none was due)."""
        return round(100 * self.answered / self.due) if self.due else None

    @property
    def question(self) -> str:
        return QUESTIONS.get(self.reading, "")

    @property
    def line(self) -> str:
        """One sentence of figures, as HR reads them."""
        if not self.shown:
            return (
                f"{self.label}: fewer than {MIN_RESPONSES} people, no figures "
                "(they count in the whole organisation)."
            )
        parts = [f"check-ins {self.answered} of {self.due} due"]
        if self.participation is not None:
            parts[0] += f" ({self.participation} %)"
        absent = [f"{self.skipped} skipped", f"{self.away} away"]
        if self.holiday:
            absent.append(f"{plural(self.holiday, 'public holiday week')}")
        if self.off_week:
            absent.append(f"{plural(self.off_week, 'off-week')} (not due)")
        parts.append(", ".join(absent[:-1]) + " and " + absent[-1] + " apart")
        if self.mood is not None:
            parts.append(f"mood {fmt(self.mood)}/5")
        if self.below_floor_pct is not None:
            parts.append(f"{fmt(self.below_floor_pct)} % of answers below their quality floor")
        if self.output_pct is not None:
            parts.append(f"output {fmt(self.output_pct)} % of target")
        if self.signals:
            parts.append(
                "signals "
                + ", ".join(
                    f"{n} {LABELS[SignalKind(k)].lower()}" for k, n in sorted(self.signals.items())
                )
            )
        if self.actions:
            closing = f"actions {self.closed} of {self.actions} closed"
            if self.median_days is not None:
                closing += f", median {fmt(self.median_days)} days to close"
            parts.append(closing)
        return f"{self.label} ({plural(self.people, 'person')}): " + " · ".join(parts)


def _quality_index(metric: Metric, value: float | None) -> float | None:
    """Quality against the floor as a ratio where above 1 is better (output against its
    target is domain.digests.output_share, in %)."""
    floor = metric.floor
    if value is None or floor is None or floor == 0:
        return None
    if metric.higher_is_better:
        return value / floor
    return floor / value if value > 0 else None


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _trend(now: float | None, before: float | None, band: float) -> str:
    if now is None or before is None:
        return ""
    if now > before * (1 + band):
        return "up"
    if now < before * (1 - band):
        return "down"
    return "flat"


def team_spans(
    members: Sequence[PersonSeries], window: int, spans: int
) -> list[tuple[float | None, float | None]]:
    """The team's mean output as % of target (domain.digests.output_share, each answer against
    its role's target) and mean quality index (each answer against its role's floor, above 1
    better) over each of the last `spans` SPAN-week spans of the window, oldest first (None:
    no value in that span)."""
    out = []
    for k in range(spans, 0, -1):
        start, end = -k * SPAN, -(k - 1) * SPAN or None
        outputs: list[float] = []
        qualities: list[float] = []
        for m in members:
            for w in list(m.weeks[-window:])[start:end]:
                o = output_share(m.role.output, w.output)
                q = _quality_index(m.role.quality, w.quality)
                if o is not None:
                    outputs.append(o)
                if q is not None:
                    qualities.append(q)
        out.append((_mean(outputs), _mean(qualities)))
    return out


def team_reading(members: Sequence[PersonSeries], window: int) -> TeamReading:
    """The team's pair over the last 4 weeks of the window against the 4 before."""
    return _reading(team_spans(members, window, 2))


def _reading(spans: Sequence[tuple[float | None, float | None]]) -> TeamReading:
    (o_before, q_before), (o_now, q_now) = spans[-2:]
    o_trend = _trend(o_now, o_before, OUTPUT_BAND)
    q_trend = _trend(q_now, q_before, QUALITY_BAND)
    if o_trend == "up" and q_trend == "down":
        return "strain"
    if (
        q_now is not None
        and o_now is not None
        and q_now >= 1
        and q_trend in {"up", "flat"}
        and o_trend in {"down", "flat"}
        and o_now < 100 * (1 - OUTPUT_BAND)
    ):
        return "stall"
    return ""


def team_trail(spans: Sequence[tuple[float | None, float | None]]) -> list[list[float] | None]:
    """The team on HR's picture, one point per span (team_spans), oldest first: output as % of
    target and quality in % above (+) or below (−) the floor, as the team reading reads them
    (None: no pair in that span)."""
    return [
        None if o is None or q is None else [round(o, 1), round(100 * (q - 1), 1)] for o, q in spans
    ]


@dataclass
class PersonFigures:
    """One person's contribution to a group's figures over the window (summed per group)."""

    states: Counter[str] = field(default_factory=Counter)
    mood_sum: float = 0
    moods: int = 0
    qualities: int = 0
    below: int = 0
    output_sum: float = 0
    outputs: int = 0
    signals: Counter[str] = field(default_factory=Counter)


def person_figures(m: PersonSeries, window: int) -> PersonFigures:
    f = PersonFigures()
    weeks = list(m.weeks)
    for i in range(max(len(weeks) - window, 0), len(weeks)):
        w = weeks[i]
        f.states[w.status] += 1
        if w.status != CheckinStatus.ANSWERED:
            continue  # missing weeks count in participation, absences apart
        if w.mood is not None:
            f.mood_sum += w.mood
            f.moods += 1
        if w.quality is not None:
            f.qualities += 1
            f.below += below_floor(m.role.quality, w.quality)
        o = output_share(m.role.output, w.output)
        if o is not None:
            f.output_sum += o
            f.outputs += 1
        kind = week_signal(m.role, weeks[max(0, i - HISTORY) : i + 1]).kind
        if kind in FLAGGED:
            f.signals[kind] += 1
    return f


def pulse(
    label: str,
    members: Sequence[PersonSeries],
    window: int,
    actions: Sequence[ActionFact] = (),
    figures: Mapping[int, PersonFigures] | None = None,
) -> TeamPulse:
    """The figures of one group over the last `window` weeks of its members' series
    (`figures`: each member's, when already computed for another group)."""
    if len(members) < MIN_RESPONSES:
        return TeamPulse(label=label, people=len(members), shown=False)
    total = PersonFigures()
    for m in members:
        f = figures[m.person_id] if figures is not None else person_figures(m, window)
        total.states.update(f.states)
        total.signals.update(f.signals)
        total.mood_sum += f.mood_sum
        total.moods += f.moods
        total.qualities += f.qualities
        total.below += f.below
        total.output_sum += f.output_sum
        total.outputs += f.outputs
    closed = [a for a in actions if a.closed_at is not None]
    days = [(a.closed_at - a.created_at).total_seconds() / 86400 for a in closed if a.closed_at]
    answered = total.states[CheckinStatus.ANSWERED]
    spans = team_spans(members, window, max(2, window // SPAN))
    return TeamPulse(
        label=label,
        people=len(members),
        shown=True,
        answered=answered,
        due=answered + total.states["missing"],
        skipped=total.states["skipped"],
        away=total.states["away"],
        holiday=total.states["holiday"],
        off_week=total.states["off-week"],
        mood=round(total.mood_sum / total.moods, 1) if total.moods else None,
        below_floor_pct=round(100 * total.below / total.qualities, 1) if total.qualities else None,
        output_pct=round(total.output_sum / total.outputs) if total.outputs else None,
        signals={k: n for k, n in total.signals.items() if n},
        actions=len(actions),
        closed=len(closed),
        median_days=round(statistics.median(days), 1) if days else None,
        reading=_reading(spans),
        trail=team_trail(spans),
    )


# ---------------------------------------------------------------- did the action help?

Outcome = Literal["helped", "not_helped", "too_early"]
WHAT_RECOVERS: dict[SignalKind, str] = {
    SignalKind.QUALITY_BELOW_FLOOR: "quality recovered",
    SignalKind.STRAIN: "quality recovered",
    SignalKind.STALL: "output recovered",
    SignalKind.SUPPORT: "the pair held and mood did not fall",
    SignalKind.MISSING: "check-ins resumed",
}


def action_outcome(
    role: Role, weeks: Sequence[Week], periods: Sequence[str], action: ActionFact
) -> Outcome:
    """The report's pair in the OUTCOME_WEEKS after the signal's week against the
    OUTCOME_WEEKS up to it. `weeks` and `periods` are aligned, oldest first."""
    if action.period not in periods:
        return "too_early"
    pivot = periods.index(action.period)
    before = list(weeks[max(0, pivot - OUTCOME_WEEKS + 1) : pivot + 1])
    after = list(weeks[pivot + 1 : pivot + 1 + OUTCOME_WEEKS])
    if len(after) < OUTCOME_WEEKS:
        return "too_early"
    answered = [w for w in after if w.status == CheckinStatus.ANSWERED]
    if action.signal == SignalKind.MISSING:
        return "helped" if answered else "not_helped"
    q_after = [w.quality for w in after if w.quality is not None]
    o_after = [w.output for w in after if w.output is not None]
    if len(q_after) < 2 or len(o_after) < 2:
        return "too_early"
    q = read_metric(role.quality, statistics.fmean(q_after), [w.quality for w in before])
    o = read_metric(role.output, statistics.fmean(o_after), [w.output for w in before])
    if action.signal in {SignalKind.QUALITY_BELOW_FLOOR, SignalKind.STRAIN}:
        recovered = q.trend == "up" or (
            action.signal == SignalKind.QUALITY_BELOW_FLOOR
            and not below_floor(role.quality, statistics.fmean(q_after))
        )
        return "helped" if recovered else "not_helped"
    if action.signal == SignalKind.STALL:
        return "helped" if o.trend == "up" else "not_helped"
    moods_before = [w.mood for w in before if w.mood is not None]
    moods_after = [w.mood for w in after if w.mood is not None]
    mood_fell = bool(moods_before and moods_after) and statistics.fmean(
        moods_after
    ) < statistics.fmean(moods_before)
    held = q.trend != "down" and o.trend != "down" and not mood_fell
    return "helped" if held else "not_helped"


def outcome_sentence(kind: SignalKind, outcome: Outcome) -> str:
    """How one closed action turned out, as the manager reads it in the digest."""
    if outcome == "too_early":
        return "too few answered weeks since to tell"
    what = WHAT_RECOVERS.get(kind, "the pair held")
    return f"yes, {what}" if outcome == "helped" else f"not yet: it is not true that {what}"


@dataclass(frozen=True, slots=True)
class OutcomeLine:
    signal: str
    closed: int
    helped: int
    judged: int

    @property
    def line(self) -> str:
        kind = SignalKind(self.signal)
        head = f"Actions on {LABELS[kind].lower()} closed: "
        if not self.judged:
            return head + f"{self.closed}, too early to tell (it takes {OUTCOME_WEEKS} weeks)."
        text = f"{WHAT_RECOVERS[kind]} in {self.helped} of {self.judged}"
        early = self.closed - self.judged
        if early:
            text += f" ({early} too early to tell)"
        return head + text + "."


def outcome_lines(outcomes: Sequence[tuple[SignalKind, Outcome]]) -> list[OutcomeLine]:
    by_kind: dict[SignalKind, Counter[str]] = {}
    for kind, outcome in outcomes:
        by_kind.setdefault(kind, Counter())[outcome] += 1
    return [
        OutcomeLine(
            signal=str(kind),
            closed=sum(c.values()),
            helped=c["helped"],
            judged=c["helped"] + c["not_helped"],
        )
        for kind, c in sorted(by_kind.items(), key=lambda item: str(item[0]))
    ]
