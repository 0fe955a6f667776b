"""Where the week is, and absences that are not neglect: the week a person should answer now
(one function behind /checkin, the App Home and its button), the states of a week (answered,
skipped, away, missing, not yet due), and declared absences from /cadence away and the Home."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlmodel import select

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.domain.schedule import DEFAULT_SCHEDULE as S
from cadence.domain.weeks import Absence, WeekState, covers_week, week_state
from cadence.prompts import ids
from cadence.services.checkins import send_reminders, send_weekly_checkins
from cadence.services.deps import Deps
from cadence.storage.db import read_scope
from cadence.storage.models import Absence as AbsenceRow
from cadence.storage.models import Delivery
from tests.conftest import HttpApp, button_click, view_submission
from tests.fakeslack import FakeSlack
from tests.test_checkin_flow import FRIDAY_PARIS_15, MONDAY_PARIS_10, open_modal, values
from tests.test_home_and_privacy import home_event

TUESDAY_PARIS_1159 = datetime(2026, 11, 24, 10, 59, tzinfo=UTC)
TUESDAY_PARIS_1200 = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("at", "week"),
    [
        (datetime(2026, 11, 20, 13, 59, tzinfo=UTC), "2026-W47"),  # Friday before the DM
        (FRIDAY_PARIS_15, "2026-W47"),  # Friday's DM: this week
        (datetime(2026, 11, 22, 20, 0, tzinfo=UTC), "2026-W47"),  # Sunday night
        (MONDAY_PARIS_10, "2026-W47"),  # Monday: still last week's
        (TUESDAY_PARIS_1159, "2026-W47"),
        (TUESDAY_PARIS_1200, "2026-W48"),  # the deadline: the new week
        (datetime(2026, 11, 26, 9, 0, tzinfo=UTC), "2026-W48"),
    ],
)
def test_the_week_to_answer_now(at: datetime, week: str) -> None:
    assert S.answer_week(at, "Europe/Paris") == week


@pytest.mark.parametrize(
    ("stored", "away", "passed", "state"),
    [
        ("answered", True, True, WeekState.ANSWERED),
        ("skipped", False, True, WeekState.SKIPPED),
        ("away", False, True, WeekState.AWAY),
        (None, True, True, WeekState.AWAY),
        (None, False, True, WeekState.MISSING),
        (None, False, False, WeekState.OPEN),
        ("skipped", True, False, WeekState.SKIPPED),
    ],
)
def test_week_states(stored: str | None, away: bool, passed: bool, state: WeekState) -> None:
    assert week_state(stored, away=away, deadline_passed=passed) == state


def test_an_absence_covers_a_week_from_three_working_days() -> None:
    # 2026-W52 is Mon 21 Dec .. Sun 27 Dec.
    assert covers_week([Absence(date(2026, 12, 21), date(2027, 1, 3))], "2026-W52")
    assert covers_week([Absence(date(2026, 12, 21), date(2027, 1, 3))], "2026-W53")
    assert covers_week([Absence(date(2026, 12, 23), date(2026, 12, 29))], "2026-W52")
    assert not covers_week([Absence(date(2026, 12, 24), date(2026, 12, 29))], "2026-W52")
    assert not covers_week([Absence(date(2026, 12, 21), date(2027, 1, 3))], "2027-W01")


def _home(http_app: HttpApp, fake: FakeSlack, user: str) -> dict[str, Any]:
    before = fake.count("views.publish")
    assert http_app.event(home_event(user)).status == 200
    view: dict[str, Any] = fake.wait_for("views.publish", before + 1)[-1].args["view"]
    return view


def say(http_app: HttpApp, user: str, text: str) -> str:
    """The ephemeral reply to `/cadence TEXT` (Bolt answers a plain-text ack as the body)."""
    resp = http_app.command("/cadence", user, text)
    assert resp.status == 200
    return resp.body.decode()


def _home_text(view: dict[str, Any]) -> str:
    return json.dumps(view, ensure_ascii=False)


def test_home_button_and_checkin_command_point_to_the_same_week_until_tuesday_noon(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    for at, week, label in [
        (MONDAY_PARIS_10, "2026-W47", "week of 16 Nov"),
        (TUESDAY_PARIS_1159, "2026-W47", "week of 16 Nov"),
        (TUESDAY_PARIS_1200, "2026-W48", "week of 23 Nov"),
    ]:
        clock.set(at)
        home = _home(http_app, fake, "U0ANA")
        button = home["blocks"][1]["accessory"]
        assert (button["action_id"], button["value"]) == (ids.HOME_CHECKIN_OPEN, week)
        assert f"Your check-in for the {label}" in home["blocks"][1]["text"]["text"]
        before = fake.count("views.open")
        http_app.command("/checkin", "U0ANA")
        view = fake.wait_for("views.open", before + 1)[-1].args["view"]
        assert json.loads(view["private_metadata"]) == {"period": week}
        # The Home button (no period of its own beyond the one it carries) opens the same.
        http_app.interactive(button_click("U0ANA", ids.HOME_CHECKIN_OPEN, button["value"]))
        view = fake.wait_for("views.open", before + 2)[-1].args["view"]
        assert json.loads(view["private_metadata"]) == {"period": week}


def test_manager_home_on_monday_shows_last_weeks_completion_with_every_state(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> None:
    # Ben's Slack status says vacation when his Friday prompt is due; Ana answers; Dan skips.
    fake.add_user("U0BEN", name="Ben Builder", tz="America/New_York", status_emoji=":palm_tree:")
    for at in (FRIDAY_PARIS_15, datetime(2026, 11, 20, 20, 0, tzinfo=UTC)):
        clock.set(at)
        send_weekly_checkins(org, at)
    sender.drain()
    view = open_modal(http_app, fake, "U0ANA", "2026-W47")
    http_app.interactive(view_submission("U0ANA", view, values()))
    clock.set(MONDAY_PARIS_10)
    home = _home(http_app, fake, "U0LEAD")
    text = _home_text(home)
    assert "Your team's check-ins for the week of 16 Nov" in text
    assert "1 of 3 checked in · 1 away · 1 still to answer before Tuesday 24 Nov, 12:00" in text
    assert "✅ Ana Agent · checked in" in text
    assert "🌴 Ben Builder · away" in text
    assert "⏳ Dan Dev · not yet" in text
    assert "0 of 3" not in text
    # After the deadline the unanswered week is missing, and the panel moves to the new week.
    clock.set(TUESDAY_PARIS_1200)
    home = _home(http_app, fake, "U0LEAD")
    assert "Your team's check-ins for the week of 23 Nov" in _home_text(home)
    dan = _home(http_app, fake, "U0DAN")
    history = dan["blocks"][4]["text"]["text"].splitlines()
    assert history[1] == "❗ week of 16 Nov · missing"


def test_cadence_away_declares_lists_and_cancels_and_means_no_prompt(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 11, 18, 9, 0, tzinfo=UTC))  # Wednesday
    reply = say(http_app, "U0ANA", "away 2026-11-19 2026-11-27")
    assert "Noted: away Thu 19 Nov 2026 to Fri 27 Nov 2026" in reply
    for bad, says in [
        ("away 2026-11-27 2026-11-19", "The last day comes before the first day."),
        ("away 2026-11-01 2026-11-05", "already over"),
        ("away next week", "couldn't read those dates"),
        ("away 2026-11-20", "Give the first and last day"),
    ]:
        text = say(http_app, "U0ANA", bad)
        assert says in text, bad
    listing = say(http_app, "U0ANA", "away")
    assert "Thu 19 Nov 2026 to Fri 27 Nov 2026" in listing
    # Week 47 (Thu–Fri = 2 working days) is not covered; week 48 (Mon–Fri) is.
    clock.set(FRIDAY_PARIS_15)
    send_weekly_checkins(org, FRIDAY_PARIS_15)
    sender.drain()
    assert "U0ANA" in {c.args["channel"] for c in fake.calls("chat.postMessage")}
    friday_48 = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
    clock.set(friday_48)
    report = send_weekly_checkins(org, friday_48)
    assert report.counts.get("away") == 1
    with read_scope(org.engine) as s:
        row = s.execute(
            select(Delivery).where(Delivery.key == "checkin:U0ANA:2026-W48")
        ).scalar_one()
    assert (row.status, row.last_error) == ("skipped", "away (declared absence)")
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    clock.set(monday)
    send_reminders(org, monday)
    sender.drain()
    assert not [c for c in fake.messages_to("U0ANA") if "2026-W48" in json.dumps(c.args)]
    home = _home(http_app, fake, "U0ANA")
    assert "🌴 away" in home["blocks"][1]["text"]["text"]
    # Cancelling someone else's absence is refused; one's own works.
    with read_scope(org.engine) as s:
        [absence] = s.execute(select(AbsenceRow)).scalars().all()
    refused = say(http_app, "U0DAN", f"away cancel {absence.id}")
    assert "couldn't find that absence" in refused
    done = say(http_app, "U0ANA", f"away cancel {absence.id}")
    assert done.startswith("Cancelled your absence Thu 19 Nov 2026")
    home = _home(http_app, fake, "U0ANA")
    assert "🌴" not in home["blocks"][1]["text"]["text"]


def test_home_declares_an_absence_through_a_modal_with_two_datepickers(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    home = _home(http_app, fake, "U0ANA")
    away = next(
        b for b in home["blocks"] if b.get("accessory", {}).get("action_id") == ids.HOME_AWAY_NEW
    )
    assert "no absences declared" in away["text"]["text"]
    http_app.interactive(button_click("U0ANA", ids.HOME_AWAY_NEW, ""))
    modal = fake.wait_for("views.open", 1)[-1].args["view"]
    pickers = [b["element"]["type"] for b in modal["blocks"] if b["type"] == "input"]
    assert pickers == ["datepicker", "datepicker"]

    def picked(start: str | None, end: str | None) -> dict[str, Any]:
        return {
            ids.B_AWAY_START: {ids.A_AWAY_START: {"type": "datepicker", "selected_date": start}},
            ids.B_AWAY_END: {ids.A_AWAY_END: {"type": "datepicker", "selected_date": end}},
        }

    resp = http_app.interactive(view_submission("U0ANA", modal, picked("2026-12-28", "2026-12-21")))
    assert resp.json() == {
        "response_action": "errors",
        "errors": {ids.B_AWAY_END: "The last day comes before the first day."},
    }
    resp = http_app.interactive(view_submission("U0ANA", modal, picked(None, "2026-12-21")))
    assert resp.json()["errors"] == {ids.B_AWAY_START: "Pick your first day away."}
    with read_scope(org.engine) as s:
        assert s.execute(select(AbsenceRow)).scalars().all() == []
    before = fake.count("views.publish")
    resp = http_app.interactive(view_submission("U0ANA", modal, picked("2026-12-21", "2027-01-03")))
    assert resp.status == 200 and not resp.body
    home = fake.wait_for("views.publish", before + 1)[-1].args["view"]
    line = next(b for b in home["blocks"] if "🌴 Mon 21 Dec 2026" in _home_text(b))
    assert line["accessory"]["action_id"] == ids.AWAY_CANCEL
    http_app.interactive(button_click("U0ANA", ids.AWAY_CANCEL, line["accessory"]["value"]))
    home = fake.wait_for("views.publish", before + 2)[-1].args["view"]
    assert "Mon 21 Dec 2026" not in _home_text(home)
