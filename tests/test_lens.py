"""HR's system lens in App Home: a blocker named by several people in several teams over
several weeks shows as a theme with counts; HR never reads anyone's words; only HR sees it."""

from __future__ import annotations

import io
import json
import os
import random
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from cadence.delivery.sender import OutboxSender
from cadence.domain.checkins import CheckinAnswers
from cadence.domain.clock import FixedClock
from cadence.domain.periods import shift_week
from cadence.domain.pulse import TeamPulse, TeamReading
from cadence.domain.signals import SignalKind
from cadence.services.deps import Deps
from cadence.services.lens import last_closed_week, run_lens, send_hr_digests
from cadence.storage import lens_repo, repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Action, Delivery, LensSnapshot
from tests.conftest import ORG_HEADER, HttpApp, seed_org
from tests.fakeslack import FakeSlack
from tests.test_digest_screen import _has_colour
from tests.test_home_and_privacy import home_event

WEDNESDAY = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # week 48: W47 is closed
ORG = ORG_HEADER + "".join(
    f"{sid},{sid.lower()}@example.com,{name},{mgr},support,Europe/Paris,{hr}\n"
    for sid, name, mgr, hr in [
        ("U0HR", "Hana HR", "", "true"),
        ("U0M1", "Maya Lead", "U0HR", "false"),
        ("U0M2", "Kenji Lead", "U0HR", "false"),
        ("U0M3", "Omar Lead", "U0HR", "false"),
        *[(f"U0A{i}", f"Ann {i}", "U0M1", "false") for i in range(4)],
        *[(f"U0B{i}", f"Bob {i}", "U0M2", "false") for i in range(4)],
        *[(f"U0C{i}", f"Cid {i}", "U0M3", "false") for i in range(4)],
    ]
)
# Who names the billing approval, in which week (weeks back from the last closed week).
PLANTED = [("U0A0", 0), ("U0A1", 1), ("U0A2", 3), ("U0B0", 2), ("U0B1", 5), ("U0C0", 0)]
WORDING = [
    "Billing approval still pending, can't ship the refund for ACME",
    "blocked by billing approval for the enterprise quote",
    "Waiting on Billing Approval (third week)",
    "billing approval queue is stuck",
    "Need billing approval before the invoice goes out",
    "the billing approval took 4 days",
]


def _seed(deps: Deps) -> None:
    last = last_closed_week(WEDNESDAY)
    with session_scope(deps.engine) as s:
        for (sid, back), blockers in zip(PLANTED, WORDING, strict=True):
            person = repo.person_by_slack_id(sid, session=s)
            assert person is not None and person.id is not None
            repo.save_answers(
                person.id,
                shift_week(last, -back),
                CheckinAnswers(90, 50, 3, "", blockers, ""),
                WEDNESDAY,
                session=s,
            )
        for i, sid in enumerate(["U0A3", "U0B3", "U0C3"]):
            person = repo.person_by_slack_id(sid, session=s)
            assert person is not None and person.id is not None
            repo.save_answers(
                person.id,
                last,
                CheckinAnswers(90, 50, 3, "", f"printer {i} jammed", ""),
                WEDNESDAY,
                session=s,
            )


@pytest.fixture
def lens_org(deps: Deps, fake: FakeSlack) -> Deps:
    seed_org(deps, fake, ORG)
    _seed(deps)
    return deps


def _home(fake: FakeSlack, http_app: HttpApp, user: str, n: int) -> str:
    assert http_app.event(home_event(user)).status == 200
    view = fake.wait_for("views.publish", n)[-1].args["view"]
    return json.dumps(view, ensure_ascii=False)


def test_hr_sees_a_recurring_blocker_as_counts_and_nobody_reads_words(
    lens_org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    before = _home(fake, http_app, "U0HR", 1)
    assert "Recurring blockers" in before and "No blocker is named" in before
    assert "figures appear after the weekly lens run" in before

    report = run_lens(lens_org, WEDNESDAY)
    assert report.counts == {"themes": 1, "teams read": 4}
    assert run_lens(lens_org, WEDNESDAY).counts == {}  # once per closed week

    text = _home(fake, http_app, "U0HR", 2)
    assert "*billing approval* — 6 people in 3 teams, 5 of 12 weeks" in text
    # Maya's team has 3 who named it; the other two teams fewer than 3: no figure for them.
    assert "Maya Lead's team 3 · 2 teams with fewer than 3" in text
    assert "Up to the week of 16 Nov" in text
    assert "refund" not in text and "ACME" not in text and "printer" not in text

    manager = _home(fake, http_app, "U0M1", 3)
    assert "Recurring blockers" not in manager and "billing approval" not in manager


def test_a_week_not_yet_closed_is_not_read(lens_org: Deps) -> None:
    tuesday = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # W47 still open in some zones
    assert last_closed_week(tuesday) == "2026-W46"
    assert last_closed_week(WEDNESDAY) == "2026-W47"


def _weeks(deps: Deps, sid: str, values: Sequence[tuple[float, float]], last: str) -> None:
    """`sid`'s check-ins for the weeks ending with `last` (oldest first)."""
    with session_scope(deps.engine) as s:
        person = repo.person_by_slack_id(sid, session=s)
        assert person is not None and person.id is not None
        for back, (q, o) in enumerate(reversed(values)):
            repo.save_answers(
                person.id,
                shift_week(last, -back),
                CheckinAnswers(q, o, 4, "", "", ""),
                WEDNESDAY,
                session=s,
            )


def test_hr_reads_the_pulse_a_team_in_strain_and_whether_actions_helped(
    deps: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    seed_org(deps, fake, ORG)
    last = last_closed_week(WEDNESDAY)
    # Maya's team: output up a quarter while CSAT falls from 93 to 86 over the last 4 weeks.
    for sid in ["U0A0", "U0A1", "U0A2", "U0A3"]:
        _weeks(deps, sid, [(93, 60)] * 12 + [(86, 75)] * 4, last)
    # Kenji's team: steady at target above the floor; one skipped week, one away.
    for sid in ["U0B0", "U0B1", "U0B2"]:
        _weeks(deps, sid, [(92, 60)] * 16, last)
    with session_scope(deps.engine) as s:
        bob = repo.person_by_slack_id("U0B3", session=s)
        kenji = repo.person_by_slack_id("U0M2", session=s)
        assert bob is not None and bob.id is not None and kenji is not None and kenji.id
        repo.mark_skipped(bob.id, last, WEDNESDAY, session=s)
        # An action on Bob's strain 8 weeks ago, closed since; his quality came back after.
        s.add(
            Action(
                manager_id=kenji.id,
                report_id=bob.id,
                period=shift_week(last, -8),
                signal="strain",
                text="Pair review on Tuesdays",
                owner_kind="manager",
                owner_slack_id="U0M2",
                due=date(2026, 10, 9),
                status="done",
                created_at=WEDNESDAY - timedelta(weeks=8),
                updated_at=WEDNESDAY,
                closed_at=WEDNESDAY - timedelta(weeks=2),
            )
        )
    _weeks(deps, "U0B3", [(86, 70)] * 8 + [(93, 62)] * 7, shift_week(last, -1))

    run_lens(deps, WEDNESDAY)
    text = _home(fake, http_app, "U0HR", 1)
    assert "*Teams to look at* · 1 of 4 teams read as strain or stall" in text
    assert "*Maya Lead's team* · strain" in text
    assert "is the process strained, is the team understaffed" in text
    assert "Kenji Lead's team" not in text  # nothing to ask of a steady team
    # 16 people × 12 weeks due, less Bob's skipped week; Omar's and the leads' weeks missing.
    assert "Whole organisation (16 people): check-ins 95 of 191 due (50 %)" in text
    assert "1 skipped and 0 away apart" in text
    assert "Actions on strain closed: quality recovered in 1 of 1." in text
    assert "Pair review" not in text  # an action's text is the manager's, not HR's
    # Omar's team and the leads (Hana's team) have no check-ins at all: no strain or stall to
    # read, but the lowest participation, below the organisation's 50 %.
    assert "*Omar Lead's team* ·" not in text
    assert (
        "*Lowest participation* · check-ins answered of those due (the organisation: 50 %)\\n"
        "Hana HR's team: 0 % (0 of 36 due)\\nOmar Lead's team: 0 % (0 of 48 due)"
    ) in text


def test_hr_admins_get_the_monthly_digest_on_the_first_monday_at_0900_once(
    lens_org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    run_lens(lens_org, WEDNESDAY)
    # 7 Dec 2026 is the first Monday of December; 09:00 in Paris is 08:00 UTC.
    early = datetime(2026, 12, 7, 7, 59, tzinfo=UTC)
    due = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert send_hr_digests(lens_org, early).counts == {}
    clock.set(due)
    assert send_hr_digests(lens_org, due).counts == {"messages queued": 2}  # and the picture
    assert send_hr_digests(lens_org, due + timedelta(hours=3)).counts == {}  # once a month
    sender.drain()
    [dm] = fake.messages_to("U0HR")
    text = json.dumps(dm.args, ensure_ascii=False)
    assert dm.args["text"] == "Cadence · the system in December 2026"
    assert "first Monday of each month, 09:00 your time, because you are an HR admin" in text
    assert "*billing approval* — 6 people in 3 teams" in text
    assert "refund" not in text and "ACME" not in text
    assert not any(fake.messages_to(sid) for sid in ("U0M1", "U0M2", "U0A0"))  # HR only
    # A missed tick catches up that week, never at night, and not later in the month.
    january = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # first Monday of January, 09:00 Paris
    assert send_hr_digests(lens_org, january + timedelta(hours=17)).counts == {}  # 02:00
    assert send_hr_digests(lens_org, january + timedelta(days=7)).counts == {}  # next Monday
    assert send_hr_digests(lens_org, january + timedelta(days=2)).counts == {"messages queued": 2}


# ---------------------------------------------------------------- HR's picture of the teams

FIRST_MONDAY = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 in Paris
TEAMS_TITLE = "Teams' pair, 12 weeks up to the week of 16 Nov"
CHART = Path(__file__).parent / "fixtures" / "hr_digest_teams.png"


def _uploads(fake: FakeSlack) -> list[tuple[str, str, str]]:
    """(channel, title, alt text) of each file uploaded, in order."""
    alts = [c.args.get("alt_txt", "") for c in fake.calls("files.getUploadURLExternal") if c.ok]
    done = [f for c in fake.calls("files.completeUploadExternal") if c.ok for f in c.args["files"]]
    channels = [c.args["channel_id"] for c in fake.calls("files.completeUploadExternal") if c.ok]
    return [(ch, f["title"], alt) for ch, f, alt in zip(channels, done, alts, strict=True)]


def test_each_hr_admin_gets_the_teams_picture_after_the_digest_once_and_no_small_team_on_it(
    deps: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    extra = (
        "U0HR2,u0hr2@example.com,Ines HR,,support,Europe/Paris,true\n"
        "U0M4,u0m4@example.com,Sol Small,U0HR,support,Europe/Paris,false\n"
        "U0D0,u0d0@example.com,Dee 0,U0M4,support,Europe/Paris,false\n"
        "U0D1,u0d1@example.com,Dee 1,U0M4,support,Europe/Paris,false\n"
    )
    seed_org(deps, fake, ORG + extra)
    _seed(deps)
    last = last_closed_week(WEDNESDAY)
    for sid in ["U0D0", "U0D1"]:  # a team of 2 with numbers: below the anonymity minimum
        _weeks(deps, sid, [(70, 20)] * 12, last)
    run_lens(deps, WEDNESDAY)
    clock.set(FIRST_MONDAY)
    assert send_hr_digests(deps, FIRST_MONDAY).counts == {"messages queued": 4}
    sender.drain()
    uploads = _uploads(fake)
    # One picture per HR admin, in the DM that carried their digest, after it.
    assert sorted(ch for ch, _, _ in uploads) == ["D0HR", "D0HR2"]
    for admin in ("U0HR", "U0HR2"):
        [digest] = fake.messages_to(admin)
        text = json.dumps(digest.args, ensure_ascii=False)
        assert "The picture that follows puts each team of 3 or more" in text
        assert digest.args["channel"] == admin
    [title] = {t for _, t, _ in uploads}
    [alt] = {a for _, _, a in uploads}
    assert title == TEAMS_TITLE
    assert alt.startswith(
        f"{TEAMS_TITLE}: 3 teams of 3 or more people, each a dot at its output against target"
    )
    # Named on it: the teams the digest names (a stall, participation below the organisation's).
    assert alt.endswith(
        "Kenji Lead's team: reads as stall, lowest participation, 6 % checked in. "
        "Omar Lead's team: lowest participation, 4 % checked in."
    )
    with read_scope(deps.engine) as s:
        [row, _] = [d for d in s.exec(select(Delivery)) if d.kind == "hr-digest-chart"]
    drawn = json.loads(row.payload)
    assert {t["name"]: t["named"] for t in drawn["teams"]} == {
        "Kenji Lead's team": True,
        "Omar Lead's team": True,
        "Maya Lead's team": False,
    }
    # Sol's team of 2 is not drawn, named or counted anywhere on the picture or its text.
    assert "Sol Small" not in row.payload and "Dee" not in row.payload
    # A re-run, a second replica or a later tick that month uploads nothing more.
    assert send_hr_digests(deps, FIRST_MONDAY).counts == {}
    assert send_hr_digests(deps, FIRST_MONDAY + timedelta(hours=4)).counts == {}
    sender.drain()
    assert len(_uploads(fake)) == 2


def test_the_teams_picture_falls_back_to_the_named_teams_figures_as_text(
    lens_org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    run_lens(lens_org, WEDNESDAY)
    fake.fail_next("files.getUploadURLExternal", 10, status=200, error="not_allowed")
    clock.set(FIRST_MONDAY)
    send_hr_digests(lens_org, FIRST_MONDAY)
    sender.drain()
    digest, fallback = fake.messages_to("U0HR")
    assert fallback.args["text"].startswith(f"{TEAMS_TITLE} (as text")
    text = "\n".join(b["text"]["text"] for b in fallback.args["blocks"] if b["type"] == "section")
    assert (
        "Kenji Lead's team: stall quadrant (reads as stall) · output 83.3 % of target · quality "
        "+5.9 % vs floor · last 3 spans of 4 weeks: – → 83.3%/+5.9 → 83.3%/+5.9"
    ) in text  # CSAT 90 against a floor of 85, 50 tickets of 60
    assert "Omar Lead's team: stall quadrant (lowest participation, 4 % checked in)" in text
    assert "Maya Lead's team" not in text  # not named by the digest
    assert "All 3 teams with figures, by their last 4 weeks: 0 healthy, 0 strain, 3 stall" in text


def _team(
    i: int, rng: random.Random, reading: TeamReading = "", answered: int = 40
) -> dict[str, Any]:
    output, quality = rng.gauss(97, 12), rng.gauss(4, 4)
    trail: list[list[float] | None] = []
    for _ in range(3):
        trail.append([round(output, 1), round(quality, 1)])
        if reading == "strain":
            output, quality = output + 8, quality - 3
        elif reading == "stall":
            output, quality = output - 4, max(quality, 2) + 0.5
        else:
            output, quality = output + rng.gauss(0, 3), quality + rng.gauss(0, 1)
    people = 3 + i % 12
    return asdict(
        TeamPulse(
            f"Manager {i:04d}'s team", people, True, answered, 48, reading=reading, trail=trail
        )
    )


def test_the_teams_picture_stays_readable_with_a_thousand_teams(
    lens_org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    """1,000 teams: 12 in strain, 9 in stall, a few with low participation. The digest names 5
    flagged and 3 lowest; only those are named (tests/fixtures/hr_digest_teams.png)."""
    from PIL import Image

    from cadence.delivery.charts import OTHER, SIGNAL_COLOURS

    rng = random.Random(12)
    teams = [
        _team(i, rng, "strain" if i % 83 == 5 else "stall" if i % 111 == 7 else "", 30 + i % 19)
        for i in range(1000)
    ]
    teams += [asdict(TeamPulse("Tiny team", 2, False))]  # below the minimum: no figures
    teams[500]["answered"] = teams[501]["answered"] = teams[502]["answered"] = 5
    org = asdict(TeamPulse("Whole organisation", 7500, True, 40000, 48000))
    figures = {"org": org, "teams": teams, "outcomes": [], "quarter": "2026-Q4"}
    with session_scope(lens_org.engine) as s:
        lens_repo.save_snapshot("themes", "2026-W47", "[]", WEDNESDAY, session=s)
        lens_repo.save_snapshot("pulse", "2026-W47", json.dumps(figures), WEDNESDAY, session=s)
    clock.set(FIRST_MONDAY)
    send_hr_digests(lens_org, FIRST_MONDAY)
    started = time.perf_counter()
    sender.drain()
    drawn_in = time.perf_counter() - started
    [png] = fake.uploads.values()
    if os.environ.get("CADENCE_REGENERATE_FIXTURES"):
        CHART.write_bytes(png)
    with read_scope(lens_org.engine) as s:
        [row] = [d for d in s.exec(select(Delivery)) if d.kind == "hr-digest-chart"]
    drawn = json.loads(row.payload)["teams"]
    named = [t["name"] for t in drawn if t["named"]]
    flagged = [t["label"] for t in teams if t["reading"]][:5]
    assert named == [*flagged, *(f"Manager {i:04d}'s team" for i in (500, 501, 502))]
    assert len(drawn) == 1000 and "Tiny team" not in row.payload
    image = Image.open(io.BytesIO(png))
    assert image.size == (1200, 900)
    assert drawn_in < 10  # drawn and uploaded by the sender (seconds on a loaded machine)
    # Strain orange, stall yellow, the rest grey: as the digest reads them.
    for colour in (SIGNAL_COLOURS[SignalKind.STRAIN], SIGNAL_COLOURS[SignalKind.STALL], OTHER):
        assert _has_colour(image, colour)


# ---------------------------------------------------------------- output far above target


def test_a_team_at_400_percent_of_target_reads_400_for_hr_and_for_the_managers(
    deps: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock, http_app: HttpApp
) -> None:
    """Output as % of target is one rule, never capped: Tom's team closes 4 times its target
    (240 tickets of 60) on average over HR's 12 weeks and in the last 4 (the strain HR is
    shown: 440 % then 360 % then 400 % while CSAT falls). HR's lens, HR's picture, Tom's
    manager's digest and the picture of Tom's own digest all say 400 %, none 300 %."""
    from tests.test_digests import MANAGERS, MONDAY_PARIS_9, PERIOD, run_digests

    hr = "U0HR,hr@example.com,Hana HR,,support,Europe/Paris,true\n"
    seed_org(deps, fake, MANAGERS + "\n" + hr)
    assert last_closed_week(WEDNESDAY) == PERIOD
    for sid in ("U0R1", "U0R2", "U0R3"):
        _weeks(deps, sid, [(93, 264)] * 4 + [(93, 216)] * 4 + [(86, 240)] * 4, PERIOD)
    fake.fail_next("files.getUploadURLExternal", 10, status=200, error="not_allowed")
    run_digests(deps, sender, clock, MONDAY_PARIS_9)
    maya = json.dumps([c.args for c in fake.messages_to("U0MAYA")], ensure_ascii=False)
    assert "Tom Lead: healthy quadrant (digest: Healthy) · output 400 % of target" in maya
    tom = "\n".join(json.dumps(c.args, ensure_ascii=False) for c in fake.messages_to("U0TOM"))
    assert tom.count("output 400 % of target") == 3  # each report on his picture, as text
    assert "300 %" not in maya + tom

    run_lens(deps, WEDNESDAY)
    home = _home(fake, http_app, "U0HR", 1)
    assert "*Tom Lead's team* · strain" in home
    assert "output 400 % of target" in home  # the team's 12 weeks
    fake.fail_next("files.getUploadURLExternal", 10, status=200, error="not_allowed")
    clock.set(FIRST_MONDAY)
    send_hr_digests(deps, FIRST_MONDAY)
    sender.drain()
    _, picture = fake.messages_to("U0HR")
    text = json.dumps(picture.args, ensure_ascii=False)
    assert (
        "Tom Lead's team: healthy quadrant (reads as strain) · output 400 % of target · quality "
        "+1.2 % vs floor · last 3 spans of 4 weeks: 440%/+9.4 → 360%/+9.4 → 400%/+1.2"
    ) in text
    assert "300 %" not in home + text


def test_a_pulse_stored_before_the_teams_had_trails_still_gets_hr_its_picture(
    lens_org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    """The last weekly run stored the pulse as it was before HR's picture (no team has a
    trail): the monthly digest computes that week's figures again rather than going without
    the picture until the next weekly run."""
    run_lens(lens_org, WEDNESDAY)
    with session_scope(lens_org.engine) as s:
        [row] = [r for r in s.exec(select(LensSnapshot)) if r.kind == "pulse"]
        figures = json.loads(row.payload)
        for team in [figures["org"], *figures["teams"]]:
            del team["trail"]
        row.payload = json.dumps(figures)
    clock.set(FIRST_MONDAY)
    assert send_hr_digests(lens_org, FIRST_MONDAY).counts == {"messages queued": 2}
    sender.drain()
    [digest] = fake.messages_to("U0HR")
    assert "The picture that follows puts each team of 3 or more" in json.dumps(digest.args)
    [(channel, title, alt)] = _uploads(fake)
    assert (channel, title) == ("D0HR", TEAMS_TITLE)
    assert "Kenji Lead's team: reads as stall" in alt
    # Stored with its trails: the next digest (another admin, a re-run) reads them as they are.
    with read_scope(lens_org.engine) as s:
        [row] = [r for r in s.exec(select(LensSnapshot)) if r.kind == "pulse"]
    assert all("trail" in t for t in json.loads(row.payload)["teams"])
