"""Quarterly reviews end to end through the real Bolt app over signed HTTP and the fake Slack
server: the prompt job, the evidence pack, drafts kept on close, submission, the manager's
assessment and release, acknowledgement, a manager change, and who may see what."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col, select

from cadence.delivery.sender import OutboxSender
from cadence.domain.checkins import CheckinAnswers
from cadence.domain.clock import FixedClock
from cadence.prompts import ids
from cadence.services.deps import Deps
from cadence.services.reviews import send_review_prompts
from cadence.storage import repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import AuditEvent, Person, Review
from tests.conftest import ORG, HttpApp, button_click, load_org, payload, view_submission
from tests.fakeslack import FakeSlack

REVIEW_TIME = datetime(2026, 12, 18, 10, 0, tzinfo=UTC)  # Friday 11:00 in Paris
QUARTER = "2026-Q4"


def seed_quarter(
    deps: Deps, slack_id: str, weeks: Sequence[int], quality: float, output: float
) -> None:
    """Check-ins for `weeks` of 2026; the person is in Cadence since before the first one."""
    with session_scope(deps.engine) as s:
        person = repo.person_by_slack_id(slack_id, session=s)
        assert person is not None and person.id is not None
        first = datetime.fromisocalendar(2026, weeks[0], 1).replace(tzinfo=UTC)
        since = min(person.created_at, first)
        s.execute(update(Person).where(col(Person.id) == person.id).values(created_at=since))
        for w in weeks:
            answers = CheckinAnswers(quality, output, 4, f"Win in week {w} <!channel>", "", "")
            repo.save_answers(person.id, f"2026-W{w:02d}", answers, deps.clock.now(), session=s)


def review_of(deps: Deps, slack_id: str) -> Review | None:
    with read_scope(deps.engine) as s:
        person = repo.person_by_slack_id(slack_id, session=s)
        assert person is not None
        return s.execute(
            select(Review).where(Review.person_id == person.id, Review.quarter == QUARTER)
        ).scalar_one_or_none()


def open_view(http: HttpApp, fake: FakeSlack, user: str, action: str, value: str) -> dict[str, Any]:
    before = fake.count("views.open")
    assert http.interactive(button_click(user, action, value)).status == 200
    view: dict[str, Any] = fake.wait_for("views.open", before + 1)[-1].args["view"]
    return view


def rating(value: str | None) -> dict[str, Any]:
    selected = {"text": {"type": "plain_text", "text": value}, "value": value} if value else None
    return {"type": "static_select", "selected_option": selected}


def text(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def self_values(ratings: list[str | None], achievements: str | None) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = {
        f"{ids.B_RV_RATE}{i}": {ids.A_RV_RATE: rating(r)} for i, r in enumerate(ratings)
    }
    values[ids.B_RV_ACHIEVEMENTS] = {ids.A_RV_ACHIEVEMENTS: text(achievements)}
    values[ids.B_RV_GROW] = {ids.A_RV_GROW: text("Coaching")}
    values[ids.B_RV_GOALS] = {ids.A_RV_GOALS: text(None)}
    return values


def manager_values(ratings: list[str | None], narrative: str) -> dict[str, Any]:
    values: dict[str, dict[str, Any]] = {
        f"{ids.B_RV_RATE}{i}": {ids.A_RV_RATE: rating(r)} for i, r in enumerate(ratings)
    }
    values[ids.B_RV_NARRATIVE] = {ids.A_RV_NARRATIVE: text(narrative)}
    return values


def save_draft(
    http: HttpApp, fake: FakeSlack, user: str, view: dict[str, Any], values: dict[str, Any]
) -> dict[str, Any]:
    """Click "Save draft" inside the open modal (a block_actions carrying the view and its
    state, as Slack sends it); the modal Slack is told to show next."""
    data = button_click(user, ids.REVIEW_SAVE_DRAFT, "draft")
    for key in ("channel", "message", "response_url"):
        data.pop(key, None)
    data["container"] = {"type": "view", "view_id": "V0MODAL"}
    data["actions"][0]["block_id"] = ids.B_RV_DRAFT
    data["view"] = {
        "id": "V0MODAL",
        "hash": "1700000000.abc",
        "type": "modal",
        "callback_id": view["callback_id"],
        "private_metadata": view.get("private_metadata", ""),
        "blocks": view["blocks"],
        "state": {"values": values},
    }
    before = fake.count("views.update")
    assert http.interactive(data).status == 200
    updated = fake.wait_for("views.update", before + 1)[-1].args
    assert updated["view_id"] == "V0MODAL"
    shown: dict[str, Any] = updated["view"]
    return shown


def closed(user: str, view: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    data = view_submission(user, view, values)
    data["type"] = "view_closed"
    data["is_cleared"] = False
    return data


def home_text(http: HttpApp, fake: FakeSlack, user: str) -> str:
    data = payload("app_home_opened_home.json")
    data["event"]["user"] = user
    before = fake.count("views.publish")
    assert http.event(data).status == 200
    return json.dumps(
        fake.wait_for("views.publish", before + 1)[-1].args["view"], ensure_ascii=False
    )


def submit_self(http: HttpApp, fake: FakeSlack, user: str) -> None:
    view = open_view(http, fake, user, ids.REVIEW_SELF_OPEN, QUARTER)
    resp = http.interactive(
        view_submission(user, view, self_values(["4", "4", "5", "3"], "Shipped it"))
    )
    assert resp.status == 200 and not resp.body


def test_prompts_go_out_in_the_last_two_weeks_in_working_hours_once(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 12, 18, 15, 0, tzinfo=UTC))  # the sender's clock: all are due
    assert send_review_prompts(org, REVIEW_TIME - timedelta(days=1)).counts == {}
    report = send_review_prompts(org, REVIEW_TIME)
    sender.drain()
    # Paris is at 11:00; New York (05:00), Honolulu and Tonga (night) wait for their morning.
    assert report.counts == {"self-assessment prompts": 2}
    dm = fake.messages_to("U0ANA")[0]
    button = next(b for b in dm.args["blocks"] if b["type"] == "actions")["elements"][0]
    assert (button["action_id"], button["value"]) == (ids.REVIEW_SELF_OPEN, QUARTER)
    assert send_review_prompts(org, REVIEW_TIME + timedelta(hours=1)).counts == {}
    send_review_prompts(org, datetime(2026, 12, 18, 15, 0, tzinfo=UTC))  # 10:00 in New York
    sender.drain()
    assert len(fake.messages_to("U0BEN")) == 1
    assert len(fake.messages_to("U0ANA")) == 1


def test_self_assessment_evidence_draft_kept_on_close_then_submitted(
    org: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(REVIEW_TIME)
    seed_quarter(org, "U0ANA", range(40, 51), quality=80, output=50)
    send_review_prompts(org, REVIEW_TIME)
    sender.drain()
    assert (
        http_app.command("/kudos", "U0LEAD", "<@U0ANA|ana> calm on the <!here> outage").status
        == 200
    )
    assert sender.drain() == 1  # the kudos post, after the two review DMs (Lea, Ana)
    view = open_view(http_app, fake, "U0ANA", ids.REVIEW_SELF_OPEN, QUARTER)
    shown = json.dumps(view, ensure_ascii=False)
    # W40..W51 so far; W51 is not answered but open until Tuesday 22 Dec 12:00: not missed.
    assert "Checked in 11 of 11 weeks that were due · not due yet: week of 14 Dec" in shown
    assert "Oct: 5 of 5 weeks · CSAT 80 % (floor 85, 5 weeks below)" in shown
    assert '(weeks)\\nQuality below floor 11"' in shown  # no "Missing" for the open week
    assert "Win in week 50 &lt;!channel&gt;" in shown and "<!channel>" not in shown
    assert "18 Dec from Lea Lead: calm on the @here outage" in shown  # neutralised by /kudos
    assert view["notify_on_close"] is True
    labels = [
        b["label"]["text"]
        for b in view["blocks"]
        if b.get("block_id", "").startswith(ids.B_RV_RATE)
    ]
    assert labels == list(org.roles["support"].competencies)

    # Closing the modal keeps what was typed as a draft; reopening shows it.
    resp = http_app.interactive(closed("U0ANA", view, self_values(["4", None, None, None], "Half")))
    assert resp.status == 200
    draft = review_of(org, "U0ANA")
    assert draft is not None and draft.self_submitted_at is None
    assert json.loads(draft.self_answers)["achievements"] == "Half"
    view = open_view(http_app, fake, "U0ANA", ids.REVIEW_SELF_OPEN, QUARTER)
    first = next(b for b in view["blocks"] if b.get("block_id") == f"{ids.B_RV_RATE}0")
    assert first["element"]["initial_option"]["value"] == "4"
    ach = next(b for b in view["blocks"] if b.get("block_id") == ids.B_RV_ACHIEVEMENTS)
    assert ach["element"]["initial_value"] == "Half"

    # Submitting as final needs every rating and the achievements.
    resp = http_app.interactive(
        view_submission("U0ANA", view, self_values(["4", None, "3", None], ""))
    )
    errors = resp.json()["errors"]
    assert set(errors) == {f"{ids.B_RV_RATE}1", f"{ids.B_RV_RATE}3", ids.B_RV_ACHIEVEMENTS}
    assert "Problem solving" in errors[f"{ids.B_RV_RATE}1"]
    resp = http_app.interactive(
        view_submission("U0ANA", view, self_values(["4", "4", "5", "3"], "Shipped"))
    )
    assert resp.status == 200 and not resp.body
    review = review_of(org, "U0ANA")
    assert review is not None and review.self_submitted_at is not None

    # Her manager is prompted; the DM she got turns into a 'submitted' note.
    sender.drain()
    lea = fake.messages_to("U0LEAD")[-1]
    button = next(b for b in lea.args["blocks"] if b["type"] == "actions")["elements"][0]
    assert (button["action_id"], button["value"]) == (ids.REVIEW_MANAGER_OPEN, "U0ANA|2026-Q4")
    assert any("submitted" in c.args["text"] for c in fake.calls("chat.update"))
    # A submitted self-assessment no longer opens for editing.
    before = fake.count("views.open")
    http_app.interactive(button_click("U0ANA", ids.REVIEW_SELF_OPEN, QUARTER))
    note = fake.wait_for("chat.postEphemeral", 1)[-1]
    assert "You submitted your self-assessment" in note.args["text"]
    assert fake.count("views.open") == before


def test_evidence_on_the_monday_of_the_quarters_last_week_counts_only_weeks_that_were_due(
    org: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp, clock: FixedClock
) -> None:
    # In October Ana skips week 44 from the DM's button and declares 16–20 Nov (week 47) away.
    clock.set(datetime(2026, 10, 30, 15, 0, tzinfo=UTC))  # Friday 16:00 in Paris
    http_app.interactive(button_click("U0ANA", ids.CHECKIN_SKIP, "2026-W44"))
    resp = http_app.command("/cadence", "U0ANA", "away 2026-11-16 2026-11-20")
    assert resp.status == 200
    # She answers every other week up to week 51 except week 49; weeks 52 and 53 are open.
    answered = [w for w in range(40, 52) if w not in (44, 47, 49)]
    seed_quarter(org, "U0ANA", answered, quality=80, output=50)
    monday = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)  # Monday of W53, 10:00 in Paris
    clock.set(monday)
    send_review_prompts(org, monday)
    sender.drain()
    view = open_view(http_app, fake, "U0ANA", ids.REVIEW_SELF_OPEN, QUARTER)
    shown = json.dumps(view, ensure_ascii=False)
    # 12 weeks were due (W40..W51): 9 answered, 1 skipped, 1 away, 1 missed. Last week's
    # deadline is tomorrow 12:00 and this week has just started: neither is missed.
    assert (
        "Checked in 9 of 12 weeks that were due · 1 skipped, 1 away · 1 missed · "
        "not due yet: week of 21 Dec, week of 28 Dec"
    ) in shown
    assert "Dec: 2 of 3 weeks" in shown  # W49..W51; W52 and W53 are not due
    assert '(weeks)\\nQuality below floor 9 · Missing 1"' in shown


def test_manager_assessment_release_and_acknowledgement_with_privacy(
    org: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(REVIEW_TIME)
    seed_quarter(org, "U0ANA", range(40, 51), quality=90, output=62)
    submit_self(http_app, fake, "U0ANA")

    # Someone outside Ana's manager chain is refused (Ben is a peer).
    http_app.interactive(button_click("U0BEN", ids.REVIEW_MANAGER_OPEN, "U0ANA|2026-Q4"))
    refusal = fake.wait_for("chat.postEphemeral", 1)[-1]
    assert "not Ana Agent's manager" in refusal.args["text"]

    view = open_view(http_app, fake, "U0LEAD", ids.REVIEW_MANAGER_OPEN, "U0ANA|2026-Q4")
    shown = json.dumps(view, ensure_ascii=False)
    assert "Ana Agent's self-assessment" in shown and "Shipped it" in shown
    assert "Ana Agent's quarter in evidence" in shown
    # Two outcomes, two buttons: Save draft (partial is fine) and Release to Ana.
    assert view["submit"]["text"] == "Release to Ana"
    assert all(b.get("optional") is False for b in view["blocks"] if b["type"] == "input")
    saved = save_draft(
        http_app, fake, "U0LEAD", view, manager_values(["3", "4", None, None], "Draft words")
    )
    assert "💾 Draft saved Friday 18 Dec, 11:00. They see nothing until you release it." in (
        json.dumps(saved, ensure_ascii=False)
    )
    assert review_of(org, "U0ANA").released_at is None  # type: ignore[union-attr]
    assert "Draft words" not in home_text(http_app, fake, "U0ANA")
    assert "Ana Agent has submitted a self-assessment" in home_text(http_app, fake, "U0LEAD")

    # Releasing needs every rating and a narrative; then Ana gets it in a DM and App Home.
    resp = http_app.interactive(
        view_submission("U0LEAD", view, manager_values(["3", "4", None, None], ""))
    )
    assert set(resp.json()["errors"]) == {
        f"{ids.B_RV_RATE}2",
        f"{ids.B_RV_RATE}3",
        ids.B_RV_NARRATIVE,
    }
    resp = http_app.interactive(
        view_submission(
            "U0LEAD", view, manager_values(["3", "4", "4", "5"], "Great <@U0BOSS> year")
        )
    )
    assert resp.status == 200 and not resp.body
    sender.drain()
    dm = fake.messages_to("U0ANA")[-1]
    assert "released your review" in dm.args["text"]
    body = json.dumps(dm.args["blocks"], ensure_ascii=False)
    assert "Great &lt;@U0BOSS&gt; year" in body and "Product knowledge: 4" in body
    home = home_text(http_app, fake, "U0ANA")
    assert "Great &lt;@U0BOSS&gt; year" in home and "Not acknowledged yet" in home

    view = open_view(http_app, fake, "U0ANA", ids.REVIEW_ACK_OPEN, QUARTER)
    resp = http_app.interactive(
        view_submission("U0ANA", view, {ids.B_RV_ACK: {ids.A_RV_ACK: text("Thanks, agreed")}})
    )
    assert resp.status == 200
    review = review_of(org, "U0ANA")
    assert review is not None and review.acknowledged_at is not None
    assert review.ack_comment == "Thanks, agreed"
    assert "You acknowledged it" in home_text(http_app, fake, "U0ANA")


def test_manager_change_during_the_quarter_new_manager_assesses_old_loses_access(
    org: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(REVIEW_TIME)
    submit_self(http_app, fake, "U0ANA")
    view = open_view(http_app, fake, "U0LEAD", ids.REVIEW_MANAGER_OPEN, "U0ANA|2026-Q4")
    save_draft(http_app, fake, "U0LEAD", view, manager_values(["2"], "Lea's draft"))
    # Ana moves to Ben's team.
    load_org(
        org,
        ORG.replace(
            "U0ANA,ana@example.com,Ana Agent,U0LEAD", "U0ANA,ana@example.com,Ana Agent,U0BEN"
        ),
    )
    resp = http_app.interactive(
        view_submission("U0LEAD", view, manager_values(["3", "3", "3", "3"], "Late"))
    )
    assert "not Ana Agent's manager" in resp.json()["errors"][ids.B_RV_NARRATIVE]
    http_app.interactive(button_click("U0LEAD", ids.REVIEW_MANAGER_OPEN, "U0ANA|2026-Q4"))
    assert "not Ana Agent's manager" in fake.wait_for("chat.postEphemeral", 1)[-1].args["text"]

    # The job prompts the new manager in his working hours (10:00 in New York).
    ny_morning = datetime(2026, 12, 18, 15, 0, tzinfo=UTC)
    clock.set(ny_morning)
    assert send_review_prompts(org, ny_morning).counts.get("manager prompts") == 1
    sender.drain()
    ben = fake.messages_to("U0BEN")[-1]
    assert "Ana Agent has submitted" in ben.args["text"]
    view = open_view(http_app, fake, "U0BEN", ids.REVIEW_MANAGER_OPEN, "U0ANA|2026-Q4")
    assert "Lea's draft" not in json.dumps(view)  # the old manager's draft is not handed over
    resp = http_app.interactive(
        view_submission("U0BEN", view, manager_values(["3", "3", "4", "3"], "Ben's view"))
    )
    assert resp.status == 200 and not resp.body
    review = review_of(org, "U0ANA")
    assert review is not None and review.released_at is not None
    with read_scope(org.engine) as s:
        ben_person = repo.person_by_slack_id("U0BEN", session=s)
    assert ben_person is not None and review.manager_id == ben_person.id


def test_person_who_joined_mid_quarter_is_measured_from_their_first_week(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 11, 12, 10, 0, tzinfo=UTC))  # Thursday of 2026-W46
    load_org(org, ORG + "U0EVE,eve@example.com,Eve New,U0LEAD,support,Europe/Paris,false\n")
    fake.add_user("U0EVE", name="Eve New", email="eve@example.com", tz="Europe/Paris")
    clock.set(REVIEW_TIME)
    seed_quarter(org, "U0EVE", range(46, 51), quality=90, output=61)
    view = open_view(http_app, fake, "U0EVE", ids.REVIEW_SELF_OPEN, QUARTER)
    shown = json.dumps(view, ensure_ascii=False)
    assert "Checked in 5 of 5 weeks that were due" in shown  # W51 is open until Tuesday
    assert "counted from the week of 9 Nov, when you joined" in shown


def test_export_reviews_is_audited(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    import io

    from cadence.services.reviews import export_reviews

    clock.set(REVIEW_TIME)
    submit_self(http_app, fake, "U0ANA")
    out = io.StringIO()
    assert export_reviews(org, out, actor="cli") == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("slack_id,name,period,")
    assert lines[1].startswith("U0ANA,Ana Agent,2026-Q4,support")
    with read_scope(org.engine) as s:
        events = list(s.execute(select(AuditEvent)).scalars())
    assert [(e.actor, e.action) for e in events][-1] == ("cli", "export.reviews")


def test_evidence_pack_prefers_imported_metrics(
    org: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp, clock: FixedClock
) -> None:
    from cadence.storage import digest_repo

    clock.set(REVIEW_TIME)
    seed_quarter(org, "U0ANA", range(40, 51), quality=80, output=50)
    with session_scope(org.engine) as s:
        ana = repo.person_by_slack_id("U0ANA", session=s)
        assert ana is not None and ana.id is not None
        digest_repo.upsert_metric_values(
            [
                digest_repo.ImportedMetric(ana.id, f"2026-W{w}", "quality", 95)
                for w in range(40, 45)
            ],
            "zendesk",
            clock.now(),
            session=s,
        )
    send_review_prompts(org, REVIEW_TIME)
    sender.drain()
    view = open_view(http_app, fake, "U0ANA", ids.REVIEW_SELF_OPEN, QUARTER)
    shown = json.dumps(view, ensure_ascii=False)
    # October's five weeks come from the import (95 %), not the self-reported 80 %.
    assert "Oct: 5 of 5 weeks · CSAT 95 %" in shown


def test_self_assessment_has_save_draft_and_submit_and_home_says_where_it_stands(
    org: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(REVIEW_TIME)
    line = "*Quarterly review* · 2026-Q4 (Oct–Dec): "
    assert f"{line}your self-assessment is open; nothing written yet." in home_text(
        http_app, fake, "U0ANA"
    )
    view = open_view(http_app, fake, "U0ANA", ids.REVIEW_SELF_OPEN, QUARTER)
    # Two outcomes, two buttons; no radio changing what one button does.
    assert view["submit"]["text"] == "Submit to my manager"
    draft_button = next(b for b in view["blocks"] if b.get("block_id") == ids.B_RV_DRAFT)
    assert [e["text"]["text"] for e in draft_button["elements"]] == ["Save draft"]
    assert not any(b.get("element", {}).get("type") == "radio_buttons" for b in view["blocks"])
    required = {b["block_id"] for b in view["blocks"] if b["type"] == "input" and not b["optional"]}
    assert required == {f"{ids.B_RV_RATE}{i}" for i in range(4)} | {ids.B_RV_ACHIEVEMENTS}

    # A partial draft is saved as it is (no field errors), and the modal says so.
    saved = save_draft(http_app, fake, "U0ANA", view, self_values(["4", None, None, None], ""))
    assert "💾 Draft saved Friday 18 Dec, 11:00. Only you see it" in json.dumps(
        saved, ensure_ascii=False
    )
    draft = review_of(org, "U0ANA")
    assert draft is not None and draft.self_submitted_at is None
    assert json.loads(draft.self_answers)["ratings"] == {"Customer empathy": 4}
    assert (
        f"{line}your self-assessment is a draft (saved 18 Dec), seen by you alone until you "
        "submit it." in home_text(http_app, fake, "U0ANA")
    )
    submit_self(http_app, fake, "U0ANA")
    assert (
        f"{line}you submitted your self-assessment on 18 Dec; Lea Lead's assessment is next."
        in (home_text(http_app, fake, "U0ANA"))
    )
    lea = open_view(http_app, fake, "U0LEAD", ids.REVIEW_MANAGER_OPEN, "U0ANA|2026-Q4")
    resp = http_app.interactive(
        view_submission("U0LEAD", lea, manager_values(["3", "4", "4", "5"], "Good quarter"))
    )
    assert resp.status == 200 and not resp.body
    assert f"{line}Lea Lead released your review on 18 Dec; read it below." in home_text(
        http_app, fake, "U0ANA"
    )
    ack = open_view(http_app, fake, "U0ANA", ids.REVIEW_ACK_OPEN, QUARTER)
    http_app.interactive(view_submission("U0ANA", ack, {ids.B_RV_ACK: {ids.A_RV_ACK: text("")}}))
    assert (
        f"{line}Lea Lead released your review on 18 Dec and you acknowledged it on 18 Dec."
        in home_text(http_app, fake, "U0ANA")
    )


def test_a_managers_evidence_is_their_teams_pair(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(REVIEW_TIME)
    seed_quarter(org, "U0LEAD", range(40, 51), quality=99, output=9)  # Lea's own numbers
    seed_quarter(org, "U0ANA", range(40, 51), quality=80, output=50)  # her one answering report
    view = open_view(http_app, fake, "U0LEAD", ids.REVIEW_SELF_OPEN, QUARTER)
    shown = json.dumps(view, ensure_ascii=False)
    # Lea manages Ana, Ben and Dan: she is read by the team (Ana below the 85 % floor, 50 of
    # 60 tickets), never by her own 99 % and 9 deliverables.
    assert (
        "Oct: 5 of 5 weeks · Team below the floor 100 % (floor 20, 5 weeks below) · "
        "Team output 83.3 % of target (target 100, met 0 of 5)"
    ) in shown
    assert "Review pass rate" not in shown and "Deliverables shipped" not in shown
