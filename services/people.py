"""Who someone is, and what Slack says about them (time zone, away status)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from cadence.delivery.gateway import SlackCallError
from cadence.domain.checkins import is_away
from cadence.domain.periods import is_valid_timezone
from cadence.services.common import JobReport
from cadence.services.deps import Deps
from cadence.storage import repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Person

log = logging.getLogger(__name__)

FALLBACK_TZ = "UTC"
LOOKUPS_PER_RUN = 50  # users.info is Tier 4 (~100/min); the rest wait for the next tick
PER_USER_LOOKUP_LIMIT = 30  # more candidates than this: one paginated users.list instead


def first_name(person: Person) -> str:
    return person.name.split()[0] if person.name.strip() else "there"


def resolve_timezones(deps: Deps, people: list[Person], now: datetime) -> list[Person]:
    """Fill empty time zones from Slack's users.info; returns the people whose zone is known."""
    known = [p for p in people if p.timezone]
    missing = [p for p in people if not p.timezone][:LOOKUPS_PER_RUN]
    for person in missing:
        try:
            tz = deps.slack.user_info(person.slack_id).tz or ""
        except SlackCallError as exc:
            log.warning("time zone lookup for %s failed: %s", person.slack_id, exc.error)
            continue
        if not is_valid_timezone(tz):
            log.warning("Slack gave %s no usable time zone; using %s", person.slack_id, FALLBACK_TZ)
            tz = FALLBACK_TZ
        assert person.id is not None  # noqa: S101
        with session_scope(deps.engine) as session:
            repo.set_timezone(person.id, tz, now, session=session)
        person.timezone = tz
        known.append(person)
    return known


def resolve_missing_timezones(deps: Deps, now: datetime) -> JobReport:
    """Ask Slack for the zones the org chart left empty, ahead of any request that needs one
    (the scheduler's tick runs this): a request never waits for users.info."""
    report = JobReport("timezones", now)
    with read_scope(deps.engine) as session:
        missing = [p for p in repo.active_people(session=session) if not p.timezone]
    if missing:
        report.add("resolved", len(resolve_timezones(deps, missing, now)))
    return report


def timezone_of(person: Person) -> str:
    """A person's zone as stored; UTC until the scheduler has looked up an empty one."""
    return person.timezone or FALLBACK_TZ


def away_ids(deps: Deps, slack_ids: Iterable[str], now: datetime) -> set[str]:
    """Which of these people have a Slack status saying they are away. When Slack cannot be
    asked, nobody is treated as away: a prompt too many beats a silently dropped one."""
    wanted = set(slack_ids)
    if not wanted:
        return set()
    ts = now.timestamp()
    away: set[str] = set()
    try:
        if len(wanted) <= PER_USER_LOOKUP_LIMIT:
            for slack_id in sorted(wanted):
                u = deps.slack.user_info(slack_id)
                if is_away(u.status_text, u.status_emoji, u.status_expiration, ts):
                    away.add(slack_id)
        else:
            for u in deps.slack.iter_users():
                if u.id in wanted and is_away(
                    u.status_text, u.status_emoji, u.status_expiration, ts
                ):
                    away.add(u.id)
    except SlackCallError as exc:
        log.warning("could not read Slack statuses (%s); prompting everyone due", exc.error)
    return away
