"""Goals (refused until they pair quality with output, progress from check-ins) and
calibration for HR (distribution, flags, audit), through signed HTTP and the fake Slack."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import col, select, update

from cadence.delivery.sender import OutboxSender
from cadence.domain.checkins import CheckinAnswers
from cadence.domain.clock import FixedClock
from cadence.domain.reviews import Assessment
from cadence.prompts import ids
from cadence.services.deps import Deps
from cadence.storage import repo, review_repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import AuditEvent, Goal, KeyResult, Person
from tests.conftest import HttpApp, view_submission
from tests.fakeslack import FakeSlack
from tests.test_reviews import REVIEW_TIME, home_text, open_view, seed_quarter


def kr(
    slot: int, measure: str | None, base: str, target: str, due: str, desc: str = ""
) -> dict[str, Any]:
    def b(field: str) -> str:
        return ids.B_KR.format(slot=slot, field=field)

    def a(field: str) -> str:
        return ids.A_KR.format(field=field)

    option = {"text": {"type": "plain_text", "text": "x"}, "value": measure} if measure else None
    return {
        b("measure"): {a("measure"): {"type": "static_select", "selected_option": option}},
        b("description"): {a("description"): {"type": "plain_text_input", "value": desc or None}},
        b("baseline"): {a("baseline"): {"type": "number_input", "value": base or None}},
        b("target"): {a("target"): {"type": "number_input", "value": target or None}},
        b("due"): {a("due"): {"type": "datepicker", "selected_date": due or None}},
    }


def goal_values(objective: str, *slots: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        ids.B_GOAL_OBJECTIVE: {
            ids.A_GOAL_OBJECTIVE: {"type": "plain_text_input", "value": objective}
        }
    }
    for slot in slots:
        values.update(slot)
    return values


def release(deps: Deps, slack_id: str, ratings: dict[str, int]) -> None:
    """Lea's 2026-Q4 assessment of `slack_id`, released."""
    with session_scope(deps.engine) as s:
        person = repo.person_by_slack_id(slack_id, session=s)
        lea = repo.person_by_slack_id("U0LEAD", session=s)
        assert person and lea and person.id and lea.id
        review_repo.save_manager_assessment(
            person.id,
            "2026-Q4",
            lea.id,
            Assessment(ratings),
            release=True,
            now=REVIEW_TIME,
            session=s,
        )


def open_by_command(http: HttpApp, fake: FakeSlack, user: str, text: str) -> dict[str, Any]:
    before = fake.count("views.open")
    resp = http.command("/cadence", user, text)
    assert resp.status == 200
    view: dict[str, Any] = fake.wait_for("views.open", before + 1)[-1].args["view"]
    return view


def test_goal_needs_quality_and_output_key_results_inside_the_quarter(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(REVIEW_TIME)
    seed_quarter(org, "U0ANA", range(40, 51), quality=86, output=50)
    view = open_by_command(http_app, fake, "U0ANA", "goals")
    assert view["callback_id"] == ids.GOALS_MODAL
    # What is required is marked required: the objective and key results 1 (quality) and 2
    # (output); a key result is explained in one line with an example from her role.
    required = {b["block_id"] for b in view["blocks"] if b["type"] == "input" and not b["optional"]}
    fields = ("measure", "baseline", "target", "due")
    firsts = {ids.B_KR.format(slot=s, field=f) for s in (0, 1) for f in fields}
    assert {ids.B_GOAL_OBJECTIVE} | firsts == required  # not key result 3, not descriptions
    intro = view["blocks"][0]["elements"][0]["text"]
    assert "A key result is one number you will move by a date, e.g. “CSAT from 85 to 90 %" in intro
    only_quality = goal_values("Delight customers", kr(0, "quality:role", "84", "90", "2026-12-31"))
    errors = http_app.interactive(view_submission("U0ANA", view, only_quality)).json()["errors"]
    assert "missing an output (productivity) key result" in errors[ids.B_GOAL_OBJECTIVE]
    bad = goal_values(
        "Delight customers",
        kr(0, "quality:role", "84", "90", "2027-01-05"),
        kr(1, "output:custom", "40", "", "2026-12-31"),
    )
    errors = http_app.interactive(view_submission("U0ANA", view, bad)).json()["errors"]
    assert "inside 2026-Q4" in errors[ids.B_KR.format(slot=0, field="due")]
    assert "Describe the measure" in errors[ids.B_KR.format(slot=1, field="description")]
    assert "target" in errors[ids.B_KR.format(slot=1, field="target")]
    good = goal_values(
        "Delight customers",
        kr(0, "quality:role", "84", "90", "2026-12-31"),
        kr(1, "output:role", "40", "60", "2026-12-31"),
        kr(2, "other:custom", "0", "4", "2026-12-15", desc="Knowledge-base articles"),
    )
    resp = http_app.interactive(view_submission("U0ANA", view, good))
    assert resp.status == 200 and not resp.body
    with read_scope(org.engine) as s:
        [goal] = list(s.execute(select(Goal)).scalars())
    assert goal.quarter == "2026-Q4"
    # Progress: role-metric key results from the latest check-ins (CSAT 86: 2 of 6 → 33 %).
    home = home_text(http_app, fake, "U0ANA")
    assert "Delight customers" in home and "CSAT: 84 → 90 %" in home and "33 %" in home
    assert "Knowledge-base articles: 0 → 4 (no value yet" in home
    assert ids.GOALS_PROGRESS_OPEN in home
    # The described key result's value, typed into 'Update progress' (a comma is a decimal).
    progress = open_view(http_app, fake, "U0ANA", ids.GOALS_PROGRESS_OPEN, "2026-Q4")
    blocks = [str(b.get("block_id", "")) for b in progress["blocks"]]
    [block] = [b for b in blocks if b.startswith(ids.B_KR_VALUE)]
    typed = {block: {ids.A_KR_VALUE: {"type": "plain_text_input", "value": "2,5"}}}
    resp = http_app.interactive(view_submission("U0ANA", progress, typed))
    assert resp.status == 200 and not resp.body
    assert "Knowledge-base articles: 0 → 4" in home_text(http_app, fake, "U0ANA")
    with read_scope(org.engine) as s:
        assert [kr.current_value for kr in s.execute(select(KeyResult)).scalars()] == [
            None,
            None,
            2.5,
        ]


def test_calibration_is_for_hr_only_flags_mismatches_and_is_audited(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(REVIEW_TIME)
    seed_quarter(org, "U0ANA", range(40, 51), quality=70, output=40)  # below the floor
    release(org, "U0ANA", {"Customer empathy": 5, "Problem solving": 5})
    resp = http_app.command("/cadence", "U0ANA", "calibration")
    assert "for HR admins" in resp.body.decode()
    assert fake.calls("views.open") == []
    view = open_by_command(http_app, fake, "U0LEAD", "calibration 2026-Q4")
    shown = json.dumps(view, ensure_ascii=False)
    assert "5: 100% (n 2, mean 5.00)" in shown
    assert (
        "Ana Agent (assessed by Lea Lead): top rating (5.0) while quality sat below the floor"
        in shown
    )
    with read_scope(org.engine) as s:
        events = [(e.actor, e.action, e.subject) for e in s.execute(select(AuditEvent)).scalars()]
    assert ("U0LEAD", "calibration.view", "2026-Q4") in events


def test_calibration_chart_is_uploaded_only_into_a_dm_with_cadence(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock, sender: OutboxSender
) -> None:
    clock.set(REVIEW_TIME)
    release(org, "U0ANA", {"Customer empathy": 3})
    open_by_command(http_app, fake, "U0LEAD", "calibration 2026-Q4")  # from channel C111
    assert fake.files == {}
    before = fake.count("views.open")
    http_app.command("/cadence", "U0LEAD", "calibration 2026-Q4", channel_id="D0LEA")
    fake.wait_for("views.open", before + 1)
    assert fake.files == {}  # drawn and uploaded by the outbox sender, after Slack's answer
    assert sender.drain() == 1
    [chart] = fake.files.values()
    assert chart["channels"] == ["D0LEA"] and chart["name"] == "calibration-2026-Q4.png"


# ---------------------------------------------------------------- managers read by their team


def _team_quarter(deps: Deps) -> None:
    """Ben leads Cat (engineering, read by his team): Cat's win rate sits at 10 % under the
    sales floor of 20 % for weeks 40-50 with 3 deals a week (the target); Ben checks in about
    the team, with no numbers of his own."""
    seed_quarter(deps, "U0CAT", range(40, 51), quality=10, output=3)
    with session_scope(deps.engine) as s:
        ben = repo.person_by_slack_id("U0BEN", session=s)
        assert ben is not None and ben.id is not None
        since = datetime(2026, 9, 1, tzinfo=UTC)  # in Cadence all quarter
        s.execute(update(Person).where(col(Person.id) == ben.id).values(created_at=since))
        for w in range(40, 51):
            answers = CheckinAnswers(None, None, 4, "Team win", "", "")
            repo.save_answers(ben.id, f"2026-W{w:02d}", answers, REVIEW_TIME, session=s)


def test_calibration_reads_a_team_read_manager_by_the_team_pair(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(REVIEW_TIME)
    _team_quarter(org)
    release(org, "U0BEN", {"Technical quality": 5, "Delivery": 5})
    shown = json.dumps(open_by_command(http_app, fake, "U0LEAD", "calibration 2026-Q4"))
    # Ben has no numbers of his own; his pair is his team's, where all of it (Cat) sat below
    # the quality floor every week: the top rating disagrees with it.
    assert (
        "Ben Builder (assessed by Lea Lead): top rating (5.0) while more than 20 % of their "
        "team sat below the quality floor in 11 of 11 answered weeks"
    ) in shown


def test_a_team_read_managers_goals_read_the_team_pair_and_say_when_they_cannot(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(REVIEW_TIME)
    _team_quarter(org)
    view = open_by_command(http_app, fake, "U0BEN", "goals")
    shown = json.dumps(view, ensure_ascii=False)
    assert "Quality · Team below the floor (from your team's check-ins)" in shown
    assert "Output · Team output (from your team's check-ins)" in shown
    assert "Team below the floor from 20 to 15 %" in shown  # lower is better
    assert "Review pass rate" not in shown  # his own metrics: never entered, never read
    good = goal_values(
        "Get the team back above the floor",
        kr(0, "quality:role", "100", "0", "2026-12-31"),
        kr(1, "output:role", "80", "100", "2026-12-31"),
    )
    resp = http_app.interactive(view_submission("U0BEN", view, good))
    assert resp.status == 200 and not resp.body
    # A key result on his own metric, as one was stored before: it has nothing to read.
    with session_scope(org.engine) as s:
        [goal] = list(s.execute(select(Goal)).scalars())
        assert goal.id is not None
        s.add(
            KeyResult(
                goal_id=goal.id,
                position=2,
                kind="quality",
                metric="quality",
                baseline=80,
                target=90,
                due=date(2026, 12, 31),
            )
        )
    with read_scope(org.engine) as s:
        metrics = sorted(k.metric for k in s.execute(select(KeyResult)).scalars())
    assert metrics == ["quality", "team-output", "team-quality"]
    home = home_text(http_app, fake, "U0BEN")
    # The team's pair, as his digest reads it: all of the team below the floor, output on target.
    assert "Team below the floor: 100 → 0 % (now 100; due 31 Dec)" in home
    assert "Team output: 80 → 100 % of target (now 100; due 31 Dec)" in home
    assert "Review pass rate: 80 → 90 % (no individual numbers: read by your team" in home


def _ben_reads(http: HttpApp, fake: FakeSlack) -> dict[str, str]:
    """What Ben is shown on each surface that reads his pair: the check-in modal, his App
    Home, the goals modal and his evidence pack (the self-assessment modal)."""
    assert http.command("/checkin", "U0BEN").status == 200
    checkin = fake.wait_for("views.open", fake.count("views.open"))[-1].args["view"]
    return {
        "check-in": json.dumps(checkin, ensure_ascii=False),
        "home": home_text(http, fake, "U0BEN"),
        "goals": json.dumps(open_by_command(http, fake, "U0BEN", "goals"), ensure_ascii=False),
        "evidence": json.dumps(
            open_view(http, fake, "U0BEN", ids.REVIEW_SELF_OPEN, "2026-Q4"), ensure_ascii=False
        ),
    }


def test_every_surface_reads_a_manager_by_the_same_pair_whatever_their_reports_roles(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    """Whether a manager is read by their team's pair is one test (services.pairs): Ben's
    check-in, Home, goals and evidence pack agree while his only report's role is unknown to
    roles.toml (his own numbers) and once it is known again (his team's)."""
    clock.set(REVIEW_TIME)
    _team_quarter(org)
    seed_quarter(org, "U0BEN", [50], quality=90, output=3)  # numbers of his own one week
    sales = org.roles.pop("sales")  # Cat's role left roles.toml: nobody Cadence reads
    for surface, shown in _ben_reads(http_app, fake).items():
        assert "Review pass rate" in shown, surface
        assert "Team below the floor" not in shown and "team's week" not in shown, surface
    org.roles["sales"] = sales
    for surface, shown in _ben_reads(http_app, fake).items():
        team = "How did your team's week go?" if surface == "check-in" else "Team below the floor"
        assert team in shown, surface
        assert "Review pass rate" not in shown or surface == "home", surface
