"""The digest read in ten seconds: who needs you (flagged only, each with its Plan action on
the same row), everyone else folded into lines, numbers as people say them, sparklines on a
scale where a fall looks like a fall, the pair read as a pair, and mood counted.

The digest of a team of 8 (3 flagged, 1 skipped, 1 away, 3 healthy) is rendered to text in
tests/fixtures/digest_team_of_8.txt, for a reviewer to read; the test compares it and
regenerates it with CADENCE_REGENERATE_FIXTURES=1."""

from __future__ import annotations

import io
import json
import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from cadence.delivery.sender import OutboxSender
from cadence.domain.checkins import metric_sparkline
from cadence.domain.clock import FixedClock
from cadence.domain.periods import shift_week
from cadence.domain.roles import Role
from cadence.domain.signals import SignalKind, mood_concern, pair_words, read_pair
from cadence.services.deps import Deps
from cadence.storage import repo
from cadence.storage.db import session_scope
from cadence.storage.models import Delivery
from tests.conftest import ORG_HEADER, load_org
from tests.fakeslack import FakeSlack
from tests.test_digests import MONDAY_PARIS_9, PERIOD, answer, run_digests

FIXTURE = Path(__file__).parent / "fixtures" / "digest_team_of_8.txt"

TEAM = ORG_HEADER + "\n".join(
    [
        "U0MAYA,maya@example.com,Maya Manager,,support,Europe/Paris,false",
        *(
            f"{sid},{sid.lower()}@example.com,{name},U0MAYA,support,Europe/Paris,false"
            for sid, name in [
                ("U0LEE", "Lee Low"),
                ("U0SAM", "Sam Rivera"),
                ("U0IVY", "Ivy Blue"),
                ("U0KAI", "Kai Skip"),
                ("U0ZOE", "Zoe Away"),
                ("U0NORA", "Nora North"),
                ("U0MIA", "Mia Moss"),
                ("U0OMAR", "Omar Oak"),
            ]
        ),
    ]
)


def _support(deps: Deps) -> Role:
    return deps.roles["support"]


def team_of_8(deps: Deps) -> None:
    load_org(deps, TEAM + "\n")
    steady = {"U0LEE": (93, 50), "U0SAM": (89, 48), "U0IVY": (90, 52), "U0KAI": (91, 47)}
    steady |= {"U0ZOE": (90, 49), "U0NORA": (92, 55), "U0MIA": (91, 51), "U0OMAR": (90, 47)}
    lee_fall = [93, 92, 93, 91, 88]  # then 82 this week, with a floor of 85
    for sid, (q, o) in steady.items():
        for i in range(5, 0, -1):
            quality = lee_fall[5 - i] if sid == "U0LEE" else q + (i % 2)
            mood = 2 if (sid == "U0IVY" and i == 1) else 4
            answer(deps, sid, shift_week(PERIOD, -i), quality, o + (i % 3) - 1, mood=mood)
    answer(deps, "U0LEE", PERIOD, 82, 50, mood=3, blockers="New macros send the wrong links")
    answer(deps, "U0SAM", PERIOD, 85.5, 63, mood=3)  # strain: output up, quality down
    answer(deps, "U0IVY", PERIOD, 90, 52, mood=2)  # steady numbers, mood 2/5 twice
    for sid, (q, o) in {"U0NORA": (92, 56), "U0MIA": (91, 51), "U0OMAR": (90, 48)}.items():
        answer(deps, sid, PERIOD, q, o, mood=4)
    with session_scope(deps.engine) as s:
        kai = repo.person_by_slack_id("U0KAI", session=s)
        zoe = repo.person_by_slack_id("U0ZOE", session=s)
        assert kai is not None and kai.id is not None and zoe is not None and zoe.id is not None
        repo.mark_skipped(kai.id, PERIOD, deps.clock.now(), session=s)
        repo.add_absence(
            zoe.id, date(2026, 11, 16), date(2026, 11, 20), deps.clock.now(), session=s
        )


def as_text(blocks: list[dict[str, Any]]) -> str:
    """Blocks as a person reads them: one paragraph per block, buttons in [brackets]."""
    out = []
    for b in blocks:
        if b["type"] == "header":
            out.append(f"# {b['text']['text']}")
        elif b["type"] == "divider":
            out.append("----")
        elif b["type"] == "context":
            out.append("  " + " ".join(e.get("text", "") for e in b["elements"]))
        elif b["type"] == "section":
            text = b["text"]["text"]
            if "accessory" in b and b["accessory"]["type"] == "button":
                first, _, rest = text.partition("\n")
                text = f"{first}   [{b['accessory']['text']['text']}]" + (
                    f"\n{rest}" if rest else ""
                )
            out.append(text)
        elif b["type"] == "actions":
            out.append("   ".join(f"[{e['text']['text']}]" for e in b["elements"]))
    return "\n\n".join(out)


def test_a_team_of_8_with_3_flagged_reads_on_one_screen(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    team_of_8(org)
    run_digests(org, sender, clock, MONDAY_PARIS_9)
    [dm] = fake.messages_to("U0MAYA")
    blocks = dm.args["blocks"]
    text = as_text(blocks)
    lines = text.count("\n") + 1
    rendered = f"{text}\n\n=== {len(blocks)} blocks, {lines} lines ===\n"
    if os.environ.get("CADENCE_REGENERATE_FIXTURES"):
        FIXTURE.write_text(rendered, encoding="utf-8")
    assert rendered == FIXTURE.read_text(encoding="utf-8")
    # Who needs you: the three flagged, most urgent first, each with its button on its row.
    flagged = [b for b in blocks if "accessory" in b]
    assert [b["text"]["text"].split("*")[1] for b in flagged] == [
        "Lee Low",
        "Sam Rivera",
        "Ivy Blue",
    ]
    assert all(b["accessory"]["text"]["text"] == "Plan action" for b in flagged)
    assert "Quality below floor: quality 82 % below the 85 % floor" in flagged[0]["text"]["text"]
    assert "Strain: output ▲ while quality ▼" in flagged[1]["text"]["text"]
    assert "▲ better" not in text and "Nudge" not in text
    assert "Support: mood 2/5 two weeks running" in flagged[2]["text"]["text"]
    assert "CSAT *85.5 %* −4 pts vs usual 90 % (floor 85)" in flagged[1]["text"]["text"]
    assert "+15 tickets vs usual 48" in flagged[1]["text"]["text"]
    # Everyone else, folded: healthy on one line, the skipped and the away on their own.
    assert "🟢 Mia Moss, Nora North and Omar Oak are on track" in text
    assert "⏭️ Kai Skip skipped the week" in text
    assert "🌴 Zoe Away was away" in text
    for name in ("Kai Skip", "Zoe Away", "Mia Moss"):
        assert text.count(name) == 1
    # One screen: a dozen blocks, well under 40 lines.
    assert len(blocks) <= 12 and lines <= 40


@pytest.mark.parametrize(
    ("values", "floor_fall"),
    [
        ([93, 92, 93, 91, 88, 86, 84, 82], True),  # quality 93 → 82, floor 85: a fall
        ([90, 90.5, 90, 89.8, 90.2, 90, 90, 90.4], False),  # steady above the floor
    ],
)
def test_quality_sparkline_shows_a_real_fall(
    org: Deps, values: list[float], floor_fall: bool
) -> None:
    spark = metric_sparkline(list(values), _support(org).quality)
    assert len(spark) == 8
    if floor_fall:
        assert spark[0] == "█" and spark[-1] == "▁"
    else:
        assert set(spark) <= {"▆", "▇", "█"}  # high: above the floor, no drama


def test_output_sparkline_does_not_turn_two_tickets_into_a_cliff(org: Deps) -> None:
    spark = metric_sparkline([48, 50, 46, 49, 47, 48, 50, 46], _support(org).output)
    assert "▁" not in spark and "█" not in spark
    assert metric_sparkline([40, 45, 50, 55, 60, 62, 70, 80], _support(org).output) == "▁▂▃▄▅▅▆█"


@pytest.mark.parametrize(
    ("mood", "before", "concern"),
    [
        (2, [4, 2], "mood 2/5 two weeks running"),
        (1, [2], "mood 1/5 two weeks running"),
        (2, [3], ""),  # one point down: not yet
        (3, [5], "mood down from 5/5 to 3/5"),
        (2, [None], ""),  # no mood last week: nothing to compare
        (4, [2], ""),
        (None, [1], ""),
        (2, [], ""),
    ],
)
def test_mood_raises_support(mood: int | None, before: list[int | None], concern: str) -> None:
    assert mood_concern(mood, before) == concern


@pytest.mark.parametrize(
    ("quality", "output", "mood", "kind", "words"),
    [
        (86.0, 63.0, 3, SignalKind.STRAIN, "output ▲ while quality ▼"),
        (95.0, 40.0, 4, SignalKind.STALL, "quality ▲ while output ▼"),
        (89.0, 48.0, 4, SignalKind.HEALTHY, "output steady, quality steady"),
        (89.0, 48.0, 2, SignalKind.SUPPORT, "mood 2/5 two weeks running"),
        (80.0, 48.0, 2, SignalKind.QUALITY_BELOW_FLOOR, "quality 80 % below the 85 % floor"),
    ],
)
def test_the_pair_in_words(
    org: Deps, quality: float, output: float, mood: int, kind: SignalKind, words: str
) -> None:
    role = _support(org)
    signal = read_pair(role, quality, output, [89.0] * 4, [48.0] * 4, mood, [4, 4, 4, 2])
    assert signal.kind == kind
    assert pair_words(signal, role) == words


def test_names_fold_as_people_say_them() -> None:
    from cadence.domain.digests import name_list

    assert name_list(["Nora"]) == "Nora"
    assert name_list(["Nora", "Mia"]) == "Nora and Mia"
    assert name_list(["Nora", "Mia", "Omar", "Ana", "Ben"]) == "Nora, Mia and 3 more"


CHART = Path(__file__).parent / "fixtures" / "digest_team_of_8.png"


def _has_colour(image: Any, hex_colour: str, at_least: int = 200) -> bool:
    """Whether the picture holds a patch of `hex_colour` (a point, not a stray pixel)."""
    rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    count: int = sum(n for n, c in image.convert("RGB").getcolors(1 << 20) if c == rgb)
    return count >= at_least


def test_the_team_picture_places_each_report_against_target_and_floor(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    from PIL import Image

    from cadence.delivery.charts import SIGNAL_COLOURS

    team_of_8(org)
    run_digests(org, sender, clock, MONDAY_PARIS_9)
    [done] = fake.calls("files.completeUploadExternal")
    assert done.args["files"][0]["title"] == "Your team's pair, week of 16 Nov"
    [png] = fake.uploads.values()
    if os.environ.get("CADENCE_REGENERATE_FIXTURES"):
        CHART.write_bytes(png)
    image = Image.open(io.BytesIO(png))
    assert image.size == (1200, 900)  # Slack's preview size, fonts of 14 pt and more
    # Each point is coloured as the digest reads it: Lee red (below the floor), Sam and Ivy
    # orange (strain, support), the healthy three green; nobody reads as a stall this week.
    assert _has_colour(image, SIGNAL_COLOURS[SignalKind.QUALITY_BELOW_FLOOR])
    assert _has_colour(image, SIGNAL_COLOURS[SignalKind.STRAIN])
    assert _has_colour(image, SIGNAL_COLOURS[SignalKind.HEALTHY])
    assert not _has_colour(image, SIGNAL_COLOURS[SignalKind.STALL])
    with session_scope(org.engine) as s:
        [row] = [d for d in s.execute(select(Delivery)).scalars() if d.kind == "digest-chart"]
    people = {p["name"]: p["points"] for p in json.loads(row.payload)["people"]}
    assert set(people) == {
        "Lee Low",
        "Sam Rivera",
        "Ivy Blue",
        "Nora North",
        "Mia Moss",
        "Omar Oak",
    }
    assert people["Sam Rivera"][-1] == [105.0, 0.5]  # 63 of 60 tickets, CSAT 85.5 vs floor 85
    assert people["Lee Low"][-1] == [83.3, -3.0]
    assert len(people["Lee Low"]) == 4  # the trail: the last four weeks


def test_the_text_fallback_says_what_the_picture_shows(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    team_of_8(org)
    fake.fail_next("files.getUploadURLExternal", 10, status=200, error="not_allowed")
    run_digests(org, sender, clock, MONDAY_PARIS_9)
    fallback = fake.messages_to("U0MAYA")[-1].args
    assert "could not be uploaded" in fallback["text"]
    text = "\n".join(b["text"]["text"] for b in fallback["blocks"] if b["type"] == "section")
    assert (
        "Sam Rivera: healthy quadrant (digest: Strain) · output 105 % of target · "
        "quality +0.5 pts vs floor · last 4 weeks: 78.3%/+5 → 81.7%/+4 → 80%/+5 → 105%/+0.5"
    ) in text
    assert (
        "Lee Low: below floor quadrant (digest: Quality below floor) · output 83.3 % of target"
    ) in text
    assert "Kai Skip" not in text and "Zoe Away" not in text  # no pair this week
