"""The scheduled jobs by name: the scheduler's tick and `python bot.py run-job` call these."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from cadence.services.checkins import send_reminders, send_weekly_checkins
from cadence.services.common import JobReport
from cadence.services.deps import Deps
from cadence.services.digests import send_digests
from cadence.services.reviews import send_review_prompts
from cadence.services.rounds import run_rounds

Job = Callable[[Deps, datetime], JobReport]

JOBS: dict[str, Job] = {
    "checkins": send_weekly_checkins,
    "reminders": send_reminders,
    "reviews": send_review_prompts,
    "rounds": run_rounds,
    "digests": send_digests,
}


def run_all(deps: Deps, now: datetime) -> list[JobReport]:
    return [job(deps, now) for job in JOBS.values()]
