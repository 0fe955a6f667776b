"""The stored truth of past weeks: a week reads by the cadence it had when it closed, never by
today's setting. Cat checks in every week for four weeks, then every two weeks; Dan the
reverse. After the switch their past four weeks read as they were — answered, skipped,
missing, off-week, one week or two — in the manager's digest (`/cadence team`), the App Home
history, the evidence pack and the check-ins export; the open and future weeks follow today's
setting. Also: a person's own quiet hours hold back their review prompt, and `/cadence help`
describes the asker's own cadence. Through signed requests and the fake Slack server.

ISO weeks of 2026: W45 = 2–8 Nov (odd), W46 = 9–15 Nov, W47 = 16–22 Nov, W48 = 23–29 Nov,
W49 = 30 Nov – 6 Dec, W50 = 7–13 Dec, W51 = 14–20 Dec. Everyone is in Paris."""

from __future__ import annotations

import csv
import io
import json

from cadence.delivery.sender import OutboxSender
from cadence.domain.checkins import CheckinAnswers
from cadence.domain.clock import FixedClock
from cadence.prompts import ids
from cadence.services.checkins import export_checkins
from cadence.services.deps import Deps
from cadence.services.reviews import send_review_prompts
from cadence.storage import repo
from cadence.storage.db import session_scope
from tests.conftest import HttpApp, seed_org, view_submission
from tests.fakeslack import FakeSlack
from tests.test_checkin_flow import values
from tests.test_fortnightly import modal, opened, told
from tests.test_settings import CSV, HR, cadence, form, home_of, paris, saved, submit


def answer(http: HttpApp, fake: FakeSlack, user: str, period: str, wins: str) -> None:
    """`user` answers `period` in the check-in modal, as Slack sends it."""
    view = modal(http, fake, user, period)
    resp = http.interactive(view_submission(user, view, values("40", "3", "4", wins=wins)))
    assert resp.status == 200 and not resp.body


def shown(http: HttpApp, fake: FakeSlack, user: str, text: str) -> str:
    """The modal `/cadence TEXT` opens for `user`, as JSON text."""
    view = opened(fake, lambda: http.command("/cadence", user, text))
    return json.dumps(view, ensure_ascii=False)


def set_cadence(http: HttpApp, fake: FakeSlack, who: str, value: str) -> None:
    assert saved(submit(http, fake, HR, cadence("person", who, value)))


def history(home: str) -> list[str]:
    """The App Home's week lines, newest first."""
    view = json.loads(home)
    lines = []
    for block in view["blocks"]:
        text = block.get("text", {}).get("text", "") if block["type"] == "section" else ""
        lines += [line for line in text.splitlines() if line[:1] in "✅⏭❗💤⏳🌴🎉"]
    return lines


def test_past_weeks_keep_the_cadence_they_had_weekly_to_two_weeks_and_back(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp, sender: OutboxSender
) -> None:
    clock.set(paris("2026-11-02", 10))  # Monday of W45
    seed_org(deps, fake, CSV)
    set_cadence(http_app, fake, "U0DAN", "fortnightly-even")  # Cat stays weekly
    clock.set(paris("2026-11-06", 16))
    answer(http_app, fake, "U0CAT", "2026-W45", "Closed Acme")  # W45: Dan's off-week
    clock.set(paris("2026-11-13", 16))
    answer(http_app, fake, "U0DAN", "2026-W46", "Shipped search")  # Cat misses W46
    clock.set(paris("2026-11-20", 16))
    assert told(http_app, fake, "U0CAT", ids.CHECKIN_SKIP, "2026-W47").startswith("Skipped")
    # W48: neither answers. Wednesday after W48 closed, HR swaps their cadences.
    clock.set(paris("2026-12-02", 11))
    set_cadence(http_app, fake, "U0CAT", "fortnightly-odd")
    set_cadence(http_app, fake, "U0DAN", "weekly")

    # Ben's digest for W48 (closed): both were due and missed it; Dan's was a two-week
    # check-in in a team where Cat's covered one week. Read by today's settings, Cat's W48
    # would be an off-week and Dan's a one-week check-in.
    team = shown(http_app, fake, "U0BEN", "team")
    assert "Team digest · week of 23 Nov" in team
    assert "❗ Cat Closer and Dan Dev (two weeks) missed the check-in: ask in your 1:1s" in team
    assert "Check-ins: 0 of 2 ·" in team
    assert "off-week" not in team

    # App Home: Cat's four weekly weeks, as they were.
    cats = history(home_of(http_app, fake, "U0CAT"))
    assert cats[1:5] == [
        "❗ week of 23 Nov · missing",
        "⏭️ week of 16 Nov · skipped",
        "❗ week of 9 Nov · missing",
        "✅ week of 2 Nov · Win rate 40 % · Deals closed 3 deals/week · mood 4/5",
    ]
    # Dan's four fortnightly weeks: two off-weeks, each covered by the two-week check-in
    # after it; the open week follows today's setting (weekly).
    dans = history(home_of(http_app, fake, "U0DAN"))
    assert dans[:5] == [
        "⏳ week of 30 Nov · open until Tuesday 08 Dec, 12:00",
        "❗ two weeks of 16 Nov – 29 Nov · missing",
        "💤 week of 16 Nov · off-week (not due): the check-in for the two weeks of "
        "16 Nov – 29 Nov covers it",
        "✅ two weeks of 2 Nov – 15 Nov · Review pass rate 40 % · Deliverables shipped 3 "
        "deliverables/week · mood 4/5",
        "💤 week of 2 Nov · off-week (not due): the check-in for the two weeks of "
        "2 Nov – 15 Nov covers it",
    ]

    # Friday W49: Dan answers his first weekly check-in; Cat (now odd weeks) lets hers go.
    clock.set(paris("2026-12-04", 16))
    answer(http_app, fake, "U0DAN", "2026-W49", "Fixed the flaky build")

    # The evidence pack in the quarter's last two weeks: each week counted by its own cadence.
    clock.set(paris("2026-12-18", 11))
    cat = shown(http_app, fake, "U0CAT", "review")
    assert (
        "Checked in 1 of 5 weeks that were due · 1 skipped · 3 missed · 1 off-week not due "
        "(every-two-weeks check-ins) · not due yet: two weeks of 7 Dec – 20 Dec"
    ) in cat
    assert "week of 2 Nov: Closed Acme" in cat
    dan = shown(http_app, fake, "U0DAN", "review")
    assert (
        "Checked in 2 of 4 weeks that were due · 2 missed · 2 off-weeks not due "
        "(every-two-weeks check-ins) · not due yet: week of 14 Dec"
    ) in dan
    assert "week of 30 Nov: Fixed the flaky build" in dan
    assert "two weeks of 2 Nov – 15 Nov: Shipped search" in dan

    # The export says what each row covers: as stored when it was written, or for a row from
    # before that was stored (Dan's W44 here), by the cadences in force when it and the week
    # before closed: W44 was due every two weeks, but W43 before it was a weekly week.
    with session_scope(deps.engine) as s:
        person = repo.person_by_slack_id("U0DAN", session=s)
        assert person is not None and person.id is not None
        answers = CheckinAnswers(50, 2, 3, "", "", "")
        repo.save_answers(person.id, "2026-W44", answers, paris("2026-11-02", 11), session=s)
    out = io.StringIO()
    export_checkins(deps, out, actor=HR)
    rows = {(r["slack_id"], r["period"]): r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    covered = {k: (r["state"], r["weeks_covered"]) for k, r in rows.items()}
    assert covered == {
        ("U0CAT", "2026-W45"): ("answered", "1"),
        ("U0CAT", "2026-W47"): ("skipped", "1"),
        ("U0DAN", "2026-W44"): ("answered", "1"),
        ("U0DAN", "2026-W46"): ("answered", "2"),
        ("U0DAN", "2026-W49"): ("answered", "1"),
    }
    sender.drain()


def test_a_persons_own_quiet_hours_hold_back_their_review_prompt(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp, sender: OutboxSender
) -> None:
    seed_org(deps, fake, CSV)
    clock.set(paris("2026-12-17", 10))
    # Ana's mornings are quiet until 12:00; the organisation's end at 08:00.
    assert saved(submit(http_app, fake, HR, form("person", "U0ANA", quiet_end="12:00")))
    clock.set(paris("2026-12-18", 11))
    send_review_prompts(deps, paris("2026-12-18", 11))
    sender.drain()
    assert fake.messages_to("U0ANA") == []
    assert len(fake.messages_to("U0CAT")) == 1  # the organisation's quiet hours are over
    clock.set(paris("2026-12-18", 12, 30))
    send_review_prompts(deps, paris("2026-12-18", 12, 30))
    sender.drain()
    [prompt] = fake.messages_to("U0ANA")
    assert "self-assessment" in json.dumps(prompt.args).lower()


def test_help_describes_the_askers_own_cadence_and_day(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp
) -> None:
    seed_org(deps, fake, CSV)
    clock.set(paris("2026-12-02", 11))  # Wednesday of W49 (odd)
    set_cadence(http_app, fake, "U0CAT", "fortnightly-even")
    assert saved(submit(http_app, fake, HR, form("person", "U0ANA", checkin_day="Thursday")))

    def helped(user: str) -> str:
        resp = http_app.command("/cadence", user, "help")
        assert resp.status == 200
        return resp.body.decode()

    cat = helped("U0CAT")
    assert (
        "Every two weeks, on the Friday of even ISO weeks at 15:00 (your time; next on Friday "
        "11 Dec), you get a DM with a button for your check-in: it covers two weeks"
    ) in cat
    assert "answer your current check-in, which covers two weeks" in cat
    assert "weekly" not in cat and "this week's check-in" not in cat
    ana = helped("U0ANA")
    assert (
        "Every Thursday at 15:00 (your time) you get a DM with a button for your weekly "
        "check-in; if you miss it, one reminder follows on Monday at 10:00. Your manager and "
        "the managers above them see your answers"
    ) in ana
    assert "answer this week's check-in (or last week's until Tuesday noon)" in ana
    assert "covers two weeks" not in ana and "Every two weeks" not in ana
