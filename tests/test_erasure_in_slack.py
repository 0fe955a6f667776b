"""Erasing a person reaches what Slack still shows: the DMs, reminders and posts Cadence
delivered to other people that named them or quoted their text are updated through the
outbox (chat.update of the delivered message), once. Buttons that no longer lead anywhere
say why when clicked: a withdrawn feedback request, results about someone erased."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.domain.periods import shift_week
from cadence.prompts import ids
from cadence.services.deps import Deps
from cadence.services.digests import send_digests
from cadence.services.rounds import run_rounds
from cadence.storage.db import read_scope
from cadence.storage.models import Delivery, RoundRelease
from tests.conftest import HttpApp, button_click, view_submission
from tests.fakeslack import FakeSlack
from tests.test_cli import env, run  # noqa: F401  (env: the CLI fixture)
from tests.test_digests import MONDAY_PARIS_9, PERIOD, answer
from tests.test_feedback_kudos import feedback_values, open_feedback
from tests.test_round_minimums import MORE_ORG, answer_about, more_org, requests_in_dm  # noqa: F401
from tests.test_round_nominations import approvals_to, nominate, nominate_round
from tests.test_rounds import leaves, round_values, start_round

HR = "U0LEAD"
CLOSE_AT = datetime(2026, 12, 4, 17, 5, tzinfo=UTC)  # after the deadline, 18:00 Paris


def as_shown(fake: FakeSlack) -> list[dict[str, Any]]:
    """Every message Cadence posted, as Slack shows it now (its latest update), each with
    `to`: the channel or user it was posted to."""
    shown: dict[str, dict[str, Any]] = {}
    for call in fake.calls():
        if not call.ok or call.response is None:
            continue
        if call.method == "chat.postMessage":
            shown[str(call.response["ts"])] = {**call.args, "to": str(call.args["channel"])}
        elif call.method == "chat.update":
            ts = str(call.args["ts"])
            assert ts in shown, "an update of a message never posted"
            shown[ts] = {**call.args, "to": shown[ts]["to"]}
    return list(shown.values())


def blob(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False)


def erase(http: HttpApp, fake: FakeSlack, who: str, name: str) -> None:
    """HR erases `who` from the App Home, typing their name."""
    before = fake.count("views.open")
    http.interactive(button_click(HR, ids.HOME_ERASE_OPEN, ""))
    view = fake.wait_for("views.open", before + 1)[-1].args["view"]
    values = {
        ids.B_ERASE_WHO: {ids.A_ERASE_WHO: {"type": "users_select", "selected_user": who}},
        ids.B_ERASE_CONFIRM: {ids.A_ERASE_CONFIRM: {"type": "plain_text_input", "value": name}},
    }
    assert http.interactive(view_submission(HR, view, values)).json() is None


def click(http: HttpApp, fake: FakeSlack, user: str, action: str, value: str) -> str:
    """The ephemeral reply to a button click."""
    before = fake.count("chat.postEphemeral")
    http.interactive(button_click(user, action, value))
    return str(fake.wait_for("chat.postEphemeral", before + 1)[-1].args["text"])


def share_value(message: dict[str, Any]) -> str:
    """The value of the "Share with …" button of a results message."""
    for block in message["blocks"]:
        for element in block.get("elements") or []:
            if element.get("action_id") == ids.ROUND_RELEASE:
                return str(element["value"])
    raise AssertionError("no Share button")


def updates_since(fake: FakeSlack, start: int) -> list[str]:
    """The ts of each message updated by the calls after the first `start`."""
    return [str(c.args["ts"]) for c in fake.calls()[start:] if c.method == "chat.update" and c.ok]


def test_erasing_a_subject_mid_round_updates_each_reviewers_dm_and_reminder_once(
    more_org: Deps,  # noqa: F811
    fake: FakeSlack,
    http_app: HttpApp,
    sender: OutboxSender,
    clock: FixedClock,
    env: Path,  # noqa: F811
) -> None:
    peers = ["U0BEN", "U0FIN", "U0GIA"]
    assert not start_round(http_app, fake, round_values(["U0ANA", "U0EVE"], ["peer"], peers)).body
    sender.drain()
    answer_about(http_app, fake, "U0BEN", "Eve Engineer", "4", "BEN-ABOUT-EVE")
    sender.drain()
    # Halfway (Monday 09:30 Paris) Fin and Gia get a reminder; Ben's is night in New York.
    clock.set(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))
    assert run_rounds(more_org, clock.now()).counts == {"reminders queued": 2}
    sender.drain()
    old_eve_button, _ = requests_in_dm(fake, "U0GIA")["Eve Engineer"]
    assert any("Eve Engineer" in blob(m) for m in as_shown(fake) if m["to"] == "U0GIA")

    start = len(fake.calls())
    erase(http_app, fake, "U0EVE", "Eve Engineer")
    sender.drain()

    # Nothing Slack shows anyone names Eve any more; each reviewer still has Ana's button.
    shown = as_shown(fake)
    for message in shown:
        assert "Eve Engineer" not in blob(message) and "U0EVE" not in blob(message)
    for reviewer in peers:
        mine = [m for m in shown if m["to"] == reviewer]
        assert len(mine) == (1 if reviewer == "U0BEN" else 2)  # the DM (and the reminder)
        for message in mine:
            lines = [b for b in message["blocks"] if b.get("block_id", "").startswith("subject_")]
            [ana] = lines
            assert "*Ana Agent*" in ana["text"]["text"]
            assert ana["accessory"]["action_id"] == ids.ROUND_ANSWER_OPEN
            assert "1 request withdrawn: the round no longer asks you about that person." in blob(
                message
            )
    # One update per message (the DM of each reviewer, and Fin's and Gia's reminders).
    updated = updates_since(fake, start)
    assert len(updated) == len(set(updated)) == 5

    # Gia clicks the Eve button of her DM as it was before: told it was withdrawn, no modal.
    opened = fake.count("views.open")
    reply = click(http_app, fake, "U0GIA", ids.ROUND_ANSWER_OPEN, old_eve_button)
    assert reply == (
        "This request was withdrawn: the round no longer asks about this person. Nothing to do."
    )
    reply = click(http_app, fake, "U0GIA", ids.ROUND_DECLINE_OPEN, old_eve_button)
    assert reply.startswith("This request was withdrawn")
    assert fake.count("views.open") == opened
    # Someone else clicking it is still told it isn't theirs.
    reply = click(http_app, fake, "U0FIN", ids.ROUND_ANSWER_OPEN, old_eve_button)
    assert reply == "That feedback request isn't yours."
    # Her Ana button opens the answer form as before.
    ana_button, _ = requests_in_dm(fake, "U0GIA")["Ana Agent"]
    http_app.interactive(button_click("U0GIA", ids.ROUND_ANSWER_OPEN, ana_button))
    fake.wait_for("views.open", opened + 1)

    # Erasing again changes nothing and sends nothing.
    code, out, _ = run("forget", "U0EVE")
    assert code == 0 and "already erased" in out
    before = len(fake.calls())
    assert sender.drain() == 0
    assert updates_since(fake, before) == []


def close_about_ana_and_cat(
    deps: Deps, fake: FakeSlack, http: HttpApp, sender: OutboxSender, clock: FixedClock
) -> list[str]:
    """A round about Ana and Cat, three peers answering about both, closed at its deadline
    (the results queued, not sent yet); the peers."""
    peers = ["U0DAN", "U0FIN", "U0GIA"]
    assert not start_round(http, fake, round_values(["U0ANA", "U0CAT"], ["peer"], peers)).body
    sender.drain()
    for i, peer in enumerate(peers):
        answer_about(http, fake, peer, "Ana Agent", "4", f"ABOUT-ANA-{i}")
        answer_about(http, fake, peer, "Cat Closer", "5", f"ABOUT-CAT-{i}")
    sender.drain()
    clock.set(CLOSE_AT)
    assert run_rounds(deps, clock.now()).counts == {"results queued": 2, "rounds closed": 1}
    return peers


def queued_results(deps: Deps) -> dict[str, dict[str, Any]]:
    """The results messages waiting in the outbox, by recipient (as Slack would show them)."""
    with read_scope(deps.engine) as s:
        rows = s.execute(
            select(col(Delivery.recipient), col(Delivery.payload)).where(
                col(Delivery.kind) == "round-results"
            )
        ).all()
    return {to: json.loads(payload) for to, payload in rows}


@pytest.mark.parametrize("delivered", [True, False], ids=["delivered", "still-queued"])
def test_results_about_someone_erased_after_the_round_lose_their_share_button(
    more_org: Deps,  # noqa: F811
    fake: FakeSlack,
    http_app: HttpApp,
    sender: OutboxSender,
    clock: FixedClock,
    delivered: bool,
) -> None:
    """Whether the results went out before Ana is erased or were still queued, Lea reads (once)
    that they were removed, without a Share button; Cat's results are Ben's as before."""
    peers = close_about_ana_and_cat(more_org, fake, http_app, sender, clock)
    queued = queued_results(more_org)
    if delivered:
        sender.drain()
        [notice, ana_results, summary] = [m for m in as_shown(fake) if m["to"] == HR]
        assert "Share with Ana Agent" in blob(ana_results) and "is closed" in summary["text"]
        [cat_results] = [m for m in as_shown(fake) if m["to"] == "U0BEN"]  # Cat's manager

    erase(http_app, fake, "U0ANA", "Ana Agent")
    sender.drain()

    shown = as_shown(fake)
    for message in shown:
        for secret in ("Ana Agent", "U0ANA", "ABOUT-ANA"):
            assert secret not in blob(message), (secret, message["to"])
    [notice_now, ana_now, summary_now] = [m for m in shown if m["to"] == HR]
    if delivered:
        assert notice_now == notice  # it named nobody
    assert ana_now["text"] == (
        "The results from “Winter 360” were removed: the person they were about has been "
        "erased from Cadence. Nothing to share."
    )
    assert all(b["type"] != "actions" for b in ana_now["blocks"])  # no Share button
    assert "*(removed)* · answered 3" in blob(summary_now)
    assert "*Cat Closer* · answered 3" in blob(summary_now)
    [cat_now] = [m for m in shown if m["to"] == "U0BEN"]
    if delivered:
        assert cat_now == cat_results  # untouched
    assert "ABOUT-CAT-0" in blob(cat_now) and "Share with Cat Closer" in blob(cat_now)
    # The reviewers' DMs of the closed round list Cat only.
    for peer in peers:
        assert list(requests_in_dm(fake, peer)) == ["Cat Closer"]

    # Lea clicks Share on Ana's results as they read before: refused, nothing sent.
    posts = fake.count("chat.postMessage")
    reply = click(http_app, fake, HR, ids.ROUND_RELEASE, share_value(queued[HR]))
    assert reply == (
        "These results can't be shared: the person they were about has been erased from "
        "Cadence. Nothing to do."
    )
    assert sender.drain() == 0 and fake.count("chat.postMessage") == posts
    with read_scope(more_org.engine) as s:
        released = s.execute(select(col(RoundRelease.released_at))).scalars().all()
    assert released == [None, None]
    # Cat's results are still Ben's to share.
    reply = click(http_app, fake, "U0BEN", ids.ROUND_RELEASE, share_value(cat_now))
    assert reply.startswith("Shared with Cat Closer")


def test_an_approval_of_nominations_by_someone_erased_loses_its_button(
    more_org: Deps,  # noqa: F811
    fake: FakeSlack,
    http_app: HttpApp,
    sender: OutboxSender,
) -> None:
    round_id = nominate_round(http_app, fake, ["U0CAT"], sender)
    assert nominate(http_app, fake, "U0CAT", round_id, ["U0DAN", "U0EVE", "U0FIN"]) is None
    sender.drain()
    [(_, approve)] = approvals_to(fake, "U0BEN")  # Cat's manager

    erase(http_app, fake, "U0CAT", "Cat Closer")
    sender.drain()

    [approval] = [m for m in as_shown(fake) if m["to"] == "U0BEN"]
    assert approval["text"] == (
        "The nominations for “Winter 360” were withdrawn: the round no longer asks about this "
        "person. Nothing to approve."
    )
    assert all(b["type"] != "actions" for b in approval["blocks"])
    reply = click(http_app, fake, "U0BEN", ids.ROUND_APPROVE, approve)
    assert reply == (
        "These nominations were withdrawn: the round no longer asks about this person. "
        "Nothing to approve."
    )
    assert sender.drain() == 0
    for peer in ("U0DAN", "U0EVE", "U0FIN"):
        assert fake.messages_to(peer) == []  # never asked


def test_results_are_not_shared_with_someone_who_has_left(
    more_org: Deps,  # noqa: F811
    fake: FakeSlack,
    http_app: HttpApp,
    sender: OutboxSender,
    clock: FixedClock,
    env: Path,  # noqa: F811
) -> None:
    peers = ["U0DAN", "U0FIN", "U0GIA"]
    assert not start_round(http_app, fake, round_values(["U0ANA"], ["peer"], peers)).body
    sender.drain()
    clock.set(CLOSE_AT)
    run_rounds(more_org, clock.now())
    sender.drain()
    [results] = [m for m in as_shown(fake) if "Share with Ana Agent" in blob(m)]
    leaves(env, MORE_ORG, "U0ANA")
    reply = click(http_app, fake, HR, ids.ROUND_RELEASE, share_value(results))
    assert reply == (
        "Ana Agent is no longer active in Cadence (they left, or are not in the org chart any "
        "more), so there is nobody to share these results with."
    )
    assert sender.drain() == 0 and fake.messages_to("U0ANA") == []


ANA_FEEDBACK = "ANA-FEEDBACK Ben's reviews unblock the whole team"
ABOUT_ANA = "BEN-ABOUT-ANA calm on escalations"
ANA_BLOCKERS = "ANA-BLOCKERS the billing approval queue"


def test_feedback_kudos_and_digests_naming_someone_erased_read_removed_in_slack(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> None:
    # Ana's feedback to Ben (Ben and Lea get it); Ben's about Ana (Lea gets it too).
    for giver, receiver, text in (("U0ANA", "U0BEN", ANA_FEEDBACK), ("U0BEN", "U0ANA", ABOUT_ANA)):
        view = open_feedback(http_app, fake, giver)
        values = feedback_values(receiver, text)
        assert not http_app.interactive(view_submission(giver, view, values)).body
    http_app.command("/kudos", "U0BEN", "<@U0ANA|ana> KUDOS-FROM-BEN for the demo", channel_id="C7")
    # Monday's digest to Lea: Ana's quality fell below the floor, with her blockers.
    for i in range(1, 5):
        answer(org, "U0ANA", shift_week(PERIOD, -i), 90, 20)
        answer(org, "U0BEN", shift_week(PERIOD, -i), 80, 4)
    answer(org, "U0ANA", PERIOD, 60, 10, blockers=ANA_BLOCKERS)
    answer(org, "U0BEN", PERIOD, 81, 5, wins="BEN-WINS the release train")
    clock.set(MONDAY_PARIS_9)
    send_digests(org, MONDAY_PARIS_9)
    sender.drain()
    to_others = [m for m in as_shown(fake) if m["to"] != "U0ANA"]
    assert any(ANA_BLOCKERS in blob(m) for m in to_others if m["to"] == HR)
    assert any("<@U0ANA>" in blob(m) for m in to_others if m["to"] == "C7")

    start = len(fake.calls())
    erase(http_app, fake, "U0ANA", "Ana Agent")
    sender.drain()

    shown = [m for m in as_shown(fake) if m["to"] != "U0ANA"]
    assert len(shown) == len(to_others)  # updated, none posted anew
    for message in shown:
        for secret in ("Ana Agent", "U0ANA", "ana@example.com", ANA_FEEDBACK, ABOUT_ANA):
            assert secret not in blob(message), (secret, message["to"])
        assert "ANA-BLOCKERS" not in blob(message) and "Visible to Ana" not in blob(message)
    # The rest of each message stays: Ben's figures and words, the kudos from Ben.
    everything = json.dumps(shown, ensure_ascii=False)
    assert "Ben Builder" in everything and "KUDOS-FROM-BEN for the demo" in everything
    [kudos] = [m for m in shown if m["to"] == "C7"]
    assert "(removed)" in blob(kudos)
    updated = updates_since(fake, start)
    assert len(updated) == len(set(updated))
    assert sender.drain() == 0


def test_a_digest_queued_when_a_report_is_erased_still_goes_once_without_them(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> None:
    """Others' messages not sent yet are kept: Lea's Monday digest, queued but not sent when
    Ana is erased, is rendered again from stored data and delivered once without her; Ben's
    kudos post to Ana, also still queued, goes with her name as "(removed)"."""
    for i in range(1, 5):
        answer(org, "U0ANA", shift_week(PERIOD, -i), 90, 20)
        answer(org, "U0BEN", shift_week(PERIOD, -i), 80, 4)
    answer(org, "U0ANA", PERIOD, 60, 10, blockers=ANA_BLOCKERS)
    answer(org, "U0BEN", PERIOD, 81, 5, wins="BEN-WINS the release train")
    http_app.command("/kudos", "U0BEN", "<@U0ANA|ana> KUDOS-FROM-BEN for the demo", channel_id="C7")
    clock.set(MONDAY_PARIS_9)
    assert send_digests(org, MONDAY_PARIS_9).counts["digests"] == 1  # Lea's (Paris)
    with read_scope(org.engine) as s:
        queued = s.execute(
            select(col(Delivery.payload)).where(
                col(Delivery.recipient) == HR, col(Delivery.kind) == "digest"
            )
        ).scalars()
        assert any("Ana Agent" in p and "ANA-BLOCKERS" in p for p in queued)
    assert fake.calls("chat.postMessage") == []  # nothing sent yet

    erase(http_app, fake, "U0ANA", "Ana Agent")
    sender.drain()

    digests = [m for m in fake.messages_to(HR) if "digest" in m.args["text"].lower()]
    assert digests, "Lea's digest was not delivered"
    with read_scope(org.engine) as s:
        parts = (
            s.execute(
                select(col(Delivery.status)).where(
                    col(Delivery.recipient) == HR, col(Delivery.kind) == "digest"
                )
            )
            .scalars()
            .all()
        )
    assert len(digests) == len(parts) and set(parts) == {"sent"}  # each part once
    for message in digests:
        for secret in ("Ana Agent", "U0ANA", "ana@example.com", "ANA-BLOCKERS"):
            assert secret not in blob(message.args), secret
        assert "(removed)" not in blob(message.args)  # rendered again, not just scrubbed
    assert "Ben Builder" in json.dumps([m.args for m in digests], ensure_ascii=False)
    [kudos] = fake.messages_to("C7")
    assert "KUDOS-FROM-BEN for the demo" in blob(kudos.args) and "(removed)" in blob(kudos.args)
    assert "U0ANA" not in blob(kudos.args)
    assert fake.calls("chat.update") == []  # delivered once, as they now read
    assert sender.drain() == 0
