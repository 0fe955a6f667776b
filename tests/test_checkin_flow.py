"""The weekly check-in loop end to end: scheduled DM → button → modal → submit → DM updated,
through the real Bolt app over signed HTTP and the fake Slack Web API server."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlmodel import select

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.prompts import ids
from cadence.scheduler import tick
from cadence.services.checkins import send_reminders, send_weekly_checkins
from cadence.services.deps import Deps
from cadence.storage.db import read_scope
from cadence.storage.models import Checkin, Delivery, Person
from tests.conftest import ORG, HttpApp, button_click, load_org, view_submission
from tests.fakeslack import FakeSlack
from tests.test_reviews import home_text

FRIDAY_PARIS_15 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
MONDAY_PARIS_10 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def values(
    quality: str | None = "92.5",
    output: str | None = "55",
    mood: str | None = "4",
    wins: str = "Closed the backlog",
    blockers: str = "",
    priorities: str = "",
) -> dict[str, dict[str, Any]]:
    def number(v: str | None) -> dict[str, Any]:
        return {"type": "number_input", "value": v}

    def text(v: str) -> dict[str, Any]:
        return {"type": "plain_text_input", "value": v or None}

    selected = (
        {"text": {"type": "plain_text", "text": mood, "emoji": True}, "value": mood}
        if mood
        else None
    )
    return {
        ids.B_QUALITY: {ids.A_QUALITY: number(quality)},
        ids.B_OUTPUT: {ids.A_OUTPUT: number(output)},
        ids.B_MOOD: {ids.A_MOOD: {"type": "static_select", "selected_option": selected}},
        ids.B_WINS: {ids.A_WINS: text(wins)},
        ids.B_BLOCKERS: {ids.A_BLOCKERS: text(blockers)},
        ids.B_PRIORITIES: {ids.A_PRIORITIES: text(priorities)},
    }


def checkins(deps: Deps, slack_id: str) -> list[Checkin]:
    with read_scope(deps.engine) as s:
        person = s.execute(select(Person).where(Person.slack_id == slack_id)).scalar_one()
        return list(s.execute(select(Checkin).where(Checkin.person_id == person.id)).scalars())


def open_modal(http: HttpApp, fake: FakeSlack, user: str, period: str) -> dict[str, Any]:
    before = fake.count("views.open")
    resp = http.interactive(button_click(user, ids.CHECKIN_OPEN, period))
    assert resp.status == 200
    opened = fake.wait_for("views.open", before + 1)[-1]
    assert opened.args["trigger_id"] == f"trig-{user}"
    view: dict[str, Any] = opened.args["view"]
    return view


def test_friday_dm_goes_to_people_whose_local_friday_15h_has_come(
    org: Deps, fake: FakeSlack, sender: OutboxSender
) -> None:
    report = send_weekly_checkins(org, FRIDAY_PARIS_15)
    sender.drain()
    # Paris people now; New York (09:00) and Honolulu (04:00) later; Tonga (UTC+13) is at
    # 03:00 on Saturday: night, so its missed prompt waits for the morning.
    assert {c.args["channel"] for c in fake.calls("chat.postMessage")} == {"U0LEAD", "U0ANA"}
    assert report.counts == {"queued": 2}
    dm = fake.messages_to("U0ANA")[0]
    actions = next(b for b in dm.args["blocks"] if b["type"] == "actions")
    assert [e["action_id"] for e in actions["elements"]] == [ids.CHECKIN_OPEN, ids.CHECKIN_SKIP]
    assert actions["elements"][0]["value"] == "2026-W47"
    assert "Ana" in dm.args["text"]


def test_rerunning_the_job_sends_nothing_twice(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    send_weekly_checkins(org, FRIDAY_PARIS_15)
    sender.drain()
    again = send_weekly_checkins(org, FRIDAY_PARIS_15.replace(minute=30))
    sender.drain()
    assert again.counts == {}
    assert len(fake.messages_to("U0ANA")) == 1
    # New York's turn comes at its own 15:00, and only New York gets a DM then.
    clock.set(datetime(2026, 11, 20, 20, 0, tzinfo=UTC))
    send_weekly_checkins(org, clock.now())
    sender.drain()
    assert len(fake.messages_to("U0BEN")) == 1
    assert len(fake.messages_to("U0ANA")) == 1


def test_missed_tick_is_caught_up_in_the_morning_not_at_night(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    # Tonga (UTC+13): Friday 15:00 there was 02:00 UTC. The bot was down until Saturday 03:00
    # local (14:00 UTC Friday): too late at night, so nothing; at 08:00 local it catches up.
    send_weekly_checkins(org, datetime(2026, 11, 20, 14, 0, tzinfo=UTC))
    sender.drain()
    assert fake.messages_to("U0DAN") == []
    clock.set(datetime(2026, 11, 20, 19, 5, tzinfo=UTC))  # 08:05 Saturday in Tonga
    send_weekly_checkins(org, clock.now())
    sender.drain()
    assert len(fake.messages_to("U0DAN")) == 1


def test_button_modal_submit_stores_one_checkin_and_updates_the_dm(
    org: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp
) -> None:
    send_weekly_checkins(org, FRIDAY_PARIS_15)
    sender.drain()
    dm = fake.messages_to("U0ANA")[0]

    view = open_modal(http_app, fake, "U0ANA", "2026-W47")
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels[:2] == ["CSAT (%)", "Tickets closed (tickets/week)"]
    hint = view["blocks"][1]["hint"]["text"]
    assert "0–100 %" in hint and "floor 85" in hint

    resp = http_app.interactive(
        view_submission("U0ANA", view, values(blockers="Waiting on <!channel> access"))
    )
    assert resp.status == 200
    assert not resp.body  # empty 200 closes the modal
    [stored] = checkins(org, "U0ANA")
    assert (stored.period, stored.quality_value, stored.output_value, stored.mood) == (
        "2026-W47",
        92.5,
        55,
        4,
    )
    assert stored.blockers == "Waiting on <!channel> access"

    sender.drain()
    [update] = fake.calls("chat.update")
    assert dm.response is not None
    assert (update.args["channel"], update.args["ts"]) == (
        dm.response["channel"],
        dm.response["ts"],
    )
    assert "done" in update.args["text"]
    edit = next(b for b in update.args["blocks"] if b["type"] == "actions")["elements"][0]
    assert (edit["action_id"], edit["value"]) == (ids.CHECKIN_OPEN, "2026-W47")

    # Editing the same week: the modal comes back prefilled, and the one row is updated.
    view2 = open_modal(http_app, fake, "U0ANA", "2026-W47")
    prefilled = view2["blocks"][1]["element"]["initial_value"]
    assert prefilled == "92.5"
    assert view2["submit"]["text"] == "Save changes"
    resp = http_app.interactive(view_submission("U0ANA", view2, values(quality="88", output="61")))
    assert resp.status == 200
    [edited] = checkins(org, "U0ANA")
    assert (edited.quality_value, edited.output_value) == (88, 61)
    assert edited.id == stored.id


def test_bad_values_come_back_as_field_errors_and_nothing_is_stored(
    org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    view = open_modal(http_app, fake, "U0ANA", "2026-W47")
    resp = http_app.interactive(
        view_submission("U0ANA", view, values(quality="150", output="abc", mood=None))
    )
    assert resp.status == 200
    body = resp.json()
    assert body["response_action"] == "errors"
    errors = body["errors"]
    assert "between 0 and 100 %" in errors[ids.B_QUALITY]
    assert "must be a number" in errors[ids.B_OUTPUT]
    assert ids.B_MOOD in errors
    resp = http_app.interactive(view_submission("U0ANA", view, values(output="12.5")))
    assert "whole number" in resp.json()["errors"][ids.B_OUTPUT]
    assert checkins(org, "U0ANA") == []


def test_reminder_monday_10_only_for_unanswered_and_only_once(
    org: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp, clock: FixedClock
) -> None:
    send_weekly_checkins(org, FRIDAY_PARIS_15)
    sender.drain()
    # Lea answers, Ana skips; nobody else in Paris.
    view = open_modal(http_app, fake, "U0LEAD", "2026-W47")
    http_app.interactive(view_submission("U0LEAD", view, values(quality="90", output="5")))
    http_app.interactive(button_click("U0ANA", ids.CHECKIN_SKIP, "2026-W47"))
    fake.wait_for("chat.postEphemeral", 1)  # the skip is confirmed once stored
    assert [c.status for c in checkins(org, "U0ANA")] == ["skipped"]
    sender.drain()
    fake.clear()
    clock.set(MONDAY_PARIS_10)
    assert send_reminders(org, MONDAY_PARIS_10).counts == {}
    sender.drain()
    assert fake.calls("chat.postMessage") == []


def test_one_reminder_for_an_unanswered_week(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    send_weekly_checkins(org, FRIDAY_PARIS_15)
    sender.drain()
    fake.clear()
    clock.set(MONDAY_PARIS_10)
    assert send_reminders(org, MONDAY_PARIS_10.replace(hour=8)).counts == {}  # 09:00 Paris: not yet
    send_reminders(org, MONDAY_PARIS_10)
    send_reminders(org, MONDAY_PARIS_10.replace(minute=30))
    sender.drain()
    reminders = fake.calls("chat.postMessage")
    assert sorted(c.args["channel"] for c in reminders) == ["U0ANA", "U0LEAD"]
    assert all("still open" in c.args["text"] for c in reminders)


def test_away_status_means_no_prompt_and_no_reminder(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    fake.add_user("U0ANA", name="Ana Agent", tz="Europe/Paris", status_emoji=":palm_tree:")
    fake.add_user("U0LEAD", name="Lea Lead", tz="Europe/Paris", status_text="OOO until Monday")
    report = send_weekly_checkins(org, FRIDAY_PARIS_15)
    sender.drain()
    assert report.counts == {"away": 2}
    assert fake.calls("chat.postMessage") == []
    clock.set(MONDAY_PARIS_10)
    send_reminders(org, MONDAY_PARIS_10)
    sender.drain()
    assert fake.calls("chat.postMessage") == []
    with read_scope(org.engine) as s:
        rows = s.execute(select(Delivery).where(Delivery.kind == "checkin")).scalars().all()
    assert {(r.recipient, r.status, r.last_error) for r in rows} == {
        ("U0ANA", "skipped", "away (Slack status)"),
        ("U0LEAD", "skipped", "away (Slack status)"),
    }


def test_checkin_command_offers_last_week_until_tuesday_noon(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 11, 24, 10, 0, tzinfo=UTC))  # Tuesday 11:00 Paris
    assert http_app.command("/checkin", "U0ANA").status == 200
    view = fake.wait_for("views.open", 1)[-1].args["view"]
    assert json.loads(view["private_metadata"]) == {"period": "2026-W47"}
    clock.set(datetime(2026, 11, 24, 11, 30, tzinfo=UTC))  # 12:30 Paris: closed
    http_app.command("/checkin", "U0ANA")
    view = fake.wait_for("views.open", 2)[-1].args["view"]
    assert json.loads(view["private_metadata"]) == {"period": "2026-W48"}


def test_checkin_command_for_someone_not_in_the_org_chart(
    deps: Deps, http_app: HttpApp, fake: FakeSlack
) -> None:
    resp = http_app.command("/checkin", "U0NOBODY")
    assert resp.status == 200
    assert "not in Cadence's org chart" in resp.body.decode()  # ephemeral reply
    assert fake.calls("views.open") == []


def test_closed_week_button_explains_instead_of_opening(
    org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    http_app.interactive(button_click("U0ANA", ids.CHECKIN_OPEN, "2026-W45"))
    note = fake.wait_for("chat.postEphemeral", 1)[0]
    assert note.args["user"] == "U0ANA"
    assert "closed" in note.args["text"]
    assert fake.calls("views.open") == []


def test_a_person_who_moves_zone_is_not_prompted_twice_for_a_week(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    from tests.conftest import ORG, load_org

    clock.set(datetime(2026, 11, 20, 2, 0, tzinfo=UTC))  # Friday 15:00 in Tonga
    send_weekly_checkins(org, clock.now())
    sender.drain()
    assert len(fake.messages_to("U0DAN")) == 1
    # Dan moves to Honolulu the same day; its Friday 15:00 comes 23 hours later.
    load_org(
        org,
        ORG.replace("U0LEAD,engineering,Pacific/Tongatapu", "U0LEAD,engineering,Pacific/Honolulu"),
    )
    clock.set(datetime(2026, 11, 21, 1, 0, tzinfo=UTC))
    send_weekly_checkins(org, clock.now())
    sender.drain()
    assert len(fake.messages_to("U0DAN")) == 1
    # The next week follows the new zone.
    clock.set(datetime(2026, 11, 28, 1, 0, tzinfo=UTC))
    send_weekly_checkins(org, clock.now())
    sender.drain()
    assert [m.args["blocks"][1]["elements"][0]["value"] for m in fake.messages_to("U0DAN")] == [
        "2026-W47",
        "2026-W48",
    ]


def test_an_empty_time_zone_is_looked_up_by_the_scheduler_never_during_a_request(
    org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    load_org(org, ORG + "U0ZOE,zoe@example.com,Zoe Zone,U0LEAD,support,,false\n")
    fake.add_user("U0ZOE", name="Zoe Zone", tz="Asia/Tokyo")
    fake.set_latency("users.info", 15)  # Slack at its slowest: a request must not wait for it
    view = open_modal(http_app, fake, "U0ZOE", "2026-W47")
    resp = http_app.interactive(view_submission("U0ZOE", view, values()))
    assert (resp.status, resp.body) == (200, b"")
    assert [c.period for c in checkins(org, "U0ZOE")] == ["2026-W47"]
    assert fake.calls("users.info") == []

    fake.reset_faults()
    tick(org)
    with read_scope(org.engine) as s:
        zoe = s.execute(select(Person).where(Person.slack_id == "U0ZOE")).scalar_one()
    assert zoe.timezone == "Asia/Tokyo"


def test_a_manager_is_asked_about_the_team_not_for_tickets_they_closed(
    org: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(FRIDAY_PARIS_15)
    send_weekly_checkins(org, FRIDAY_PARIS_15)
    sender.drain()
    [dm] = fake.messages_to("U0LEAD")
    assert "how your team's week went" in json.dumps(dm.args, ensure_ascii=False)
    assert "Deliverables shipped" not in json.dumps(dm.args, ensure_ascii=False)
    assert "your CSAT and Tickets closed" in json.dumps(
        fake.messages_to("U0ANA")[0].args, ensure_ascii=False
    )
    view = open_modal(http_app, fake, "U0LEAD", "2026-W47")  # Lea manages Ana, Ben and Dan
    shown = json.dumps(view, ensure_ascii=False)
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels == [
        "How did your team's week go?",
        "Team wins",
        "What's in your team's way?",
        "The team's priorities next week",
    ]
    assert "You lead a team" in shown and "sum of their targets" in shown
    assert "Deliverables shipped" not in shown and "number_input" not in shown
    resp = http_app.interactive(
        view_submission("U0LEAD", view, values(quality=None, output=None, wins="Hired Dan"))
    )
    assert resp.status == 200 and not resp.body
    [stored] = checkins(org, "U0LEAD")
    assert (stored.quality_value, stored.output_value, stored.mood) == (None, None, 4)
    assert stored.wins == "Hired Dan"
    sender.drain()
    [update] = fake.calls("chat.update")
    assert "Your team's numbers come from their check-ins · mood 4/5" in json.dumps(
        update.args, ensure_ascii=False
    )
    # Ana manages nobody: she is still asked for her own numbers.
    ana = open_modal(http_app, fake, "U0ANA", "2026-W47")
    assert [b["label"]["text"] for b in ana["blocks"] if b["type"] == "input"][:2] == [
        "CSAT (%)",
        "Tickets closed (tickets/week)",
    ]
    assert http_app.interactive(view_submission("U0ANA", ana, values())).status == 200
    # Lea's Home reads her week from the team: Ana above the floor, 55 of 60 tickets.
    home = home_text(http_app, fake, "U0LEAD")
    assert "Quality · Team below the floor: latest 0 % (floor 20)" in home
    assert "Output · Team output: latest 91.7 % of target (target 100)" in home
    assert "checked in about the team · mood 4/5" in home


def test_a_manager_whose_last_report_left_is_asked_for_their_own_numbers_again(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    clock.set(FRIDAY_PARIS_15)
    before = open_modal(http_app, fake, "U0BEN", "2026-W47")
    ben_asks = [b["label"]["text"] for b in before["blocks"] if b["type"] == "input"]
    assert "How did your team's week go?" in ben_asks  # Ben manages Cat
    load_org(
        org,
        ORG.replace("U0CAT,cat@example.com,Cat Closer,U0BEN,sales,Pacific/Honolulu,false\n", ""),
    )
    view = open_modal(http_app, fake, "U0BEN", "2026-W47")  # Cat left: Ben manages nobody
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert labels[:2] == ["Review pass rate (%)", "Deliverables shipped (deliverables/week)"]
    resp = http_app.interactive(view_submission("U0BEN", view, values(quality=None, output=None)))
    assert resp.status == 200 and b"errors" in resp.body  # his own numbers are asked for
    assert checkins(org, "U0BEN") == []
    resp = http_app.interactive(view_submission("U0BEN", view, values(quality="90", output="3")))
    assert resp.status == 200 and not resp.body
    [stored] = checkins(org, "U0BEN")
    assert (stored.quality_value, stored.output_value) == (90.0, 3.0)


def test_a_note_about_an_app_home_button_goes_out_as_a_dm_through_the_outbox(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    click = button_click("U0NOBODY", ids.HOME_CHECKIN_OPEN, "")
    click.pop("channel")
    click["container"] = {"type": "view", "view_id": "V0HOME"}  # App Home: nothing to reply in
    assert http_app.interactive(click).status == 200
    assert fake.calls("chat.postMessage") == [] and fake.calls("views.open") == []
    assert sender.drain() == 1
    [note] = fake.messages_to("U0NOBODY")
    assert "not in Cadence's org chart" in note.args["text"]
