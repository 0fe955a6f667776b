"""Copy tells the truth: counts with the right plural, who can see check-in answers (the
manager chain, HR only through audited exports, nobody above someone without a manager), and
no promise of something that does not follow. Through signed requests and rendered payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.domain.words import plural
from cadence.prompts import ids
from cadence.services.checkins import send_weekly_checkins
from cadence.services.deps import Deps
from tests.conftest import ORG, HttpApp, seed_org
from tests.fakeslack import FakeSlack
from tests.test_digests import run_digests, team_week
from tests.test_home_and_privacy import home_event
from tests.test_rounds import round_values, start_round


def test_plural_says_one_person_and_two_people() -> None:
    assert [plural(n, "person") for n in (0, 1, 2)] == ["0 people", "1 person", "2 people"]
    assert [plural(n, "week") for n in (1, 8)] == ["1 week", "8 weeks"]


def test_who_sees_the_answers_is_said_truthfully_with_and_without_a_manager(
    org: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp
) -> None:
    send_weekly_checkins(org, org.clock.now())
    sender.drain()
    ana = json.dumps(fake.messages_to("U0ANA")[0].args["blocks"], ensure_ascii=False)
    assert "Your manager and the managers above them see your answers; HR only through " in ana
    assert "Only you and your manager" not in ana
    # Lea heads the org chart: nobody above her reads her answers.
    http_app.event(home_event("U0LEAD"))
    lea = json.dumps(fake.wait_for("views.publish", 1)[-1].args["view"], ensure_ascii=False)
    assert "You have no manager in Cadence, so nobody above you reads your answers" in lea
    assert "Only you and your manager" not in lea
    http_app.command("/checkin", "U0LEAD")
    modal = json.dumps(fake.wait_for("views.open", 1)[-1].args["view"], ensure_ascii=False)
    assert "nobody above you reads your answers; HR only through audited exports" in modal


def _blockers_placeholder(view: dict[str, Any]) -> str:
    [block] = [b for b in view["blocks"] if b.get("block_id") == ids.B_BLOCKERS]
    return str(block["element"]["placeholder"]["text"])


def test_the_blockers_hint_says_who_reads_them_with_and_without_a_manager(
    deps: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    seed_org(deps, fake, ORG + "U0SOLO,solo@example.com,Sol Solo,,support,Europe/Paris,false\n")
    http_app.command("/checkin", "U0ANA")
    ana = fake.wait_for("views.open", 1)[-1].args["view"]
    assert _blockers_placeholder(ana) == "Anything in your way? Your manager sees this."
    # Sol has no manager in Cadence: nobody above her reads them, HR only through an export.
    http_app.command("/checkin", "U0SOLO")
    sol = fake.wait_for("views.open", 2)[-1].args["view"]
    assert _blockers_placeholder(sol) == (
        "Anything in your way? Nobody above you sees this; HR only through audited exports."
    )
    assert "manager sees" not in json.dumps(sol)


def test_a_round_for_one_person_says_one_person(
    org: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp
) -> None:
    assert not start_round(http_app, fake, round_values(["U0ANA"], ["manager"], [])).body
    sender.drain()
    notes = [c.args["text"] for c in fake.messages_to("U0LEAD")]
    assert any("started: 1 person, 1 request" in n for n in notes), notes


def test_the_team_modal_promises_no_chart_that_does_not_follow(
    org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    http_app.command("/cadence", "U0LEAD", "team")
    view = json.dumps(fake.wait_for("views.open", 1)[-1].args["view"], ensure_ascii=False)
    assert "chart follows" not in view and "Team digest" in view


def test_a_digest_for_a_team_of_one_says_one_report(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    team_week(org)
    run_digests(org, sender, clock, datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # 09:00 NY
    [ben] = [m for m in fake.messages_to("U0BEN") if m.args["text"].startswith("Team digest")]
    assert ben.args["text"].endswith(": 1 of 1 report needs you this week.")
