"""Which pair a person is measured by: whether a manager is read by their team's pair
(domain.digests.reads_team) with the data read here, the one test the check-in (its prompt
aside, which reads the whole org chart at once), the App Home, goals, calibration and the
quarter's evidence ask. It imports only domain, storage and services.common, so every
service can use it."""

from __future__ import annotations

from sqlalchemy.engine import Connection
from sqlmodel import Session

from cadence.domain.digests import reads_team
from cadence.services.common import admitted
from cadence.services.deps import Deps
from cadence.storage import repo
from cadence.storage.models import Person


def reads_by_team(
    deps: Deps, person: Person, *, session: Session | Connection | None = None
) -> bool:
    """Whether `person` manages someone with a known role and is read by their team's pair
    (their check-in asks about the team, with no numbers of their own). One Core read
    (repo.manages_role), in the caller's `session` when given: the App Home, goals and the
    evidence ask it; the check-in asks it with who is calling (caller_read_by_team)."""
    assert person.id is not None  # noqa: S101
    source = deps.engine if session is None else session  # the engine: a lone read
    manages = repo.manages_role(person.id, deps.roles, session=source)
    return reads_team(deps.roles[person.role], manages=manages)


def caller_read_by_team(
    deps: Deps, slack_id: str, *, session: Session | Connection | None = None
) -> tuple[Person | None, bool]:
    """Who is calling (services.common.caller, with a role Cadence knows) and whether they
    are read by their team's pair (reads_by_team), in one statement: the check-in modal and
    its submission ask both on every request, and under load each statement saved is also
    fewer hand-overs of the GIL (SQLite releases it around every step)."""
    source = deps.engine if session is None else session  # the engine: a lone read
    stored, manages = repo.person_managing(slack_id, deps.roles, session=source)
    person = admitted(deps, stored, with_role=True)
    if person is None:
        return None, False
    return person, reads_team(deps.roles[person.role], manages=manages)
