"""The per-person weekly budget of reminder DMs, shared by check-in and round reminders."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from cadence.domain.rounds import NUDGE_KINDS, NUDGES_PER_WEEK, iso_week_bounds
from cadence.storage import feedback_repo
from cadence.storage.models import Person

BUDGET_REASON = "weekly reminder budget reached"


def over_budget(
    person: Person, now: datetime, *, session: Session, budget: int = NUDGES_PER_WEEK
) -> bool:
    """Whether `person` already had `budget` reminders (any kind, queued or sent) in their
    local ISO week (HR may set the budget per person: services.settings)."""
    start, end = iso_week_bounds(now, person.timezone or "UTC")
    sent = feedback_repo.nudges_between(person.slack_id, NUDGE_KINDS, start, end, session=session)
    return sent >= budget
