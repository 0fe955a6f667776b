"""Settings HR edits in Slack: what each key means, how a value is checked, and which value
applies to a person — the organisation's, then each team's above them from the top down
(a team is a manager and everyone under them), then the person's own: the most specific wins.

Pure: the stored rows and the management chain come in, a Schedule, a nudge budget and an
anonymity minimum go out.
When nothing is stored the organisation default comes back unchanged (the same object).

A past week reads by the settings in force when it closed (its answer deadline), not today's:
every change is kept with its time (Change), and the values stored at a moment are today's
with the later changes undone (stored_at). An open or future week reads today's: no change
comes after it yet."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time

from cadence.domain.periods import shift_week, week_day
from cadence.domain.rounds import MIN_RESPONSES, NUDGES_PER_WEEK
from cadence.domain.schedule import CADENCES, DAY_NAMES, Schedule, off_week
from cadence.domain.weeks import day_label

ORG = "org"
MAX_NUDGES = 10
INHERIT = "inherit"  # typed in a field: remove this scope's value, the wider one applies


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    label: str
    kind: str  # day | time | count | minimum | cadence


KEYS: tuple[Key, ...] = (
    Key("checkin_day", "Check-in day", "day"),
    Key("checkin_time", "Check-in time", "time"),
    Key("reminder_time", "Reminder time (the Monday after)", "time"),
    Key("digest_time", "Digest time (the Monday after)", "time"),
    Key("quiet_start", "Quiet hours start", "time"),
    Key("quiet_end", "Quiet hours end", "time"),
    Key("checkin_cadence", "Check-in cadence", "cadence"),
    Key("nudge_budget", "Reminders per week", "count"),
    Key("anonymity_minimum", "Anonymity minimum (new rounds)", "minimum"),
)
BY_NAME = {k.name: k for k in KEYS}
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def team_scope(manager_id: int) -> str:
    return f"team:{manager_id}"


def person_scope(person_id: int) -> str:
    return f"person:{person_id}"


def check(key: Key, raw: str) -> tuple[str | None, str | None]:
    """(the value to store, None) or (None, the error to show). INHERIT is checked by the
    caller (it removes rather than stores)."""
    text = raw.strip()
    if key.kind == "day":
        names = {d.lower(): str(n) for n, d in enumerate(DAY_NAMES, 1)}
        if text.lower() in names:
            return names[text.lower()], None
        if text in names.values():
            return text, None
        return None, "A day from Monday to Sunday."
    if key.kind == "time":
        if _TIME.match(text):
            return text, None
        return None, "A time as HH:MM, 24-hour (for example 09:30)."
    if key.kind == "cadence":
        if text.lower() in CADENCES:
            return text.lower(), None
        return None, "Every week, or every two weeks on even or odd ISO weeks."
    if key.kind == "count":
        if text.isdigit() and 0 <= int(text) <= MAX_NUDGES:
            return str(int(text)), None
        return None, f"A whole number from 0 to {MAX_NUDGES}."
    if text.isdigit() and int(text) >= MIN_RESPONSES:
        return str(int(text)), None
    return None, f"A whole number, at least {MIN_RESPONSES}: fewer answers could identify someone."


def shown(key: Key, value: str) -> str:
    """A stored value as people read it."""
    if key.kind == "cadence":
        return cadence_label(value)
    return DAY_NAMES[int(value) - 1] if key.kind == "day" else value


def cadence_label(value: str, this_week: str = "") -> str:
    """'Every two weeks (even ISO weeks)'; with `this_week`, the next check-in week too:
    'Every two weeks (even ISO weeks, next: week of Mon 30 Nov 2026)'."""
    if value not in CADENCES[1:]:
        return "Every week"
    parity = value.removeprefix("fortnightly-")
    if not this_week:
        return f"Every two weeks ({parity} ISO weeks)"
    due = this_week if not off_week(value, this_week) else shift_week(this_week, 1)
    return f"Every two weeks ({parity} ISO weeks, next: week of {day_label(week_day(due, 1))})"


def scopes_for(person_id: int, chain: Sequence[int]) -> list[str]:
    """The scopes that apply to a person, widest first. `chain`: the person's managers,
    nearest first (their manager, then that manager's, ...)."""
    teams = [team_scope(m) for m in reversed(chain)]
    return [ORG, *teams, team_scope(person_id), person_scope(person_id)]


def resolve(stored: Mapping[str, Mapping[str, str]], scopes: Iterable[str]) -> dict[str, str]:
    """Each key's value from the most specific scope that sets it. `stored`: scope → key → value."""
    values: dict[str, str] = {}
    for scope in scopes:
        values.update(stored.get(scope) or {})
    return values


def _at(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def schedule_of(default: Schedule, values: Mapping[str, str]) -> Schedule:
    """`default` with the resolved values applied; `default` itself when none touches it."""
    changes: dict[str, object] = {}
    if "checkin_day" in values or "checkin_time" in values:
        day = int(values.get("checkin_day") or default.checkin.weekday)
        at = _at(values["checkin_time"]) if "checkin_time" in values else default.checkin.at
        changes["checkin"] = replace(default.checkin, weekday=day, at=at)
    if "reminder_time" in values:
        changes["reminder"] = replace(default.reminder, at=_at(values["reminder_time"]))
    if "digest_time" in values:
        changes["digest"] = replace(default.digest, at=_at(values["digest_time"]))
    if "quiet_start" in values:
        changes["quiet_start"] = _at(values["quiet_start"])
    if "quiet_end" in values:
        changes["quiet_end"] = _at(values["quiet_end"])
    if values.get("checkin_cadence") in CADENCES:
        changes["cadence"] = values["checkin_cadence"]
    return replace(default, **changes) if changes else default  # type: ignore[arg-type]


def nudge_budget(values: Mapping[str, str]) -> int:
    return int(values.get("nudge_budget") or NUDGES_PER_WEEK)


def anonymity_minimum(values: Mapping[str, str]) -> int:
    """The resolved anonymity minimum: the organisation's (its values) is the floor of a new
    round's minimum; a person's (their resolved values) is what the groups about them need in
    a round created from now on, when higher than the round's (domain.rounds.Minimums)."""
    return max(int(values.get("anonymity_minimum") or MIN_RESPONSES), MIN_RESPONSES)


def minimum_changes_nothing(value: str, org_minimum: int) -> bool:
    """Whether a team's or person's anonymity minimum `value` is below the organisation's
    `org_minimum`: every round already needs the organisation's (it is a new round's floor),
    so the lower value would have no effect."""
    return anonymity_minimum({"anonymity_minimum": value}) < org_minimum


# ------------------------------------------------------------------ the settings' history


@dataclass(frozen=True, slots=True)
class Change:
    """One change to a stored value: `old` before it, `new` after it (None: not set at this
    scope, the wider one applied), at `at`."""

    scope: str
    key: str
    old: str | None
    new: str | None
    at: datetime


def changes_until(changes: Sequence[Change], when: datetime) -> int:
    """How many of `changes` (oldest first) were made by `when`."""
    return bisect_right(changes, when, key=lambda c: c.at)


def stored_at(
    stored: Mapping[str, Mapping[str, str]], changes: Sequence[Change], count: int
) -> dict[str, dict[str, str]]:
    """The values stored after the first `count` of `changes` (oldest first): today's
    (`stored`) with every later change undone, newest first."""
    then = {scope: dict(values) for scope, values in stored.items()}
    for change in reversed(changes[count:]):
        values = then.setdefault(change.scope, {})
        if change.old is None:
            values.pop(change.key, None)
        else:
            values[change.key] = change.old
    return {scope: values for scope, values in then.items() if values}
