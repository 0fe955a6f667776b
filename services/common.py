"""Vocabulary every use case shares: what the user sees, what a job did, who is calling."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cadence.domain.authz import may_administer
from cadence.services.deps import Deps
from cadence.storage import repo
from cadence.storage.db import session_scope
from cadence.storage.models import Person

NOT_REGISTERED = (
    "You're not in Cadence's org chart yet, so there's no check-in for you. "
    "Ask your HR team to add you."
)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the user sees: a view to open, or a message explaining why not."""

    view: dict[str, Any] | None = None
    message: str | None = None


@dataclass
class JobReport:
    job: str
    at: datetime
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        if n:
            self.counts[what] = self.counts.get(what, 0) + n

    def summary(self) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())) or "nothing due"
        return f"{self.job} at {self.at.isoformat()}: {parts}"


def caller(
    deps: Deps, slack_id: str, *, with_role: bool = False, hr_admin: bool = False
) -> Person | None:
    """Who is calling, from the stored org chart: the active person with this Slack ID, or None.
    `with_role` also requires a role Cadence knows; `hr_admin` requires the HR admin flag.
    (services.pairs.caller_read_by_team asks this and how they are read in one statement.)"""
    person = repo.person_by_slack_id(slack_id, session=deps.engine)  # a lone read
    return admitted(deps, person, with_role=with_role, hr_admin=hr_admin)


def admitted(
    deps: Deps, person: Person | None, *, with_role: bool = False, hr_admin: bool = False
) -> Person | None:
    """`person` as stored, when caller's rules let them in; else None."""
    if person is None or not person.active:
        return None
    if with_role and person.role not in deps.roles:
        return None
    if hr_admin and not may_administer(person):
        return None
    return person


def audit_export(deps: Deps, kind: str, actor: str) -> None:
    """The audit record of an export, committed before any of its data is written: when it
    cannot be stored the export stops here, so no export exists without its record."""
    with session_scope(deps.engine) as session:
        repo.audit(
            actor, f"export.{kind}", "all", "export started", deps.clock.now(), session=session
        )


def tell_privately(deps: Deps, slack_id: str, text: str) -> None:
    """A short note to one person by DM, through the outbox, for replies that have no channel
    to be ephemeral in (the App Home, a message shortcut)."""
    note = repo.OutgoingMessage(
        key=f"note:{slack_id}:{uuid.uuid4().hex}",
        kind="note",
        recipient=slack_id,
        payload={"text": text},
    )
    with session_scope(deps.engine) as session:
        repo.enqueue([note], deps.clock.now(), session=session)
    deps.wake_sender()
