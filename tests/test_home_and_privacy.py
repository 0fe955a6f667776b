"""App Home for employees and managers, and who can see a person's check-in text."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from cadence.delivery.sender import OutboxSender
from cadence.domain.checkins import CheckinAnswers
from cadence.domain.clock import FixedClock
from cadence.prompts import ids
from cadence.services.checkins import send_reminders, send_weekly_checkins
from cadence.services.deps import Deps
from cadence.storage import repo
from cadence.storage.db import session_scope
from tests.conftest import HttpApp, button_click, payload, view_submission
from tests.fakeslack import FakeSlack
from tests.test_checkin_flow import open_modal, values


def home_event(user: str) -> dict[str, object]:
    data = payload("app_home_opened_home.json")
    data["event"]["user"] = user
    return data


def seed_history(deps: Deps, slack_id: str, weeks: int) -> None:
    now = deps.clock.now()
    with session_scope(deps.engine) as s:
        person = repo.person_by_slack_id(slack_id, session=s)
        assert person is not None and person.id is not None
        for i in range(weeks):
            period = f"2026-W{46 - i:02d}"
            repo.save_answers(
                person.id, period, CheckinAnswers(80 + i, 50 - i, 3, "w", "b", "p"), now, session=s
            )


def test_home_shows_status_button_and_eight_weeks_with_sparklines(
    org: Deps, fake: FakeSlack, http_app: HttpApp
) -> None:
    seed_history(org, "U0ANA", 10)
    assert http_app.event(home_event("U0ANA")).status == 200
    published = fake.wait_for("views.publish", 1)[0]
    assert published.args["user_id"] == "U0ANA"
    view = published.args["view"]
    text = json.dumps(view, ensure_ascii=False)
    assert "not answered yet" in text
    button = view["blocks"][1]["accessory"]
    assert (button["action_id"], button["value"]) == (ids.HOME_CHECKIN_OPEN, "2026-W47")
    history = view["blocks"][4]["text"]["text"].splitlines()
    assert len(history) == 8  # the last 8 weeks, newest first
    assert history[0] == "⏳ week of 16 Nov · open until Tuesday 24 Nov, 12:00"
    assert history[1].startswith("✅ week of 9 Nov · CSAT 80 %")
    sparks = [
        line for line in view["blocks"][3]["text"]["text"].splitlines() if line.startswith("`")
    ]
    assert len(sparks) == 2 and all(len(s.strip("`")) == 8 for s in sparks)
    assert sparks[0].strip("`")[-1] == "·"  # this week not answered yet
    assert "Your team" not in text  # Ana manages nobody


def test_manager_home_lists_who_has_and_has_not_checked_in(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    view = open_modal(http_app, fake, "U0ANA", "2026-W47")
    http_app.interactive(view_submission("U0ANA", view, values(wins="SECRET-WIN-ANA")))
    http_app.event(home_event("U0LEAD"))
    home = fake.wait_for("views.publish", 1)[0].args["view"]
    text = json.dumps(home, ensure_ascii=False)
    assert "1 of 3 checked in" in text
    assert "✅ Ana Agent · checked in" in text and "⏳ Ben Builder · not yet" in text
    assert "Cat Closer" not in text  # Cat reports to Ben, not to Lea
    assert "SECRET-WIN-ANA" not in text  # status only, no answers, on the home tab


def test_checkin_text_reaches_only_its_author(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> None:
    """Sweep every call Cadence makes to Slack during a week: the secret answer text appears
    only in messages and views addressed to its author."""
    send_weekly_checkins(org, clock.now())
    sender.drain()
    view = open_modal(http_app, fake, "U0ANA", "2026-W47")
    http_app.interactive(
        view_submission(
            "U0ANA",
            view,
            values(wins="SECRET-W", blockers="SECRET-B <!here>", priorities="SECRET-P"),
        )
    )
    for user in ("U0ANA", "U0LEAD", "U0BEN", "U0CAT", "U0DAN"):
        http_app.event(home_event(user))
    fake.wait_for("views.publish", 5)
    clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    send_reminders(org, clock.now())
    sender.drain()
    clock.set(clock.now() + timedelta(hours=12))
    sender.drain()
    assert fake.readers("SECRET-") <= {"U0ANA"}  # no other person's DM, view or channel
    for call in fake.calls("chat.update"):
        dm = fake.messages_to("U0ANA")[0].response
        assert dm is not None and call.args["channel"] == dm["channel"]
    assert "<!here>" not in json.dumps([c.args for c in fake.calls("chat.update")])


def test_skip_button_updates_the_dm_and_confirms_privately(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    send_weekly_checkins(org, org.clock.now())
    sender.drain()
    http_app.interactive(button_click("U0ANA", ids.CHECKIN_SKIP, "2026-W47"))
    note = fake.wait_for("chat.postEphemeral", 1)[0]
    assert "Skipped" in note.args["text"]
    sender.drain()
    update = fake.calls("chat.update")[0]
    assert "skipped" in update.args["text"]
    assert update.args["blocks"][-1]["elements"][0]["text"]["text"] == "Check in anyway"
