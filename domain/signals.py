"""Reading one report's paired metrics for one week (DESIGN.md section 5).

Pure functions: values in, a Signal out. The baseline is the mean of the previous 4 answered
weeks (fewer than 2 → not enough history). A change counts only beyond the metric's noise
band: `noise` (default 10 %) of the baseline, and never less than `noise` of 1 % of the
metric's range, so a zero baseline does not turn every wobble into a signal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from cadence.domain.roles import Metric, Role

BASELINE_WEEKS = 4
MIN_HISTORY = 2

Trend = Literal["up", "down", "flat"]  # "up" means better, whatever the metric's direction


class SignalKind(StrEnum):
    QUALITY_BELOW_FLOOR = "quality_below_floor"
    STRAIN = "strain"
    STALL = "stall"
    SUPPORT = "support"
    HEALTHY = "healthy"
    MISSING = "missing"
    NOT_ENOUGH_HISTORY = "not_enough_history"
    # No signal: an absence is not neglect, and a week before its deadline is not missed.
    SKIPPED = "skipped"
    AWAY = "away"
    HOLIDAY = "holiday"
    OFF_WEEK = "off-week"  # every-two-weeks check-ins: a week that is not due
    NOT_YET = "not_yet"
    # Checked in, with no numbers of their own to read: a manager read by their team's pair
    # when none of the team had numbers that week (all in their off-week, skipped or away).
    NOTHING_TO_READ = "nothing_to_read"


LABELS: dict[SignalKind, str] = {
    SignalKind.QUALITY_BELOW_FLOOR: "Quality below floor",
    SignalKind.STRAIN: "Strain",
    SignalKind.STALL: "Stall",
    SignalKind.SUPPORT: "Support",
    SignalKind.HEALTHY: "Healthy",
    SignalKind.MISSING: "Missing",
    SignalKind.NOT_ENOUGH_HISTORY: "Not enough history",
    SignalKind.SKIPPED: "Skipped",
    SignalKind.AWAY: "Away",
    SignalKind.HOLIDAY: "Public holiday",
    SignalKind.OFF_WEEK: "Off-week (not due)",
    SignalKind.NOT_YET: "Not checked in yet",
    SignalKind.NOTHING_TO_READ: "Checked in, no numbers to read",
}

ACTIONS: dict[SignalKind, str] = {
    SignalKind.QUALITY_BELOW_FLOOR: "Quality audit before any output push",
    SignalKind.STRAIN: "Check process strain, staffing, incentives",
    SignalKind.STALL: "Check workflow, approvals, capacity",
    SignalKind.SUPPORT: "Ask about blockers and workload",
    SignalKind.HEALTHY: "Recognise the work",
    SignalKind.MISSING: "Nudge, or ask in the 1:1",
    SignalKind.NOT_ENOUGH_HISTORY: "Keep checking in: a baseline needs 2 answered weeks",
    SignalKind.SKIPPED: "Nothing: an absence is not neglect",
    SignalKind.AWAY: "Nothing: an absence is not neglect",
    SignalKind.HOLIDAY: "Nothing: an absence is not neglect",
    SignalKind.OFF_WEEK: "Nothing: check-ins are every two weeks",
    SignalKind.NOT_YET: "Nothing yet: the check-in is still open",
    SignalKind.NOTHING_TO_READ: "Nothing: their team had no numbers this week",
}
MOOD_ACTION = "Ask how they are"
LOW_MOOD = 2  # a mood of 2/5 or below, two weeks running, raises Support
MOOD_DROP = 2  # so does a drop of 2 points from the week before

# Signals that ask the manager to act (and offer "Plan action").
FLAGGED = frozenset(
    {SignalKind.QUALITY_BELOW_FLOOR, SignalKind.STRAIN, SignalKind.STALL, SignalKind.SUPPORT}
)


@dataclass(frozen=True, slots=True)
class MetricReading:
    value: float | None
    baseline: float | None
    change: float | None  # value - baseline, in the metric's unit
    change_pct: float | None  # relative to the baseline; None when the baseline is 0
    trend: Trend | None  # None without a value or a baseline


@dataclass(frozen=True, slots=True)
class Signal:
    kind: SignalKind
    quality: MetricReading
    output: MetricReading
    mood: str = ""  # why mood raised Support ("mood 2/5 two weeks running"), or ""

    @property
    def label(self) -> str:
        return LABELS[self.kind]

    @property
    def action(self) -> str:
        return MOOD_ACTION if self.mood else ACTIONS[self.kind]

    @property
    def flagged(self) -> bool:
        return self.kind in FLAGGED


def baseline(previous: Sequence[float | None]) -> float | None:
    """Mean of the last BASELINE_WEEKS answered values in `previous` (oldest first); None
    when fewer than MIN_HISTORY of them exist."""
    answered = [v for v in previous if v is not None][-BASELINE_WEEKS:]
    if len(answered) < MIN_HISTORY:
        return None
    return sum(answered) / len(answered)


def below_floor(metric: Metric, value: float) -> bool:
    """Quality worse than the floor (a value exactly on the floor is acceptable)."""
    if metric.floor is None:
        return False
    return value < metric.floor if metric.higher_is_better else value > metric.floor


def noise_band(metric: Metric, base: float) -> float:
    minimum = metric.noise * 0.01 * (metric.max - metric.min)
    return max(metric.noise * abs(base), minimum)


def read_metric(
    metric: Metric, value: float | None, previous: Sequence[float | None]
) -> MetricReading:
    base = baseline(previous)
    if value is None or base is None:
        return MetricReading(value, base, None, None, None)
    change = value - base
    pct = change / abs(base) if base else None
    if abs(change) <= noise_band(metric, base):
        trend: Trend = "flat"
    else:
        better = change > 0 if metric.higher_is_better else change < 0
        trend = "up" if better else "down"
    return MetricReading(value, base, change, pct, trend)


def mood_concern(
    mood: int | None, previous: Sequence[int | None], running: str = "two weeks running"
) -> str:
    """Why a mood asks for support, or "": 2/5 or below this week and the week before, or
    down MOOD_DROP points from the week before. `previous` is the weeks before, oldest first
    (None for a week without an answer; off-weeks of every-two-weeks check-ins left out, so
    the check-in before counts, and `running` says "two check-ins running")."""
    before = previous[-1] if previous else None
    if mood is None or before is None:
        return ""
    if mood <= LOW_MOOD and before <= LOW_MOOD:
        return f"mood {mood}/5 {running}"
    if before - mood >= MOOD_DROP:
        return f"mood down from {before}/5 to {mood}/5"
    return ""


# Readings that a low mood turns into Support (the others already ask the manager to act).
MOOD_OVERRIDES = frozenset({SignalKind.HEALTHY, SignalKind.NOT_ENOUGH_HISTORY, SignalKind.STALL})


def read_pair(
    role: Role,
    quality: float | None,
    output: float | None,
    previous_quality: Sequence[float | None],
    previous_output: Sequence[float | None],
    mood: int | None = None,
    previous_moods: Sequence[int | None] = (),
    running: str = "two weeks running",
) -> Signal:
    """The signal for one report and week. `previous_*` are the weeks before it, oldest first
    (None for a week without an answer); `quality`/`output` None means no check-in."""
    signal = _read_pair(role, quality, output, previous_quality, previous_output)
    concern = mood_concern(mood, previous_moods, running)
    if concern and signal.kind in MOOD_OVERRIDES:
        return Signal(SignalKind.SUPPORT, signal.quality, signal.output, concern)
    return signal


def _read_pair(
    role: Role,
    quality: float | None,
    output: float | None,
    previous_quality: Sequence[float | None],
    previous_output: Sequence[float | None],
) -> Signal:
    q = read_metric(role.quality, quality, previous_quality)
    o = read_metric(role.output, output, previous_output)
    if quality is None or output is None:
        return Signal(SignalKind.MISSING, q, o)
    if below_floor(role.quality, quality):
        return Signal(SignalKind.QUALITY_BELOW_FLOOR, q, o)
    if q.trend is None or o.trend is None:
        return Signal(SignalKind.NOT_ENOUGH_HISTORY, q, o)
    if o.trend == "up" and q.trend == "down":
        kind = SignalKind.STRAIN
    elif q.trend == "up" and o.trend in {"down", "flat"}:
        kind = SignalKind.STALL
    elif q.trend == "down" or o.trend == "down":
        # Both down, or one down with the other flat: ask before reading more into it.
        kind = SignalKind.SUPPORT
    else:
        kind = SignalKind.HEALTHY  # both up, up/flat, or steady above the floor
    return Signal(kind, q, o)


def _arrow(r: MetricReading) -> str:
    """▲/▼ by the direction the value moved (not by better/worse), "steady" within the noise."""
    if r.trend in {None, "flat"} or r.change is None:
        return "steady"
    return "▲" if r.change > 0 else "▼"


def pair_words(signal: Signal, role: Role) -> str:
    """The pair read as a pair, in words: "output ▲ while quality ▼" (strain)."""
    q, o = _arrow(signal.quality), _arrow(signal.output)
    kind = signal.kind
    if signal.mood:
        return signal.mood
    if kind == SignalKind.QUALITY_BELOW_FLOOR:
        unit = role.quality.unit
        value, floor = fmt_number(signal.quality.value), fmt_number(role.quality.floor)
        if not role.quality.higher_is_better:  # e.g. a team's share below its floor
            return f"{role.quality.name.lower()} {value} {unit}, over the {floor} {unit} limit"
        return f"quality {value} {unit} below the {floor} {unit} floor"
    if kind == SignalKind.STRAIN:
        return f"output {o} while quality {q}"
    if kind == SignalKind.STALL:
        return f"quality {q} while output {o}"
    if kind == SignalKind.SUPPORT:
        if q != "steady" and o != "steady":
            return f"output {o} and quality {q}"
        return f"quality {q}, output steady" if q != "steady" else f"output {o}, quality steady"
    if kind == SignalKind.HEALTHY:
        return f"output {o}, quality {q}"
    return ""


def fmt_number(value: float | None, decimals: bool = True) -> str:
    """A number as people say it: whole above 10 (89 %, 48 tickets), one decimal below."""
    if value is None:
        return "–"
    digits = 0 if not decimals or abs(value) >= 10 else 1
    text = f"{round(value, digits):.{digits}f}"
    return text[:-2] if text.endswith(".0") else text
