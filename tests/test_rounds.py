"""HR feedback rounds end to end: the HR-only gate, the round modal, one DM per reviewer,
answering and declining, reminders, closing at the deadline, the anonymity threshold,
releasing results, and anonymity in storage and export."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.prompts import ids
from cadence.services.deps import Deps
from cadence.services.feedback import export_feedback
from cadence.services.rounds import run_rounds
from cadence.storage.db import read_scope
from cadence.storage.models import Delivery, FeedbackRound, RoundAnswer, RoundRequest
from tests.conftest import ORG, HttpApp, button_click, load_org, view_submission
from tests.fakeslack import FakeSlack
from tests.test_cli import env, run  # noqa: F401  (env: the CLI fixture)
from tests.test_home_and_privacy import home_event
from tests.test_settings import form, saved, submit

PEERS = ["U0BEN", "U0DAN", "U0EVE", "U0FIN"]
BIG_ORG = ORG + (
    "U0EVE,eve@example.com,Eve Engineer,U0LEAD,engineering,Europe/Paris,false\n"
    "U0FIN,fin@example.com,Fin Fixer,U0LEAD,engineering,Europe/Paris,false\n"
)
DEADLINE = "2026-12-04"  # Friday; the round is created Friday 2026-11-20


def org_in_slack(deps: Deps, fake: FakeSlack, csv_text: str) -> Deps:
    """The org chart loaded, and everyone in it known to the fake Slack."""
    load_org(deps, csv_text)
    for line in csv_text.splitlines()[1:]:
        f = line.split(",")
        fake.add_user(f[0], name=f[2], email=f[1], tz=f[5])
    return deps


@pytest.fixture
def big_org(deps: Deps, fake: FakeSlack) -> Deps:
    return org_in_slack(deps, fake, BIG_ORG)


def round_values(
    subjects: list[str],
    perspectives: list[str],
    peers: list[str],
    *,
    anonymous: bool = True,
    minimum: str = "3",
    deadline: str = DEADLINE,
    name: str = "Winter 360",
) -> dict[str, dict[str, Any]]:
    def opts(values: list[str]) -> list[dict[str, Any]]:
        return [{"text": {"type": "plain_text", "text": v}, "value": v} for v in values]

    return {
        ids.B_RD_NAME: {ids.A_RD_NAME: {"type": "plain_text_input", "value": name}},
        ids.B_RD_SUBJECTS: {
            ids.A_RD_SUBJECTS: {"type": "multi_users_select", "selected_users": subjects}
        },
        ids.B_RD_TEAM: {ids.A_RD_TEAM: {"type": "users_select", "selected_user": None}},
        ids.B_RD_PERSPECTIVES: {
            ids.A_RD_PERSPECTIVES: {"type": "checkboxes", "selected_options": opts(perspectives)}
        },
        ids.B_RD_PEER_MODE: {
            ids.A_RD_PEER_MODE: {"type": "radio_buttons", "selected_option": opts(["hr"])[0]}
        },
        ids.B_RD_PEERS: {ids.A_RD_PEERS: {"type": "multi_users_select", "selected_users": peers}},
        ids.B_RD_QUESTIONS: {
            ids.A_RD_QUESTIONS: {"type": "static_select", "selected_option": opts(["standard"])[0]}
        },
        ids.B_RD_DEADLINE: {ids.A_RD_DEADLINE: {"type": "datepicker", "selected_date": deadline}},
        ids.B_RD_ANONYMOUS: {
            ids.A_RD_ANONYMOUS: {
                "type": "checkboxes",
                "selected_options": opts(["yes"]) if anonymous else [],
            }
        },
        ids.B_RD_MIN: {ids.A_RD_MIN: {"type": "number_input", "value": minimum}},
    }


def start_round(http: HttpApp, fake: FakeSlack, values: dict[str, Any], hr: str = "U0LEAD") -> Any:
    before = fake.count("views.open")
    http.command("/cadence", hr, "round")
    view = fake.wait_for("views.open", before + 1)[-1].args["view"]
    return http.interactive(view_submission(hr, view, values))


def answer_values(view: dict[str, Any], rating: str, comment: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        block_id = block.get("block_id", "")
        if block_id.startswith("rate_"):
            option = {"text": {"type": "plain_text", "text": rating}, "value": rating}
            values[block_id] = {
                ids.A_RD_RATING: {"type": "static_select", "selected_option": option}
            }
        elif block_id.startswith("open_"):
            values[block_id] = {ids.A_RD_TEXT: {"type": "plain_text_input", "value": comment}}
    return values


def request_button(fake: FakeSlack, user: str, action: str = ids.ROUND_ANSWER_OPEN) -> str:
    blocks = [b for dm in fake.messages_to(user) for b in dm.args.get("blocks") or []]
    for block in blocks:
        acc = block.get("accessory") or {}
        if acc.get("action_id") == action:
            return str(acc["value"])
        for el in block.get("elements") or []:
            if isinstance(el, dict) and el.get("action_id") == action:
                return str(el["value"])
    raise AssertionError(f"no {action} button for {user}")


def answer(http: HttpApp, fake: FakeSlack, user: str, rating: str, comment: str) -> None:
    before = fake.count("views.open")
    http.interactive(button_click(user, ids.ROUND_ANSWER_OPEN, request_button(fake, user)))
    view = fake.wait_for("views.open", before + 1)[-1].args["view"]
    resp = http.interactive(view_submission(user, view, answer_values(view, rating, comment)))
    assert resp.status == 200 and not resp.body, resp.body


def test_only_hr_admins_can_start_a_round(
    big_org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    body = http_app.command("/cadence", "U0ANA", "round").body.decode()
    assert "HR admins" in body
    assert fake.calls("views.open") == []
    # A forged submission of the modal by a non-HR user creates nothing either.
    view = {"callback_id": ids.ROUND_MODAL, "blocks": [], "private_metadata": ""}
    values = round_values(["U0BEN"], ["peer"], PEERS)
    resp = http_app.interactive(view_submission("U0ANA", view, values)).json()
    assert resp["response_action"] == "errors" and "HR admins" in json.dumps(resp)
    with read_scope(big_org.engine) as s:
        assert s.execute(select(FeedbackRound)).scalars().all() == []


def test_round_form_errors(big_org: Deps, fake: FakeSlack, http_app: HttpApp) -> None:
    values = round_values([], [], [], minimum="2", deadline="2026-11-21", name="")
    body = start_round(http_app, fake, values).json()
    assert set(body["errors"]) >= {
        ids.B_RD_NAME,
        ids.B_RD_SUBJECTS,
        ids.B_RD_PERSPECTIVES,
        ids.B_RD_DEADLINE,
        ids.B_RD_MIN,
    }


def test_whole_round_lifecycle(
    big_org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> None:
    resp = start_round(http_app, fake, round_values(["U0ANA"], ["self", "manager", "peer"], PEERS))
    assert resp.status == 200 and not resp.body
    sender.drain()
    # One DM per reviewer: Ana herself, Lea (manager), four peers; and a note to HR.
    for user in ["U0ANA", *PEERS]:
        assert len(fake.messages_to(user)) == 1, user
    assert "Winter 360" in fake.messages_to("U0LEAD")[0].args["text"]
    assert fake.messages_to("U0CAT") == []

    answer(http_app, fake, "U0BEN", "4", "PEER-BEN-COMMENT")
    answer(http_app, fake, "U0DAN", "2", "PEER-DAN-COMMENT")
    answer(http_app, fake, "U0EVE", "3", "PEER-EVE-COMMENT")
    answer(http_app, fake, "U0ANA", "5", "SELF-COMMENT")
    # Fin declines with a reason.
    before = fake.count("views.open")
    value = request_button(fake, "U0FIN", ids.ROUND_DECLINE_OPEN)
    http_app.interactive(button_click("U0FIN", ids.ROUND_DECLINE_OPEN, value))
    view = fake.wait_for("views.open", before + 1)[-1].args["view"]
    reason = {ids.B_RD_REASON: {ids.A_RD_REASON: {"type": "plain_text_input", "value": "new"}}}
    assert not http_app.interactive(view_submission("U0FIN", view, reason)).body
    sender.drain()
    # The DM turned into "answered" (an update of the same message, not a new one).
    assert len(fake.messages_to("U0BEN")) == 1
    assert any("answered" in json.dumps(c.args) for c in fake.calls("chat.update"))

    # HR sees progress in the App Home.
    http_app.event(home_event("U0LEAD"))
    home = json.dumps(fake.wait_for("views.publish", 1)[0].args["view"], ensure_ascii=False)
    assert "requested 6 · answered 4 · declined 1 · overdue 0" in home
    http_app.event(home_event("U0ANA"))
    assert "Feedback rounds" not in json.dumps(fake.wait_for("views.publish", 2)[-1].args)

    # Halfway (Friday 27 Nov, 16:30 Paris) a reminder only to Lea, who still owes an answer;
    # not before, and not at night.
    fake.clear()
    clock.set(datetime(2026, 11, 27, 15, 0, tzinfo=UTC))
    assert run_rounds(big_org, clock.now()).counts == {}
    clock.set(datetime(2026, 11, 27, 22, 0, tzinfo=UTC))
    assert run_rounds(big_org, clock.now()).counts == {}
    clock.set(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))  # Monday 09:30 Paris
    report = run_rounds(big_org, clock.now())
    sender.drain()
    assert report.counts == {"reminders queued": 1}
    assert [c.args["channel"] for c in fake.calls("chat.postMessage")] == ["U0LEAD"]
    assert run_rounds(big_org, clock.now()).counts == {}

    # Deadline: results to Ana's manager, aggregated, anonymous.
    fake.clear()
    clock.set(datetime(2026, 12, 4, 17, 5, tzinfo=UTC))
    assert run_rounds(big_org, clock.now()).counts == {"results queued": 1, "rounds closed": 1}
    assert run_rounds(big_org, clock.now()).counts == {}  # idempotent
    sender.drain()
    results, summary = fake.messages_to("U0LEAD")
    # HR (Lea ran the round) reads where each subject stands.
    told = json.dumps(summary.args["blocks"], ensure_ascii=False)
    assert summary.args["text"].startswith("“Winter 360” is closed (its deadline came)")
    assert "*Ana Agent* · answered 4 · declined 1 · overdue 1" in told
    assert "No subject fell below the minimum of 3 answers." in told
    blob = json.dumps(results.args, ensure_ascii=False)
    assert "Peers* · 3 answers" in blob and "3.0" in blob
    assert "PEER-BEN-COMMENT" in blob and "SELF-COMMENT" in blob
    for reviewer in ("U0BEN", "U0DAN", "U0EVE", "Ben", "Dan", "Eve"):
        assert reviewer not in blob
    assert fake.messages_to("U0ANA") == []  # not until her manager releases them

    # Only her manager can release; then Ana gets them.
    http_app.interactive(button_click("U0BEN", ids.ROUND_RELEASE, request_value(results)))
    assert "Only" in fake.wait_for("chat.postEphemeral", 1)[-1].args["text"]
    http_app.interactive(button_click("U0LEAD", ids.ROUND_RELEASE, request_value(results)))
    fake.wait_for("chat.postEphemeral", 2)
    sender.drain()
    [mine] = fake.messages_to("U0ANA")
    assert "PEER-DAN-COMMENT" in json.dumps(mine.args) and "U0DAN" not in json.dumps(mine.args)

    # Stored answers carry no reviewer and no time; the export has no reviewer either.
    with read_scope(big_org.engine) as s:
        answers = s.execute(select(RoundAnswer)).scalars().all()
    assert len(answers) == 4
    assert all(a.reviewer_id is None and a.submitted_at is None for a in answers)
    out = io.StringIO()
    export_feedback(big_org, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 4 and {r["giver_slack_id"] for r in rows} == {""}
    assert {r["slack_id"] for r in rows} == {"U0ANA"}


def request_value(message: Any) -> str:
    for block in message.args["blocks"]:
        for el in block.get("elements") or []:
            if isinstance(el, dict) and el.get("action_id") == ids.ROUND_RELEASE:
                return str(el["value"])
    raise AssertionError("no release button")


@pytest.mark.parametrize(("answers", "shown"), [(2, False), (3, True), (4, True)])
def test_anonymity_threshold(
    big_org: Deps,
    fake: FakeSlack,
    http_app: HttpApp,
    sender: OutboxSender,
    clock: FixedClock,
    answers: int,
    shown: bool,
) -> None:
    start_round(http_app, fake, round_values(["U0ANA"], ["peer"], PEERS))
    sender.drain()
    for i, peer in enumerate(PEERS[:answers]):
        answer(http_app, fake, peer, "4", f"THRESHOLD-{i}")
    fake.clear()
    clock.set(datetime(2026, 12, 4, 17, 5, tzinfo=UTC))
    run_rounds(big_org, clock.now())
    sender.drain()
    blob = json.dumps(fake.messages_to("U0LEAD")[0].args, ensure_ascii=False)
    summary = json.dumps(fake.messages_to("U0LEAD")[1].args, ensure_ascii=False)
    assert f"*Ana Agent* · answered {answers} · declined 0 · overdue {4 - answers}" in summary
    assert ("below the minimum of 3: Peers (2)" in summary) is not shown
    assert ("THRESHOLD-0" in blob) is shown
    assert ("4.0" in blob) is shown
    assert ("not enough responses" in blob) is not shown


def test_nobody_is_asked_about_the_same_person_twice_within_30_days(
    big_org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> None:
    start_round(http_app, fake, round_values(["U0ANA"], ["peer"], PEERS[:3]))
    clock.set(clock.now() + timedelta(days=10))
    start_round(http_app, fake, round_values(["U0ANA"], ["peer"], PEERS, name="Again"))
    with read_scope(big_org.engine) as s:
        rows = s.execute(select(RoundRequest)).scalars().all()
    per_round: dict[int, int] = {}
    for r in rows:
        per_round[r.round_id] = per_round.get(r.round_id, 0) + 1
    assert sorted(per_round.values()) == [1, 3]  # only Fin is new in the second round
    sender.drain()
    notes = [c.args["text"] for c in fake.messages_to("U0LEAD")]
    assert any("left out" in n for n in notes)


def test_hr_can_extend_and_close_early(
    big_org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    start_round(http_app, fake, round_values(["U0ANA"], ["manager"], []))
    with read_scope(big_org.engine) as s:
        [round_] = s.execute(select(FeedbackRound)).scalars().all()
    http_app.interactive(button_click("U0ANA", ids.ROUND_CLOSE, str(round_.id)))
    assert "HR admins" in fake.wait_for("chat.postEphemeral", 1)[-1].args["text"]
    http_app.interactive(button_click("U0LEAD", ids.ROUND_EXTEND, str(round_.id)))
    extended = fake.wait_for("chat.postEphemeral", 2)[-1].args["text"]
    assert "now closes on Friday 11 Dec, 18:00 your time." in extended
    # Lea also reviews (as Ana's manager): her request DM now reads the new deadline.
    sender.drain()
    assert "Friday 11 Dec, 18:00 your time" in json.dumps(fake.messages_to("U0LEAD")[-1].args)
    http_app.interactive(button_click("U0LEAD", ids.ROUND_CLOSE, str(round_.id)))
    assert "Closed" in fake.wait_for("chat.postEphemeral", 3)[-1].args["text"]
    sender.drain()
    # The same summary as at the deadline, saying it closed early.
    summary = next(m for m in fake.messages_to("U0LEAD") if "is closed" in m.args["text"])
    assert "(early, with Close now)" in summary.args["text"]
    assert "*Ana Agent* · answered 0 · declined 0 · unanswered 1" in json.dumps(
        summary.args["blocks"], ensure_ascii=False
    )
    with read_scope(big_org.engine) as s:
        assert s.execute(select(FeedbackRound)).scalar_one().status == "closed"
        kinds = {d.kind for d in s.execute(select(Delivery)).scalars()}
    assert "round-results" in kinds


def test_after_extend_or_close_the_hr_home_still_shows_review_and_goals(
    big_org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    start_round(http_app, fake, round_values(["U0ANA"], ["manager"], []))
    with read_scope(big_org.engine) as s:
        [round_] = s.execute(select(FeedbackRound)).scalars().all()
    for n, button in enumerate([ids.ROUND_EXTEND, ids.ROUND_CLOSE], start=1):
        http_app.interactive(button_click("U0LEAD", button, str(round_.id)))
        home = json.dumps(fake.wait_for("views.publish", n)[-1].args["view"], ensure_ascii=False)
        assert "Feedback rounds" in home, button  # the HR section the button belongs to
        assert "*Quarterly review*" in home and "*Goals" in home, button


def dm_text(fake: FakeSlack, user: str) -> str:
    return json.dumps(fake.messages_to(user)[-1].args["blocks"], ensure_ascii=False)


def open_answer_modal(http: HttpApp, fake: FakeSlack, user: str) -> str:
    before = fake.count("views.open")
    http.interactive(button_click(user, ids.ROUND_ANSWER_OPEN, request_button(fake, user)))
    view = fake.wait_for("views.open", before + 1)[-1].args["view"]
    return json.dumps(view["blocks"][:2], ensure_ascii=False)


def test_each_reviewer_reads_what_happens_to_their_own_answer_and_when_it_closes(
    big_org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    peers = ["U0DAN", "U0EVE", "U0FIN"]
    values = round_values(["U0BEN"], ["self", "manager", "peer", "report"], peers)
    assert not start_round(http_app, fake, values).body
    sender.drain()

    # Lea, Ben's manager: her answer is the one manager view, with her name; never "anonymous".
    lea = dm_text(fake, "U0LEAD")
    assert "*Ben Builder* as their manager\\n_with your name, as the manager view_" in lea
    assert "nonymous" not in lea
    assert "Friday 4 Dec, 18:00 your time" in lea and "in Paris" not in lea
    lea_modal = open_answer_modal(http_app, fake, "U0LEAD")
    assert "Not anonymous: you are Ben Builder's only manager" in lea_modal
    assert "nonymous: stored" not in lea_modal

    # Ben about himself: his own view, with his name, and no "I can't review this person".
    ben = dm_text(fake, "U0BEN")
    assert "*Your own view*\\n_with your name, as your own view_" in ben
    assert "yourself" not in ben and ids.ROUND_DECLINE_OPEN not in ben
    assert "shown with your name to your manager" in open_answer_modal(http_app, fake, "U0BEN")

    # A peer in Tonga: anonymous only combined; the deadline in her zone and in HR's.
    dan = dm_text(fake, "U0DAN")
    assert "*Ben Builder* as a peer\\n_anonymous, shown only combined once 3 peers answered_" in (
        dan
    )
    assert "Saturday 5 Dec, 06:00 your time (Friday 4 Dec, 18:00 in Paris)" in dan
    assert ids.ROUND_DECLINE_OPEN in dan
    modal = open_answer_modal(http_app, fake, "U0DAN")
    assert "Anonymous: stored without your name" in modal and "at least 3 of you" in modal
    # Cat, Ben's only report, in Honolulu.
    cat = dm_text(fake, "U0CAT")
    assert "as a direct report" in cat and "Friday 4 Dec, 07:00 your time (18:00 in Paris)" in cat


def test_in_a_named_round_peers_are_told_their_name_is_shown(
    big_org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    values = round_values(["U0ANA"], ["peer"], ["U0BEN", "U0DAN", "U0EVE"], anonymous=False)
    assert not start_round(http_app, fake, values).body
    sender.drain()
    assert "*Ana Agent* as a peer\\n_with your name_" in dm_text(fake, "U0BEN")
    modal = open_answer_modal(http_app, fake, "U0BEN")
    assert "Not anonymous: your name is shown with your answers to Ana Agent's manager" in modal


def test_a_decline_reaches_hr_who_asks_someone_else_and_hr_work_leads_the_home(
    big_org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    values = round_values(["U0ANA"], ["peer"], ["U0BEN", "U0DAN", "U0EVE"])
    assert not start_round(http_app, fake, values).body
    sender.drain()
    before = fake.count("views.open")
    value = request_button(fake, "U0DAN", ids.ROUND_DECLINE_OPEN)
    http_app.interactive(button_click("U0DAN", ids.ROUND_DECLINE_OPEN, value))
    view = fake.wait_for("views.open", before + 1)[-1].args["view"]
    why = "We <!here> never worked together"
    reason = {ids.B_RD_REASON: {ids.A_RD_REASON: {"type": "plain_text_input", "value": why}}}
    assert not http_app.interactive(view_submission("U0DAN", view, reason)).body

    # Lea (HR) opens her Home: her HR work comes first, with who declined whom and why.
    http_app.event(home_event("U0LEAD"))
    home = fake.wait_for("views.publish", 1)[-1].args["view"]
    assert home["blocks"][0]["text"]["text"] == "Your HR work"
    texts = [json.dumps(b, ensure_ascii=False) for b in home["blocks"]]
    first_checkin = next(i for i, t in enumerate(texts) if ids.HOME_CHECKIN_OPEN in t)
    calibration = next(i for i, t in enumerate(texts) if ids.HOME_CALIBRATION_OPEN in t)
    rounds_at = next(i for i, t in enumerate(texts) if "Winter 360" in t)
    assert rounds_at < calibration < first_checkin
    declined = next(b for b in home["blocks"] if "🙅" in b.get("text", {}).get("text", ""))
    line = "🙅 *Dan Dev* declined *Ana Agent* (as a peer): We &lt;!here&gt; never worked together"
    assert declined["text"]["text"] == line
    assert declined["accessory"]["action_id"] == ids.ROUND_REPLACE_OPEN

    # Ask someone else: the modal names the decline; bad picks come back on the field.
    before = fake.count("views.open")
    http_app.interactive(
        button_click("U0LEAD", ids.ROUND_REPLACE_OPEN, declined["accessory"]["value"])
    )
    modal = fake.wait_for("views.open", before + 1)[-1].args["view"]
    assert modal["callback_id"] == ids.ROUND_REPLACE_MODAL

    def pick(user: str) -> Any:
        picked = {ids.A_RD_REPLACE: {"type": "users_select", "selected_user": user}}
        return http_app.interactive(
            view_submission("U0LEAD", modal, {ids.B_RD_REPLACE: picked})
        ).json()

    assert "already asked" in pick("U0BEN")["errors"][ids.B_RD_REPLACE]
    assert "other than the person" in pick("U0ANA")["errors"][ids.B_RD_REPLACE]
    assert pick("U0FIN") is None
    sender.drain()
    [request] = fake.messages_to("U0FIN")
    assert "*Ana Agent* as a peer" in json.dumps(request.args["blocks"], ensure_ascii=False)
    # Done once: the decline leaves the panel, and a second try is refused.
    assert "already been asked" in pick("U0EVE")["errors"][ids.B_RD_REPLACE]
    http_app.event(home_event("U0LEAD"))
    again = json.dumps(fake.wait_for("views.publish", 2)[-1].args["view"], ensure_ascii=False)
    assert ids.ROUND_REPLACE_OPEN not in again
    assert "requested 3 · answered 0 · declined 1" in again
    # Someone who is not HR cannot use the button.
    http_app.interactive(button_click("U0ANA", ids.ROUND_REPLACE_OPEN, "1"))
    assert "HR admins" in fake.wait_for("chat.postEphemeral", 1)[-1].args["text"]


def leaves(folder: Path, org: str, slack_id: str) -> str:
    """`slack_id` leaves: `import-org` (run in `folder`) of the org CSV `org` without their
    line; its output."""
    (folder / "org.csv").write_text(
        "".join(f"{line}\n" for line in org.splitlines() if not line.startswith(slack_id))
    )
    code, out, err = run("import-org", "org.csv")
    assert code == 0, err
    return out


def test_reviewers_who_left_are_not_reminded_and_their_requests_read_withdrawn(
    big_org: Deps,
    fake: FakeSlack,
    http_app: HttpApp,
    sender: OutboxSender,
    clock: FixedClock,
    env: Path,  # noqa: F811
) -> None:
    """Fin leaves (the next org import no longer lists him) while he still owes an answer:
    deactivated people may do nothing, so nobody reminds him and HR reads his request as
    withdrawn, neither owed nor overdue."""
    start_round(http_app, fake, round_values(["U0ANA"], ["peer"], PEERS))
    sender.drain()
    assert "1 deactivated" in leaves(env, BIG_ORG, "U0FIN")

    # Halfway (Monday 09:30 Paris): Eve and Fin are in working hours; only Eve is reminded.
    fake.clear()
    clock.set(datetime(2026, 11, 30, 8, 30, tzinfo=UTC))
    assert run_rounds(big_org, clock.now()).counts == {"reminders queued": 1}
    sender.drain()
    assert [c.args["channel"] for c in fake.calls("chat.postMessage")] == ["U0EVE"]

    http_app.event(home_event("U0LEAD"))
    home = json.dumps(fake.wait_for("views.publish", 1)[-1].args["view"], ensure_ascii=False)
    assert "requested 3 · answered 0 · declined 0 · overdue 0 · withdrawn 1" in home

    clock.set(datetime(2026, 12, 4, 17, 5, tzinfo=UTC))
    assert run_rounds(big_org, clock.now()).counts == {"results queued": 1, "rounds closed": 1}
    sender.drain()
    summary = next(m for m in fake.messages_to("U0LEAD") if "is closed" in m.args["text"])
    told = json.dumps(summary.args["blocks"], ensure_ascii=False)
    assert "*Ana Agent* · answered 0 · declined 0 · overdue 3 · withdrawn 1" in told


def test_round_reminders_wait_for_each_reviewers_own_quiet_hours(
    big_org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> None:
    """Reminders go on a weekday outside the reviewer's own quiet hours (their settings), not
    in fixed office hours: Fin's mornings are quiet until 11:00; everyone else has the
    organisation's quiet hours (21:00–08:00 in their own zone)."""
    start_round(http_app, fake, round_values(["U0ANA"], ["peer"], PEERS))
    assert saved(submit(http_app, fake, "U0LEAD", form("person", "U0FIN", quiet_end="11:00")))
    sender.drain()

    def reminded(at: datetime) -> set[str]:
        fake.clear()
        clock.set(at)
        run_rounds(big_org, at)
        sender.drain()
        return {c.args["channel"] for c in fake.calls("chat.postMessage")}

    # Halfway, Monday 08:30 in Paris: Eve (Paris) and Dan (Tonga, 20:30) are past their quiet
    # hours; Fin's last until 11:00, Ben's (New York, 03:30) until 08:00 there.
    assert reminded(datetime(2026, 11, 30, 7, 30, tzinfo=UTC)) == {"U0EVE", "U0DAN"}
    assert reminded(datetime(2026, 11, 30, 9, 30, tzinfo=UTC)) == set()  # 10:30 for Fin
    assert reminded(datetime(2026, 11, 30, 10, 30, tzinfo=UTC)) == {"U0FIN"}
    assert reminded(datetime(2026, 11, 30, 13, 30, tzinfo=UTC)) == {"U0BEN"}  # 08:30 NY
