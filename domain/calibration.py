"""Calibration for HR: each manager's rating distribution beside the organisation's, managers
far more lenient or severe than the rest, and ratings that disagree with the measured pair.
Everything here is a flag for a conversation; nothing changes a rating."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from cadence.domain.digests import TEAM_FLOOR
from cadence.domain.reviews import PairSummary
from cadence.domain.roles import fmt
from cadence.domain.words import plural

GAP = 0.75  # a manager's mean this far from everyone else's is flagged
MIN_RATINGS = 8  # ... when both sides have at least this many competency ratings
MIN_WEEKS = 4  # a measured pair needs this many answered weeks to disagree with a rating
TOP, LOW = 4.5, 2.0  # mean rating at or above / at or below
MOST = 0.5  # "most of the quarter": more than half the answered weeks
STRONG = 0.75  # output at target in at least this share of weeks, quality never below floor


@dataclass(frozen=True, slots=True)
class RatedReview:
    person: str  # display name
    manager_key: int
    manager: str
    ratings: Sequence[int]  # the released manager assessment's competency ratings
    pair: PairSummary  # the pair they are measured by: their team's for a team-read manager
    by_team: bool = False

    @property
    def mean(self) -> float:
        return sum(self.ratings) / len(self.ratings) if self.ratings else 0.0


@dataclass(frozen=True, slots=True)
class Distribution:
    counts: dict[int, int]
    n: int
    mean: float | None

    @classmethod
    def of(cls, ratings: Sequence[int]) -> Distribution:
        c = Counter(ratings)
        return cls(
            {r: c.get(r, 0) for r in range(1, 6)},
            len(ratings),
            sum(ratings) / len(ratings) if ratings else None,
        )

    def line(self) -> str:
        """'1 0% · 2 10% · 3 50% · 4 30% · 5 10% (n 20, mean 3.4)'."""
        if not self.n:
            return "no ratings"
        parts = " · ".join(f"{r}: {round(100 * self.counts[r] / self.n)}%" for r in range(1, 6))
        return f"{parts} (n {self.n}, mean {self.mean:.2f})"


@dataclass(frozen=True, slots=True)
class ManagerRow:
    manager: str
    people: int
    distribution: Distribution
    flag: str | None  # "more lenient" | "more severe" | None

    @property
    def text(self) -> str:
        warn = f" · ⚠️ {self.flag} than the rest of the organisation" if self.flag else ""
        return f"{self.manager} ({plural(self.people, 'person')}): {self.distribution.line()}{warn}"


@dataclass(frozen=True, slots=True)
class Mismatch:
    person: str
    manager: str
    mean: float
    reason: str


@dataclass(frozen=True, slots=True)
class Calibration:
    organisation: Distribution
    managers: list[ManagerRow]
    mismatches: list[Mismatch]


def mismatch(review: RatedReview) -> str | None:
    """Why a rating disagrees with the measured pair, or None."""
    pair = review.pair
    if pair.answered < MIN_WEEKS or not review.ratings:
        return None
    team = review.by_team
    if review.mean >= TOP and pair.below_floor_share > MOST:
        low = (
            f"more than {fmt(TEAM_FLOOR)} % of their team sat below the quality floor"
            if team
            else "quality sat below the floor"
        )
        return (
            f"top rating ({review.mean:.1f}) while {low} in "
            f"{pair.below_floor} of {pair.answered} answered weeks"
        )
    if review.mean <= LOW and pair.below_floor == 0 and pair.at_target_share >= STRONG:
        held = (
            f"no more than {fmt(TEAM_FLOOR)} % of their team was below the quality floor in any "
            "week and the team's output met its summed target"
            if team
            else "quality stayed at or above the floor every week and output met target"
        )
        return (
            f"low rating ({review.mean:.1f}) while {held} in {pair.at_target} of "
            f"{plural(pair.answered, 'week')}"
        )
    return None


def calibrate(reviews: Sequence[RatedReview]) -> Calibration:
    everyone = [r for review in reviews for r in review.ratings]
    by_manager: dict[int, list[RatedReview]] = {}
    for review in reviews:
        by_manager.setdefault(review.manager_key, []).append(review)
    rows = []
    for group in by_manager.values():
        mine = [r for review in group for r in review.ratings]
        others = Distribution.of(
            [
                r
                for review in reviews
                if review.manager_key != group[0].manager_key
                for r in review.ratings
            ]
        )
        dist = Distribution.of(mine)
        flag = None
        if (
            dist.n >= MIN_RATINGS
            and others.n >= MIN_RATINGS
            and dist.mean is not None
            and others.mean is not None
        ):
            if dist.mean - others.mean > GAP:
                flag = "more lenient"
            elif others.mean - dist.mean > GAP:
                flag = "more severe"
        rows.append(ManagerRow(group[0].manager, len(group), dist, flag))
    rows.sort(key=lambda row: (row.flag is None, row.manager))
    mismatches = [
        Mismatch(r.person, r.manager, r.mean, reason)
        for r in reviews
        if (reason := mismatch(r)) is not None
    ]
    return Calibration(Distribution.of(everyone), rows, mismatches)
