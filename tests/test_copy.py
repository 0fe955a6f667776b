"""Copy tells the truth: counts with the right plural, who can see check-in answers (the
manager chain, HR only through audited exports, nobody above someone without a manager), and
no promise of something that does not follow. Through signed requests and rendered payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.domain.words import plural
from cadence.prompts import ids
from cadence.services.checkins import send_weekly_checkins
from cadence.services.deps import Deps
from cadence.storage.db import read_scope
from cadence.storage.models import FeedbackRound
from tests.conftest import ORG, HttpApp, button_click, seed_org, view_submission
from tests.fakeslack import FakeSlack
from tests.test_digests import run_digests, team_week
from tests.test_feedback_kudos import feedback_values, open_feedback, texts_to
from tests.test_home_and_privacy import home_event
from tests.test_plans import open_modal, plan_values
from tests.test_reviews import QUARTER, REVIEW_TIME, home_text, open_view, submit_self
from tests.test_round_nominations import ORG as ROUND_ORG
from tests.test_rounds import (
    answer,
    open_answer_modal,
    request_value,
    round_values,
    start_round,
)
from tests.test_weeks_and_absences import say

SOLO = ORG + "U0SOLO,solo@example.com,Sol Solo,,support,Europe/Paris,false\n"
NOBODY_ABOVE = "You have no manager in Cadence, so nobody above you sees those weeks; HR only "


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


def test_the_away_copy_says_who_sees_the_weeks_with_and_without_a_manager(
    deps: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    seed_org(deps, fake, SOLO)
    ana = say(http_app, "U0ANA", "away 2026-11-19 2026-11-27")
    assert "Your manager sees *away* for those weeks, not a missing check-in." in ana
    # Sol has no manager in Cadence: nobody above her sees those weeks, HR only in an export.
    sol = say(http_app, "U0SOLO", "away 2026-11-19 2026-11-27")
    assert NOBODY_ABOVE + "through audited exports." in sol and "manager sees" not in sol
    for n, (user, says) in enumerate(
        [("U0ANA", "Your manager sees *away*"), ("U0SOLO", NOBODY_ABOVE)], start=1
    ):
        http_app.interactive(button_click(user, ids.HOME_AWAY_NEW, ""))
        modal = json.dumps(fake.wait_for("views.open", n)[-1].args["view"], ensure_ascii=False)
        assert says in modal, user
    assert "manager sees" not in modal


def test_a_self_assessment_says_who_reads_it_and_what_follows_without_a_manager(
    deps: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> None:
    seed_org(deps, fake, SOLO)
    clock.set(REVIEW_TIME)
    ana = open_view(http_app, fake, "U0ANA", ids.REVIEW_SELF_OPEN, QUARTER)
    assert "once submitted, your manager and their managers read it" in json.dumps(ana)
    assert ana["submit"]["text"] == "Submit to my manager"
    view = open_view(http_app, fake, "U0SOLO", ids.REVIEW_SELF_OPEN, QUARTER)
    sol = json.dumps(view, ensure_ascii=False)
    assert (
        "once submitted, nobody above you reads it (you have no manager in Cadence); HR only "
        "through audited exports"
    ) in sol
    assert view["submit"]["text"] == "Submit" and "your manager" not in sol
    submit_self(http_app, fake, "U0SOLO")
    home = home_text(http_app, fake, "U0SOLO")
    assert "you have no manager in Cadence, so no manager's assessment follows" in home
    assert "manager's assessment is next" not in home
    http_app.interactive(button_click("U0SOLO", ids.REVIEW_SELF_OPEN, QUARTER))
    note = fake.wait_for("chat.postEphemeral", 1)[-1].args["text"]
    assert "no manager's assessment follows" in note and "writes theirs" not in note


def test_a_round_about_someone_without_a_manager_names_hr_where_a_manager_would_be(
    deps: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    """Lea heads the org chart; Hal (HR) runs a round about her: her own view goes to Hal, who
    shares the results with her."""
    seed_org(deps, fake, ROUND_ORG)
    assert not start_round(http_app, fake, round_values(["U0LEAD"], ["self"], []), "U0HAL").body
    sender.drain()
    modal = open_answer_modal(http_app, fake, "U0LEAD")
    assert (
        "shown with your name to the HR admin who ran the round (you have no manager in Cadence)"
    ) in modal
    answer(http_app, fake, "U0LEAD", "4", "SELF-COMMENT")
    with read_scope(deps.engine) as s:
        round_id = s.execute(select(FeedbackRound)).scalar_one().id
    http_app.interactive(button_click("U0HAL", ids.ROUND_CLOSE, str(round_id)))
    fake.wait_for("chat.postEphemeral", 1)
    sender.drain()
    [results] = [m for m in fake.messages_to("U0HAL") if ids.ROUND_RELEASE in json.dumps(m.args)]
    http_app.interactive(button_click("U0HAL", ids.ROUND_RELEASE, request_value(results)))
    fake.wait_for("chat.postEphemeral", 2)
    sender.drain()
    [mine] = [m for m in fake.messages_to("U0LEAD") if "Your feedback results" in m.args["text"]]
    told = json.dumps(mine.args, ensure_ascii=False)
    assert "Hal Hr shared these with you; talk them through together." in told
    assert "Your manager" not in told


def test_a_plan_for_someone_without_a_manager_names_no_manager_chain(
    deps: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    seed_org(deps, fake, ROUND_ORG)  # Hal (HR) opens a plan for Lea, who has no manager
    view = open_modal(http_app, fake, "U0HAL", "<@U0LEAD>")
    assert not http_app.interactive(view_submission("U0HAL", view, plan_values())).body
    sender.drain()
    [dm] = fake.messages_to("U0LEAD")
    told = json.dumps(dm.args, ensure_ascii=False)
    assert "You and HR see it, nobody else" in told and "manager chain" not in told
    assert "You and HR see this plan, nobody else." in home_text(http_app, fake, "U0LEAD")


def test_shared_feedback_says_who_sees_it_with_and_without_a_manager(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    for receiver in ("U0ANA", "U0LEAD"):  # Lea heads the org chart: no manager
        view = open_feedback(http_app, fake, "U0BEN")
        values = feedback_values(receiver, "Clear write-up")
        assert not http_app.interactive(view_submission("U0BEN", view, values)).body
    sender.drain()
    assert "Visible to Ana and their manager." in texts_to(fake, "U0ANA")
    lea = texts_to(fake, "U0LEAD")
    assert "Visible to Lea only: they have no manager in Cadence." in lea
    assert "Visible to Lea and their manager" not in lea + texts_to(fake, "U0BEN")
