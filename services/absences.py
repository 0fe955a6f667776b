"""Declared absences: `/cadence away START END` and the App Home's "I'll be away" modal.

A declared absence means no prompts and no reminders for the weeks it covers, and "away" in
every view of those weeks (domain.weeks)."""

from __future__ import annotations

from datetime import date
from typing import Any

from cadence.domain.periods import local_now
from cadence.domain.weeks import check_absence, day_label, parse_absence
from cadence.domain.words import who_sees_away
from cadence.prompts import ids
from cadence.services.common import NOT_REGISTERED, Outcome, caller
from cadence.services.deps import Deps
from cadence.storage import repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Person

USAGE = (
    "Tell me when you'll be away: `/cadence away 2026-12-21 2027-01-03` (first and last day). "
    "`/cadence away` lists your absences; `/cadence away cancel N` cancels number N."
)


def _today(deps: Deps, person: Person) -> date:
    return local_now(deps.clock.now(), person.timezone or "UTC").date()


def _span(start: date, end: date) -> str:
    return f"{day_label(start)} to {day_label(end)}"


def declare(deps: Deps, person: Person, start: date, end: date) -> str | None:
    """Store an absence; returns the problem with the dates instead when there is one."""
    problem = check_absence(start, end, _today(deps, person))
    if problem:
        return problem
    assert person.id is not None  # noqa: S101
    with session_scope(deps.engine) as session:
        repo.add_absence(person.id, start, end, deps.clock.now(), session=session)
    return None


def _listing(deps: Deps, person: Person) -> list[tuple[int, str]]:
    assert person.id is not None  # noqa: S101
    with read_scope(deps.engine) as session:
        rows = repo.own_absences(person.id, _today(deps, person), session=session)
    return [(a.id or 0, _span(a.start, a.end)) for a in rows]


def command(deps: Deps, slack_id: str, text: str) -> str:
    """`/cadence away [START END | cancel N]`: what to tell the person (ephemeral)."""
    person = caller(deps, slack_id)
    if person is None:
        return NOT_REGISTERED
    text = text.strip()
    if not text:
        listing = _listing(deps, person)
        if not listing:
            return "You have no absences declared.\n" + USAGE
        lines = [f"{n}. {span}" for n, span in listing]
        return "Your absences:\n" + "\n".join(lines) + "\n" + USAGE
    verb, _, rest = text.partition(" ")
    if verb.lower() == "cancel":
        try:
            absence_id = int(rest.strip())
        except ValueError:
            return "Which one? `/cadence away` lists your absences with their numbers."
        return cancel(deps, slack_id, absence_id)
    parsed = parse_absence(text)
    if isinstance(parsed, str):
        return parsed
    start, end = parsed
    problem = declare(deps, person, start, end)
    if problem:
        return f"{problem} {USAGE}"
    return (
        f"Noted: away {_span(start, end)}. No check-in prompts or reminders for those weeks. "
        + who_sees_away(person.manager_id is not None)
    )


def cancel(deps: Deps, slack_id: str, absence_id: int) -> str:
    person = caller(deps, slack_id)
    if person is None or person.id is None:
        return NOT_REGISTERED
    with session_scope(deps.engine) as session:
        gone = repo.cancel_absence(person.id, absence_id, session=session)
        span = _span(gone.start, gone.end) if gone is not None else ""
    if gone is None:
        return "I couldn't find that absence among yours; `/cadence away` lists them."
    return f"Cancelled your absence {span}. Check-ins resume as usual for those weeks."


def open_modal(deps: Deps, slack_id: str) -> Outcome:
    person = caller(deps, slack_id)
    if person is None:
        return Outcome(message=NOT_REGISTERED)
    view = deps.renderer.view(
        "away_modal.json.j2",
        today=_today(deps, person).isoformat(),
        who_sees=who_sees_away(person.manager_id is not None),
    )
    return Outcome(view=view)


def submit_modal(deps: Deps, slack_id: str, start: date | None, end: date | None) -> dict[str, str]:
    """Store the absence picked in the modal (None: no date picked); field errors keyed by
    block_id."""
    person = caller(deps, slack_id)
    if person is None:
        return {ids.B_AWAY_START: NOT_REGISTERED}
    errors = {}
    if start is None:
        errors[ids.B_AWAY_START] = "Pick your first day away."
    if end is None:
        errors[ids.B_AWAY_END] = "Pick your last day away."
    if start is None or end is None:
        return errors
    problem = declare(deps, person, start, end)
    if problem:
        block = ids.B_AWAY_START if problem.startswith("An absence") else ids.B_AWAY_END
        return {block: problem}
    return {}


def home_context(deps: Deps, slack_id: str) -> list[dict[str, Any]]:
    """The person's current and future absences, for the App Home."""
    person = caller(deps, slack_id)
    if person is None:
        return []
    return [{"id": n, "line": span} for n, span in _listing(deps, person)]
