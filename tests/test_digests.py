"""Manager digests end to end: the Monday job, its messages and chart, /cadence team, and who
sees what, through the fake Slack Web API server and signed HTTP requests."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cadence.delivery.sender import OutboxSender
from cadence.domain.checkins import CheckinAnswers
from cadence.domain.clock import FixedClock
from cadence.domain.periods import shift_week
from cadence.services.deps import Deps
from cadence.services.digests import send_digests
from cadence.storage import repo
from cadence.storage.db import session_scope
from tests.conftest import ORG, ORG_HEADER, HttpApp, load_org
from tests.fakeslack import FakeSlack
from tests.test_cli import env, run  # noqa: F401  (env: the CLI fixture)

MONDAY_PARIS_9 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # digest time in Paris
PERIOD = "2026-W47"


def answer(
    deps: Deps,
    slack_id: str,
    period: str,
    quality: float,
    output: float,
    *,
    mood: int = 3,
    blockers: str = "",
    wins: str = "",
) -> None:
    with session_scope(deps.engine) as s:
        person = repo.person_by_slack_id(slack_id, session=s)
        assert person is not None and person.id is not None
        repo.save_answers(
            person.id,
            period,
            CheckinAnswers(quality, output, mood, wins, blockers, ""),
            deps.clock.now(),
            session=s,
        )


def history(deps: Deps, slack_id: str, quality: float, output: float, weeks: int = 5) -> None:
    """`weeks` steady weeks before PERIOD."""
    for i in range(1, weeks + 1):
        answer(deps, slack_id, shift_week(PERIOD, -i), quality, output, mood=4)


def digest_text(fake: FakeSlack, user: str) -> str:
    return json.dumps([c.args for c in fake.messages_to(user)], ensure_ascii=False)


def blocks_of(fake: FakeSlack, user: str) -> list[dict[str, Any]]:
    return [b for c in fake.messages_to(user) for b in c.args.get("blocks", [])]


def team_week(deps: Deps) -> None:
    """Ana: quality below floor with a blocker; Ben: steady; Dan: no check-in; Cat (Ben's
    report): strain, with private text."""
    history(deps, "U0ANA", 92, 60)
    answer(deps, "U0ANA", PERIOD, 80, 64, mood=2, blockers="Waiting on <!channel> & <@U0BOSS>")
    history(deps, "U0BEN", 90, 4)
    answer(deps, "U0BEN", PERIOD, 90, 4)
    history(deps, "U0CAT", 40, 3)
    answer(deps, "U0CAT", PERIOD, 25, 6, blockers="SECRET-CAT-BLOCKER", wins="SECRET-CAT-WIN")


def run_digests(deps: Deps, sender: OutboxSender, clock: FixedClock, at: datetime) -> None:
    clock.set(at)
    send_digests(deps, at)
    sender.drain()


def test_monday_digest_puts_who_needs_you_first_with_both_metrics_and_signals(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    team_week(org)
    run_digests(org, sender, clock, MONDAY_PARIS_9)
    # Only Lea's 09:00 has come (Ben manages Cat from New York: 03:00 there).
    assert {c.args["channel"] for c in fake.calls("chat.postMessage")} == {"U0LEAD"}
    [dm] = fake.messages_to("U0LEAD")
    blocks = dm.args["blocks"]
    assert blocks[0]["text"]["text"].startswith("Team digest · week of 16 Nov")
    team = blocks[1]["elements"][0]["text"]
    assert "Output: 2 of 2 at target" in team and "1 of 2 below floor" in team
    assert "Check-ins: 2 of 3" in team and "Since last week:" in team
    assert blocks[2]["text"]["text"] == "*Who needs you this week* (1)"
    rows = [b for b in blocks if "accessory" in b]
    assert len(rows) == 1  # Ben is healthy; Dan may still answer until Tuesday 12:00
    ana = rows[0]["text"]["text"]
    assert ana.startswith("🔴 *Ana Agent* · Quality below floor: quality 80 % below the 85 %")
    assert "CSAT *80 %* −12 pts vs usual 92 % (floor 85)" in ana
    assert "Tickets closed *64 tickets/week* +4 tickets vs usual 60 (target 60)" in ana
    assert "Mood 2/5" in ana
    folded = blocks[4]["text"]["text"].splitlines()
    assert folded == [
        "🟢 Ben Builder is on track",
        "⏳ Dan Dev hasn't checked in yet (open until Tuesday 12:00)",
    ]
    assert all(len(line.strip("`")) == 8 for line in ana.split("`")[1::2])  # 8-week sparklines
    # Blockers are escaped: no broadcast, no mention.
    assert "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in ana and "<!channel>" not in digest_text(
        fake, "U0LEAD"
    )
    button = rows[0]["accessory"]
    assert button["text"]["text"] == "Plan action"
    assert json.loads(button["value"]) == {"r": "U0ANA", "p": PERIOD, "s": "quality_below_floor"}
    assert fake.violations == []


def test_the_digest_job_is_idempotent_and_each_manager_gets_it_at_their_own_0900(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    team_week(org)
    run_digests(org, sender, clock, MONDAY_PARIS_9)
    run_digests(org, sender, clock, MONDAY_PARIS_9.replace(minute=30))
    assert len(fake.messages_to("U0LEAD")) == 1
    assert fake.messages_to("U0BEN") == []
    run_digests(org, sender, clock, datetime(2026, 11, 23, 14, 5, tzinfo=UTC))  # 09:05 New York
    run_digests(org, sender, clock, datetime(2026, 11, 23, 15, 0, tzinfo=UTC))
    assert len(fake.messages_to("U0BEN")) == 1
    assert len(fake.messages_to("U0LEAD")) == 1
    # Ana, Cat and Dan manage nobody: no digest.
    assert {c.args["channel"] for c in fake.calls("chat.postMessage")} == {"U0LEAD", "U0BEN"}


def test_no_digest_carries_another_teams_individual_data(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    team_week(org)
    run_digests(org, sender, clock, MONDAY_PARIS_9)
    run_digests(org, sender, clock, datetime(2026, 11, 23, 14, 5, tzinfo=UTC))
    lea = digest_text(fake, "U0LEAD")
    ben = digest_text(fake, "U0BEN")
    # Lea manages Ben, who manages Cat: Lea sees Ben's team as figures, never Cat herself.
    assert "Cat Closer" not in lea and "SECRET-CAT" not in lea
    assert "Ben Builder's team (1): 1 flagged · 0 below floor · 1/1 at target" in lea
    # Ben sees his own report in full, and nothing of Lea's other reports.
    assert "Cat Closer" in ben and "SECRET-CAT-BLOCKER" in ben
    assert "SECRET-CAT-WIN" not in ben  # wins are not part of the digest
    for name in ("Ana Agent", "Dan Dev", "Waiting on"):
        assert name not in ben
    # The chart is about the recipient's own direct reports only.
    for upload in fake.calls("files.completeUploadExternal"):
        assert upload.args["channel_id"] in {"D0LEAD", "D0BEN"}


def test_imported_values_take_precedence_and_the_digest_says_so(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    from cadence.storage import digest_repo

    team_week(org)
    with session_scope(org.engine) as s:
        ana = repo.person_by_slack_id("U0ANA", session=s)
        assert ana is not None and ana.id is not None
        digest_repo.upsert_metric_values(
            [digest_repo.ImportedMetric(ana.id, PERIOD, "quality", 83.5)],
            "zendesk",
            clock.now(),
            session=s,
        )
    run_digests(org, sender, clock, MONDAY_PARIS_9)
    text = digest_text(fake, "U0LEAD")
    assert "CSAT *83.5 %*" in text and "_imported from zendesk_" in text
    assert "*80 %*" not in text  # the self-reported value gives way to the imported one


def test_a_manager_with_60_reports_gets_the_digest_in_several_valid_messages(
    deps: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    lines = ["UBIGBOSS,boss@example.com,Big Boss,,support,Europe/Paris,false"]
    lines += [
        f"U{i:04d}XX,p{i}@example.com,Person {i} <!here>,UBIGBOSS,support,Europe/Paris,false"
        for i in range(60)
    ]
    load_org(deps, ORG_HEADER + "\n".join(lines) + "\n")
    for i in range(60):
        history(deps, f"U{i:04d}XX", 90, 60)
        answer(deps, f"U{i:04d}XX", PERIOD, 70 + i % 30, 60, blockers="x" * 2000)
    run_digests(deps, sender, clock, MONDAY_PARIS_9)
    parts = fake.messages_to("UBIGBOSS")
    assert len(parts) >= 2
    assert all(len(p.args["blocks"]) <= 50 for p in parts)
    assert all(p.ok for p in parts) and fake.violations == []
    assert parts[0].args["text"].endswith(f"(part 1 of {len(parts)})")
    shown = "".join(json.dumps(p.args["blocks"], ensure_ascii=False) for p in parts)
    # Everyone below the floor is listed by name (escaped); the rest fold into lines.
    assert all(f"Person {i} &lt;!here&gt;" in shown for i in range(60) if 70 + i % 30 < 85)
    for block in (b for p in parts for b in p.args["blocks"]):
        assert len(block.get("text", {}).get("text", "")) <= 3000


def test_chart_is_uploaded_to_the_digest_dm_or_replaced_by_a_text_table(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    team_week(org)
    run_digests(org, sender, clock, MONDAY_PARIS_9)
    [done] = fake.calls("files.completeUploadExternal")
    assert done.args["channel_id"] == fake.messages_to("U0LEAD")[0].response["channel"]  # type: ignore[index]
    [file_id] = fake.uploads
    assert fake.uploads[file_id].startswith(b"\x89PNG")
    # Next week the upload fails for good: the figures come as text, the digest is unaffected.
    answer(org, "U0ANA", "2026-W48", 88, 61)
    fake.fail_next("files.getUploadURLExternal", 10, status=200, error="not_allowed")
    run_digests(org, sender, clock, datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    week48 = fake.messages_to("U0LEAD")[1:]
    assert week48[0].args["text"].startswith("Team digest for the week of 23 Nov")
    fallback = week48[-1].args
    assert "could not be uploaded" in fallback["text"]
    table = json.dumps(fallback["blocks"], ensure_ascii=False)
    assert "Ana Agent: healthy quadrant" in table and "101.7 % of target" in table
    assert "Ben Builder" not in table  # no check-in for the week: nothing to place


def test_run_job_digests_is_idempotent(env: Path, db_url: str, fake: FakeSlack) -> None:  # noqa: F811
    (env / "org.csv").write_text(ORG)
    assert run("import-org", "org.csv")[0] == 0
    code, out, _ = run("run-job", "digests", "--at", "2026-11-23T09:00:00+01:00")
    # The digest only: nobody has answered yet, so there is nobody to place on a picture.
    assert code == 0 and "digests 1" in out and "sent 1" in out
    code, out, _ = run("run-job", "digests", "--at", "2026-11-23T09:30:00+01:00")
    assert code == 0 and "nothing due" in out and "sent 0" in out
    assert [c.args["channel"] for c in fake.calls("chat.postMessage")] == ["U0LEAD"]


def test_kudos_received_in_the_week_show_as_recognised(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock, http_app: HttpApp
) -> None:
    team_week(org)
    clock.set(datetime(2026, 11, 18, 10, 0, tzinfo=UTC))  # Wednesday of 2026-W47
    resp = http_app.command("/kudos", "U0DAN", "<@U0BEN|ben> fixed the build")
    assert resp.status == 200
    assert sender.drain() == 1  # the kudos post
    fake.clear()
    run_digests(org, sender, clock, MONDAY_PARIS_9)
    text = digest_text(fake, "U0LEAD")
    assert "Recognised this week: Ben Builder" in text
    assert "fixed the build" not in text  # the count and the name, not the kudos text


MANAGERS = ORG_HEADER + "\n".join(
    [
        "U0MAYA,maya@example.com,Maya Head,,support,Europe/Paris,false",
        "U0TOM,tom@example.com,Tom Lead,U0MAYA,support,Europe/Paris,false",
        "U0R1,r1@example.com,Rae One,U0TOM,support,Europe/Paris,false",
        "U0R2,r2@example.com,Rob Two,U0TOM,support,Europe/Paris,false",
        "U0R3,r3@example.com,Rio Three,U0TOM,support,Europe/Paris,false",
    ]
)


def managers_week(deps: Deps) -> None:
    """Tom's own numbers are fine (95 %, 70 tickets); one of his three reports fell below the
    85 % floor this week, and together they closed 182 tickets against 180."""
    load_org(deps, MANAGERS + "\n")
    history(deps, "U0TOM", 95, 70)
    answer(deps, "U0TOM", PERIOD, 95, 70)
    for sid in ("U0R1", "U0R2", "U0R3"):
        history(deps, sid, 92, 60)
    answer(deps, "U0R1", PERIOD, 80, 60)
    answer(deps, "U0R2", PERIOD, 90, 60)
    answer(deps, "U0R3", PERIOD, 91, 62)


def test_a_manager_appears_in_their_managers_digest_with_the_team_reading(
    deps: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    managers_week(deps)
    run_digests(deps, sender, clock, MONDAY_PARIS_9)
    [tom] = [b["text"]["text"] for b in blocks_of(fake, "U0MAYA") if "Tom Lead" in str(b)][:1]
    # A third of the team below the floor (20 % allowed): Tom needs Maya, whatever his own 95 %.
    assert "*Tom Lead* · Quality below floor: team below the floor 33 %, over the 20 % limit" in tom
    assert "Team below the floor *33.3 %*" in tom and "(floor 20)" in tom
    assert "Team output *101.1 % of target* +1.1 pts vs usual 100 % of target (target 100)" in tom
    assert "_from their team's check-ins_" in tom
    assert "95 %" not in tom and "70 tickets" not in tom
    assert "Tom Lead's team (3): 1 flagged · 1 below floor" in digest_text(fake, "U0MAYA")


def test_a_role_read_as_self_keeps_a_manager_on_their_own_numbers(
    deps: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    deps.roles["support"] = replace(deps.roles["support"], read_as="self")
    managers_week(deps)
    run_digests(deps, sender, clock, MONDAY_PARIS_9)
    text = digest_text(fake, "U0MAYA")
    assert "Tom Lead is on track" in text  # his own 95 % and 70 tickets
    assert "Team below the floor" not in text and "Team output" not in text


def test_the_team_modal_never_promises_the_picture_the_dm_carries(
    org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock, http_app: HttpApp
) -> None:
    team_week(org)
    run_digests(org, sender, clock, MONDAY_PARIS_9)
    assert "The picture that follows" in digest_text(fake, "U0LEAD")  # the DM: it follows
    assert http_app.command("/cadence", "U0LEAD", "team").status == 200
    view = json.dumps(fake.wait_for("views.open", 1)[-1].args["view"], ensure_ascii=False)
    assert "Ana Agent" in view and "picture" not in view  # the modal: nothing follows
