"""HR's system lens in App Home: a blocker named by several people in several teams over
several weeks shows as a theme with counts; HR never reads anyone's words; only HR sees it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pytest

from cadence.delivery.sender import OutboxSender
from cadence.domain.checkins import CheckinAnswers
from cadence.domain.clock import FixedClock
from cadence.domain.periods import shift_week
from cadence.services.deps import Deps
from cadence.services.lens import last_closed_week, run_lens, send_hr_digests
from cadence.storage import repo
from cadence.storage.db import session_scope
from cadence.storage.models import Action
from tests.conftest import ORG_HEADER, HttpApp, seed_org
from tests.fakeslack import FakeSlack
from tests.test_home_and_privacy import home_event

WEDNESDAY = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # week 48: W47 is closed
ORG = ORG_HEADER + "".join(
    f"{sid},{sid.lower()}@example.com,{name},{mgr},support,Europe/Paris,{hr}\n"
    for sid, name, mgr, hr in [
        ("U0HR", "Hana HR", "", "true"),
        ("U0M1", "Maya Lead", "U0HR", "false"),
        ("U0M2", "Kenji Lead", "U0HR", "false"),
        ("U0M3", "Omar Lead", "U0HR", "false"),
        *[(f"U0A{i}", f"Ann {i}", "U0M1", "false") for i in range(4)],
        *[(f"U0B{i}", f"Bob {i}", "U0M2", "false") for i in range(4)],
        *[(f"U0C{i}", f"Cid {i}", "U0M3", "false") for i in range(4)],
    ]
)
# Who names the billing approval, in which week (weeks back from the last closed week).
PLANTED = [("U0A0", 0), ("U0A1", 1), ("U0A2", 3), ("U0B0", 2), ("U0B1", 5), ("U0C0", 0)]
WORDING = [
    "Billing approval still pending, can't ship the refund for ACME",
    "blocked by billing approval for the enterprise quote",
    "Waiting on Billing Approval (third week)",
    "billing approval queue is stuck",
    "Need billing approval before the invoice goes out",
    "the billing approval took 4 days",
]


def _seed(deps: Deps) -> None:
    last = last_closed_week(WEDNESDAY)
    with session_scope(deps.engine) as s:
        for (sid, back), blockers in zip(PLANTED, WORDING, strict=True):
            person = repo.person_by_slack_id(sid, session=s)
            assert person is not None and person.id is not None
            repo.save_answers(
                person.id,
                shift_week(last, -back),
                CheckinAnswers(90, 50, 3, "", blockers, ""),
                WEDNESDAY,
                session=s,
            )
        for i, sid in enumerate(["U0A3", "U0B3", "U0C3"]):
            person = repo.person_by_slack_id(sid, session=s)
            assert person is not None and person.id is not None
            repo.save_answers(
                person.id,
                last,
                CheckinAnswers(90, 50, 3, "", f"printer {i} jammed", ""),
                WEDNESDAY,
                session=s,
            )


@pytest.fixture
def lens_org(deps: Deps, fake: FakeSlack) -> Deps:
    seed_org(deps, fake, ORG)
    _seed(deps)
    return deps


def _home(fake: FakeSlack, http_app: HttpApp, user: str, n: int) -> str:
    assert http_app.event(home_event(user)).status == 200
    view = fake.wait_for("views.publish", n)[-1].args["view"]
    return json.dumps(view, ensure_ascii=False)


def test_hr_sees_a_recurring_blocker_as_counts_and_nobody_reads_words(
    lens_org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    before = _home(fake, http_app, "U0HR", 1)
    assert "Recurring blockers" in before and "No blocker is named" in before
    assert "figures appear after the weekly lens run" in before

    report = run_lens(lens_org, WEDNESDAY)
    assert report.counts == {"themes": 1, "teams read": 4}
    assert run_lens(lens_org, WEDNESDAY).counts == {}  # once per closed week

    text = _home(fake, http_app, "U0HR", 2)
    assert "*billing approval* — 6 people in 3 teams, 5 of 12 weeks" in text
    # Maya's team has 3 who named it; the other two teams fewer than 3: no figure for them.
    assert "Maya Lead's team 3 · 2 teams with fewer than 3" in text
    assert "Up to the week of 16 Nov" in text
    assert "refund" not in text and "ACME" not in text and "printer" not in text

    manager = _home(fake, http_app, "U0M1", 3)
    assert "Recurring blockers" not in manager and "billing approval" not in manager


def test_a_week_not_yet_closed_is_not_read(lens_org: Deps) -> None:
    tuesday = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)  # W47 still open in some zones
    assert last_closed_week(tuesday) == "2026-W46"
    assert last_closed_week(WEDNESDAY) == "2026-W47"


def _weeks(deps: Deps, sid: str, values: Sequence[tuple[float, float]], last: str) -> None:
    """`sid`'s check-ins for the weeks ending with `last` (oldest first)."""
    with session_scope(deps.engine) as s:
        person = repo.person_by_slack_id(sid, session=s)
        assert person is not None and person.id is not None
        for back, (q, o) in enumerate(reversed(values)):
            repo.save_answers(
                person.id,
                shift_week(last, -back),
                CheckinAnswers(q, o, 4, "", "", ""),
                WEDNESDAY,
                session=s,
            )


def test_hr_reads_the_pulse_a_team_in_strain_and_whether_actions_helped(
    deps: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    seed_org(deps, fake, ORG)
    last = last_closed_week(WEDNESDAY)
    # Maya's team: output up a quarter while CSAT falls from 93 to 86 over the last 4 weeks.
    for sid in ["U0A0", "U0A1", "U0A2", "U0A3"]:
        _weeks(deps, sid, [(93, 60)] * 12 + [(86, 75)] * 4, last)
    # Kenji's team: steady at target above the floor; one skipped week, one away.
    for sid in ["U0B0", "U0B1", "U0B2"]:
        _weeks(deps, sid, [(92, 60)] * 16, last)
    with session_scope(deps.engine) as s:
        bob = repo.person_by_slack_id("U0B3", session=s)
        kenji = repo.person_by_slack_id("U0M2", session=s)
        assert bob is not None and bob.id is not None and kenji is not None and kenji.id
        repo.mark_skipped(bob.id, last, WEDNESDAY, session=s)
        # An action on Bob's strain 8 weeks ago, closed since; his quality came back after.
        s.add(
            Action(
                manager_id=kenji.id,
                report_id=bob.id,
                period=shift_week(last, -8),
                signal="strain",
                text="Pair review on Tuesdays",
                owner_kind="manager",
                owner_slack_id="U0M2",
                due=date(2026, 10, 9),
                status="done",
                created_at=WEDNESDAY - timedelta(weeks=8),
                updated_at=WEDNESDAY,
                closed_at=WEDNESDAY - timedelta(weeks=2),
            )
        )
    _weeks(deps, "U0B3", [(86, 70)] * 8 + [(93, 62)] * 7, shift_week(last, -1))

    run_lens(deps, WEDNESDAY)
    text = _home(fake, http_app, "U0HR", 1)
    assert "*Teams to look at* · 1 of 4 teams read as strain or stall" in text
    assert "*Maya Lead's team* · strain" in text
    assert "is the process strained, is the team understaffed" in text
    assert "Kenji Lead's team" not in text  # nothing to ask of a steady team
    # 16 people × 12 weeks due, less Bob's skipped week; Omar's and the leads' weeks missing.
    assert "Whole organisation (16 people): check-ins 95 of 191 due (50 %)" in text
    assert "1 skipped and 0 away apart" in text
    assert "Actions on strain closed: quality recovered in 1 of 1." in text
    assert "Pair review" not in text  # an action's text is the manager's, not HR's
    # Omar's team has no check-ins at all: it shows no figures as a team to look at either.
    assert "Omar Lead's team" not in text


def test_hr_admins_get_the_monthly_digest_on_the_first_monday_at_0900_once(
    lens_org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    run_lens(lens_org, WEDNESDAY)
    # 7 Dec 2026 is the first Monday of December; 09:00 in Paris is 08:00 UTC.
    early = datetime(2026, 12, 7, 7, 59, tzinfo=UTC)
    due = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert send_hr_digests(lens_org, early).counts == {}
    clock.set(due)
    assert send_hr_digests(lens_org, due).counts == {"messages queued": 1}
    assert send_hr_digests(lens_org, due + timedelta(hours=3)).counts == {}  # once a month
    sender.drain()
    [dm] = fake.messages_to("U0HR")
    text = json.dumps(dm.args, ensure_ascii=False)
    assert dm.args["text"] == "Cadence · the system in December 2026"
    assert "first Monday of each month, 09:00 your time, because you are an HR admin" in text
    assert "*billing approval* — 6 people in 3 teams" in text
    assert "refund" not in text and "ACME" not in text
    assert not any(fake.messages_to(sid) for sid in ("U0M1", "U0M2", "U0A0"))  # HR only
    # A missed tick catches up that week, never at night, and not later in the month.
    january = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # first Monday of January, 09:00 Paris
    assert send_hr_digests(lens_org, january + timedelta(hours=17)).counts == {}  # 02:00
    assert send_hr_digests(lens_org, january + timedelta(days=7)).counts == {}  # next Monday
    assert send_hr_digests(lens_org, january + timedelta(days=2)).counts == {"messages queued": 1}
