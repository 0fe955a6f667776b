"""The per-person weekly budget of reminder DMs, shared by check-in and round reminders."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from cadence.domain.rounds import NUDGE_KINDS, NUDGES_PER_WEEK, iso_week_bounds
from cadence.storage import feedback_repo
from cadence.storage.models import Person

BUDGET_REASON = "weekly reminder budget reached"


def over_budget(person: Person, now: datetime, *, session: Session) -> bool:
    """Whether `person` already had NUDGES_PER_WEEK reminders (any kind, queued or sent) in
    their local ISO week."""
    start, end = iso_week_bounds(now, person.timezone or "UTC")
    sent = feedback_repo.nudges_between(person.slack_id, NUDGE_KINDS, start, end, session=session)
    return sent >= NUDGES_PER_WEEK
