"""Theme grouping at organisation scale: 52 weeks of blockers from 10,000 people in 1,000 teams.

    python -m benchmarks.themes [--people N] [--weeks W] [--share S]

Each person writes blockers in a share S of weeks (default 0.4: about 208,000 notes): mostly
their own words, and now and then one of 20 shared bottlenecks ("billing approval", "staging
environment down", …). Prints the number of notes, the time `find_themes` takes, peak RSS, and
the themes found. Target: <= 30 s."""

from __future__ import annotations

import argparse
import random
import resource
import time

from cadence.domain.themes import BlockerNote, find_themes

SHARED = [
    "billing approval",
    "staging environment down",
    "legal review of contracts",
    "vpn keeps dropping",
    "design sign-off",
    "flaky integration tests",
    "security questionnaire",
    "procurement for licences",
    "data warehouse access",
    "on-call pages at night",
    "customer escalations queue",
    "release freeze",
    "hiring loop scheduling",
    "pricing page copy",
    "translation vendor",
    "sso login loop",
    "expense tool",
    "laptop refresh",
    "api rate limits",
    "quarterly planning",
]
SYLLABLES = "ba be bi bo bu ka ke ki ko ku la le li lo lu ma me mi mo mu na ne ni no nu".split()


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(4))


def notes(people: int, weeks: int, share: float, seed: int = 1) -> list[BlockerNote]:
    rng = random.Random(seed)
    periods = [f"2026-W{w:02d}" if w <= 52 else f"2027-W{w - 52:02d}" for w in range(1, weeks + 1)]
    out = []
    for person in range(people):
        team = f"UMGR{person // 10:04d}"
        for period in periods:
            if rng.random() >= share:
                continue
            text = f"waiting on {_word(rng)} {_word(rng)} for the {_word(rng)}"
            if rng.random() < 0.15:
                text = f"{rng.choice(SHARED)}; {text}"
            out.append(BlockerNote(person, team, period, text))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--share", type=float, default=0.4)
    args = parser.parse_args()
    data = notes(args.people, args.weeks, args.share)
    started = time.perf_counter()
    themes = find_themes(data)
    elapsed = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{len(data):,} notes from {args.people:,} people over {args.weeks} weeks")
    print(f"find_themes: {elapsed:.1f} s (target <= 30 s); peak RSS {rss:.0f} MB")
    for theme in themes:
        print(f"  {theme.name!r}: {theme.people} people, {theme.team_count()} teams, {theme.trend}")


if __name__ == "__main__":
    main()
