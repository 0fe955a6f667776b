"""Systemic bottlenecks: blockers that recur across people, teams and weeks (HR's system lens).

A theme is a phrase (one to three words) that several people in several teams name in
their check-in blockers over several weeks: "billing approval" named by 6 people in 3 teams
over 4 weeks. It is read from the text with scikit-learn's CountVectorizer (English stop
words, words and word pairs), deterministically and on this machine. A theme carries counts
only — the phrase, how many people, teams and weeks — never anyone's text: HR sees the system,
not a person's words.

Pure: notes in, themes out. No SQL, no clock, no Slack.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

# A theme must be named by this many different people (and by at least SHARE of the people
# who wrote blockers: in a large organisation a few people share a word by chance), in this
# many teams and weeks.
MIN_PEOPLE = 4
SHARE = 0.005
MIN_TEAMS = 2
MIN_WEEKS = 2
# A term sharing this share of its notes (or of the theme's, if fewer) with a theme is
# another wording of it, unless it names many more notes than the theme (SAME_NOTES times).
ABSORB = 0.5
SAME_NOTES = 1.5
MAX_THEMES = 10

# Words every blocker uses: they say that something blocks, not what.
BLOCKER_WORDS = frozenset(
    """blocked blocker blockers blocking block waiting wait waited still need needs needed
    week weeks today yesterday tomorrow monday tuesday wednesday thursday friday day days
    time lot lots bit little got get getting issue issues problem problems thing things work
    working slow slower really just team none nothing usual same again more less""".split()
)
STOP_WORDS = sorted(ENGLISH_STOP_WORDS | BLOCKER_WORDS)
WORD_PATTERN = r"(?u)\b[a-z][a-z0-9]+(?:-[a-z0-9]+)*\b"

Trend = Literal["rising", "falling", "steady"]


@dataclass(frozen=True, slots=True)
class BlockerNote:
    """One person's blockers for one week. `team` is a team key (the manager's Slack id)."""

    person: int
    team: str
    period: str
    text: str


@dataclass(frozen=True, slots=True)
class Theme:
    name: str
    terms: tuple[str, ...]
    people: int
    teams: dict[str, int]  # team → people in that team who named it
    weeks: dict[str, int]  # period → notes that week
    trend: Trend

    def team_count(self) -> int:
        return len(self.teams)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.lower())


def find_themes(
    notes: Sequence[BlockerNote],
    *,
    min_people: int = MIN_PEOPLE,
    min_teams: int = MIN_TEAMS,
    min_weeks: int = MIN_WEEKS,
    max_themes: int = MAX_THEMES,
) -> list[Theme]:
    """Recurring blockers among `notes`, most widely named first."""
    notes = [n for n in notes if n.text.strip()]
    min_people = max(min_people, math.ceil(SHARE * len({n.person for n in notes})))
    if len(notes) < min_people:
        return []
    vectorizer = CountVectorizer(
        lowercase=False,
        preprocessor=_normalise,
        token_pattern=WORD_PATTERN,
        stop_words=STOP_WORDS,
        ngram_range=(1, 3),
        binary=True,
        min_df=min_people,
        dtype=bool,
    )
    try:
        matrix = vectorizer.fit_transform([n.text for n in notes]).tocsc()
    except ValueError:  # no term is named by enough notes
        return []
    vocabulary = vectorizer.get_feature_names_out()
    people = [n.person for n in notes]
    teams = [n.team for n in notes]
    periods = [n.period for n in notes]

    # Candidate terms: named by enough different people, in enough teams and weeks.
    def systemic(rows: Iterable[int]) -> bool:
        rows = list(rows)
        return (
            len({people[r] for r in rows}) >= min_people
            and len({teams[r] for r in rows}) >= min_teams
            and len({periods[r] for r in rows}) >= min_weeks
        )

    candidates: list[tuple[int, int, str, frozenset[int]]] = []
    for column, term in enumerate(vocabulary):
        rows = frozenset(
            int(r) for r in matrix.indices[matrix.indptr[column] : matrix.indptr[column + 1]]
        )
        if systemic(rows):
            # Longer phrases first (they name a theme best), widest first, then alphabetical.
            candidates.append((-term.count(" "), -len(rows), term, rows))
    candidates.sort()

    themes: list[tuple[list[str], set[int]]] = []
    covered: set[int] = set()
    for _, _, term, rows in candidates:
        hits = [
            (terms, theme_rows)
            for terms, theme_rows in themes
            if len(rows & theme_rows) >= ABSORB * min(len(rows), len(theme_rows))
        ]
        if len(hits) == 1 and len(rows) <= SAME_NOTES * len(hits[0][1]):
            # Another wording of the same notes ("billing" beside "billing approval").
            hits[0][0].append(term)
            hits[0][1].update(rows)
            covered.update(rows)
            continue
        # A word shared by several themes ("loop" in "sso login loop" and "hiring loop")
        # counts only for what those themes do not already hold.
        rest = rows - covered
        if systemic(rest):
            themes.append(([term], set(rest)))
            covered.update(rest)
    themes.sort(key=lambda theme: (-len({people[r] for r in theme[1]}), theme[0][0]))

    out = []
    for terms, members in themes[:max_themes]:
        by_team: dict[str, set[int]] = defaultdict(set)
        for r in members:
            by_team[teams[r]].add(people[r])
        weeks = Counter(periods[r] for r in members)
        out.append(
            Theme(
                name=terms[0],
                terms=tuple(terms),
                people=len({people[r] for r in members}),
                teams={t: len(p) for t, p in sorted(by_team.items())},
                weeks=dict(sorted(weeks.items())),
                trend=trend(weeks, sorted(set(periods))),
            )
        )
    return out


def trend(weeks: Counter[str], window: Sequence[str]) -> Trend:
    """Notes in the last 4 weeks of `window` against the 4 before: rising, falling, steady."""
    recent = sum(weeks[p] for p in window[-4:])
    before = sum(weeks[p] for p in window[-8:-4])
    if recent >= before + 2 and recent >= 1.5 * before:
        return "rising"
    if before >= recent + 2 and before >= 1.5 * recent:
        return "falling"
    return "steady"
