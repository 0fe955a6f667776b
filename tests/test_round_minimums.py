"""The anonymity minimum per team and per person (App Home → Settings): in a round, each
subject's peer and report groups open only with max(the round's minimum, the subject's own
minimum as it stood when the round was created). Reviewers are promised that number, HR's
Home and summary report it, and a later settings change leaves the round as promised."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.prompts import ids
from cadence.services.deps import Deps
from cadence.services.rounds import run_rounds
from cadence.storage.db import read_scope
from cadence.storage.models import RoundAnswer, SealedAnswer
from tests.conftest import HttpApp, button_click, view_submission
from tests.fakeslack import FakeSlack
from tests.test_home_and_privacy import home_event
from tests.test_rounds import BIG_ORG, answer_values, org_in_slack, round_values, start_round
from tests.test_settings import errors_of, form, saved, submit

HR = "U0LEAD"
MORE_ORG = BIG_ORG + (
    "U0GIA,gia@example.com,Gia Giver,U0LEAD,engineering,Europe/Paris,false\n"
    "U0HAL,hal@example.com,Hal Helper,U0LEAD,engineering,Europe/Paris,false\n"
)
PEERS = ["U0DAN", "U0EVE", "U0FIN", "U0GIA"]
CLOSE_AT = datetime(2026, 12, 4, 17, 5, tzinfo=UTC)  # after the deadline, 18:00 Paris


@pytest.fixture
def more_org(deps: Deps, fake: FakeSlack) -> Deps:
    return org_in_slack(deps, fake, MORE_ORG)


def requests_in_dm(fake: FakeSlack, user: str) -> dict[str, tuple[str, str]]:
    """Subject name → (request id, the line the reviewer reads) from their round DM as it
    reads now (the first post, or its latest update)."""
    channel = "D" + user[1:]  # the fake Slack's DM channel of a user
    calls = [
        c
        for c in fake.calls()
        if c.method in ("chat.postMessage", "chat.update")
        and c.ok
        and str(c.args.get("channel", "")) in (user, channel)
        and any(str(b.get("block_id", "")).startswith("subject_") for b in c.args["blocks"])
    ]
    found: dict[str, tuple[str, str]] = {}
    for block in calls[-1].args["blocks"]:
        if str(block.get("block_id", "")).startswith("subject_"):
            text = block["text"]["text"]
            found[text.split("*")[1]] = (block["block_id"].removeprefix("subject_"), text)
    return found


def answer_about(
    http: HttpApp, fake: FakeSlack, user: str, subject: str, rating: str, comment: str
) -> str:
    """Answer the reviewer's request about `subject`; the answer modal's promise."""
    request, _ = requests_in_dm(fake, user)[subject]
    before = fake.count("views.open")
    http.interactive(button_click(user, ids.ROUND_ANSWER_OPEN, request))
    view = fake.wait_for("views.open", before + 1)[-1].args["view"]
    resp = http.interactive(view_submission(user, view, answer_values(view, rating, comment)))
    assert resp.status == 200 and not resp.body, resp.body
    return json.dumps(view["blocks"][:2], ensure_ascii=False)


def hr_home(http: HttpApp, fake: FakeSlack) -> str:
    before = fake.count("views.publish")
    http.event(home_event(HR))
    return json.dumps(fake.wait_for("views.publish", before + 1)[-1].args, ensure_ascii=False)


def test_a_team_minimum_keeps_its_subjects_small_group_closed_and_is_fixed_at_creation(
    more_org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> None:
    # HR gives Ben's team (Ben and Cat) a minimum of 5; the modal no longer says org-only.
    before = fake.count("views.open")
    http_app.interactive(button_click(HR, ids.HOME_SETTINGS_OPEN, ""))
    modal = json.dumps(fake.wait_for("views.open", before + 1)[-1].args["view"])
    assert "Organisation only" not in modal
    assert "a team's or person's higher value applies to the rounds about them" in modal
    assert saved(submit(http_app, fake, HR, form("team", "U0BEN", anonymity_minimum="5")))
    assert "Team of Ben Builder · Anonymity minimum (new rounds): 5" in hr_home(http_app, fake)

    # A round about Cat (in Ben's team) and Ana (outside it), minimum 3 as HR typed.
    values = round_values(["U0ANA", "U0CAT"], ["peer"], PEERS, minimum="3")
    assert not start_round(http_app, fake, values).body
    sender.drain()
    started = next(m for m in fake.messages_to(HR) if "started" in m.args["text"])
    assert "Minimum 3 answers per group (5 for 1 person" in json.dumps(started.args)
    dm = requests_in_dm(fake, "U0DAN")
    assert "anonymous, shown only combined once 5 peers answered" in dm["Cat Closer"][1]
    assert "anonymous, shown only combined once 3 peers answered" in dm["Ana Agent"][1]

    # Settings change after the round was created: the round keeps what it promised.
    assert saved(submit(http_app, fake, HR, form("team", "U0BEN", anonymity_minimum="inherit")))
    assert saved(submit(http_app, fake, HR, form("person", "U0ANA", anonymity_minimum="6")))
    for i, peer in enumerate(PEERS):
        modal_text = answer_about(http_app, fake, peer, "Cat Closer", "4", f"ABOUT-CAT-{i}")
        assert "at least 5 of you" in modal_text
        modal_text = answer_about(http_app, fake, peer, "Ana Agent", "4", f"ABOUT-ANA-{i}")
        assert "at least 3 of you" in modal_text
    sender.drain()
    updated = requests_in_dm(fake, "U0GIA")  # the DM updated as Gia answered
    assert "once 5 peers answered" in updated["Cat Closer"][1]
    assert "once 3 peers answered" in updated["Ana Agent"][1]
    assert "minimum 3 (5 for 1 person)" in hr_home(http_app, fake)

    # The deadline: Ana's 4 peer answers open; Cat's 4 are below her 5, deleted unread.
    fake.clear()
    clock.set(CLOSE_AT)
    assert run_rounds(more_org, clock.now()).counts == {"results queued": 2, "rounds closed": 1}
    sender.drain()
    [ana_results, summary] = fake.messages_to(HR)
    ana = json.dumps(ana_results.args, ensure_ascii=False)
    assert "Feedback results for Ana Agent" in ana and "Peers* · 4 answers" in ana
    assert "ABOUT-ANA-0" in ana and "4.0" in ana
    [cat_results] = fake.messages_to("U0BEN")  # Cat's manager
    cat = json.dumps(cat_results.args, ensure_ascii=False)
    assert "not enough responses to show (results appear from 5 answers" in cat
    assert "ABOUT-CAT" not in cat and "4.0" not in cat
    with read_scope(more_org.engine) as s:
        assert s.execute(select(SealedAnswer)).scalars().all() == []
        opened = s.execute(select(RoundAnswer)).scalars().all()
    ana_id = _person_id(more_org, "U0ANA")
    assert len(opened) == 4 and {a.subject_id for a in opened} == {ana_id}
    told = json.dumps(summary.args["blocks"], ensure_ascii=False)
    assert "1 subject has a perspective below the minimum of 3 answers (5 for 1 person)" in told
    lines = (
        "*Ana Agent* · answered 4 · declined 0 · overdue 0\\n"
        "*Cat Closer* · answered 4 · declined 0 · overdue 0\\n"
        "      ⚠️ below the minimum of 5: Peers (4)"
    )
    assert lines in told


def _person_id(deps: Deps, slack_id: str) -> int:
    from cadence.storage import repo

    with read_scope(deps.engine) as s:
        person = repo.person_by_slack_id(slack_id, session=s)
    assert person is not None and person.id is not None
    return person.id


def test_a_person_minimum_wins_over_their_team_and_never_goes_below_three(
    more_org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    key = ids.B_SET_KEY.format(key="anonymity_minimum")
    for scope, who in (("person", "U0CAT"), ("team", "U0BEN")):
        errors = errors_of(submit(http_app, fake, HR, form(scope, who, anonymity_minimum="2")))
        assert "at least 3" in errors[key], scope
    assert saved(submit(http_app, fake, HR, form("team", "U0LEAD", anonymity_minimum="6")))
    assert saved(submit(http_app, fake, HR, form("person", "U0CAT", anonymity_minimum="4")))
    values = round_values(["U0ANA", "U0CAT"], ["peer"], PEERS, minimum="3")
    assert not start_round(http_app, fake, values).body
    sender.drain()
    dm: dict[str, Any] = requests_in_dm(fake, "U0DAN")
    # Cat's own 4 wins over the 6 of Lea's team (everyone); Ana has the team's 6.
    assert "once 4 peers answered" in dm["Cat Closer"][1]
    assert "once 6 peers answered" in dm["Ana Agent"][1]


def test_a_team_or_person_minimum_below_the_organisations_is_refused_naming_it(
    more_org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    """A round never needs fewer answers than the organisation's minimum, so a lower team or
    person value would be stored with no effect: the modal refuses it and says why."""
    key = ids.B_SET_KEY.format(key="anonymity_minimum")
    assert saved(submit(http_app, fake, HR, form("org", anonymity_minimum="5")))
    for scope, who in (("team", "U0BEN"), ("person", "U0CAT")):
        errors = errors_of(submit(http_app, fake, HR, form(scope, who, anonymity_minimum="4")))
        assert errors == {
            key: "The organisation's minimum is 5: every round already needs at least 5 "
            'answers per group, so a lower value here would change nothing. Type 5 or more, or "'
            'inherit".'
        }, scope
    assert "(new rounds): 4" not in hr_home(http_app, fake)  # nothing stored
    assert saved(submit(http_app, fake, HR, form("team", "U0BEN", anonymity_minimum="5")))
    assert saved(submit(http_app, fake, HR, form("person", "U0CAT", anonymity_minimum="6")))
    # The organisation's raised later: HR's Home says which stored value no longer does anything.
    assert saved(submit(http_app, fake, HR, form("org", anonymity_minimum="6")))
    home = hr_home(http_app, fake)
    assert (
        "Team of Ben Builder · Anonymity minimum (new rounds): 5 (no effect: the "
        "organisation's 6 applies)"
    ) in home
    assert "Cat Closer · Anonymity minimum (new rounds): 6" in home
    assert "(new rounds): 6 (no effect" not in home
