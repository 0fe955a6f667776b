"""People's rights over their data: `python bot.py forget`, `/cadence my-data`, retention.
After an erasure no table, export or message rendered afterwards carries the person's name,
Slack ID or text, and the numbers others' figures are built from stay."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlmodel import col

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.domain.periods import shift_week
from cadence.domain.status import DeliveryStatus
from cadence.prompts import ids
from cadence.services import home
from cadence.services.deps import Deps
from cadence.services.digests import send_digests, team_view
from cadence.services.lens import ThemeLine
from cadence.services.rounds import run_rounds
from cadence.storage import feedback_repo, repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import (
    Action,
    AuditEvent,
    Checkin,
    Delivery,
    FeedbackRound,
    Goal,
    KeyResult,
    LensSnapshot,
    Person,
    Plan,
    Review,
    RoundAnswer,
    RoundRequest,
    SealedAnswer,
)
from cadence.storage.rights_repo import text_columns
from tests.conftest import HttpApp, button_click, view_submission
from tests.fakeslack import FakeSlack
from tests.test_cli import env, run  # noqa: F401  (env: the CLI fixture)
from tests.test_digests import MONDAY_PARIS_9, PERIOD, answer
from tests.test_round_minimums import answer_about, more_org  # noqa: F401  (a fixture)
from tests.test_rounds import round_values, start_round

ANA_TEXTS = [
    "ANA wins: shipped the refund macro",
    "ANA blockers: the billing approval queue",
    "ANA feedback: Ben explains the code well",
    "ANA kudos: thanks for covering my shift",
    "ANA self review: I grew as a mentor",
    "ANA goal: cut first response time",
    "ANA key result: median under two hours",
    "ANA decline: I never worked with Dan",
]
ABOUT_ANA = [
    "BEN about ANA: manager only remark",
    "LEA action about ANA: pair on escalations",
    "LEA manager review of ANA: steady quarter",
    "DAN round comment about ANA: kind",
    "LEA plan for ANA: CSAT at 90 for six weeks",
    "LEA plan support for ANA: mentoring on escalations",
]
LENS_LINE = ThemeLine(
    name="billing approval",
    people=4,
    teams=1,
    weeks=3,
    window=12,
    trend="rising",
    where="Ana Agent's team 4",
    first_week="2 Nov",
    last_week="16 Nov",
)
BEN_TEXT = "BEN wins: unblocked the release train"
IDENTITY = ["Ana Agent", "U0ANA", "ana@example.com"]


def _id(deps: Deps, slack_id: str) -> int:
    with read_scope(deps.engine) as s:
        person = repo.person_by_slack_id(slack_id, session=s)
    assert person is not None and person.id is not None
    return person.id


def seed_ana(deps: Deps, sender: OutboxSender) -> None:
    """Ana's weeks, feedback, kudos, review, goal, round answers and the digest about her."""
    ana, ben, lea, dan = (_id(deps, s) for s in ("U0ANA", "U0BEN", "U0LEAD", "U0DAN"))
    for i in range(1, 5):
        answer(deps, "U0ANA", shift_week(PERIOD, -i), 90, 20)
        answer(deps, "U0BEN", shift_week(PERIOD, -i), 80, 4)
    answer(deps, "U0ANA", PERIOD, 91, 22, wins=ANA_TEXTS[0], blockers=ANA_TEXTS[1])
    answer(deps, "U0BEN", PERIOD, 81, 5, wins=BEN_TEXT)
    now = deps.clock.now()
    with session_scope(deps.engine) as s:
        feedback_repo.add_feedback(ana, ben, "shared", ANA_TEXTS[2], "", "", now, session=s)
        feedback_repo.add_feedback(ben, ana, "manager", ABOUT_ANA[0], "", "", now, session=s)
        feedback_repo.add_kudos(ana, "C1", ANA_TEXTS[3] + " <@U0BEN>", [ben], now, session=s)
        s.add(
            Review(
                person_id=ana,
                quarter="2026-Q4",
                self_answers=json.dumps({"ratings": {"craft": 4}, "grow": ANA_TEXTS[4]}),
                manager_answers=json.dumps({"ratings": {"craft": 4}, "narrative": ABOUT_ANA[2]}),
                manager_id=lea,
                created_at=now,
            )
        )
        goal = Goal(person_id=ana, quarter="2026-Q4", objective=ANA_TEXTS[5], created_at=now)
        s.add(goal)
        s.flush()
        assert goal.id is not None
        s.add(
            KeyResult(
                goal_id=goal.id,
                kind="other",
                description=ANA_TEXTS[6],
                baseline=4,
                target=2,
                due=date(2026, 12, 31),
            )
        )
        s.add(
            Plan(
                person_id=ana,
                opened_by_id=lea,
                kind="development",
                quality_result=ABOUT_ANA[4],
                output_result="22 tickets a week",
                support=json.dumps([{"what": ABOUT_ANA[5], "owner": "U0BEN"}]),
                checkins=json.dumps(["2026-12-11"]),
                end_date=date(2027, 1, 29),
                created_at=now,
            )
        )
        s.add(
            Action(
                manager_id=lea,
                report_id=ana,
                period=PERIOD,
                signal="support",
                text=ABOUT_ANA[1],
                owner_kind="manager",
                owner_slack_id="U0LEAD",
                due=date(2026, 12, 1),
                created_at=now,
                updated_at=now,
            )
        )
        rnd = FeedbackRound(
            name="Q4 360",
            created_by_id=lea,
            perspectives="peer",
            peer_mode="hr",
            question_set="default",
            deadline=now + timedelta(days=7),
            created_at=now,
        )
        s.add(rnd)
        s.flush()
        assert rnd.id is not None
        s.add(
            RoundRequest(
                round_id=rnd.id,
                reviewer_id=ana,
                subject_id=dan,
                perspective="peer",
                status="declined",
                decline_reason=ANA_TEXTS[7],
                created_at=now,
            )
        )
        s.add(
            RoundAnswer(
                id="a1",
                round_id=rnd.id,
                subject_id=ana,
                perspective="peer",
                ratings=json.dumps({"craft": 5}),
                comments=json.dumps({"strength": ABOUT_ANA[3]}),
            )
        )
        s.add(
            LensSnapshot(
                kind="themes",
                period=PERIOD,
                payload=json.dumps([asdict(LENS_LINE)]),
                computed_at=now,
            )
        )
        repo.audit("U0ANA", "action.done", "U0ANA", "closed by U0ANA", now, session=s)
        repo.audit("U0LEAD", "export.checkins", "all", "export started", now, session=s)
    # The Monday digest about Ana's week goes out (sent rows carry her name and text) ...
    assert isinstance(deps.clock, FixedClock)
    deps.clock.set(MONDAY_PARIS_9)
    send_digests(deps, MONDAY_PARIS_9)
    sender.drain()
    # ... and a message to her is still waiting.
    with session_scope(deps.engine) as s:
        repo.enqueue(
            [
                repo.OutgoingMessage(
                    key=f"checkin:U0ANA:{shift_week(PERIOD, 1)}",
                    kind="checkin",
                    recipient="U0ANA",
                    payload={"text": "Hi Ana Agent, time for your check-in"},
                )
            ],
            MONDAY_PARIS_9 + timedelta(days=7),
            session=s,
        )


def every_text(deps: Deps) -> str:
    """Every text cell of every table (SQLAlchemy's metadata: tables added later count too)."""
    cells: list[str] = []
    with read_scope(deps.engine) as s:
        for _, columns in text_columns():
            for row in s.execute(select(*columns)):
                cells.extend(str(v) for v in row if v is not None)
    return "\n".join(cells)


def team_figures(deps: Deps) -> tuple[int, float, int]:
    """Lea's team check-in count and output sum, and how many people she has on record."""
    lea = _id(deps, "U0LEAD")
    with read_scope(deps.engine) as s:
        count, total = s.execute(
            select(func.count(), func.sum(Checkin.output_value))
            .join(Person, col(Person.id) == Checkin.person_id)
            .where(col(Person.manager_id) == lea)
        ).one()
        people = s.execute(
            select(func.count()).select_from(Person).where(col(Person.manager_id) == lea)
        ).scalar_one()
    return int(count), float(total), int(people)


def test_forget_leaves_no_name_slack_id_or_text_and_keeps_the_numbers(
    env: Path,  # noqa: F811
    org: Deps,
    fake: FakeSlack,
    sender: OutboxSender,
) -> None:
    deps = org
    seed_ana(deps, sender)
    before = every_text(deps)
    assert [t for t in IDENTITY + ANA_TEXTS + ABOUT_ANA if t not in before] == []
    figures = team_figures(deps)
    ana_id = _id(deps, "U0ANA")

    code, out, err = run("forget", "U0ANA")
    assert code == 0, err
    assert f"person #{ana_id}" in out

    after = every_text(deps)
    for secret in IDENTITY + ANA_TEXTS + ABOUT_ANA:
        assert secret not in after, secret
    assert BEN_TEXT in after  # other people's text stays
    assert team_figures(deps) == figures  # aggregates stay correct
    with read_scope(deps.engine) as s:
        erased = s.get(Person, ana_id)
        assert erased is not None
        assert (erased.name, erased.email, erased.active) == ("(removed)", "", False)
        assert erased.slack_id.startswith("erased-") and erased.erased_at is not None
        audit = s.scalars(select(AuditEvent).where(col(AuditEvent.action) == "person.erase")).one()
        assert (audit.actor, audit.subject) == ("cli", f"person:{ana_id}")
        # Nothing pending goes to her, and the sent digest keeps no trace of her.
        pending = s.scalars(
            select(Delivery).where(col(Delivery.status) == DeliveryStatus.PENDING)
        ).all()
        assert all(d.recipient != erased.slack_id for d in pending)
        assert s.scalars(select(col(RoundAnswer.ratings))).one() == json.dumps({"craft": 5})

    for kind in ("checkins", "feedback", "reviews"):
        code, exported, err = run("export", kind)
        assert code == 0, err
        for secret in IDENTITY + ANA_TEXTS + ABOUT_ANA:
            assert secret not in exported, (kind, secret)
    assert BEN_TEXT in run("export", "checkins")[1]

    # Messages rendered afterwards: Lea's App Home and her team digest, and next Monday's.
    rendered = json.dumps(home.home_view(deps, "U0LEAD")) + json.dumps(
        team_view(deps, "U0LEAD").view
    )
    fake.clear()
    next_monday = MONDAY_PARIS_9 + timedelta(days=7)
    assert isinstance(deps.clock, FixedClock)
    deps.clock.set(next_monday)
    send_digests(deps, next_monday)
    sender.drain()
    rendered += json.dumps([c.args for c in fake.calls()], ensure_ascii=False)
    for secret in IDENTITY + ANA_TEXTS + ABOUT_ANA:
        assert secret not in rendered, secret
    assert "Ben Builder" in rendered


def test_forget_twice_and_unknown_people(env: Path, org: Deps) -> None:  # noqa: F811
    code, out, _ = run("forget", "U0DAN")
    assert code == 0
    code, out, _ = run("forget", "U0DAN")
    assert code == 0 and "already erased" in out
    code, out, err = run("forget", "U0NOBODY")
    assert code == 1 and out == ""
    assert err.strip() == "Nobody in Cadence has the Slack ID 'U0NOBODY'; nothing erased."
    with read_scope(org.engine) as s:
        erasures = s.scalars(
            select(AuditEvent).where(col(AuditEvent.action) == "person.erase")
        ).all()
    assert len(erasures) == 1


def test_my_data_sends_their_own_file_without_others_text_or_manager_only_feedback(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    deps = org
    seed_ana(deps, sender)
    fake.clear()
    resp = http_app.command("/cadence", "U0ANA", "my-data")
    assert resp.status == 200 and "On its way" in resp.body.decode()
    sender.drain()
    [dm] = [c for c in fake.messages_to("U0ANA") if c.method == "chat.postMessage"]
    assert "everything Cadence holds about you" in json.dumps(dm.args["blocks"])
    channel = dm.response["channel"]  # type: ignore[index]
    [upload] = [f for f in fake.files.values() if channel in f["channels"]]
    assert upload["name"].endswith(".json")
    content = fake.uploads[upload["id"]].decode("utf-8")
    data = json.loads(content)
    for mine in (ANA_TEXTS[0], ANA_TEXTS[1], ANA_TEXTS[2], ANA_TEXTS[4], ANA_TEXTS[5]):
        assert mine in content, mine
    assert BEN_TEXT not in content  # another person's text
    assert ABOUT_ANA[0] not in content  # feedback for her manager only
    assert data["feedback_about_you_for_your_manager_only"]["count"] == 1
    assert ABOUT_ANA[2] not in content  # the manager assessment is not released
    assert [c["week"] for c in data["checkins"]][-1] == PERIOD
    assert [p["quality_result"] for p in data["development_plans"]] == [ABOUT_ANA[4]]
    assert any(e["what"] == "export.checkins" for e in data["access_to_your_data"])
    with read_scope(deps.engine) as s:
        audited = s.scalars(select(AuditEvent).where(col(AuditEvent.action) == "my-data")).all()
    assert [(a.actor, a.subject) for a in audited] == [("U0ANA", "U0ANA")]


def test_my_data_for_someone_not_in_the_org_chart(org: Deps, http_app: HttpApp) -> None:
    resp = http_app.command("/cadence", "U0NOBODY", "my-data")
    assert "not in its org chart" in resp.body.decode()


def test_hr_erases_from_the_app_home_only_after_typing_the_name(
    org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    http_app.interactive(button_click("U0LEAD", ids.HOME_ERASE_OPEN, ""))
    view = fake.wait_for("views.open", 1)[-1].args["view"]
    assert view["callback_id"] == ids.ERASE_MODAL

    def submit(user: str, name: str) -> Any:
        values = {
            ids.B_ERASE_WHO: {ids.A_ERASE_WHO: {"type": "users_select", "selected_user": "U0ANA"}},
            ids.B_ERASE_CONFIRM: {ids.A_ERASE_CONFIRM: {"type": "plain_text_input", "value": name}},
        }
        return http_app.interactive(view_submission(user, view, values)).json()

    wrong = submit("U0LEAD", "Ana")
    assert wrong["response_action"] == "errors" and ids.B_ERASE_CONFIRM in wrong["errors"]
    refused = submit("U0BEN", "Ana Agent")  # not an HR admin
    assert refused["errors"][ids.B_ERASE_WHO].startswith("Only HR admins")
    with read_scope(org.engine) as s:
        assert repo.person_by_slack_id("U0ANA", session=s) is not None
    assert submit("U0LEAD", "  ana   agent ") is None  # closes: erased
    with read_scope(org.engine) as s:
        assert repo.person_by_slack_id("U0ANA", session=s) is None
        audit = s.scalars(select(AuditEvent).where(col(AuditEvent.action) == "person.erase")).one()
    assert audit.actor == "U0LEAD" and audit.detail == ""
    home_view = fake.wait_for("views.publish", 1)[-1].args["view"]
    assert "Ana Agent" not in json.dumps(home_view)


def test_retention_removes_old_free_text_once_a_day_and_keeps_numbers(
    org: Deps, fake: FakeSlack
) -> None:
    from dataclasses import replace

    from cadence.services.rights import run_retention

    deps = org
    assert isinstance(deps.clock, FixedClock)
    old_time = deps.clock.now() - timedelta(days=300)
    deps.clock.set(old_time)
    answer(deps, "U0ANA", "2026-W04", 90, 20, wins="old win from January", blockers="old block")
    with session_scope(deps.engine) as s:
        feedback_repo.add_feedback(
            _id(deps, "U0BEN"),
            _id(deps, "U0ANA"),
            "shared",
            "old praise",
            "",
            "",
            old_time,
            session=s,
        )
    deps.clock.set(old_time + timedelta(days=300))
    answer(deps, "U0ANA", PERIOD, 91, 22, wins=ANA_TEXTS[0])
    now = deps.clock.now()

    assert run_retention(deps, now).counts == {}  # off by default: nothing removed
    assert "old win from January" in every_text(deps)

    on = replace(deps, settings=deps.settings.model_copy(update={"cadence_retention_months": 6}))
    report = run_retention(on, now)
    assert report.counts["texts removed"] >= 3
    text = every_text(deps)
    for old in ("old win from January", "old block", "old praise"):
        assert old not in text
    assert ANA_TEXTS[0] in text  # recent text stays
    with read_scope(deps.engine) as s:
        old_week = s.scalars(select(Checkin).where(col(Checkin.period) == "2026-W04")).one()
    assert (old_week.wins, old_week.output_value) == ("(removed)", 20)
    assert run_retention(on, now + timedelta(hours=1)).counts == {}  # once a day


def test_erasing_someone_while_a_round_is_open_keeps_their_answers_anonymous_and_counted(
    more_org: Deps,  # noqa: F811
    fake: FakeSlack,
    http_app: HttpApp,
    sender: OutboxSender,
    clock: FixedClock,
) -> None:
    """Eve answered about Ana, and three peers answered about Eve, all sealed; Gia still owes
    an answer about Eve. HR erases Eve before the round closes."""
    deps = more_org
    peers = ["U0BEN", "U0DAN", "U0EVE", "U0FIN", "U0GIA"]
    assert not start_round(http_app, fake, round_values(["U0ANA", "U0EVE"], ["peer"], peers)).body
    sender.drain()
    answer_about(http_app, fake, "U0EVE", "Ana Agent", "1", "EVE-SECRET-ABOUT-ANA")
    for i, peer in enumerate(["U0BEN", "U0DAN", "U0FIN"]):
        answer_about(http_app, fake, peer, "Ana Agent", "5", f"PEER-ABOUT-ANA-{i}")
        answer_about(http_app, fake, peer, "Eve Engineer", "4", f"PEER-ABOUT-EVE-{i}")
    eve = _id(deps, "U0EVE")
    with read_scope(deps.engine) as s:
        pooled = s.execute(select(col(SealedAnswer.subject_id))).scalars().all()
    assert sorted(pooled).count(eve) == 3 and len(pooled) == 7

    http_app.interactive(button_click("U0LEAD", ids.HOME_ERASE_OPEN, ""))
    view = fake.wait_for("views.open", fake.count("views.open"))[-1].args["view"]
    values = {
        ids.B_ERASE_WHO: {ids.A_ERASE_WHO: {"type": "users_select", "selected_user": "U0EVE"}},
        ids.B_ERASE_CONFIRM: {
            ids.A_ERASE_CONFIRM: {"type": "plain_text_input", "value": "Eve Engineer"}
        },
    }
    assert http_app.interactive(view_submission("U0LEAD", view, values)).json() is None

    # What was pooled about Eve is gone unread; Eve's own answer about Ana stays pooled.
    with read_scope(deps.engine) as s:
        pooled = s.execute(select(col(SealedAnswer.subject_id))).scalars().all()
        asked_about_eve = s.execute(
            select(col(RoundRequest.status)).where(col(RoundRequest.subject_id) == eve)
        ).scalars()
        # Gia is not asked any more: her request is withdrawn.
        assert sorted(asked_about_eve) == ["answered"] * 3 + ["withdrawn"]
    assert pooled == [_id(deps, "U0ANA")] * 4

    fake.clear()
    clock.set(datetime(2026, 12, 4, 17, 5, tzinfo=UTC))
    assert run_rounds(deps, clock.now()).counts == {"results queued": 1, "rounds closed": 1}
    sender.drain()
    # Ana's results count Eve's rating (4 answers averaging (5 + 5 + 5 + 1) / 4 = 4.0), name
    # nobody, and carry none of Eve's text; nothing is sent about Eve.
    [results, summary] = fake.messages_to("U0LEAD")
    blob = json.dumps(results.args, ensure_ascii=False)
    assert "Feedback results for Ana Agent" in blob
    assert "Peers* · 4 answers" in blob and "4.0" in blob
    assert "PEER-ABOUT-ANA-0" in blob and "EVE-SECRET-ABOUT-ANA" not in blob
    everything = json.dumps([c.args for c in fake.calls()], ensure_ascii=False)
    assert "PEER-ABOUT-EVE" not in everything and "Feedback results for (removed)" not in everything
    assert "*(removed)* · erased: no results" in json.dumps(summary.args, ensure_ascii=False)
    with read_scope(deps.engine) as s:
        opened = s.execute(select(RoundAnswer)).scalars().all()
        assert s.execute(select(SealedAnswer)).scalars().all() == []
    assert len(opened) == 4 and {(a.subject_id, a.reviewer_id) for a in opened} == {
        (_id(deps, "U0ANA"), None)
    }
    for secret in ("EVE-SECRET-ABOUT-ANA", "PEER-ABOUT-EVE", "Eve Engineer", "U0EVE"):
        assert secret not in every_text(deps), secret
