"""Quarterly goals in the SMART-OKR form: an objective and measurable key results, at least
one on quality (performance) and one on output (productivity), paired as the role's metrics are.

Key results on the role's own metrics (`metric` "quality" or "output") read their current value
from the weekly check-ins at read time: the mean of the latest answered weeks of the quarter
(up to 4, the same window as a signal's baseline). A manager read by their team (README
"Managers are read by their team") has no numbers of their own: their key results on the pair
are on the team's pair (`metric` "team-quality" or "team-output", read from the reports'
check-ins as the digest reads them). Other key results carry a value the person updates."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from cadence.domain.quarters import quarter_end, quarter_start
from cadence.domain.roles import Role, fmt
from cadence.domain.signals import BASELINE_WEEKS

KINDS = ("quality", "output", "other")
TEAM = "team-"  # a key result on the team's pair: "team-quality", "team-output"
NOT_READ_BY_TEAM = "no individual numbers: read by your team"
NO_TEAM = "no team numbers: nobody reports to you now"
OBJECTIVE_LIMIT = 300
DESCRIPTION_LIMIT = 200

# The modal's "measure" choice: which kind and whether it is the role's own metric.
MEASURES: dict[str, tuple[str, str]] = {
    "quality:role": ("quality", "quality"),
    "output:role": ("output", "output"),
    "quality:custom": ("quality", ""),
    "output:custom": ("output", ""),
    "other:custom": ("other", ""),
}


@dataclass(frozen=True, slots=True)
class KeyResultInput:
    kind: str  # quality | output | other
    metric: str  # "quality" | "output" (the role's metric), "team-…" (the team's) | "" (described)
    description: str
    baseline: float
    target: float
    due: date


@dataclass(frozen=True, slots=True)
class GoalInput:
    objective: str
    key_results: list[KeyResultInput]
    aligned_to: int | None


@dataclass(frozen=True, slots=True)
class RawKeyResult:
    """One key-result slot of the modal, as strings (None when empty)."""

    measure: str | None
    description: str | None
    baseline: str | None
    target: str | None
    due: str | None

    @property
    def empty(self) -> bool:
        return not any(
            (v or "").strip()
            for v in (self.measure, self.description, self.baseline, self.target, self.due)
        )


def role_metric(metric: str) -> tuple[str, bool]:
    """A key result's `metric` as (the pair's side, "quality" or "output", or "" for a
    described measure; whether it is the team's pair)."""
    team = metric.startswith(TEAM)
    return metric.removeprefix(TEAM), team


def measure_options(role: Role, team: bool = False) -> dict[str, str]:
    """The modal's choices (value → label, each ≤ 75 characters). `team`: the person is read by
    their team, and `role` is the team's pair (domain.digests.team_role)."""
    source = "your team's check-ins" if team else "check-ins"
    return {
        "quality:role": f"Quality · {role.quality.name} (from {source})"[:75],
        "output:role": f"Output · {role.output.name} (from {source})"[:75],
        "quality:custom": "Quality · another measure (describe it)",
        "output:custom": "Output · another measure (describe it)",
        "other:custom": "Other (describe it)",
    }


def _number(raw: str | None) -> float | None:
    text = (raw or "").strip().replace(",", ".").rstrip("%").strip()
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def validate_goal(
    role: Role,
    quarter: str,
    objective: str | None,
    slots: Sequence[RawKeyResult],
    aligned_to: str | None,
    allowed_alignments: set[int],
    blocks: Mapping[str, str],
    slot_blocks: Sequence[Mapping[str, str]],
    team: bool = False,
) -> tuple[GoalInput | None, dict[str, str]]:
    """A goal, or errors naming what is missing, keyed by block id (`blocks["objective"]`,
    `slot_blocks[i]["measure" | "description" | "baseline" | "target" | "due"]`). `team`: the
    person is read by their team, so a key result on the pair is on the team's."""
    errors: dict[str, str] = {}
    first, last = quarter_start(quarter), quarter_end(quarter)
    text = (objective or "").strip()
    if not text:
        errors[blocks["objective"]] = "Write the objective: what you want to achieve this quarter."
    elif len(text) > OBJECTIVE_LIMIT:
        errors[blocks["objective"]] = f"Keep the objective under {OBJECTIVE_LIMIT} characters."
    results: list[KeyResultInput] = []
    for i, slot in enumerate(slots):
        if slot.empty:
            continue
        b = slot_blocks[i]
        measure = MEASURES.get(slot.measure or "")
        if measure is None:
            errors[b["measure"]] = "Choose what this key result measures."
        description = (slot.description or "").strip()
        if measure is not None and not measure[1] and not description:
            errors[b["description"]] = "Describe the measure (e.g. 'audited tickets passing')."
        if len(description) > DESCRIPTION_LIMIT:
            errors[b["description"]] = f"Keep it under {DESCRIPTION_LIMIT} characters."
        baseline, target = _number(slot.baseline), _number(slot.target)
        if baseline is None:
            errors[b["baseline"]] = "Enter the baseline: where this stands today (a number)."
        if target is None:
            errors[b["target"]] = "Enter the target: the number that means done."
        elif baseline is not None and target == baseline:
            errors[b["target"]] = "The target must differ from the baseline."
        due: date | None = None
        try:
            due = date.fromisoformat((slot.due or "").strip())
        except ValueError:
            errors[b["due"]] = f"Pick a due date between {first:%d %b} and {last:%d %b %Y}."
        if due is not None and not first <= due <= last:
            errors[b["due"]] = (
                f"The due date must fall inside {quarter} ({first:%d %b}–{last:%d %b})."
            )
            due = None
        if measure and baseline is not None and target is not None and due is not None:
            if measure[1] or description:
                metric = TEAM + measure[1] if team and measure[1] else measure[1]
                results.append(
                    KeyResultInput(measure[0], metric, description, baseline, target, due)
                )
    kinds = {MEASURES[s.measure][0] for s in slots if not s.empty and s.measure in MEASURES}
    missing = [k for k in ("quality", "output") if k not in kinds]
    if missing and blocks["objective"] not in errors:
        names = {"quality": "a quality (performance)", "output": "an output (productivity)"}
        errors[blocks["objective"]] = (
            "Every goal needs at least one quality and one output key result; this one is "
            f"missing {' and '.join(names[k] for k in missing)} key result."
        )
    aligned: int | None = None
    if aligned_to and aligned_to.isdigit() and int(aligned_to) in allowed_alignments:
        aligned = int(aligned_to)
    elif aligned_to and aligned_to not in {"", "none"}:
        errors[blocks["align"]] = "That team goal is no longer available; choose another."
    if errors:
        return None, errors
    return GoalInput(text, results, aligned), {}


def current_from_checkins(values: Sequence[float | None]) -> float | None:
    """A role-metric key result's current value: the mean of the latest answered weeks of the
    quarter (up to BASELINE_WEEKS). `values` are the quarter's weeks so far, oldest first."""
    answered = [v for v in values if v is not None][-BASELINE_WEEKS:]
    return sum(answered) / len(answered) if answered else None


def progress(baseline: float, target: float, current: float | None) -> float | None:
    """Share of the way from baseline to target (0..1, clamped); works for targets below the
    baseline too (a metric where lower is better)."""
    if current is None or target == baseline:
        return None
    return min(1.0, max(0.0, (current - baseline) / (target - baseline)))


def progress_bar(share: float | None, width: int = 10) -> str:
    if share is None:
        return "·" * width
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled)


def key_result_line(
    description: str,
    unit: str,
    baseline: float,
    target: float,
    current: float | None,
    due: date,
    missing: str = "no value yet",
) -> str:
    """`missing`: what stands for the current value when there is none."""
    share = progress(baseline, target, current)
    pct = "–" if share is None else f"{round(share * 100)} %"
    now = missing if current is None else f"now {fmt(round(current, 1))}"
    unit_part = f" {unit}" if unit else ""
    return (
        f"{progress_bar(share)} {pct} · {description}: {fmt(baseline)} → {fmt(target)}{unit_part}"
        f" ({now}; due {due:%d %b})"
    )


@dataclass(frozen=True, slots=True)
class GoalForm:
    """The goal modal as typed in (strings, None when empty): objective, the team goal it
    aligns to, and one RawKeyResult per slot."""

    objective: str | None
    align: str | None
    key_results: list[RawKeyResult]
