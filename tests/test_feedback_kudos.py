"""/feedback and /kudos end to end: signed requests into the real Bolt app, the fake Slack
server, a real database. Who receives feedback text follows DESIGN.md section 6."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import inspect
from sqlmodel import select

from cadence.delivery.sender import OutboxSender
from cadence.prompts import ids
from cadence.services.deps import Deps
from cadence.storage.db import read_scope
from cadence.storage.models import Feedback
from tests.conftest import HttpApp, payload, view_submission
from tests.fakeslack import FakeSlack
from tests.test_home_and_privacy import home_event


def feedback_values(
    who: str | None, strengths: str = "", improve: str = "", visibility: str = "shared"
) -> dict[str, dict[str, Any]]:
    return {
        ids.B_FB_WHO: {ids.A_FB_WHO: {"type": "users_select", "selected_user": who}},
        ids.B_FB_STRENGTHS: {
            ids.A_FB_STRENGTHS: {"type": "plain_text_input", "value": strengths or None}
        },
        ids.B_FB_IMPROVE: {
            ids.A_FB_IMPROVE: {"type": "plain_text_input", "value": improve or None}
        },
        ids.B_FB_VISIBILITY: {
            ids.A_FB_VISIBILITY: {
                "type": "radio_buttons",
                "selected_option": {
                    "text": {"type": "plain_text", "text": visibility},
                    "value": visibility,
                },
            }
        },
    }


def open_feedback(http: HttpApp, fake: FakeSlack, user: str, text: str = "") -> dict[str, Any]:
    before = fake.count("views.open")
    assert http.command("/feedback", user, text).status == 200
    view: dict[str, Any] = fake.wait_for("views.open", before + 1)[-1].args["view"]
    return view


def texts_to(fake: FakeSlack, user: str) -> str:
    return json.dumps([c.args for c in fake.messages_to(user)], ensure_ascii=False)


def test_feedback_prefilled_from_mention_reaches_receiver_and_manager(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    view = open_feedback(http_app, fake, "U0BEN", "<@U0ANA|ana>")
    who = next(b for b in view["blocks"] if b.get("block_id") == ids.B_FB_WHO)
    assert who["element"]["initial_user"] == "U0ANA"
    values = feedback_values("U0ANA", "FB-SECRET great triage <!channel>", "FB-SECRET-2")
    resp = http_app.interactive(view_submission("U0BEN", view, values))
    assert resp.status == 200 and not resp.body
    sender.drain()
    assert "FB-SECRET great triage" in texts_to(fake, "U0ANA")
    assert "FB-SECRET-2" in texts_to(fake, "U0LEAD")  # Ana's manager
    confirmation = texts_to(fake, "U0BEN")
    assert "was delivered" in confirmation and "FB-SECRET" not in confirmation
    assert "<!channel>" not in json.dumps([c.args for c in fake.calls()])
    assert fake.messages_to("U0CAT") == [] and fake.messages_to("U0DAN") == []


def test_manager_only_feedback_never_reaches_the_receiver(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    view = open_feedback(http_app, fake, "U0LEAD")
    values = feedback_values("U0CAT", improve="MGR-ONLY slow follow-ups", visibility="manager")
    assert not http_app.interactive(view_submission("U0LEAD", view, values)).body
    sender.drain()
    assert "MGR-ONLY" in texts_to(fake, "U0BEN")  # Cat's manager
    assert fake.messages_to("U0CAT") == []
    with read_scope(org.engine) as s:
        [stored] = s.execute(select(Feedback)).scalars().all()
    assert stored.visibility == "manager" and stored.improvements == "MGR-ONLY slow follow-ups"


def test_feedback_field_errors(org: Deps, fake: FakeSlack, http_app: HttpApp) -> None:
    view = open_feedback(http_app, fake, "U0ANA")
    cases = [
        (feedback_values("U0ANA", "me"), ids.B_FB_WHO, "someone else"),
        (feedback_values("U0NOBODY", "x"), ids.B_FB_WHO, "org chart"),
        (feedback_values("U0BEN"), ids.B_FB_STRENGTHS, "at least one"),
        (feedback_values("U0LEAD", "x", visibility="manager"), ids.B_FB_VISIBILITY, "no manager"),
    ]
    for values, block, words in cases:
        body = http_app.interactive(view_submission("U0ANA", view, values)).json()
        assert body["response_action"] == "errors"
        assert words in body["errors"][block]
    with read_scope(org.engine) as s:
        assert s.execute(select(Feedback)).scalars().all() == []


def test_message_shortcut_prefills_a_link_to_the_message(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    data = payload("block_actions_button_message.json")
    shortcut = {
        "type": "message_action",
        "callback_id": ids.FEEDBACK_SHORTCUT,
        "trigger_id": "trig-U0LEAD",
        "team": {"id": "T111", "domain": "acme"},
        "user": {"id": "U0LEAD", "name": "lea", "team_id": "T111"},
        "channel": {"id": "C222", "name": "support"},
        "message": {"type": "message", "user": "U0ANA", "ts": "1700000000.123456", "text": "hi"},
        "response_url": data["response_url"],
        "api_app_id": data["api_app_id"],
        "token": data.get("token", "verification_token"),
        "action_ts": "1700000001.000000",
    }
    assert http_app.interactive(shortcut).status == 200
    view = fake.wait_for("views.open", 1)[0].args["view"]
    link = "https://acme.slack.com/archives/C222/p1700000000123456"
    assert json.loads(view["private_metadata"]) == {"link": link}
    who = next(b for b in view["blocks"] if b.get("block_id") == ids.B_FB_WHO)
    assert who["element"]["initial_user"] == "U0ANA"
    http_app.interactive(view_submission("U0LEAD", view, feedback_values("U0ANA", "good call")))
    sender.drain()
    assert link in texts_to(fake, "U0ANA")


# ------------------------------------------------------------------ kudos


def test_kudos_post_in_channel_pings_only_the_named_people(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    text = (
        "<@U0ANA|ana> <@U0BEN|ben> for the launch "
        "&lt;!channel&gt; <!here> &lt;@U0CAT&gt; <@U0DAN|dan>"
    )
    resp = http_app.command("/kudos", "U0LEAD", text, channel_id="C777")
    assert resp.status == 200 and not resp.body  # the post goes out through the outbox
    assert fake.calls("chat.postMessage") == []
    assert sender.drain() == 1
    [post] = fake.calls("chat.postMessage")
    assert post.args["channel"] == "C777"
    blob = json.dumps(post.args, ensure_ascii=False)
    assert "<@U0ANA>" in blob and "<@U0BEN>" in blob and "<@U0LEAD>" in blob
    assert "<@U0CAT>" not in blob and "<@U0DAN" not in blob  # typed inside the message
    assert "<!channel>" not in blob and "<!here>" not in blob
    assert "@dan" in blob and "for the launch" in blob


def test_kudos_to_yourself_and_past_the_daily_limit_are_refused(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    body = http_app.command("/kudos", "U0ANA", "<@U0ANA|ana> me!", channel_id="C1").body.decode()
    assert "yourself" in body
    for i in range(5):
        http_app.command("/kudos", "U0ANA", f"<@U0BEN|ben> thanks {i}", channel_id="C1")
    refused = http_app.command("/kudos", "U0ANA", "<@U0BEN|ben> again", channel_id="C1")
    assert "daily limit" in refused.body.decode()
    assert sender.drain() == 5
    assert len(fake.calls("chat.postMessage")) == 5


def test_kudos_fall_back_to_dms_when_the_bot_cannot_post_and_show_on_home(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    fake.fail_for("C999", "not_in_channel")
    http_app.command("/kudos", "U0LEAD", "<@U0ANA|ana> <@U0BEN|ben> KUDOS-X", channel_id="C999")
    sender.drain()  # the channel refuses the post: the DMs and the note are queued instead
    sender.drain()
    assert any("not a member" in c.args.get("text", "") for c in fake.messages_to("U0LEAD"))
    for user in ("U0ANA", "U0BEN"):
        [dm] = fake.messages_to(user)
        assert "KUDOS-X" in dm.args["text"] and "not a member" in json.dumps(dm.args["blocks"])
    http_app.event(home_event("U0ANA"))
    home = fake.wait_for("views.publish", 1)[0].args["view"]
    assert "KUDOS-X" in json.dumps(home) and "Lea Lead" in json.dumps(home)


def test_where_kudos_went_is_read_from_the_outbox_in_the_givers_data(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    """The kudos row keeps no copy of where they went (its old `delivered` column always read
    "channel", even for kudos sent by DM): the giver's my-data file says it from the outbox."""
    fake.fail_for("C999", "not_in_channel")
    http_app.command("/kudos", "U0LEAD", "<@U0ANA|ana> KUDOS-POSTED", channel_id="C1")
    http_app.command("/kudos", "U0LEAD", "<@U0BEN|ben> KUDOS-BY-DM", channel_id="C999")
    sender.drain()  # the channel refuses the second post: the DMs and the note go instead
    sender.drain()
    http_app.command("/cadence", "U0LEAD", "my-data")
    sender.drain()
    [upload] = [f for f in fake.files.values() if f["name"].endswith(".json")]
    data = json.loads(fake.uploads[upload["id"]])
    went = {k["message"]: (k["channel"], k["delivered"]) for k in data["kudos_you_gave"]}
    assert went == {
        "KUDOS-POSTED": ("C1", "posted in the channel"),
        "KUDOS-BY-DM": ("C999", "sent by direct message (Cadence could not post in the channel)"),
    }
    with read_scope(org.engine) as s:
        columns = {c["name"] for c in inspect(s.get_bind()).get_columns("kudos")}
    assert "delivered" not in columns


def test_a_repeated_submission_stores_and_sends_feedback_once(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    view = open_feedback(http_app, fake, "U0BEN")
    values = feedback_values("U0ANA", "ONCE clear handover")
    for _ in range(2):  # a double click, or Slack retrying the same submission
        resp = http_app.interactive(view_submission("U0BEN", view, values, view_id="V0SAME"))
        assert resp.status == 200 and not resp.body
    sender.drain()
    with read_scope(org.engine) as s:
        assert len(s.execute(select(Feedback)).scalars().all()) == 1
    assert len(fake.messages_to("U0ANA")) == 1 and len(fake.messages_to("U0LEAD")) == 1
    # A new modal is new feedback, even with the same words.
    view = open_feedback(http_app, fake, "U0BEN")
    http_app.interactive(view_submission("U0BEN", view, values))
    with read_scope(org.engine) as s:
        assert len(s.execute(select(Feedback)).scalars().all()) == 2
