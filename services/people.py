"""Who someone is, and what Slack says about them (time zone, away status)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from cadence.delivery.gateway import SlackCallError
from cadence.domain.checkins import is_away
from cadence.domain.periods import is_valid_timezone
from cadence.services.deps import Deps
from cadence.storage import repo
from cadence.storage.db import session_scope
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


def timezone_of(deps: Deps, person: Person, now: datetime) -> str:
    """A person's zone, looked up once if the org chart left it empty."""
    if person.timezone:
        return person.timezone
    resolved = resolve_timezones(deps, [person], now)
    return resolved[0].timezone if resolved else FALLBACK_TZ


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
