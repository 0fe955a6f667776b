"""Settings HR edits in Slack (App Home → Settings): the modal, its submission (audited), the
Home section, and each person's resolved values for the scheduled jobs (domain.settings)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from sqlmodel import Session

from cadence.domain import settings as rules
from cadence.domain.periods import at_local, current_week, shift_week, week_day
from cadence.domain.rounds import MIN_RESPONSES, NUDGES_PER_WEEK
from cadence.domain.schedule import CADENCES, Schedule
from cadence.prompts import ids
from cadence.services.common import Outcome, caller
from cadence.services.deps import Deps
from cadence.storage import repo, settings_repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Person

HR_ONLY = "Only HR admins can change Cadence's settings."
SCOPES = {"org": "The whole organisation", "team": "A team (a manager and everyone under them)"}
SCOPES["person"] = "One person"
RECENT = 5


@dataclass
class Resolved:
    """Each person's settings for one job run: the stored rows, their history and the
    management chain, read once. With nothing stored every person gets the organisation
    default unchanged. With a `period`, the settings in force when that week closed (its
    answer deadline in the person's zone): a past week keeps the cadence it had; an open or
    future week reads today's."""

    default: Schedule
    stored: dict[str, dict[str, str]]
    managers: dict[int, int | None] = field(default_factory=dict)  # person id → manager id
    changes: list[rules.Change] = field(default_factory=list)  # oldest first
    _scopes: dict[int, list[str]] = field(default_factory=dict, repr=False)
    _then: dict[int, dict[str, dict[str, str]]] = field(default_factory=dict, repr=False)
    _settled: dict[str, bool] = field(default_factory=dict, repr=False)
    _schedules: dict[tuple[int, int], Schedule] = field(default_factory=dict, repr=False)

    def _scopes_of(self, person: Person) -> list[str]:
        pid = person.id or 0
        if pid not in self._scopes:
            chain: list[int] = []
            at = self.managers.get(pid, person.manager_id)
            while at is not None and at not in chain and at != pid:
                chain.append(at)
                at = self.managers.get(at)
            self._scopes[pid] = rules.scopes_for(pid, chain)
        return self._scopes[pid]

    def _unchanged_since(self, period: str) -> bool:
        """No change came after `period` could close (its answer deadline is on the Tuesday
        after it, never before the Monday 00:00 UTC): today's values are the ones it had."""
        if period not in self._settled:
            closes = at_local(week_day(shift_week(period, 1), 1), time(0, 0), "UTC")
            self._settled[period] = not self.changes or self.changes[-1].at < closes
        return self._settled[period]

    def _in_force(self, person: Person, period: str | None) -> int:
        """How many of the changes had been made when `period` closed for `person` (all of
        them without a period, or when none came after)."""
        if period is None or self._unchanged_since(period):
            return len(self.changes)
        deadline = self.default.answer_deadline.for_period(period, person.timezone or "UTC")
        return rules.changes_until(self.changes, deadline)

    def stored_for(self, person: Person, period: str | None = None) -> dict[str, dict[str, str]]:
        """The values stored when `period` closed for `person` (today's without a period)."""
        count = self._in_force(person, period)
        if count == len(self.changes):
            return self.stored
        if count not in self._then:
            self._then[count] = rules.stored_at(self.stored, self.changes, count)
        return self._then[count]

    def values(self, person: Person, period: str | None = None) -> dict[str, str]:
        stored = self.stored_for(person, period)
        if not stored or person.id is None:
            return {}
        return rules.resolve(stored, self._scopes_of(person))

    def schedule(self, person: Person, period: str | None = None) -> Schedule:
        """Today's schedule for `person`; with `period`, the one that week had (read once per
        person and state of the settings)."""
        key = (person.id or 0, self._in_force(person, period))
        if key not in self._schedules:
            self._schedules[key] = rules.schedule_of(self.default, self.values(person, period))
        return self._schedules[key]

    def nudge_budget(self, person: Person) -> int:
        return rules.nudge_budget(self.values(person))

    def anonymity_minimum(self, person: Person | None = None) -> int:
        """The organisation's (a new round's floor), or the one that applies to `person`."""
        if person is None:
            return rules.anonymity_minimum(self.stored.get(rules.ORG) or {})
        return rules.anonymity_minimum(self.values(person))


def resolved(
    deps: Deps, *, session: Session | None = None, only: Iterable[int] | None = None
) -> Resolved:
    """Everyone's settings; with `only` (person ids), valid for those people alone: the org
    chart is then read only above them (an interactive request's cost, not the org's)."""
    if session is None:
        with read_scope(deps.engine) as own:
            return resolved(deps, session=own, only=only)
    stored = settings_repo.all_settings(session=session)
    changes = settings_repo.history(session=session)
    managers: dict[int, int | None] = {}
    if (stored or changes) and only is not None:
        managers = repo.managers_above(only, session=session)
    elif stored or changes:
        managers = {p.id: p.manager_id for p in repo.active_people(session=session) if p.id}
    return Resolved(deps.schedule, stored, managers, changes)


def resolved_for(deps: Deps, person: Person, *, session: Session | None = None) -> Resolved:
    """One person's settings (their schedule, and the history that says what each of their
    check-ins covers), for an interactive request: without a `session`, the stored values as
    read in the last seconds (settings_repo.recent), and the org chart above them only when
    some value is set."""
    if session is not None:
        return resolved(deps, session=session, only=[person.id or 0])
    stored, changes = settings_repo.recent(deps.engine)
    managers: dict[int, int | None] = {}
    if stored or changes:
        with read_scope(deps.engine) as own:
            managers = repo.managers_above([person.id or 0], session=own)
    return Resolved(deps.schedule, stored, managers, changes)


# ------------------------------------------------------------------ the modal


def open_settings(deps: Deps, slack_id: str) -> Outcome:
    if caller(deps, slack_id, hr_admin=True) is None:
        return Outcome(message=HR_ONLY)
    org = resolved(deps).stored.get(rules.ORG) or {}
    this_week = current_week(deps.clock.now(), "UTC")
    fields = [
        {
            "key": k.name,
            "label": k.label,
            "hint": _hint(deps, k, org.get(k.name)),
            "options": _options(k, this_week),
        }
        for k in rules.KEYS
    ]
    return Outcome(view=deps.renderer.view("settings_modal.json.j2", scopes=SCOPES, fields=fields))


def _options(key: rules.Key, this_week: str) -> list[dict[str, str]]:
    """A choice field's options (value, label); [] for a typed field."""
    if key.kind != "cadence":
        return []
    options = [{"value": c, "label": rules.cadence_label(c, this_week)} for c in CADENCES]
    return [*options, {"value": rules.INHERIT, "label": "Inherit (remove this scope's value)"}]


def _default(deps: Deps, key: rules.Key) -> str:
    s = deps.schedule
    return {
        "checkin_day": s.checkin.label.split()[0],
        "checkin_time": f"{s.checkin.at:%H:%M}",
        "reminder_time": f"{s.reminder.at:%H:%M}",
        "digest_time": f"{s.digest.at:%H:%M}",
        "quiet_start": f"{s.quiet_start:%H:%M}",
        "quiet_end": f"{s.quiet_end:%H:%M}",
        "checkin_cadence": rules.cadence_label(s.cadence),
        "nudge_budget": str(NUDGES_PER_WEEK),
        "anonymity_minimum": str(MIN_RESPONSES),
    }[key.name]


MEANING = {
    "anonymity_minimum": " The organisation's is the least a new round may ask; a team's or "
    "person's higher value applies to the rounds about them created from then on (a lower one "
    "would change nothing, so it is refused).",
}


def _hint(deps: Deps, key: rules.Key, org_value: str | None) -> str:
    now = rules.shown(key, org_value) if org_value else _default(deps, key)
    return (
        f"Organisation now: {now} (default {_default(deps, key)}).{MEANING.get(key.name, '')} "
        f'Blank leaves it as it is; "{rules.INHERIT}" removes this scope\'s value.'
    )


@dataclass(frozen=True)
class SettingsForm:
    scope: str  # org | team | person
    who: str  # a Slack ID for team and person
    raw: dict[str, str]  # key → what was typed (non-blank only)


def submit_settings(deps: Deps, slack_id: str, form: SettingsForm) -> dict[str, str]:
    """Field errors, or {} once every change is stored and audited (one entry per key)."""
    if caller(deps, slack_id, hr_admin=True) is None:
        return {ids.B_SET_SCOPE: HR_ONLY}
    errors: dict[str, str] = {}
    if form.scope not in SCOPES:
        errors[ids.B_SET_SCOPE] = "Choose who the settings are for."
    changes: dict[str, str | None] = {}
    for name, typed in form.raw.items():
        key, block = rules.BY_NAME[name], ids.B_SET_KEY.format(key=name)
        if typed.lower() == rules.INHERIT:
            changes[name] = None
        else:
            value, problem = rules.check(key, typed)
            if problem:
                errors[block] = problem
            else:
                changes[name] = value
    if not form.raw and not errors:
        errors[ids.B_SET_SCOPE] = "Nothing to change: type at least one value."
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        scope, label = rules.ORG, "organisation"
        if form.scope in ("team", "person"):
            person = repo.person_by_slack_id(form.who, session=session) if form.who else None
            if person is None or not person.active or person.id is None:
                errors[ids.B_SET_WHO] = "Pick a person in the org chart."
            elif form.scope == "team" and not repo.direct_reports(person.id, session=session):
                errors[ids.B_SET_WHO] = f"{person.name} manages nobody: choose One person."
            else:
                scope = (rules.team_scope if form.scope == "team" else rules.person_scope)(
                    person.id
                )
                label = f"{form.scope} of {person.slack_id}"
                errors.update(_minimum_below_org(deps, changes, session=session))
        if errors:
            return errors
        for name, value in changes.items():
            before = settings_repo.put(scope, name, value, slack_id, now, session=session)
            if before != value:
                detail = f"{name}: {before or 'inherited'} → {value or 'inherited'}"
                repo.audit(
                    slack_id, settings_repo.AUDIT_ACTION, label, detail, now, session=session
                )
    return {}


def _minimum_below_org(
    deps: Deps, changes: dict[str, str | None], *, session: Session
) -> dict[str, str]:
    """A team's or person's anonymity minimum below the organisation's would be stored with no
    effect (a round never needs fewer answers than the organisation's): refused, naming it."""
    value = changes.get("anonymity_minimum")
    org = resolved(deps, session=session, only=()).anonymity_minimum()  # the org's alone
    if value is None or not rules.minimum_changes_nothing(value, org):
        return {}
    return {
        ids.B_SET_KEY.format(key="anonymity_minimum"): f"The organisation's minimum is {org}: "
        f"every round already needs at least {org} answers per group, so a lower value here "
        f'would change nothing. Type {org} or more, or "{rules.INHERIT}".'
    }


# ------------------------------------------------------------------ HR's App Home


def home_context(deps: Deps) -> dict[str, Any]:
    """The non-default values now stored and the last changes, as lines HR reads (plain:
    the template escapes them)."""
    with read_scope(deps.engine) as session:
        stored = settings_repo.all_settings(session=session)
        people = {p.id: p for p in repo.active_people(session=session)}
        changes = settings_repo.recent_changes(RECENT, session=session)
        by_slack = {p.slack_id: p.name for p in people.values()}
    current = []
    org_minimum = rules.anonymity_minimum(stored.get(rules.ORG) or {})
    for scope in sorted(stored, key=lambda s: (s != rules.ORG, s)):
        kind, _, ident = scope.partition(":")
        who = "Organisation"
        if ident:
            person = people.get(int(ident))
            name = person.name if person is not None else "(no longer active)"
            who = f"Team of {name}" if kind == "team" else name
        for name, value in sorted(stored[scope].items()):
            key = rules.BY_NAME.get(name)
            if key is None:
                continue
            line = f"{who} · {key.label}: {rules.shown(key, value)}"
            if scope != rules.ORG and name == "anonymity_minimum":
                if rules.minimum_changes_nothing(value, org_minimum):
                    line += f" (no effect: the organisation's {org_minimum} applies)"
            current.append(line)
    recent = [
        f"{e.at:%Y-%m-%d %H:%M} UTC · {by_slack.get(e.actor, e.actor)} · {e.subject} · {e.detail}"
        for e in changes
    ]
    return {"settings_current": current, "settings_recent": recent}
