"""Quarterly reviews: the evidence pack, assessment answers, and who may read or write what.

Pure rules: check-ins, kudos and goal progress arrive as plain data; the org chart arrives as a
`manager_of` mapping read from the database (DESIGN.md section 6: never from a payload)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from cadence.domain.periods import week_label
from cadence.domain.quarters import month_of_week
from cadence.domain.roles import Metric, Role, fmt
from cadence.domain.signals import BASELINE_WEEKS, LABELS, SignalKind, below_floor, read_pair
from cadence.domain.status import CheckinStatus
from cadence.domain.weeks import ABSENT, WORDS, WeekState
from cadence.domain.words import plural

RATINGS: dict[int, str] = {
    1: "1 · Well below expectations",
    2: "2 · Below expectations",
    3: "3 · Meets expectations",
    4: "4 · Above expectations",
    5: "5 · Far above expectations",
}
ANSWER_LIMIT = 3000  # plain_text_input max_length; Slack's own limit
WINS_SHOWN = 12
KUDOS_SHOWN = 10

# ------------------------------------------------------------------ evidence


@dataclass(frozen=True, slots=True)
class WeekData:
    """One ISO week of a person's pair: answered (values may come from an import), skipped
    (said so in the DM), away, missing (deadline passed), or open (domain.weeks.WeekState)."""

    period: str
    status: str  # answered | skipped | away | missing | open
    quality: float | None = None
    output: float | None = None
    wins: str = ""
    weeks: int | None = None  # what its check-in covered, as stored (storage Checkin.weeks)


@dataclass(frozen=True, slots=True)
class KudosItem:
    giver: str  # display name
    message: str
    on: date


@dataclass(frozen=True, slots=True)
class PairSummary:
    """How the quarter's measured pair read: the input of calibration's mismatch check."""

    answered: int
    below_floor: int
    at_target: int  # weeks with output at or beyond the role's target
    mean_quality: float | None
    mean_output: float | None

    @property
    def below_floor_share(self) -> float:
        return self.below_floor / self.answered if self.answered else 0.0

    @property
    def at_target_share(self) -> float:
        return self.at_target / self.answered if self.answered else 0.0


@dataclass(frozen=True, slots=True)
class Evidence:
    """Display-ready lines of the evidence pack (user text not yet escaped)."""

    checkins_line: str
    month_lines: list[str]
    signals_line: str
    wins: list[str]
    wins_more: int
    kudos: list[str]
    kudos_more: int
    goals: list[str] = field(default_factory=list)


def meets_target(metric: Metric, value: float) -> bool:
    if metric.target is None:
        return False
    return value >= metric.target if metric.higher_is_better else value <= metric.target


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarise_pair(role: Role, weeks: Sequence[WeekData]) -> PairSummary:
    answered = [w for w in weeks if w.status == CheckinStatus.ANSWERED and w.quality is not None]
    qualities = [w.quality for w in answered if w.quality is not None]
    outputs = [w.output for w in answered if w.output is not None]
    return PairSummary(
        answered=len(answered),
        below_floor=sum(below_floor(role.quality, q) for q in qualities),
        at_target=sum(meets_target(role.output, o) for o in outputs),
        mean_quality=_mean(qualities),
        mean_output=_mean(outputs),
    )


def signals_seen(
    role: Role, weeks: Sequence[WeekData], before: Sequence[WeekData]
) -> Counter[SignalKind]:
    """The signal of each week of the quarter (domain.signals.read_pair against the person's
    own previous BASELINE_WEEKS due weeks, including the ones before the quarter: with
    every-two-weeks check-ins, off-weeks are not counted among them)."""
    series = list(before) + list(weeks)
    seen: Counter[SignalKind] = Counter()
    for i in range(len(before), len(series)):
        week = series[i]
        if week.status in ABSENT or week.status == WeekState.OPEN:
            continue  # an absence is not neglect; an open week is not due yet
        if week.status == CheckinStatus.ANSWERED and week.quality is None and week.output is None:
            continue  # answered with nothing to read (a manager whose team had no numbers)
        previous = [w for w in series[:i] if w.status != WeekState.OFF_WEEK][-BASELINE_WEEKS:]
        signal = read_pair(
            role,
            week.quality if week.status == CheckinStatus.ANSWERED else None,
            week.output if week.status == CheckinStatus.ANSWERED else None,
            [w.quality if w.status == CheckinStatus.ANSWERED else None for w in previous],
            [w.output if w.status == CheckinStatus.ANSWERED else None for w in previous],
        )
        seen[signal.kind] += 1
    return seen


def _month_line(role: Role, month: date, weeks: Sequence[WeekData]) -> str:
    s = summarise_pair(role, weeks)
    head = f"{month:%b}: {s.answered} of {plural(len(weeks), 'week')}"
    if not s.answered:
        return head + " · no values"
    q, o = role.quality, role.output
    floor_note = f"{s.below_floor} week{'s' if s.below_floor != 1 else ''} below"
    return (
        f"{head} · {q.name} {fmt(_round(s.mean_quality))} {q.unit} (floor {fmt(q.floor)}, "
        f"{floor_note}) · {o.name} {fmt(_round(s.mean_output))} {o.unit} "
        f"(target {fmt(o.target)}, met {s.at_target} of {s.answered})"
    )


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def checkins_line(
    due: Sequence[WeekData],
    not_due: Sequence[str],
    off: int = 0,
    label: Callable[[str], str] = week_label,
) -> str:
    """ "Checked in 6 of 8 weeks that were due · 1 skipped, 1 away": answered of the weeks
    whose answer deadline has passed, absences stated apart, then what was missed and which
    weeks are still open (`not_due`: never counted as missed); `off`: off-weeks of an
    every-two-weeks cadence, never due."""
    count = Counter(w.status for w in due)
    n = len(due)
    line = f"Checked in {count[WeekState.ANSWERED]} of {plural(n, 'week')}"
    line += f" that {'were' if n != 1 else 'was'} due"
    absent = [
        f"{count[s]} {WORDS[s]}"
        for s in (WeekState.SKIPPED, WeekState.AWAY, WeekState.HOLIDAY)
        if count[s]
    ]
    if absent:
        line += " · " + ", ".join(absent)
    if count[WeekState.MISSING]:
        line += f" · {count[WeekState.MISSING]} missed"
    if off:
        line += f" · {plural(off, 'off-week')} not due (every-two-weeks check-ins)"
    if not_due:
        line += " · not due yet: " + ", ".join(label(p) for p in not_due)
    return line


def build_evidence(
    role: Role,
    weeks: Sequence[WeekData],
    before: Sequence[WeekData],
    *,
    kudos: Sequence[KudosItem],
    goals: Sequence[str],
    joined: str | None = None,
    label: Callable[[str], str] = week_label,
) -> Evidence:
    """The evidence pack for the quarter's `weeks` so far (oldest first; only the weeks the
    person was in Cadence for; each with its WeekState), with the `before` weeks as the first
    baselines. Only weeks that were due count: an open week (answer deadline not passed, not
    answered) is named apart, never "missed". `joined` names the first week when the person
    joined during the quarter. `label` names what a week's check-in covers (with
    every-two-weeks check-ins, the off-week before it too: services.weeks.label)."""
    due = [w for w in weeks if w.status not in (WeekState.OPEN, WeekState.OFF_WEEK)]
    open_ = [w.period for w in weeks if w.status == WeekState.OPEN]
    line = checkins_line(due, open_, sum(w.status == WeekState.OFF_WEEK for w in weeks), label)
    if joined:
        line += f" · counted from the {week_label(joined)}, when you joined Cadence"
    weeks = due
    by_month: dict[date, list[WeekData]] = {}
    for w in weeks:
        by_month.setdefault(month_of_week(w.period), []).append(w)
    months = [_month_line(role, m, ws) for m, ws in sorted(by_month.items())]
    seen = signals_seen(role, weeks, before)
    order = list(SignalKind)
    signals = " · ".join(
        f"{LABELS[k]} {n}" for k, n in sorted(seen.items(), key=lambda kv: order.index(kv[0]))
    )
    wins = [f"{label(w.period)}: {w.wins.strip()}" for w in reversed(weeks) if w.wins.strip()]
    kudos_lines = [f"{k.on:%d %b} from {k.giver}: {k.message}" for k in kudos[:KUDOS_SHOWN]]
    return Evidence(
        checkins_line=line,
        month_lines=months,
        signals_line=signals or "No weeks to read yet",
        wins=wins[:WINS_SHOWN],
        wins_more=max(0, len(wins) - WINS_SHOWN),
        kudos=kudos_lines,
        kudos_more=max(0, len(kudos) - KUDOS_SHOWN),
        goals=list(goals),
    )


# ------------------------------------------------------------------ answers


@dataclass(frozen=True, slots=True)
class Assessment:
    """A self or manager assessment. Self: achievements, grow, goals. Manager: narrative."""

    ratings: dict[str, int]
    achievements: str = ""
    grow: str = ""
    goals: str = ""
    narrative: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "ratings": dict(self.ratings),
            "achievements": self.achievements,
            "grow": self.grow,
            "goals": self.goals,
            "narrative": self.narrative,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Assessment:
        raw = data.get("ratings")
        ratings = (
            {str(k): int(v) for k, v in raw.items() if isinstance(v, int)}
            if isinstance(raw, dict)
            else {}
        )
        return cls(
            ratings=ratings,
            achievements=str(data.get("achievements") or ""),
            grow=str(data.get("grow") or ""),
            goals=str(data.get("goals") or ""),
            narrative=str(data.get("narrative") or ""),
        )

    @property
    def mean(self) -> float | None:
        return _mean([float(v) for v in self.ratings.values()])


def validate_assessment(
    competencies: Sequence[str],
    ratings: Sequence[str | None],
    texts: Mapping[str, str | None],
    *,
    final: bool,
    rating_block: Sequence[str],
    text_blocks: Mapping[str, str],
    required_texts: Sequence[str],
) -> tuple[Assessment | None, dict[str, str]]:
    """Answers from the modal (`ratings` aligned with `competencies`). A draft keeps whatever
    was filled in; a final answer needs every rating and the `required_texts`. Errors are
    keyed by block id, for `response_action: errors`."""
    errors: dict[str, str] = {}
    parsed: dict[str, int] = {}
    for i, name in enumerate(competencies):
        raw = ratings[i] if i < len(ratings) else None
        value = int(raw) if raw and raw.isdigit() else None
        if value in RATINGS and value is not None:
            parsed[name] = value
        elif final:
            errors[rating_block[i]] = f"Rate {name} from 1 to 5."
    cleaned: dict[str, str] = {}
    for key, block in text_blocks.items():
        text = (texts.get(key) or "").strip()
        if len(text) > ANSWER_LIMIT:
            errors[block] = f"Please keep this under {ANSWER_LIMIT} characters (now {len(text)})."
        elif final and key in required_texts and not text:
            errors[block] = "Write a few words here before submitting (or save a draft)."
        cleaned[key] = text
    if errors:
        return None, errors
    return Assessment(ratings=parsed, **cleaned), {}


# ------------------------------------------------------------------ where a review stands


def review_status_line(
    quarter: str,
    *,
    is_open: bool,
    draft_saved: date | None,
    submitted: date | None,
    released: date | None,
    acknowledged: date | None,
    manager: str | None,
) -> str:
    """One sentence for the employee, from the stored state: acknowledged, released,
    submitted, a draft, open, or nothing due. `manager`: who assesses them (None: nobody, they
    have no manager in Cadence)."""

    def day(d: date) -> str:
        return f"{d.day} {d:%b}"

    who = manager or "your manager"
    if acknowledged and released:
        return (
            f"{quarter}: {who} released your review on {day(released)} and you "
            f"acknowledged it on {day(acknowledged)}."
        )
    if released:
        return f"{quarter}: {who} released your review on {day(released)}; read it below."
    if submitted and manager is None:
        return (
            f"{quarter}: you submitted your self-assessment on {day(submitted)}; you have no "
            "manager in Cadence, so no manager's assessment follows."
        )
    if submitted:
        return (
            f"{quarter}: you submitted your self-assessment on {day(submitted)}; "
            f"{manager}'s assessment is next."
        )
    if is_open and draft_saved:
        return (
            f"{quarter}: your self-assessment is a draft (saved {day(draft_saved)}), seen by "
            "you alone until you submit it."
        )
    if is_open:
        return f"{quarter}: your self-assessment is open; nothing written yet."
    return "No self-assessment due now."


# ------------------------------------------------------------------ who may see what


def manager_chain(person_id: int, manager_of: Mapping[int, int | None]) -> list[int]:
    """The person's managers, nearest first, from the stored org chart (cycle-safe)."""
    chain: list[int] = []
    node = manager_of.get(person_id)
    while node is not None and node not in chain and node != person_id:
        chain.append(node)
        node = manager_of.get(node)
    return chain


def can_read_self_assessment(
    viewer_id: int, subject_id: int, manager_of: Mapping[int, int | None]
) -> bool:
    """The author and their current manager chain. A former manager has no access."""
    return viewer_id == subject_id or viewer_id in manager_chain(subject_id, manager_of)


def can_read_manager_assessment(
    viewer_id: int, subject_id: int, manager_of: Mapping[int, int | None], *, released: bool
) -> bool:
    """The manager chain always; the employee only once it is released."""
    if viewer_id == subject_id:
        return released
    return viewer_id in manager_chain(subject_id, manager_of)


def can_assess(viewer_id: int, subject_id: int, manager_of: Mapping[int, int | None]) -> bool:
    """Only the current direct manager writes the manager assessment: after a manager change
    during the quarter the new manager assesses and the old one's access ends."""
    return manager_of.get(subject_id) == viewer_id and viewer_id != subject_id
