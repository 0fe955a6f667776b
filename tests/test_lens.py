"""HR's system lens in App Home: a blocker named by several people in several teams over
several weeks shows as a theme with counts; HR never reads anyone's words; only HR sees it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from cadence.domain.checkins import CheckinAnswers
from cadence.domain.periods import shift_week
from cadence.services.deps import Deps
from cadence.services.lens import last_closed_week, run_lens
from cadence.storage import repo
from cadence.storage.db import session_scope
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

    report = run_lens(lens_org, WEDNESDAY)
    assert report.counts == {"themes": 1}
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
