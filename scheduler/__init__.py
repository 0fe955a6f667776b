"""APScheduler ticks. The scheduler only fires; the database decides what is due."""

from __future__ import annotations

import logging
import time

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from cadence import telemetry
from cadence.services.deps import Deps
from cadence.services.jobs import JOBS
from cadence.services.people import resolve_missing_timezones
from cadence.storage.db import job_lock

log = logging.getLogger(__name__)

TICK_JOB_ID = "cadence-tick"


def tick(deps: Deps) -> None:
    now = deps.clock.now()
    for name, job in {"timezones": resolve_missing_timezones, **JOBS}.items():
        try:
            with telemetry.timed_job(name) as outcome, job_lock(deps.engine, name) as mine:
                if not mine:
                    outcome[0] = "skipped"
                    continue
                report = job(deps, now)
            if report.counts:
                log.info("%s", report.summary())
        except Exception:
            log.exception("job %s failed at %s; the next tick catches up", name, now.isoformat())


def _tick_started(event: JobSubmissionEvent) -> None:
    """Scheduler lag: how long after it was due this tick started (wall time)."""
    due = max(event.scheduled_run_times, default=None)
    if due is not None:
        telemetry.observe_tick_lag(time.time() - due.timestamp())


def build_scheduler(deps: Deps) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC")
    scheduler.add_job(
        tick,
        IntervalTrigger(seconds=deps.settings.cadence_tick_seconds),
        args=[deps],
        id=TICK_JOB_ID,
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
        replace_existing=True,
        next_run_time=deps.clock.now(),
    )
    scheduler.add_listener(_tick_started, EVENT_JOB_SUBMITTED)
    return scheduler
