"""Who sees feedback text (DESIGN.md section 6), swept over every call Cadence makes to the
fake Slack server; and the weekly reminder budget shared by check-ins and rounds."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.services.checkins import send_reminders, send_weekly_checkins
from cadence.services.deps import Deps
from cadence.services.rounds import run_rounds
from cadence.storage import repo
from cadence.storage.db import session_scope
from tests.conftest import HttpApp, view_submission
from tests.fakeslack import FakeSlack
from tests.test_feedback_kudos import feedback_values, open_feedback
from tests.test_home_and_privacy import home_event
from tests.test_rounds import PEERS, answer, big_org, round_values, start_round

__all__ = ["big_org"]  # the fixture, used by name below


def test_feedback_and_round_text_reach_only_who_may_see_it(
    big_org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> None:
    # Manager-only feedback about Cat (manager Ben), shared feedback about Dan (manager Lea).
    view = open_feedback(http_app, fake, "U0ANA")
    values = feedback_values("U0CAT", improve="SECRET-MGR", visibility="manager")
    http_app.interactive(view_submission("U0ANA", view, values))
    view = open_feedback(http_app, fake, "U0EVE")
    http_app.interactive(view_submission("U0EVE", view, feedback_values("U0DAN", "SECRET-SHR")))
    # An anonymous round about Ana; peers answer with marked comments.
    start_round(http_app, fake, round_values(["U0ANA"], ["peer"], PEERS))
    sender.drain()
    for peer in PEERS[:3]:
        answer(http_app, fake, peer, "3", f"SECRET-RND-{peer}")
    for user in ("U0LEAD", "U0ANA", "U0BEN", "U0CAT", "U0DAN", "U0EVE", "U0FIN"):
        http_app.event(home_event(user))
    fake.wait_for("views.publish", 7)
    send_weekly_checkins(big_org, clock.now())
    clock.set(datetime(2026, 12, 4, 17, 5, tzinfo=UTC))
    run_rounds(big_org, clock.now())
    sender.drain()

    assert fake.readers("SECRET-MGR") == {"U0BEN"}
    assert fake.readers("SECRET-SHR") == {"U0DAN", "U0LEAD"}
    for peer in PEERS[:3]:
        # Only in the aggregated results to Ana's manager, never with the reviewer's ID.
        assert fake.readers(f"SECRET-RND-{peer}") == {"U0LEAD"}
    [sent] = [c for c in fake.messages_to("U0LEAD") if "results" in c.args["text"]]
    results = json.dumps(sent.args, ensure_ascii=False)
    assert "SECRET-RND-U0BEN" in results  # the reviewer's ID is only inside our marker text
    assert "Ben Builder" not in results and "Dan Dev" not in results


def test_weekly_reminder_budget_is_shared_with_checkin_reminders(
    big_org: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    send_weekly_checkins(big_org, clock.now())
    sender.drain()
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Monday 10:00 Paris
    with session_scope(big_org.engine) as s:
        repo.enqueue(
            [
                repo.OutgoingMessage(
                    key=f"round-reminder:{i}:U0ANA:half",
                    kind="round-reminder",
                    recipient="U0ANA",
                    payload={"text": "x", "blocks": []},
                )
                for i in range(3)
            ],
            monday,
            session=s,
        )
    clock.set(monday)
    report = send_reminders(big_org, monday)
    # Lea, Eve and Fin (Paris) are reminded; Ana already had 3 reminders this week.
    assert report.counts == {"queued": 3, "over budget": 1}
