"""Weekly check-in rules: validating answers, who is away, how a metric history reads."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from cadence.domain.roles import Metric, Role
from cadence.domain.signals import noise_band

MOODS: dict[int, str] = {
    1: "1 · Rough",
    2: "2 · Hard going",
    3: "3 · Okay",
    4: "4 · Good",
    5: "5 · Great",
}
TEXT_LIMIT = 2000  # per free-text answer; keeps every rendered section under Slack's 3000


@dataclass(frozen=True, slots=True)
class CheckinAnswers:
    quality: float | None  # None for a manager read by their team's pair (not asked)
    output: float | None
    mood: int
    wins: str
    blockers: str
    priorities: str


@dataclass(frozen=True, slots=True)
class RawAnswers:
    """What the modal sent, as strings (None when a field was left empty)."""

    quality: str | None
    output: str | None
    mood: str | None
    wins: str | None
    blockers: str | None
    priorities: str | None


def _number(raw: str | None, metric: Metric, span: str) -> tuple[float | None, str | None]:
    if raw is None or not raw.strip():
        return None, f"Enter your {metric.name} {span} ({metric.range_hint()})."
    text = raw.strip().replace(",", ".").rstrip("%").strip()
    try:
        value = float(text)
    except ValueError:
        return None, f"{metric.name} must be a number ({metric.range_hint()})."
    if not math.isfinite(value):
        return None, f"{metric.name} must be a number ({metric.range_hint()})."
    problem = metric.check(value)
    return (None, problem) if problem else (value, None)


def _text(raw: str | None) -> tuple[str, str | None]:
    text = (raw or "").strip()
    if len(text) > TEXT_LIMIT:
        return text, f"Please keep this under {TEXT_LIMIT} characters (now {len(text)})."
    return text, None


def validate_answers(
    role: Role,
    raw: RawAnswers,
    block_ids: dict[str, str],
    *,
    numbers: bool = True,
    two_weeks: bool = False,
) -> tuple[CheckinAnswers | None, dict[str, str]]:
    """Answers, or field errors keyed by the modal's block_id (for `response_action: errors`).

    `block_ids` maps the field names (quality, output, mood, wins, blockers, priorities) to the
    block ids the modal uses. Without `numbers` (a manager read by their team's pair) the
    modal asks for none, and none are stored. `two_weeks`: the check-in covers two weeks
    (numbers stay per week, as the role's target is)."""
    errors: dict[str, str] = {}
    quality = output = None
    span = "for these two weeks" if two_weeks else "for this week"
    went = "Pick how the two weeks went (1–5)." if two_weeks else "Pick how the week went (1–5)."
    if numbers:
        quality, err = _number(raw.quality, role.quality, span)
        if err:
            errors[block_ids["quality"]] = err
        output, err = _number(raw.output, role.output, span)
        if err:
            errors[block_ids["output"]] = err
    mood: int | None = None
    if raw.mood is None or not raw.mood.strip():
        errors[block_ids["mood"]] = went
    else:
        try:
            mood = int(raw.mood)
        except ValueError:
            mood = None
        if mood not in MOODS:
            errors[block_ids["mood"]] = went
            mood = None
    texts: dict[str, str] = {}
    for field in ("wins", "blockers", "priorities"):
        texts[field], err = _text(getattr(raw, field))
        if err:
            errors[block_ids[field]] = err
    if errors or mood is None or (numbers and (quality is None or output is None)):
        return None, errors
    return (
        CheckinAnswers(
            quality=quality,
            output=output,
            mood=mood,
            wins=texts["wins"],
            blockers=texts["blockers"],
            priorities=texts["priorities"],
        ),
        {},
    )


_AWAY_WORDS = re.compile(
    r"\b(vacation|vacay|holidays?|ooo|out of (the )?office|pto|on leave|annual leave|"
    r"parental leave|sabbatical)\b",
    re.IGNORECASE,
)
_AWAY_EMOJI = frozenset({":palm_tree:", ":desert_island:", ":beach_with_umbrella:"})


def is_away(status_text: str, status_emoji: str, status_expiration: int, now_ts: float) -> bool:
    """Whether a Slack status says the person is away (vacation, OOO, :palm_tree: ...)."""
    if status_expiration and status_expiration <= now_ts:
        return False  # the status has expired; Slack may not have cleared it yet
    return status_emoji in _AWAY_EMOJI or bool(_AWAY_WORDS.search(status_text or ""))


_BARS = "▁▂▃▄▅▆▇█"


def sparkline(
    values: list[float | None], low: float | None = None, high: float | None = None
) -> str:
    """A one-line chart of `values` (oldest first); a missing week shows as '·'."""
    present = [v for v in values if v is not None]
    if not present:
        return "·" * len(values)
    lo = min(present) if low is None else low
    hi = max(present) if high is None else high
    span = hi - lo
    out = []
    for v in values:
        if v is None:
            out.append("·")
        elif span <= 0:
            out.append(_BARS[len(_BARS) // 2])
        else:
            idx = round((min(max(v, lo), hi) - lo) / span * (len(_BARS) - 1))
            out.append(_BARS[idx])
    return "".join(out)


def metric_sparkline(values: list[float | None], metric: Metric) -> str:
    """A sparkline on a scale a person reads right: quality spans its floor and the person's
    own range (93 → 82 with a floor of 85 falls from the top bar to the bottom one); any metric
    spans at least twice its noise band around the values, so a wobble inside the noise (±2
    tickets on 48) stays a wobble, not a cliff."""
    present = [v for v in values if v is not None]
    if not present:
        return "·" * len(values)
    lo, hi = min(present), max(present)
    if metric.kind == "quality" and metric.floor is not None:
        lo, hi = min(lo, metric.floor), max(hi, metric.floor)
    least = 2 * noise_band(metric, sum(present) / len(present))
    if hi - lo < least:
        middle = (hi + lo) / 2
        lo, hi = middle - least / 2, middle + least / 2
    return sparkline(values, lo, hi)
