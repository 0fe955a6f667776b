"""Every two weeks, told truthfully: a fortnightly person's check-in covers the off-week before
its due week and the due week itself ("two weeks of 23 Nov – 6 Dec"), in the DM, the reminder,
the modal, the note that replaces the DM, the skip reply and App Home; they are never reminded
in an off-week and reminded once in a due week; a manager whose whole team was in its
off-week gets no empty digest. Weekly people's copy stays as it was. Through signed requests,
the scheduled jobs and the fake Slack server.

ISO weeks: 2026-W48 = 23–29 Nov (even), W49 = 30 Nov – 6 Dec (odd), W50 = 7–13 Dec (even),
W51 = 14–20 Dec (odd). Everyone is in Paris."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.domain.periods import week_day
from cadence.domain.status import DeliveryStatus
from cadence.prompts import ids
from cadence.services.checkins import send_reminders, send_weekly_checkins
from cadence.services.deps import Deps
from cadence.services.digests import send_digests
from cadence.storage.db import read_scope
from cadence.storage.models import Checkin, Delivery, Person
from tests.conftest import HttpApp, Response, button_click, seed_org, view_submission
from tests.fakeslack import FakeSlack
from tests.test_actions import action_values
from tests.test_checkin_flow import values
from tests.test_digests import answer
from tests.test_plans import plan_values
from tests.test_settings import CSV, HR, cadence, home_of, paris, saved, submit

FORTNIGHTLY = ("U0CAT", "U0DAN")  # Ben's reports; Ben, Lea and Ana stay weekly


def every_two_weeks(http: HttpApp, fake: FakeSlack, value: str, *who: str) -> None:
    """HR sets each of `who` (one person each) to `value` in the Settings modal."""
    for person in who:
        assert saved(submit(http, fake, HR, cadence("person", person, value)))


def setup(deps: Deps, fake: FakeSlack, clock: FixedClock, http: HttpApp, value: str) -> None:
    """The org, on Monday 23 Nov (W48), with Ben's two reports checking in every two weeks."""
    seed_org(deps, fake, CSV)
    clock.set(paris("2026-11-23", 11))
    every_two_weeks(http, fake, value, *FORTNIGHTLY)


def opened(fake: FakeSlack, sent: Callable[[], Response]) -> dict[str, Any]:
    """The modal that `sent` (a signed request) opens."""
    before = fake.count("views.open")
    assert sent().status == 200
    view: dict[str, Any] = fake.wait_for("views.open", before + 1)[-1].args["view"]
    return view


def texts(fake: FakeSlack, user: str) -> list[str]:
    """Every DM `user` received, each as its JSON (text and blocks)."""
    return [json.dumps(c.args, ensure_ascii=False) for c in fake.messages_to(user)]


def modal(http: HttpApp, fake: FakeSlack, user: str, period: str) -> dict[str, Any]:
    return opened(fake, lambda: http.interactive(button_click(user, ids.CHECKIN_OPEN, period)))


def told(http: HttpApp, fake: FakeSlack, user: str, action: str, period: str) -> str:
    """What a DM button answers privately (an ephemeral note beside it)."""
    before = fake.count("chat.postEphemeral")
    assert http.interactive(button_click(user, action, period)).status == 200
    return str(fake.wait_for("chat.postEphemeral", before + 1)[-1].args["text"])


def jobs(deps: Deps, clock: FixedClock, sender: OutboxSender, now: datetime) -> None:
    clock.set(now)
    send_weekly_checkins(deps, now)
    send_reminders(deps, now)
    sender.drain()


def test_a_fortnightly_check_in_says_it_covers_two_weeks_weekly_copy_is_unchanged(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp, sender: OutboxSender
) -> None:
    setup(deps, fake, clock, http_app, "fortnightly-odd")
    jobs(deps, clock, sender, paris("2026-11-27", 15, 30))  # W48: Cat and Dan's off-week
    assert texts(fake, "U0CAT") == [] and texts(fake, "U0DAN") == []
    jobs(deps, clock, sender, paris("2026-12-04", 15, 30))  # W49: due

    [cat_dm] = texts(fake, "U0CAT")
    assert "Hi Cat, time for your check-in for the two weeks of 23 Nov – 6 Dec." in cat_dm
    assert "how the two weeks went" in cat_dm and "priorities for the next two weeks" in cat_dm
    assert "Skip these two weeks" in cat_dm
    assert "you won't hear from me again until Friday 18 Dec." in cat_dm
    for weekly_word in ("weekly", "this week", "next week", "next Friday"):
        assert weekly_word not in cat_dm.lower()
    ana_dm = texts(fake, "U0ANA")[-1]  # weekly: the copy it always had
    assert "Hi Ana, time for your weekly check-in for the week of 30 Nov." in ana_dm
    assert "Skip this week" in ana_dm
    assert "Away this week? Skip it and you won't hear from me again until next Friday." in ana_dm

    view = modal(http_app, fake, "U0CAT", "2026-W49")
    shown = json.dumps(view, ensure_ascii=False)
    assert view["title"]["text"] == "Two-week check-in"
    assert "The two weeks of 23 Nov – 6 Dec (2026-W49)" in shown
    assert "this one covers both weeks" in shown
    assert "give the weekly average of the two weeks (half their total)" in shown
    labels = [b["label"]["text"] for b in view["blocks"] if b["type"] == "input"]
    assert "How did the two weeks go?" in labels and "Priorities for the next two weeks" in labels
    weekly = modal(http_app, fake, "U0ANA", "2026-W49")
    assert weekly["title"]["text"] == "Weekly check-in"
    weekly_labels = [b["label"]["text"] for b in weekly["blocks"] if b["type"] == "input"]
    assert "How did the week go?" in weekly_labels and "Next week's priorities" in weekly_labels

    # A field left empty says what to enter for two weeks; then the answer is stored.
    resp = http_app.interactive(view_submission("U0CAT", view, values(quality=None, mood=None)))
    errors = resp.json()["errors"]
    assert errors[ids.B_QUALITY].startswith("Enter your Win rate for these two weeks")
    assert errors[ids.B_MOOD] == "Pick how the two weeks went (1–5)."
    resp = http_app.interactive(view_submission("U0CAT", view, values("30", "4")))
    assert resp.status == 200 and not resp.body
    sender.drain()
    [note] = fake.calls("chat.update")
    assert note.args["text"] == "✅ Check-in for the two weeks of 23 Nov – 6 Dec done. Thank you!"

    # Monday: one reminder for Dan (unanswered), in the same words; none for Cat (answered).
    jobs(deps, clock, sender, paris("2026-12-07", 10, 30))
    assert len(texts(fake, "U0CAT")) == 1
    dan_reminder = texts(fake, "U0DAN")[-1]
    assert "Friendly nudge, Dan: your check-in for the two weeks of 23 Nov – 6 Dec" in dan_reminder
    assert "This is the only reminder you'll get for these two weeks." in dan_reminder
    assert "This is the only reminder you'll get this week." in texts(fake, "U0ANA")[-1]
    skipped = told(http_app, fake, "U0DAN", ids.CHECKIN_SKIP, "2026-W49")
    assert skipped == (
        "Skipped the two weeks of 23 Nov – 6 Dec. No reminder for them; see you on Friday 18 Dec."
    )

    # Cat's Home, Monday: the answered check-in and its off-week, each said as it is.
    home = home_of(http_app, fake, "U0CAT")
    assert "*Your check-in for the two weeks of 23 Nov – 6 Dec* · ✅ answered" in home
    assert "✅ two weeks of 23 Nov – 6 Dec · Win rate 30 %" in home
    assert (
        "💤 week of 23 Nov · off-week (not due): the check-in for the two weeks of "
        "23 Nov – 6 Dec covers it"
    ) in home

    # Wednesday of the next off-week (W50): nothing of W50 alone is offered; the check-in that
    # covers it (W51's) is, on Home, with /checkin, and in Ben's completion panel.
    clock.set(paris("2026-12-09", 10))
    home = home_of(http_app, fake, "U0CAT")
    assert (
        "*Your check-in for the two weeks of 7 Dec – 20 Dec* · not answered yet · open until "
        "Tuesday 22 Dec, 12:00"
    ) in home
    w51 = opened(fake, lambda: http_app.command("/checkin", "U0CAT"))
    assert json.loads(w51["private_metadata"]) == {"period": "2026-W51"}
    assert "The two weeks of 7 Dec – 20 Dec (2026-W51)" in json.dumps(w51, ensure_ascii=False)
    stale = told(http_app, fake, "U0CAT", ids.CHECKIN_OPEN, "2026-W50")
    assert stale.startswith("The week of 7 Dec is an off-week: check-ins are every two weeks")
    assert "part of the check-in for the two weeks of 7 Dec – 20 Dec" in stale
    bens = home_of(http_app, fake, "U0BEN")  # Ben is weekly; his team is not
    assert "*Your check-in for the week of 7 Dec*" in bens
    assert "*Your team's check-ins for the two weeks of 7 Dec – 20 Dec* · 0 of 2 checked in" in bens
    assert "off-week" not in bens.split("Your team's check-ins")[1]
    anas = home_of(http_app, fake, "U0ANA")
    assert "*Your check-in for the week of 7 Dec* · not answered yet" in anas
    assert "two weeks" not in anas


def stored_weeks(deps: Deps, period: str) -> dict[str, int | None]:
    """Slack ID → what the check-in row stored under `period` says it covers."""
    with read_scope(deps.engine) as s:
        stmt = select(Person.slack_id, Checkin.weeks).join(
            Person, col(Person.id) == col(Checkin.person_id)
        )
        rows = s.execute(stmt.where(col(Checkin.period) == period)).all()
    return {slack_id: weeks for slack_id, weeks in rows}


def test_after_a_switch_from_weekly_the_first_check_in_covers_its_own_week_only(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp, sender: OutboxSender
) -> None:
    seed_org(deps, fake, CSV)
    clock.set(paris("2026-11-23", 11))  # Monday of W48: Dan checks in every two weeks from now
    every_two_weeks(http_app, fake, "fortnightly-odd", "U0DAN")
    jobs(deps, clock, sender, paris("2026-11-27", 15, 30))  # W48: Dan's off-week
    [w48] = texts(fake, "U0CAT")
    assert "Hi Cat, time for your weekly check-in for the week of 23 Nov." in w48
    assert texts(fake, "U0DAN") == []
    # Cat lets W48 go. Wednesday, after it closed, HR moves her to odd weeks too: W48 is an
    # off-week of her new cadence, but it was due on its own, as a weekly week.
    clock.set(paris("2026-12-02", 11))
    every_two_weeks(http_app, fake, "fortnightly-odd", "U0CAT")
    jobs(deps, clock, sender, paris("2026-12-04", 15, 30))  # W49: due for both

    cat_dm = texts(fake, "U0CAT")[-1]
    assert "check-in for the week of 30 Nov." in cat_dm and "Skip this week" in cat_dm
    assert "Away this week? Skip it and you won't hear from me again until Friday 18 Dec." in cat_dm
    assert "two weeks" not in cat_dm
    dan_dm = texts(fake, "U0DAN")[-1]  # the normal case: his off-week was W48
    assert "Hi Dan, time for your check-in for the two weeks of 23 Nov – 6 Dec." in dan_dm

    view = modal(http_app, fake, "U0CAT", "2026-W49")
    shown = json.dumps(view, ensure_ascii=False)
    assert view["title"]["text"] == "Weekly check-in"
    assert "The week of 30 Nov (2026-W49)" in shown and "two weeks" not in shown
    errors = http_app.interactive(view_submission("U0CAT", view, values(mood=None))).json()
    assert errors["errors"][ids.B_MOOD] == "Pick how the week went (1–5)."
    resp = http_app.interactive(view_submission("U0CAT", view, values("30", "4")))
    assert resp.status == 200 and not resp.body
    sender.drain()
    [note] = fake.calls("chat.update")
    assert note.args["text"] == "✅ Check-in for the week of 30 Nov done. Thank you!"
    again = told(http_app, fake, "U0CAT", ids.CHECKIN_SKIP, "2026-W49")
    assert again == "You already answered the week of 30 Nov, so nothing was skipped."

    dans = json.dumps(modal(http_app, fake, "U0DAN", "2026-W49"), ensure_ascii=False)
    assert "The two weeks of 23 Nov – 6 Dec (2026-W49)" in dans
    skipped = told(http_app, fake, "U0DAN", ids.CHECKIN_SKIP, "2026-W49")
    assert skipped == (
        "Skipped the two weeks of 23 Nov – 6 Dec. No reminder for them; see you on Friday 18 Dec."
    )
    assert stored_weeks(deps, "2026-W49") == {"U0CAT": 1, "U0DAN": 2}

    # Cat's Home: W48 stays a missed weekly week, not an off-week her W49 check-in covered.
    home = home_of(http_app, fake, "U0CAT")
    assert "❗ week of 23 Nov · missing" in home
    assert "✅ week of 30 Nov · Win rate 30 %" in home
    assert "off-week" not in home
    # Her next check-in covers two weeks, as usual: W50 is her first off-week.
    jobs(deps, clock, sender, paris("2026-12-18", 15, 30))
    assert "check-in for the two weeks of 7 Dec – 20 Dec." in texts(fake, "U0CAT")[-1]


def reminders(deps: Deps) -> Counter[tuple[str, str]]:
    """(recipient, week) → reminders recorded (sent or deliberately not sent)."""
    with read_scope(deps.engine) as s:
        keys = s.execute(select(Delivery.key).where(col(Delivery.kind) == "reminder")).scalars()
        return Counter((k.split(":")[1], k.split(":")[2]) for k in keys)


def test_never_reminded_in_an_off_week_and_reminded_once_in_a_due_week(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp, sender: OutboxSender
) -> None:
    setup(deps, fake, clock, http_app, "fortnightly-odd")
    # Every two hours, Friday of W48 (off) to Wednesday of W51, nobody answering.
    now = paris("2026-11-27", 8)
    while now < paris("2026-12-16", 12):
        jobs(deps, clock, sender, now)
        now += timedelta(hours=2)
    got = reminders(deps)
    for person in FORTNIGHTLY:
        assert {w: n for (p, w), n in got.items() if p == person} == {"2026-W49": 1}, person
        dms = texts(fake, person)
        assert len(dms) == 2, person  # W49's DM and its one reminder: nothing in W48 or W50
        assert all("two weeks of 23 Nov – 6 Dec" in d for d in dms)
    weekly = {w: n for (p, w), n in got.items() if p == "U0ANA"}
    assert weekly == {"2026-W48": 1, "2026-W49": 1, "2026-W50": 1}


# ---------------------------------------------------------------- the manager's digest


def digests_to(fake: FakeSlack, user: str) -> list[str]:
    return [t for t in texts(fake, user) if "Team digest" in t]


def digest_rows(deps: Deps, slack_id: str) -> list[Delivery]:
    with read_scope(deps.engine) as s:
        stmt = select(Delivery).where(col(Delivery.key).startswith(f"digest:{slack_id}:"))
        return list(s.execute(stmt).scalars())


def monday_digests(deps: Deps, clock: FixedClock, sender: OutboxSender, day: str) -> None:
    """The digest job at 09:00 and again at 10:00 and 11:30 (it catches up; it never repeats)."""
    for hh, mm in ((9, 0), (10, 0), (11, 30)):
        clock.set(paris(day, hh, mm))
        send_digests(deps, paris(day, hh, mm))
        sender.drain()


# (Ben's team's cadence, its off-week and the Monday of its digest, its due week and Monday)
CASES = [
    ("fortnightly-odd", "2026-W48", "2026-11-30", "2026-W49", "2026-12-07"),
    ("fortnightly-even", "2026-W49", "2026-12-07", "2026-W48", "2026-11-30"),
]


@pytest.mark.parametrize(("value", "off", "off_monday", "due", "due_monday"), CASES)
def test_a_team_all_in_its_off_week_gets_no_digest_and_its_due_week_reads_two_weeks(
    deps: Deps,
    fake: FakeSlack,
    clock: FixedClock,
    http_app: HttpApp,
    sender: OutboxSender,
    value: str,
    off: str,
    off_monday: str,
    due: str,
    due_monday: str,
) -> None:
    seed_org(deps, fake, CSV)
    clock.set(paris("2026-11-16", 11))
    every_two_weeks(http_app, fake, value, *FORTNIGHTLY)
    # Two check-ins before, then the due week: steady, then one lower mood.
    for i, week in enumerate(("2026-W45", "2026-W46", "2026-W47", due)):
        if (int(week[-2:]) % 2 == 1) == (value == "fortnightly-odd"):
            answer(deps, "U0CAT", week, 30, 3, mood=2)
            answer(deps, "U0DAN", week, 90, 4, mood=4 if i < 3 else 2)
    # Ben (weekly, read by his team's pair) checks in on the Saturday of his team's off-week.
    clock.set(paris(str(week_day(off, 6)), 11))
    bens_modal = opened(fake, lambda: http_app.command("/checkin", "U0BEN"))
    assert json.loads(bens_modal["private_metadata"]) == {"period": off}
    no_numbers = values(quality=None, output=None, mood="4")
    assert http_app.interactive(view_submission("U0BEN", bens_modal, no_numbers)).status == 200
    for monday in sorted((off_monday, due_monday)):
        monday_digests(deps, clock, sender, monday)

    [digest] = digests_to(fake, "U0BEN")  # the due week's only
    two = "two weeks of 16 Nov – 29 Nov" if due == "2026-W48" else "two weeks of 23 Nov – 6 Dec"
    assert f"Team digest · {two}" in digest
    assert "Since the check-in before:" in digest and "no figures" not in digest
    assert "mood 2/5 two check-ins running" in digest  # Cat: 2 at the check-in before too
    assert "mood down from 4/5 to 2/5" in digest  # Dan: against his check-in before
    assert "off-week" not in digest
    # The off-week's digest was decided once, recorded under its key, and never sent.
    [skipped] = [d for d in digest_rows(deps, "U0BEN") if d.key.split(":")[2] == off]
    assert skipped.status == DeliveryStatus.SKIPPED and "no check-ins were due" in (
        skipped.last_error or ""
    )
    # Lea's team has weekly people in it: her digest came both Mondays, in its weekly words;
    # in the off-week, Ben's team's figures count nobody as not checked in.
    leas = digests_to(fake, HR)
    assert len(leas) == 2
    assert all("Since last week:" in d and "two weeks of" not in d for d in leas)
    off_digest = leas[0] if off_monday < due_monday else leas[1]
    assert "Ben Builder's team (2): 0 flagged" in off_digest
    assert "0/0 due (2 off-week, not due) checked in" in off_digest
    # Ben answered, with no team numbers to read that week: not "missed".
    assert "✅ Ben Builder checked in; their team had no numbers to read this week" in off_digest
    assert "Ben Builder missed" not in off_digest


def test_an_off_week_with_something_open_is_one_line_then_what_is_open(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp, sender: OutboxSender
) -> None:
    setup(deps, fake, clock, http_app, "fortnightly-odd")
    # Ben plans an action for Cat, due after the off-week's digest.
    value = json.dumps({"r": "U0CAT", "p": "2026-W47", "s": "support"})
    view = opened(fake, lambda: http_app.interactive(button_click("U0BEN", ids.DIGEST_PLAN, value)))
    # W47's span: one week. Cat switched on Monday 23 Nov, before W47 closed, so W47 is a
    # due week of the new cadence; but W46 before it was due on its own as a weekly week.
    shown = json.dumps(view, ensure_ascii=False)
    assert "week of 16 Nov" in shown and "two weeks" not in shown
    due = action_values(text="Pair Cat with a senior closer", due="2026-12-04")
    assert http_app.interactive(view_submission("U0BEN", view, due)).status == 200

    monday_digests(deps, clock, sender, "2026-11-30")  # W48: Cat and Dan's off-week
    [digest] = digests_to(fake, "U0BEN")
    assert "No check-ins were due for the week of 23 Nov" in digest
    assert (
        "Their next check-ins cover the two weeks of 23 Nov – 6 Dec; the digest that reads "
        "them comes on Monday 7 Dec."
    ) in digest
    assert "Pair Cat with a senior closer" in digest and "*Open actions* (1)" in digest
    assert "no check-ins were due; 1 open action." in digest  # the notification
    for noise in ("had an off-week", "Output: 0 of 0", "Since last week", "Who needs you"):
        assert noise not in digest, noise
    assert len(digest_rows(deps, "U0BEN")) == 1  # one message, sent once
    # /cadence team that week shows the team's last check-in (W47's, one week: W46 before it
    # was a weekly week), not their off-week.
    clock.set(paris("2026-12-01", 10))
    view = opened(fake, lambda: http_app.command("/cadence", "U0BEN", "team"))
    team = json.dumps(view, ensure_ascii=False)
    assert "Team digest · week of 16 Nov" in team and "2026-W47" in team
    assert "two weeks of 9 Nov" not in team
    assert "off-week" not in team


def test_an_off_week_with_a_plan_check_in_coming_sends_the_plan_line(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp, sender: OutboxSender
) -> None:
    setup(deps, fake, clock, http_app, "fortnightly-even")
    view = opened(fake, lambda: http_app.command("/cadence", "U0BEN", "plan <@U0CAT>"))
    plan = plan_values(checkin="2026-12-10", end="2027-01-29")  # the Thursday after W49
    assert http_app.interactive(view_submission("U0BEN", view, plan)).status == 200

    monday_digests(deps, clock, sender, "2026-12-07")  # W49: their off-week
    [digest] = digests_to(fake, "U0BEN")
    assert "No check-ins were due for the week of 30 Nov" in digest
    assert "📋 Cat Closer · development plan · next check-in Thu 10 Dec 2026" in digest
    assert "had an off-week" not in digest
