"""Settings HR edits in Slack (App Home → Settings): the most specific scope wins, a schedule
changed mid-week sends exactly one check-in DM per person and week, bad values come back as
field errors, and every change is audited and shown on HR's Home."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, time
from typing import Any

from sqlmodel import col, select

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.domain.periods import at_local
from cadence.domain.schedule import off_week
from cadence.prompts import ids
from cadence.services.checkins import send_reminders, send_weekly_checkins
from cadence.services.deps import Deps
from cadence.services.digests import send_digests
from cadence.storage.db import read_scope
from cadence.storage.models import AuditEvent, Delivery, Setting
from tests.conftest import ORG_HEADER, HttpApp, Response, button_click, seed_org, view_submission
from tests.fakeslack import FakeSlack
from tests.test_home_and_privacy import home_event

PARIS = "Europe/Paris"
HR = "U0LEA"
CSV = ORG_HEADER + (
    f"{HR},lea@example.com,Lea Lead,,engineering,{PARIS},true\n"
    f"U0ANA,ana@example.com,Ana Agent,{HR},support,{PARIS},false\n"
    f"U0BEN,ben@example.com,Ben Builder,{HR},engineering,{PARIS},false\n"
    f"U0CAT,cat@example.com,Cat Closer,U0BEN,sales,{PARIS},false\n"
    f"U0DAN,dan@example.com,Dan Dev,U0BEN,engineering,{PARIS},false\n"
)
EVERYONE = {HR, "U0ANA", "U0BEN", "U0CAT", "U0DAN"}


def paris(day: str, hh: int, mm: int = 0) -> datetime:
    return at_local(date.fromisoformat(day), time(hh, mm), PARIS)


def form(scope: str = "org", who: str = "", **typed: str) -> dict[str, Any]:
    values: dict[str, Any] = {
        ids.B_SET_SCOPE: {
            ids.A_SET_SCOPE: {"type": "static_select", "selected_option": {"value": scope}}
        },
        ids.B_SET_WHO: {ids.A_SET_WHO: {"type": "users_select", "selected_user": who or None}},
    }
    for key, value in typed.items():
        values[ids.B_SET_KEY.format(key=key)] = {
            ids.A_SET_VALUE: {"type": "plain_text_input", "value": value}
        }
    return values


def cadence(scope: str, who: str, value: str) -> dict[str, Any]:
    """The form with the cadence chosen in its select (as Slack sends a static_select)."""
    values = form(scope, who)
    values[ids.B_SET_KEY.format(key="checkin_cadence")] = {
        ids.A_SET_VALUE: {"type": "static_select", "selected_option": {"value": value}}
    }
    return values


def submit(http: HttpApp, fake: FakeSlack, user: str, values: dict[str, Any]) -> Response:
    before = fake.count("views.open")
    http.interactive(button_click(user, ids.HOME_SETTINGS_OPEN, ""))
    view = fake.wait_for("views.open", before + 1)[-1].args["view"]
    return http.interactive(view_submission(user, view, values))


def saved(resp: Response) -> bool:
    return resp.status == 200 and "errors" not in (resp.json() or {})


def errors_of(resp: Response) -> dict[str, str]:
    body = resp.json() or {}
    assert body.get("response_action") == "errors", body
    found: dict[str, str] = body["errors"]
    return found


def prompted(deps: Deps) -> Counter[tuple[str, str]]:
    """(recipient, week) → number of check-in DMs recorded."""
    with read_scope(deps.engine) as s:
        keys = s.execute(select(Delivery.key).where(col(Delivery.kind) == "checkin")).scalars()
        return Counter((k.split(":")[1], k.split(":")[2]) for k in keys)


def tick(deps: Deps, clock: FixedClock, now: datetime) -> set[str]:
    """Run the check-in job at `now`; who got a DM recorded by this run."""
    before = set(prompted(deps))
    clock.set(now)
    send_weekly_checkins(deps, now)
    return {who for who, _ in set(prompted(deps)) - before}


def test_the_most_specific_scope_wins(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp
) -> None:
    seed_org(deps, fake, CSV)
    clock.set(paris("2026-11-16", 11))  # Monday
    assert saved(submit(http_app, fake, HR, form(checkin_day="Thursday", checkin_time="11:00")))
    assert saved(submit(http_app, fake, HR, form("team", "U0BEN", checkin_time="12:00")))
    assert saved(submit(http_app, fake, HR, form("person", "U0DAN", checkin_time="13:00")))
    assert tick(deps, clock, paris("2026-11-19", 10, 30)) == set()
    # The organisation's Thursday 11:00 for those outside Ben's team.
    assert tick(deps, clock, paris("2026-11-19", 11, 30)) == {HR, "U0ANA"}
    # Ben's team (Ben himself and Cat) at 12:00; Dan's own 13:00 wins over his team's.
    assert tick(deps, clock, paris("2026-11-19", 12, 30)) == {"U0BEN", "U0CAT"}
    assert tick(deps, clock, paris("2026-11-19", 13, 30)) == {"U0DAN"}
    # "inherit" removes Dan's own value: next week he follows his team again.
    assert saved(submit(http_app, fake, HR, form("person", "U0DAN", checkin_time="inherit")))
    assert tick(deps, clock, paris("2026-11-26", 11, 30)) == {HR, "U0ANA"}
    assert tick(deps, clock, paris("2026-11-26", 12, 30)) == {"U0BEN", "U0CAT", "U0DAN"}
    assert set(prompted(deps).values()) == {1}


def test_a_mid_week_change_sends_one_dm_per_person_and_week(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp, sender: OutboxSender
) -> None:
    seed_org(deps, fake, CSV)
    # Thursday afternoon: Friday 15:00 becomes Thursday 10:00, already past: DMs go now.
    assert tick(deps, clock, paris("2026-11-19", 14)) == set()
    assert saved(submit(http_app, fake, HR, form(checkin_day="Thursday", checkin_time="10:00")))
    assert tick(deps, clock, paris("2026-11-19", 14, 5)) == EVERYONE
    assert tick(deps, clock, paris("2026-11-20", 15, 30)) == set()  # the old Friday slot
    # After Friday's DMs: Monday 10:00 from now on.
    assert saved(submit(http_app, fake, HR, form(checkin_day="Monday")))
    assert tick(deps, clock, paris("2026-11-20", 16)) == set()
    assert tick(deps, clock, paris("2026-11-23", 9, 30)) == set()
    assert tick(deps, clock, paris("2026-11-23", 10, 30)) == EVERYONE  # week 48's, on Monday
    for day, hh in (("2026-11-24", 11), ("2026-11-26", 10), ("2026-11-27", 15)):
        assert tick(deps, clock, paris(day, hh, 30)) == set()
    sender.drain()
    weeks = prompted(deps)
    assert weeks == Counter({(p, w): 1 for p in EVERYONE for w in ("2026-W47", "2026-W48")})
    for person in EVERYONE:
        dms = [c for c in fake.messages_to(person) if "check-in" in json.dumps(c.args).lower()]
        assert len(dms) == 2, person


def test_bad_values_come_back_as_field_errors_and_store_nothing(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp
) -> None:
    seed_org(deps, fake, CSV)
    clock.set(paris("2026-11-16", 11))
    bad = form(
        checkin_day="Someday",
        checkin_time="25:00",
        nudge_budget="11",
        anonymity_minimum="2",
        checkin_cadence="monthly",
    )
    errors = errors_of(submit(http_app, fake, HR, bad))
    assert "Monday to Sunday" in errors[ids.B_SET_KEY.format(key="checkin_day")]
    assert "HH:MM" in errors[ids.B_SET_KEY.format(key="checkin_time")]
    assert "0 to 10" in errors[ids.B_SET_KEY.format(key="nudge_budget")]
    assert "at least 3" in errors[ids.B_SET_KEY.format(key="anonymity_minimum")]
    assert "every two weeks" in errors[ids.B_SET_KEY.format(key="checkin_cadence")]
    team_only = form("team", "U0CAT", checkin_time="10:00")
    assert "manages nobody" in errors_of(submit(http_app, fake, HR, team_only))[ids.B_SET_WHO]
    per_person = form("person", "U0CAT", anonymity_minimum="2")
    key = ids.B_SET_KEY.format(key="anonymity_minimum")
    assert "at least 3" in errors_of(submit(http_app, fake, HR, per_person))[key]
    with read_scope(deps.engine) as s:
        assert s.execute(select(Setting)).all() == []


def test_changes_are_audited_and_shown_on_hr_home_only_to_hr(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp
) -> None:
    seed_org(deps, fake, CSV)
    clock.set(paris("2026-11-16", 11))
    assert saved(submit(http_app, fake, HR, form(checkin_time="10:00", nudge_budget="1")))
    assert saved(submit(http_app, fake, HR, form("team", "U0BEN", checkin_time="09:30")))
    assert saved(submit(http_app, fake, HR, form(checkin_time="11:00")))
    with read_scope(deps.engine) as s:
        trail = s.execute(
            select(AuditEvent).where(col(AuditEvent.action) == "settings.change")
        ).scalars()
        rows = sorted((e.actor, e.subject, e.detail) for e in trail)
    assert rows == [
        (HR, "organisation", "checkin_time: 10:00 → 11:00"),
        (HR, "organisation", "checkin_time: inherited → 10:00"),
        (HR, "organisation", "nudge_budget: inherited → 1"),
        (HR, "team of U0BEN", "checkin_time: inherited → 09:30"),
    ]
    before = fake.count("views.publish")
    http_app.event(home_event(HR))
    home = json.dumps(
        fake.wait_for("views.publish", before + 1)[-1].args["view"], ensure_ascii=False
    )
    assert "Organisation · Check-in time: 11:00" in home
    assert "Team of Ben Builder · Check-in time: 09:30" in home
    assert "checkin_time: 10:00 → 11:00" in home
    # Nobody else sees the section, opens the modal or stores a value.
    before = fake.count("views.publish")
    http_app.event(home_event("U0BEN"))
    assert "Check-in time" not in json.dumps(fake.wait_for("views.publish", before + 1)[-1].args)
    opened = fake.count("views.open")
    http_app.interactive(button_click("U0BEN", ids.HOME_SETTINGS_OPEN, ""))
    assert fake.count("views.open") == opened
    assert "Only HR admins" in json.dumps(fake.calls("chat.postEphemeral")[-1].args)


def test_the_anonymity_minimum_is_the_new_rounds_floor(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp
) -> None:
    seed_org(deps, fake, CSV)
    clock.set(paris("2026-11-16", 11))
    assert saved(submit(http_app, fake, HR, form(anonymity_minimum="5")))
    before = fake.count("views.open")
    http_app.interactive(button_click(HR, ids.HOME_ROUND_NEW, ""))
    view = json.dumps(fake.wait_for("views.open", before + 1)[-1].args["view"])
    assert '"initial_value": "5"' in view and "Never below 5." in view


# ---------------------------------------------------------------- every two weeks

BENS_TEAM = {"U0BEN", "U0CAT", "U0DAN"}


def run_jobs(deps: Deps, clock: FixedClock, sender: OutboxSender, *moments: datetime) -> None:
    for now in moments:
        clock.set(now)
        send_weekly_checkins(deps, now)
        send_reminders(deps, now)
        sender.drain()


def home_of(http: HttpApp, fake: FakeSlack, user: str) -> str:
    before = fake.count("views.publish")
    assert http.event(home_event(user)).status == 200
    view = fake.wait_for("views.publish", before + 1)[-1].args["view"]
    return json.dumps(view, ensure_ascii=False)


def test_the_cadence_is_the_iso_week_parity_named_in_its_value() -> None:
    assert not off_week("weekly", "2026-W49")
    assert off_week("fortnightly-even", "2026-W49") and not off_week("fortnightly-even", "2026-W48")
    assert off_week("fortnightly-odd", "2026-W48") and not off_week("fortnightly-odd", "2026-W53")


def test_every_two_weeks_prompts_and_reminds_only_on_even_weeks_the_odd_week_is_off(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp, sender: OutboxSender
) -> None:
    seed_org(deps, fake, CSV)
    clock.set(paris("2026-11-23", 11))  # Monday of 2026-W48, an even ISO week
    before = fake.count("views.open")
    http_app.interactive(button_click(HR, ids.HOME_SETTINGS_OPEN, ""))
    modal = json.dumps(fake.wait_for("views.open", before + 1)[-1].args["view"])
    assert "Every two weeks (even ISO weeks, next: week of Mon 23 Nov 2026)" in modal
    assert "Every two weeks (odd ISO weeks, next: week of Mon 30 Nov 2026)" in modal
    assert saved(submit(http_app, fake, HR, cadence("team", "U0BEN", "fortnightly-even")))
    # W48 (even): Friday's DM and Monday's reminder; W49 (odd): the same for everyone else.
    run_jobs(
        deps,
        clock,
        sender,
        paris("2026-11-27", 15, 30),
        paris("2026-11-30", 10, 30),
        paris("2026-12-04", 15, 30),
        paris("2026-12-07", 10, 30),
    )
    weeks = prompted(deps)
    assert weeks == Counter(
        {(p, "2026-W48"): 1 for p in EVERYONE} | {(p, "2026-W49"): 1 for p in EVERYONE - BENS_TEAM}
    )
    for person in EVERYONE:
        assert len(fake.messages_to(person)) == (2 if person in BENS_TEAM else 4), person
    # Monday after the off-week (W49), before its deadline: nothing is open for the off-week,
    # Cat's Home offers the check-in that covers it (W50's, for W49 and W50).
    cats = home_of(http_app, fake, "U0CAT")
    assert "*Your check-in for the two weeks of 30 Nov – 13 Dec* · not answered yet" in cats
    # After the W49 deadline: Ben's whole team (Cat and Dan) was in its off-week, so Ben gets
    # no digest for W49 (tests/test_fortnightly.py); Lea's reads Ben off-week and Ana (weekly,
    # no answer) missing.
    clock.set(paris("2026-12-08", 13))
    send_digests(deps, paris("2026-12-07", 9))
    sender.drain()
    bens = json.dumps([c.args for c in fake.messages_to("U0BEN")], ensure_ascii=False)
    assert "Team digest" not in bens and "missed" not in bens
    leas = json.dumps([c.args for c in fake.messages_to(HR)], ensure_ascii=False)
    assert "💤 Ben Builder had an off-week" in leas
    assert "Ana Agent" in leas and "Ben Builder missed" not in leas
    cats = home_of(http_app, fake, "U0CAT")
    assert "💤 week of 30 Nov" in cats and "❗ week of 30 Nov" not in cats


def test_switching_to_every_two_weeks_mid_week_sends_no_second_dm(
    deps: Deps, fake: FakeSlack, clock: FixedClock, http_app: HttpApp, sender: OutboxSender
) -> None:
    seed_org(deps, fake, CSV)
    run_jobs(deps, clock, sender, paris("2026-11-27", 15, 30))  # weekly: W48's DMs
    # Friday evening, W48 already prompted: every two weeks on even weeks (W48 is one).
    clock.set(paris("2026-11-27", 16))
    assert saved(submit(http_app, fake, HR, cadence("org", "", "fortnightly-even")))
    run_jobs(deps, clock, sender, paris("2026-11-27", 16, 5), paris("2026-11-30", 10, 30))
    # Monday after the reminder: odd weeks instead (W49 is one), then back to every week.
    clock.set(paris("2026-11-30", 11))
    assert saved(submit(http_app, fake, HR, cadence("org", "", "fortnightly-odd")))
    run_jobs(deps, clock, sender, paris("2026-11-30", 11, 5), paris("2026-12-04", 15, 30))
    clock.set(paris("2026-12-04", 16))
    assert saved(submit(http_app, fake, HR, cadence("org", "", "weekly")))
    run_jobs(deps, clock, sender, paris("2026-12-04", 16, 5), paris("2026-12-07", 10, 30))
    assert prompted(deps) == Counter(
        {(p, w): 1 for p in EVERYONE for w in ("2026-W48", "2026-W49")}
    )
    for person in EVERYONE:
        dms = [c for c in fake.messages_to(person) if "check-in" in json.dumps(c.args).lower()]
        assert len(dms) == 4, person  # two prompts, two reminders: none twice
