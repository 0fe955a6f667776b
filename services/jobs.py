"""The scheduled jobs by name: the scheduler's tick and `python bot.py run-job` call these."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cadence.domain.status import DeliveryStatus
from cadence.services.checkins import send_reminders, send_weekly_checkins
from cadence.services.common import JobReport
from cadence.services.deps import Deps
from cadence.services.digests import send_digests
from cadence.services.lens import run_lens, send_hr_digests
from cadence.services.reviews import send_review_prompts
from cadence.services.rights import run_retention
from cadence.services.rounds import run_rounds
from cadence.storage import repo
from cadence.storage.db import read_scope

Job = Callable[[Deps, datetime], JobReport]

JOBS: dict[str, Job] = {
    "checkins": send_weekly_checkins,
    "reminders": send_reminders,
    "reviews": send_review_prompts,
    "rounds": run_rounds,
    "digests": send_digests,
    "lens": run_lens,
    "retention": run_retention,
    "hr-digest": send_hr_digests,
}


def run_all(deps: Deps, now: datetime) -> list[JobReport]:
    return [job(deps, now) for job in JOBS.values()]


def unsent_messages(deps: Deps) -> str | None:
    """What the outbox still has to send, and why, in one sentence (None when nothing)."""
    with read_scope(deps.engine) as session:
        unsent = repo.unsent(session=session)
    if not unsent:
        return None
    held = sum(n for (status, _), n in unsent.items() if status == DeliveryStatus.SENDING)
    waiting = {why: n for (status, why), n in unsent.items() if status == DeliveryStatus.PENDING}
    parts = []
    if held:
        parts.append(f"{held} held by another sender that is still running")
    for why, n in sorted(waiting.items(), key=lambda item: -item[1]):
        parts.append(f"{n} to be retried later (last error: {why})" if why else f"{n} queued")
    total = sum(unsent.values())
    noun = "message is" if total == 1 else "messages are"
    return f"{total} {noun} not sent yet: {', '.join(parts)}."
