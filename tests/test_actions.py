"""From signal to owned action: "Plan action" → modal → stored → owner's DM → next digests
until closed; and `/cadence team`. Through signed HTTP and the fake Slack server."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import select

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.prompts import ids
from cadence.services.deps import Deps
from cadence.storage.db import read_scope
from cadence.storage.models import Action
from tests.conftest import HttpApp, button_click, view_submission
from tests.fakeslack import FakeSlack
from tests.test_digests import MONDAY_PARIS_9, PERIOD, run_digests, team_week
from tests.test_home_and_privacy import home_event

PLAN_ANA = json.dumps({"r": "U0ANA", "p": PERIOD, "s": "quality_below_floor"})


def action_values(
    text: str = "Audit five tickets with Ana",
    owner: str = "report",
    other: str | None = None,
    due: str | None = "2026-11-27",
) -> dict[str, dict[str, Any]]:
    option = {"text": {"type": "plain_text", "text": owner}, "value": owner} if owner else None
    return {
        ids.B_ACTION_WHAT: {ids.A_ACTION_WHAT: {"type": "plain_text_input", "value": text}},
        ids.B_ACTION_OWNER: {
            ids.A_ACTION_OWNER: {"type": "radio_buttons", "selected_option": option}
        },
        ids.B_ACTION_OTHER: {ids.A_ACTION_OTHER: {"type": "users_select", "selected_user": other}},
        ids.B_ACTION_DUE: {ids.A_ACTION_DUE: {"type": "datepicker", "selected_date": due}},
    }


def open_plan(http: HttpApp, fake: FakeSlack, user: str, value: str = PLAN_ANA) -> dict[str, Any]:
    before = fake.count("views.open")
    assert http.interactive(button_click(user, ids.DIGEST_PLAN, value)).status == 200
    view: dict[str, Any] = fake.wait_for("views.open", before + 1)[-1].args["view"]
    return view


def submit(http: HttpApp, user: str, view: dict[str, Any], values: dict[str, Any]) -> Any:
    # The same opened modal keeps its view id across submissions (as in Slack).
    data = view_submission(user, view, values, view_id=f"V{id(view)}")
    resp = http.interactive(data)
    assert resp.status == 200
    return resp.json()


def stored(deps: Deps) -> list[Action]:
    with read_scope(deps.engine) as s:
        return list(s.execute(select(Action).order_by(Action.id)).scalars())  # type: ignore[arg-type]


def test_plan_action_is_stored_the_owner_is_told_and_it_returns_until_done(
    org: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp, clock: FixedClock
) -> None:
    team_week(org)
    run_digests(org, sender, clock, MONDAY_PARIS_9)
    clock.set(MONDAY_PARIS_9 + timedelta(minutes=20))
    view = open_plan(http_app, fake, "U0LEAD")
    assert view["title"]["text"] == "Plan an action"
    what = view["blocks"][1]["element"]["initial_value"]
    assert what == "Quality audit before any output push"  # the signal's suggested action
    assert submit(http_app, "U0LEAD", view, action_values(text="Review <!channel> tickets")) is None
    [action] = stored(org)
    assert (action.owner_kind, action.owner_slack_id, action.status) == ("report", "U0ANA", "open")
    assert (action.period, action.signal, str(action.due)) == (
        PERIOD,
        "quality_below_floor",
        "2026-11-27",
    )
    sender.drain()
    [dm] = [c for c in fake.messages_to("U0ANA")]
    # The owner reads what it is about: their week and the signal.
    assert (
        "Lea Lead asked you to own an action about your week of 16 Nov (quality below floor)"
        in (dm.args["text"])
    )
    assert "<!channel>" not in json.dumps(dm.args) and "&lt;!channel&gt;" in json.dumps(dm.args)

    # Next Monday: the open action with Done / Still open; nothing closed yet.
    run_digests(org, sender, clock, MONDAY_PARIS_9 + timedelta(days=7))
    week48 = fake.messages_to("U0LEAD")[-1]
    blocks = week48.args["blocks"]
    header = next(b for b in blocks if "*Open actions*" in b.get("text", {}).get("text", ""))
    assert "Open actions* (1) · since last Monday 0 of 1 closed" in header["text"]["text"]
    buttons = next(b for b in blocks if b.get("block_id") == f"action_{action.id}")["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (ids.ACTION_DONE, str(action.id)),
        (ids.ACTION_KEEP, str(action.id)),
    ]
    # Due last Friday and still open: the digest says it is overdue.
    assert "owner Ana Agent · ⚠️ overdue since Fri 27 Nov" in json.dumps(blocks, ensure_ascii=False)

    # Someone else cannot close it; "Still open" keeps it; Done closes it.
    http_app.interactive(button_click("U0BEN", ids.ACTION_DONE, str(action.id)))
    assert "Only the manager" in fake.wait_for("chat.postEphemeral", 1)[-1].args["text"]
    http_app.interactive(button_click("U0LEAD", ids.ACTION_KEEP, str(action.id)))
    assert "Kept open" in fake.wait_for("chat.postEphemeral", 2)[-1].args["text"]
    assert stored(org)[0].status == "open"
    clicked = button_click("U0LEAD", ids.ACTION_DONE, str(action.id))
    clicked["container"]["message_ts"] = week48.response["ts"]  # type: ignore[index]
    http_app.interactive(clicked)
    assert "Marked done" in fake.wait_for("chat.postEphemeral", 3)[-1].args["text"]
    assert stored(org)[0].status == "done"
    # The digest message itself loses the buttons and says who closed it and when.
    sender.drain()
    [updated] = fake.calls("chat.update")
    assert updated.args["ts"] == week48.response["ts"]  # type: ignore[index]
    row = next(b for b in updated.args["blocks"] if b.get("block_id") == f"action_{action.id}")
    assert row["type"] == "context"
    assert row["elements"][0]["text"] == "✅ Done · marked by Lea Lead on Mon 30 Nov"
    assert ids.ACTION_DONE not in json.dumps(updated.args["blocks"])
    # A second click (an old copy of the message) says so instead of closing it again.
    http_app.interactive(clicked)
    again = fake.wait_for("chat.postEphemeral", 4)[-1].args["text"]
    assert again == "That action was already marked done on Mon 30 Nov; nothing more to do."

    run_digests(org, sender, clock, MONDAY_PARIS_9 + timedelta(days=14))
    week49 = json.dumps(fake.messages_to("U0LEAD")[-1].args, ensure_ascii=False)
    assert "Open actions* (0) · since last Monday 1 of 1 closed" in week49
    assert ids.ACTION_DONE not in week49


def test_action_form_errors_come_back_on_their_fields_and_nothing_is_stored(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(MONDAY_PARIS_9)
    view = open_plan(http_app, fake, "U0LEAD")
    body = submit(http_app, "U0LEAD", view, action_values(owner="other", due="2026-11-01"))
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {ids.B_ACTION_OTHER, ids.B_ACTION_DUE}
    assert "past" in body["errors"][ids.B_ACTION_DUE]
    assert stored(org) == []
    # Someone else as owner: they get the action, not the report's signal.
    assert submit(http_app, "U0LEAD", view, action_values(owner="other", other="U0DAN")) is None
    assert submit(http_app, "U0LEAD", view, action_values(owner="other", other="U0DAN")) is None
    assert len(stored(org)) == 1  # the same modal submitted twice is stored once


def test_only_the_reports_manager_can_plan_an_action(
    org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    http_app.interactive(button_click("U0BEN", ids.DIGEST_PLAN, PLAN_ANA))
    note = fake.wait_for("chat.postEphemeral", 1)[-1]
    assert note.args["user"] == "U0BEN" and "Only their manager" in note.args["text"]
    assert fake.calls("views.open") == []


def test_cadence_team_shows_the_current_digest_privately(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    team_week(org)
    clock.set(datetime(2026, 11, 25, 10, 0, tzinfo=UTC))  # Wednesday: last week is W47
    assert http_app.command("/cadence", "U0LEAD", "team").status == 200
    opened = fake.wait_for("views.open", 1)[-1]
    assert opened.args["trigger_id"] == "trig-U0LEAD"
    view = opened.args["view"]
    text = json.dumps(view, ensure_ascii=False)
    assert view["title"]["text"] == "Team digest" and "2026-W47" in text
    assert "*Ana Agent* · Quality below floor" in text and "Cat Closer" not in text
    assert fake.violations == []
    # Plan action from inside the modal stacks the form on top of it.
    plan = button_click("U0LEAD", ids.DIGEST_PLAN, PLAN_ANA)
    plan["container"] = {"type": "view", "view_id": "V1"}
    http_app.interactive(plan)
    pushed = fake.wait_for("views.push", 1)[-1]
    assert pushed.args["view"]["callback_id"] == ids.ACTION_MODAL


def test_cadence_team_for_someone_without_reports_is_a_friendly_no(
    org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    for user in ("U0ANA", "U0NOBODY"):
        resp = http_app.command("/cadence", user, "team")
        assert resp.status == 200 and "Nobody reports to you" in resp.body.decode()
    assert fake.calls("views.open") == []


def test_the_suggestion_left_as_it_is_is_refused_say_what_will_happen(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(MONDAY_PARIS_9)
    view = open_plan(http_app, fake, "U0LEAD")
    suggested = view["blocks"][1]["element"]["initial_value"]
    for text in (suggested, suggested.lower() + ".", "  Check workflow, approvals,  capacity "):
        body = submit(http_app, "U0LEAD", view, action_values(text=text))
        assert body["response_action"] == "errors"
        assert set(body["errors"]) == {ids.B_ACTION_WHAT}
        assert body["errors"][ids.B_ACTION_WHAT].startswith("Say what will happen")
    assert stored(org) == []
    text = "Pair with Ana on five tickets on Thursday"
    assert submit(http_app, "U0LEAD", view, action_values(text=text)) is None
    assert [a.text for a in stored(org)] == [text]


def test_someone_else_as_owner_reads_the_report_but_not_the_signal_and_sees_it_overdue_at_home(
    org: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(MONDAY_PARIS_9)
    view = open_plan(http_app, fake, "U0LEAD")
    values = action_values(text="Dan shows Ana the QA checklist", owner="other", other="U0DAN")
    assert submit(http_app, "U0LEAD", view, values) is None
    sender.drain()
    [dm] = fake.messages_to("U0DAN")
    assert dm.args["text"].startswith(
        "Lea Lead asked you to own an action about Ana Agent (week of 16 Nov): Dan shows Ana"
    )
    assert "quality" not in json.dumps(dm.args).lower()  # Dan is not in Ana's manager chain

    # Dan's App Home lists it; once the due date has passed in his zone, as overdue.
    home = home_event("U0DAN")
    http_app.event(home)
    first = json.dumps(fake.wait_for("views.publish", 1)[-1].args["view"], ensure_ascii=False)
    assert "*Actions you own*" in first
    line = (
        "☐ Dan shows Ana the QA checklist — about Ana Agent, week of 16 Nov · planned by Lea Lead"
    )
    assert f"{line} · due Fri 27 Nov" in first
    clock.set(datetime(2026, 11, 27, 11, 0, tzinfo=UTC))  # Saturday 28 Nov in Tonga
    http_app.event(home)
    later = json.dumps(fake.wait_for("views.publish", 2)[-1].args["view"], ensure_ascii=False)
    assert f"{line} · ⚠️ overdue since Fri 27 Nov" in later


def test_closing_two_actions_of_one_digest_keeps_both_marked_done(
    org: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp, clock: FixedClock
) -> None:
    team_week(org)
    run_digests(org, sender, clock, MONDAY_PARIS_9)
    clock.set(MONDAY_PARIS_9 + timedelta(minutes=20))
    for text in ("Audit five tickets together", "Review the QA checklist with Ana"):
        view = open_plan(http_app, fake, "U0LEAD")
        assert submit(http_app, "U0LEAD", view, action_values(text=text)) is None
    run_digests(org, sender, clock, MONDAY_PARIS_9 + timedelta(days=7))
    digest = next(
        m for m in fake.messages_to("U0LEAD") if ids.ACTION_DONE in json.dumps(m.args["blocks"])
    )
    first, second = (a.id for a in stored(org))
    for n, action_id in enumerate((first, second), start=1):
        click = button_click("U0LEAD", ids.ACTION_DONE, str(action_id))
        click["container"]["message_ts"] = digest.response["ts"]  # type: ignore[index]
        http_app.interactive(click)
        fake.wait_for("chat.postEphemeral", n)
        sender.drain()
    last = fake.calls("chat.update")[-1].args["blocks"]
    done = [b for b in last if b.get("block_id") in {f"action_{first}", f"action_{second}"}]
    assert [b["type"] for b in done] == ["context", "context"]
    assert ids.ACTION_DONE not in json.dumps(last)
