"""Development plans: a manager opens one for a report (`/cadence plan @person`) with a
quality and an output result, support with owners, check-in dates and an end; the person is
told and sees it on their Home; the manager chain and HR see it, nobody else; a PIP only with
HR; it ends with an outcome, audited."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import select

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.domain.periods import shift_week
from cadence.prompts import ids
from cadence.services.deps import Deps
from cadence.storage import repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Action, AuditEvent, Plan
from tests.conftest import HttpApp, button_click, view_submission
from tests.fakeslack import FakeSlack
from tests.test_digests import MONDAY_PARIS_9, PERIOD, answer, digest_text, run_digests
from tests.test_home_and_privacy import home_event

# ORG: Lea leads Ana, Ben and Dan; Ben manages Cat. Lea is HR. Friday 20 Nov 2026.


def plan_values(
    quality: str = "CSAT at or above 88 % for 6 weeks",
    output: str = "55 tickets a week without dropping below the floor",
    support: str = "Weekly mentoring with a senior agent",
    owner: str | None = "U0BEN",
    checkin: str | None = "2026-12-11",
    end: str | None = "2027-01-29",
    kind: str = "development",
) -> dict[str, dict[str, Any]]:
    def date_(value: str | None) -> dict[str, Any]:
        return {"type": "datepicker", "selected_date": value}

    return {
        ids.B_PLAN_KIND: {
            ids.A_PLAN_KIND: {"type": "static_select", "selected_option": {"value": kind}}
        },
        ids.B_PLAN_QUALITY: {ids.A_PLAN_QUALITY: {"type": "plain_text_input", "value": quality}},
        ids.B_PLAN_OUTPUT: {ids.A_PLAN_OUTPUT: {"type": "plain_text_input", "value": output}},
        "b_plan_support0": {ids.A_PLAN_SUPPORT: {"type": "plain_text_input", "value": support}},
        "b_plan_owner0": {ids.A_PLAN_OWNER: {"type": "users_select", "selected_user": owner}},
        "b_plan_support1": {ids.A_PLAN_SUPPORT: {"type": "plain_text_input", "value": None}},
        "b_plan_owner1": {ids.A_PLAN_OWNER: {"type": "users_select", "selected_user": None}},
        "b_plan_checkin0": {ids.A_PLAN_CHECKIN: date_(checkin)},
        "b_plan_checkin1": {ids.A_PLAN_CHECKIN: date_(None)},
        ids.B_PLAN_END: {ids.A_PLAN_END_DATE: date_(end)},
    }


def open_modal(http_app: HttpApp, fake: FakeSlack, user: str, text: str) -> dict[str, Any]:
    before = fake.count("views.open")
    r = http_app.command("/cadence", user, f"plan {text}")
    assert r.status == 200 and not r.body, r.body
    view: dict[str, Any] = fake.wait_for("views.open", before + 1)[-1].args["view"]
    return view


def plans(deps: Deps) -> list[Plan]:
    with read_scope(deps.engine) as s:
        return list(s.exec(select(Plan)))


def test_a_manager_opens_a_plan_the_person_is_told_and_sees_it_on_home(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    view = open_modal(http_app, fake, "U0BEN", "<@U0CAT|cat>")
    text = json.dumps(view, ensure_ascii=False)
    assert "A plan for *Cat Closer*" in text and "nobody else" in text
    kinds = view["blocks"][1]["element"]["options"]
    assert [o["value"] for o in kinds] == ["development"]  # a PIP only with HR
    r = http_app.interactive(view_submission("U0BEN", view, plan_values()))
    assert r.status == 200 and not r.body
    [plan] = plans(org)
    assert (plan.kind, plan.status, str(plan.end_date)) == ("development", "open", "2027-01-29")
    sender.drain()
    [dm] = fake.messages_to("U0CAT")
    told = json.dumps(dm.args, ensure_ascii=False)
    assert "Ben Builder opened a *development plan* with you" in told
    assert "CSAT at or above 88 %" in told and "<@U0BEN>" in told
    assert http_app.event(home_event("U0CAT")).status == 200
    home = json.dumps(fake.calls("views.publish")[-1].args["view"], ensure_ascii=False)
    assert "*Your development plan* · until Fri 29 Jan 2027 · next check-in Fri 11 Dec 2026" in home
    with read_scope(org.engine) as s:
        [audit] = s.exec(select(AuditEvent).where(AuditEvent.action == "plan.open")).all()
    assert (audit.actor, audit.subject) == ("U0BEN", "U0CAT")


def test_the_modal_says_what_is_missing_and_stores_nothing(
    org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    view = open_modal(http_app, fake, "U0BEN", "<@U0CAT>")
    bad = plan_values(quality=" ", owner=None, end="2026-11-01")
    r = http_app.interactive(view_submission("U0BEN", view, bad))
    errors = r.json()["errors"]
    assert set(errors) == {ids.B_PLAN_QUALITY, "b_plan_support0", ids.B_PLAN_END}
    assert errors["b_plan_support0"] == "Every support has an owner: pick who gives it."
    forged = plan_values(kind="pip")
    r = http_app.interactive(view_submission("U0BEN", view, forged))
    assert "opened with HR" in r.json()["errors"][ids.B_PLAN_KIND]
    assert plans(org) == []


def test_only_the_management_line_or_hr_opens_and_sees_a_plan(
    org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    # Dan is Cat's peer: no modal; a forged submission stores nothing.
    r = http_app.command("/cadence", "U0DAN", "plan <@U0CAT>")
    assert "Only someone in their management line, or HR" in r.body.decode()
    view = open_modal(http_app, fake, "U0BEN", "<@U0CAT>")
    r = http_app.interactive(view_submission("U0DAN", view, plan_values()))
    assert "management line" in r.json()["errors"][ids.B_PLAN_KIND]
    assert plans(org) == []
    # HR (Lea, also Ben's manager) opens a PIP.
    view = open_modal(http_app, fake, "U0LEAD", "<@U0CAT>")
    assert [o["value"] for o in view["blocks"][1]["element"]["options"]] == ["development", "pip"]
    r = http_app.interactive(view_submission("U0LEAD", view, plan_values(kind="pip")))
    assert not r.body
    for viewer, sees in [
        ("U0CAT", True),
        ("U0BEN", True),
        ("U0LEAD", True),
        ("U0DAN", False),
        ("U0ANA", False),
    ]:
        http_app.event(home_event(viewer))
        home = json.dumps(fake.calls("views.publish")[-1].args["view"], ensure_ascii=False)
        assert ("performance improvement plan" in home) == sees, viewer


def test_a_plan_ends_with_an_outcome_checked_at_click_time_and_audited(
    org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    view = open_modal(http_app, fake, "U0BEN", "<@U0CAT>")
    http_app.interactive(view_submission("U0BEN", view, plan_values()))
    [plan] = plans(org)
    value = str(plan.id)
    # A forwarded button clicked by a peer does nothing.
    http_app.interactive(button_click("U0DAN", ids.PLAN_END["completed"], value))
    assert plans(org)[0].status == "open"
    http_app.interactive(button_click("U0BEN", ids.PLAN_END["extended"], value))
    assert str(plans(org)[0].end_date) == "2027-02-26"
    http_app.interactive(button_click("U0BEN", ids.PLAN_END["completed"], value))
    assert plans(org)[0].status == "completed"
    http_app.interactive(button_click("U0BEN", ids.PLAN_END["closed"], value))
    notes = [c.args["text"] for c in fake.calls("chat.postEphemeral")]
    assert any("Only someone in their management line" in n for n in notes)
    assert notes[-1] == "This plan already ended (completed)."
    with read_scope(org.engine) as s:
        actions = [a.action for a in s.exec(select(AuditEvent)) if a.action.startswith("plan.")]
    assert actions == ["plan.open", "plan.extended", "plan.completed"]


def test_the_persons_checkin_modal_shows_their_plan_and_nobody_elses(
    org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    view = open_modal(http_app, fake, "U0BEN", "<@U0CAT>")
    http_app.interactive(view_submission("U0BEN", view, plan_values()))
    for user, shows in (("U0CAT", True), ("U0DAN", False)):
        before = fake.count("views.open")
        http_app.command("/checkin", user)
        modal = json.dumps(fake.wait_for("views.open", before + 1)[-1].args["view"])
        assert ("CSAT at or above 88 %" in modal) == shows, user


def test_the_managers_digest_lists_the_plan_and_says_whether_last_months_action_helped(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> None:
    # Ben opens a plan for Cat; Lea's action on Ana's quality (week 43) was closed since.
    view = open_modal(http_app, fake, "U0BEN", "<@U0CAT>")
    http_app.interactive(view_submission("U0BEN", view, plan_values()))
    for back in range(8, 4, -1):  # weeks 39–42: CSAT 80, under the floor
        answer(org, "U0ANA", shift_week(PERIOD, -back), 80, 60)
    answer(org, "U0ANA", shift_week(PERIOD, -4), 80, 60)  # week 43: the signal
    for back in range(3, -1, -1):  # weeks 44–47: back to 90
        answer(org, "U0ANA", shift_week(PERIOD, -back), 90, 60)
    now = org.clock.now()
    with session_scope(org.engine) as s:
        lea, ana = (repo.person_by_slack_id(x, session=s) for x in ("U0LEAD", "U0ANA"))
        assert lea is not None and ana is not None and lea.id and ana.id
        s.add(
            Action(
                manager_id=lea.id,
                report_id=ana.id,
                period=shift_week(PERIOD, -4),
                signal="quality_below_floor",
                text="Shadow a senior on hard tickets",
                owner_kind="report",
                owner_slack_id="U0ANA",
                due=date(2026, 11, 1),
                status="done",
                created_at=now,
                updated_at=now,
                closed_at=now,
            )
        )
    fake.clear()
    run_digests(org, sender, clock, MONDAY_PARIS_9)
    lea_digest = digest_text(fake, "U0LEAD")
    assert "Ana Agent (quality below floor, week of 19 Oct): yes, quality recovered" in lea_digest
    run_digests(org, sender, clock, datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # 09:00 in NY
    ben_digest = digest_text(fake, "U0BEN")
    assert "📋 Cat Closer · development plan · next check-in Fri 11 Dec 2026" in ben_digest
    assert "development plan" not in lea_digest  # Cat is not Lea's direct report
