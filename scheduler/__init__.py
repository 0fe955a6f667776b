"""APScheduler ticks. The scheduler only fires; the database decides what is due."""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from apscheduler.events import EVENT_JOB_SUBMITTED, JobSubmissionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text

from cadence import telemetry
from cadence.services.deps import Deps
from cadence.services.jobs import JOBS

log = logging.getLogger(__name__)

TICK_JOB_ID = "cadence-tick"


@contextmanager
def job_lock(deps: Deps, name: str) -> Iterator[bool]:
    """On PostgreSQL, one scheduler replica at a time runs a job (advisory lock; the others
    skip the tick). On SQLite there is one scheduler process by design: always True."""
    if deps.engine.dialect.name != "postgresql":
        yield True
        return
    key = zlib.crc32(f"cadence-job:{name}".encode())
    with deps.engine.connect() as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()


def tick(deps: Deps) -> None:
    now = deps.clock.now()
    for name, job in JOBS.items():
        try:
            with telemetry.timed_job(name) as outcome, job_lock(deps, name) as mine:
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
