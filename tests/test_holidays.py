"""Public holidays (org CSV `country`, the `holidays` package): no prompt or reminder on a
person's public holiday — it moves to their next working day — and a week whose working days
are mostly public holidays reads "holiday", never missing."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.domain.org import OrgFileError, parse_org_csv
from cadence.domain.periods import at_local
from cadence.domain.schedule import DEFAULT_SCHEDULE as S
from cadence.services.checkins import send_reminders, send_weekly_checkins
from cadence.services.deps import Deps
from cadence.services.digests import send_digests
from cadence.storage import repo
from cadence.storage.db import read_scope
from tests.conftest import ORG_HEADER, HttpApp, load_org, seed_org
from tests.fakeslack import FakeSlack
from tests.test_home_and_privacy import home_event

PARIS = "Europe/Paris"
TOKYO = "Asia/Tokyo"
CHRISTMAS_FRIDAY_15 = datetime(2026, 12, 25, 14, 0, tzinfo=UTC)  # 15:00 in Paris
MONDAY_28_10 = datetime(2026, 12, 28, 9, 0, tzinfo=UTC)
MONDAY_28_15 = datetime(2026, 12, 28, 14, 0, tzinfo=UTC)


def at(day: str, hh: int, tz: str = PARIS) -> datetime:

    return at_local(date.fromisoformat(day), time(hh, 0), tz)


@pytest.mark.parametrize(
    ("period", "tz", "country", "prompt", "reminder"),
    [
        # No country: Friday 15:00 and Monday 10:00, as always.
        ("2026-W52", PARIS, "", at("2026-12-25", 15), at("2026-12-28", 10)),
        # Christmas on Friday in France: the prompt moves to Monday 15:00; the reminder would
        # come before it, so there is none.
        ("2026-W52", PARIS, "FR", at("2026-12-28", 15), None),
        # Germany: 25 Dec too.
        ("2026-W52", "Europe/Berlin", "DE", at("2026-12-28", 15, "Europe/Berlin"), None),
        # Good Friday (3 Apr 2026) in Germany; Monday 6 Apr is Easter Monday, so Tuesday
        # 15:00 — past Tuesday 12:00, the deadline: no prompt, the week reads holiday.
        ("2026-W14", "Europe/Berlin", "DE", None, None),
        # Golden Week in Japan: 4, 5 and 6 May 2026 are holidays: a holiday week.
        ("2026-W19", TOKYO, "JP", None, None),
        # An ordinary week in France.
        ("2026-W47", PARIS, "FR", at("2026-11-20", 15), at("2026-11-23", 10)),
    ],
)
def test_prompts_and_reminders_move_off_public_holidays(
    period: str, tz: str, country: str, prompt: datetime | None, reminder: datetime | None
) -> None:
    assert S.prompt_at(period, tz, country) == prompt
    assert S.reminder_at(period, tz, country) == reminder
    assert S.holiday_week(period, tz, country) == (prompt is None)


ORG = (
    ORG_HEADER.rstrip("\n")
    + ",country\n"
    + (
        "U0LEAD,lea@example.com,Lea Lead,,engineering,Europe/Paris,true,\n"
        "U0ANA,ana@example.com,Ana Agent,U0LEAD,support,Europe/Paris,false,fr\n"
        "U0KEN,ken@example.com,Ken Kato,U0LEAD,support,Asia/Tokyo,false,JP\n"
    )
)


def test_the_country_column_is_optional_validated_and_kept_by_a_file_without_it(
    deps: Deps,
) -> None:
    rows = parse_org_csv(ORG, set(deps.roles))
    assert [r.country for r in rows] == ["", "FR", "JP"]
    with pytest.raises(OrgFileError) as bad:
        parse_org_csv(ORG.replace(",JP\n", ",Japan\n"), set(deps.roles))
    assert bad.value.problems == [
        "line 4: unknown country 'JAPAN' (use an ISO 3166 alpha-2 code like FR, or leave it empty)"
    ]
    load_org(deps, ORG)
    load_org(deps, "\n".join(line.rsplit(",", 1)[0] for line in ORG.splitlines()) + "\n")
    with read_scope(deps.engine) as s:
        ana = repo.person_by_slack_id("U0ANA", session=s)
    assert ana is not None and ana.country == "FR"  # no country column: the stored one stays


def test_no_checkin_dm_on_christmas_it_comes_on_the_next_working_day_without_a_reminder(
    deps: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock
) -> None:
    seed_org(deps, fake, ORG)
    for now in (CHRISTMAS_FRIDAY_15, MONDAY_28_10):
        clock.set(now)
        send_weekly_checkins(deps, now)
        send_reminders(deps, now)
        sender.drain()
    assert fake.messages_to("U0ANA") == []  # France: Christmas, then too early on Monday
    assert len(fake.messages_to("U0LEAD")) == 2  # no country: Friday's DM and Monday's reminder
    clock.set(MONDAY_28_15)
    send_weekly_checkins(deps, MONDAY_28_15)
    send_reminders(deps, MONDAY_28_15 + timedelta(hours=2))
    sender.drain()
    [dm] = fake.messages_to("U0ANA")
    assert "week of 21 Dec" in json.dumps(dm.args, ensure_ascii=False)


def test_a_holiday_week_reads_holiday_in_the_digest_and_home_never_missing(
    deps: Deps, fake: FakeSlack, sender: OutboxSender, clock: FixedClock, http_app: HttpApp
) -> None:
    seed_org(deps, fake, ORG)
    friday = at("2026-05-08", 15, TOKYO)
    clock.set(friday)
    send_weekly_checkins(deps, friday)
    sender.drain()
    assert fake.messages_to("U0KEN") == []  # Golden Week: no prompt
    # Lea's Monday digest for W19 (09:00 Paris, 11 May), after Ken's Tuesday deadline passed.
    monday = at("2026-05-12", 9)  # Tuesday 12 May 09:00 Paris = 16:00 Tokyo
    clock.set(monday)
    send_digests(deps, at("2026-05-11", 9))
    sender.drain()
    digest = json.dumps([c.args for c in fake.messages_to("U0LEAD")], ensure_ascii=False)
    assert "🎉 Ken Kato had public holidays" in digest
    assert "Ken Kato missed" not in digest
    assert http_app.event(home_event("U0KEN")).status == 200
    home = json.dumps(fake.wait_for("views.publish", 1)[0].args["view"], ensure_ascii=False)
    assert "🎉 week of 4 May" in home
