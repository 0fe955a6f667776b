"""Peer nominations (issue 10 section 2): only the subject HR chose may nominate; one set per
subject, editable until approved; the approval approves exactly the set it showed; a subject
without a manager has their nominations approved by HR."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlmodel import select

from cadence.delivery.sender import OutboxSender
from cadence.prompts import ids
from cadence.services.deps import Deps
from cadence.storage.db import read_scope
from cadence.storage.models import FeedbackRound, Person, RoundNomination, RoundRequest
from tests.conftest import HttpApp, button_click, seed_org, view_submission
from tests.fakeslack import FakeSlack
from tests.test_rounds import BIG_ORG, request_button, round_values, start_round

ORG = BIG_ORG + "U0HAL,hal@example.com,Hal Hr,U0LEAD,engineering,Europe/Paris,true\n"


@pytest.fixture
def people(deps: Deps, fake: FakeSlack) -> Deps:
    return seed_org(deps, fake, ORG)


def nominate_round(
    http: HttpApp, fake: FakeSlack, subjects: list[str], sender: OutboxSender, hr: str = "U0LEAD"
) -> int:
    values = round_values(subjects, ["peer"], [])
    option = {"text": {"type": "plain_text", "text": "nominate"}, "value": "nominate"}
    values[ids.B_RD_PEER_MODE][ids.A_RD_PEER_MODE]["selected_option"] = option
    resp = start_round(http, fake, values, hr=hr)
    assert resp.status == 200 and not resp.body, resp.body
    sender.drain()
    return int(request_button(fake, subjects[0], ids.ROUND_NOMINATE_OPEN))


def nominate(http: HttpApp, fake: FakeSlack, user: str, round_id: int, who: list[str]) -> Any:
    before = fake.count("views.open")
    http.interactive(button_click(user, ids.ROUND_NOMINATE_OPEN, str(round_id)))
    view = fake.wait_for("views.open", before + 1)[-1].args["view"]
    values = {
        ids.B_RD_NOMINEES: {
            ids.A_RD_NOMINEES: {"type": "multi_users_select", "selected_users": who}
        }
    }
    return http.interactive(view_submission(user, view, values)).json()


def requests_about(deps: Deps, subject: str) -> dict[str, str]:
    """reviewer slack id → status, for peer requests about `subject`."""
    with read_scope(deps.engine) as s:
        people = {p.id: p.slack_id for p in s.execute(select(Person)).scalars()}
        rows = s.execute(select(RoundRequest).where(RoundRequest.perspective == "peer")).scalars()
        return {people[r.reviewer_id]: r.status for r in rows if people[r.subject_id] == subject}


def approvals_to(fake: FakeSlack, user: str) -> list[tuple[str, str]]:
    """(text shown, button value) of each approval DM to `user`."""
    found = []
    for call in fake.messages_to(user):
        for block in call.args.get("blocks") or []:
            for el in block.get("elements") or []:
                if isinstance(el, dict) and el.get("action_id") == ids.ROUND_APPROVE:
                    found.append((json.dumps(call.args["blocks"]), str(el["value"])))
    return found


def test_someone_who_is_not_the_subject_cannot_nominate(
    people: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    round_id = nominate_round(http_app, fake, ["U0ANA"], sender)
    # Dan got Ana's forwarded DM and clicks its button: refused, no modal.
    opened = fake.count("views.open")
    http_app.interactive(button_click("U0DAN", ids.ROUND_NOMINATE_OPEN, str(round_id)))
    note = fake.wait_for("chat.postEphemeral", 1)[-1].args
    assert note["user"] == "U0DAN" and "no nomination for you" in note["text"]
    assert fake.count("views.open") == opened
    # A forged submission of the modal is refused too, and stores nothing.
    view = {
        "callback_id": ids.ROUND_NOMINATE_MODAL,
        "blocks": [],
        "private_metadata": json.dumps({"round": round_id}),
    }
    values = {
        ids.B_RD_NOMINEES: {
            ids.A_RD_NOMINEES: {
                "type": "multi_users_select",
                "selected_users": ["U0BEN", "U0EVE", "U0FIN"],
            }
        }
    }
    resp = http_app.interactive(view_submission("U0DAN", view, values)).json()
    assert resp["response_action"] == "errors"
    assert "no nomination for you" in resp["errors"][ids.B_RD_NOMINEES]
    assert requests_about(people, "U0DAN") == {}
    sender.drain()
    assert approvals_to(fake, "U0LEAD") == [] and approvals_to(fake, "U0HAL") == []


def test_one_set_editable_until_approved_and_the_approval_approves_what_it_showed(
    people: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    round_id = nominate_round(http_app, fake, ["U0ANA"], sender)
    assert "your manager approves the list." in json.dumps(fake.messages_to("U0ANA")[0].args)
    assert nominate(http_app, fake, "U0ANA", round_id, ["U0BEN", "U0DAN", "U0EVE", "U0FIN"]) is None
    assert fake.calls("views.open")[-1].args["view"]["submit"]["text"] == "Send to manager"
    assert nominate(http_app, fake, "U0ANA", round_id, ["U0CAT", "U0DAN", "U0HAL"]) is None
    # One set: the second replaced the first (never 7 people where the cap is 5).
    assert requests_about(people, "U0ANA") == {
        "U0CAT": "nominated",
        "U0DAN": "nominated",
        "U0HAL": "nominated",
    }
    sender.drain()
    (first_text, first), (second_text, second) = approvals_to(fake, "U0LEAD")
    assert "Fin Fixer" in first_text and "Fin Fixer" not in second_text
    assert all(name in second_text for name in ("Cat Closer", "Dan Dev", "Hal Hr"))
    # The first message is stale: approving it approves nothing.
    http_app.interactive(button_click("U0LEAD", ids.ROUND_APPROVE, first))
    assert "changed their nominations" in fake.wait_for("chat.postEphemeral", 1)[-1].args["text"]
    assert set(requests_about(people, "U0ANA").values()) == {"nominated"}
    # The newest one asks exactly the three it listed.
    http_app.interactive(button_click("U0LEAD", ids.ROUND_APPROVE, second))
    assert "Approved" in fake.wait_for("chat.postEphemeral", 2)[-1].args["text"]
    assert requests_about(people, "U0ANA") == {
        "U0CAT": "pending",
        "U0DAN": "pending",
        "U0HAL": "pending",
    }
    sender.drain()
    assert fake.messages_to("U0FIN") == [] and len(fake.messages_to("U0CAT")) == 1
    # Approved: the set can no longer change.
    http_app.interactive(button_click("U0ANA", ids.ROUND_NOMINATE_OPEN, str(round_id)))
    assert "approved already" in fake.wait_for("chat.postEphemeral", 3)[-1].args["text"]


def test_a_subject_without_a_manager_has_hr_approve(
    people: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    # Lea has no manager; she ran the round herself, so the other HR admin approves.
    round_id = nominate_round(http_app, fake, ["U0LEAD"], sender)
    asked = json.dumps([c.args for c in fake.messages_to("U0LEAD")], ensure_ascii=False)
    assert "HR approves the list (you have no manager in Cadence)." in asked
    assert "your manager approves" not in asked
    http_app.interactive(button_click("U0LEAD", ids.ROUND_NOMINATE_OPEN, str(round_id)))
    assert fake.wait_for("views.open", 1)[-1].args["view"]["submit"]["text"] == "Send to HR"
    assert nominate(http_app, fake, "U0LEAD", round_id, ["U0ANA", "U0BEN", "U0DAN"]) is None
    assert requests_about(people, "U0LEAD") == dict.fromkeys(
        ["U0ANA", "U0BEN", "U0DAN"], "nominated"
    )
    sender.drain()
    [(text, value)] = approvals_to(fake, "U0HAL")
    assert "HR approves" in text
    # Not the subject herself, not another employee.
    for who in ("U0LEAD", "U0EVE"):
        http_app.interactive(button_click(who, ids.ROUND_APPROVE, value))
    notes = fake.wait_for("chat.postEphemeral", 2)
    assert all("can approve these nominations" in n.args["text"] for n in notes)
    assert set(requests_about(people, "U0LEAD").values()) == {"nominated"}
    http_app.interactive(button_click("U0HAL", ids.ROUND_APPROVE, value))
    assert "Approved" in fake.wait_for("chat.postEphemeral", 3)[-1].args["text"]
    assert set(requests_about(people, "U0LEAD").values()) == {"pending"}
    with read_scope(people.engine) as s:
        [nomination] = s.execute(select(RoundNomination)).scalars().all()
        hal = s.execute(select(Person).where(Person.slack_id == "U0HAL")).scalar_one()
        assert nomination.approved_by_id == hal.id
        assert s.execute(select(FeedbackRound)).scalar_one().id == round_id
