"""Systemic bottlenecks: a blocker named by several people in several teams over several weeks
is found as a theme; idiosyncratic blockers are not; a theme carries counts, never text."""

from __future__ import annotations

import random

from cadence.domain.themes import BlockerNote, find_themes

WEEKS = [f"2026-W{w:02d}" for w in range(30, 42)]
TEAMS = ["UMGR1", "UMGR2", "UMGR3", "UMGR4", "UMGR5"]
SYLLABLES = "ba be bi bo ka ke ki ko la le li lo ma me mi mo na ne ni no ra re ri ro sa se".split()


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(4))


def noise(rng: random.Random, people: int = 60) -> list[BlockerNote]:
    """Each person's own blockers: words nobody else uses, most weeks."""
    notes = []
    for person in range(people):
        for period in WEEKS:
            if rng.random() < 0.6:
                text = f"Waiting on the {_word(rng)} for {_word(rng)} and {_word(rng)} again"
                notes.append(BlockerNote(person, TEAMS[person % 5], period, text))
    return notes


PLANTED = [
    "Billing approval still pending, can't ship the refund",
    "blocked by billing approval for the enterprise quote",
    "Waiting on Billing Approval (third week)",
    "billing approval queue is stuck",
    "Need billing approval before the invoice goes out",
    "the billing approval took 4 days",
]


def planted(rng: random.Random) -> list[BlockerNote]:
    """6 people in 3 teams name the billing approval over 4 weeks."""
    people = [100, 101, 102, 103, 104, 105]
    teams = ["UMGR1", "UMGR1", "UMGR2", "UMGR2", "UMGR3", "UMGR3"]
    weeks = ["2026-W36", "2026-W37", "2026-W39", "2026-W40", "2026-W40", "2026-W41"]
    return [
        BlockerNote(p, t, w, f"{text}; also {_word(rng)}")
        for p, t, w, text in zip(people, teams, weeks, PLANTED, strict=True)
    ]


def test_a_planted_theme_is_found_among_noise() -> None:
    rng = random.Random(7)
    notes = noise(rng) + planted(rng)
    themes = find_themes(notes)
    assert [t.name for t in themes] == ["billing approval"]
    theme = themes[0]
    assert theme.people == 6
    assert theme.teams == {"UMGR1": 2, "UMGR2": 2, "UMGR3": 2}
    assert sum(theme.weeks.values()) == 6 and len(theme.weeks) == 5
    assert theme.trend == "rising"
    assert set(theme.terms) >= {"billing approval", "billing", "approval"}


def test_noise_alone_produces_no_theme() -> None:
    for seed in range(5):
        assert find_themes(noise(random.Random(seed))) == []


def test_one_team_or_one_week_is_not_systemic() -> None:
    rng = random.Random(3)
    one_team = [BlockerNote(p, "UMGR1", WEEKS[p], "VPN keeps dropping") for p in range(6)]
    one_week = [BlockerNote(p, TEAMS[p % 5], WEEKS[0], "VPN keeps dropping") for p in range(6)]
    assert find_themes(noise(rng) + one_team) == []
    assert find_themes(noise(rng) + one_week) == []
    spread = [BlockerNote(p, TEAMS[p % 5], WEEKS[p], "VPN keeps dropping") for p in range(6)]
    assert [t.name for t in find_themes(noise(rng) + spread)] == ["vpn keeps dropping"]


def test_three_people_are_too_few_for_a_theme() -> None:
    notes = [BlockerNote(p, TEAMS[p], WEEKS[p], "billing approval") for p in range(3)]
    assert find_themes(notes) == []
