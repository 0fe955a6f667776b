"""What operators see: Prometheus metrics (served at `GET /metrics` when CADENCE_METRICS=1)
and the log format (one JSON object per line when CADENCE_LOG_FORMAT=json, with request ids).

Labels hold Web API method names, outbox statuses, request surfaces, HTTP status codes and job
names only: never a person's id, name or text. Log records carry the message Cadence wrote
(which never contains what people typed) and the id of the HTTP request being served."""

from __future__ import annotations

import contextvars
import logging
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TextIO

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

__all__ = ["CONTENT_TYPE", "log_to", "render", "request_id", "timed_job"]

REGISTRY = CollectorRegistry()
ProcessCollector(registry=REGISTRY)

OUTBOX_STATUSES = ("pending", "sending", "sent", "failed")

OUTBOX = Gauge(
    "cadence_outbox_messages",
    "Outbox rows by Web API method and status, read from the database at scrape time",
    ["method", "status"],
    registry=REGISTRY,
)
SEND_SECONDS = Histogram(
    "cadence_slack_send_seconds",
    "Time of one Web API call made by the outbox sender, by method",
    ["method"],
    registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "cadence_slack_ratelimited",
    "429 answers from Slack to the outbox sender, by method",
    ["method"],
    registry=REGISTRY,
)
RETRY_AFTER = Counter(
    "cadence_slack_retry_after_seconds",
    "Seconds Slack asked the sender to wait (Retry-After), by method",
    ["method"],
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "cadence_http_request_seconds",
    "Time to answer an HTTP request, by surface (command, action, view, event, healthz, ...)",
    ["surface"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0, 5.0, 10.0),
    registry=REGISTRY,
)
REQUESTS = Counter(
    "cadence_http_requests",
    "HTTP requests answered, by surface and status code",
    ["surface", "code"],
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "cadence_job_runs",
    "Scheduled job runs, by job and outcome (ok, failed, skipped: another replica holds it)",
    ["job", "outcome"],
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    "cadence_job_seconds",
    "Duration of a scheduled job run, by job",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0),
    registry=REGISTRY,
)
SCHEDULER_LAG = Gauge(
    "cadence_scheduler_lag_seconds",
    "How late the last scheduler tick started after the time it was due",
    registry=REGISTRY,
)


def render(outbox: Mapping[tuple[str, str], int]) -> bytes:
    """The Prometheus text exposition, with the outbox counts (method, status) -> rows."""
    OUTBOX.clear()
    for method in {m for m, _ in outbox}:
        for status in OUTBOX_STATUSES:
            OUTBOX.labels(method=method, status=status).set(0)
    for (method, status), rows in outbox.items():
        OUTBOX.labels(method=method, status=status).set(rows)
    return generate_latest(REGISTRY)


def observe_send(method: str, seconds: float) -> None:
    SEND_SECONDS.labels(method=method).observe(seconds)


def observe_rate_limit(method: str, retry_after: float) -> None:
    RATE_LIMITED.labels(method=method).inc()
    RETRY_AFTER.labels(method=method).inc(max(0.0, retry_after))


def observe_request(surface: str, code: int, seconds: float) -> None:
    REQUEST_SECONDS.labels(surface=surface).observe(seconds)
    REQUESTS.labels(surface=surface, code=str(code)).inc()


def observe_tick_lag(seconds: float) -> None:
    SCHEDULER_LAG.set(max(0.0, seconds))


@contextmanager
def timed_job(name: str) -> Iterator[list[str]]:
    """Count one run of job `name` and time it. The caller may set outcome[0] = "skipped";
    an exception counts as "failed" (and goes on)."""
    outcome = ["ok"]
    started = time.perf_counter()
    try:
        yield outcome
    except BaseException:
        outcome[0] = "failed"
        raise
    finally:
        if outcome[0] != "skipped":
            JOB_SECONDS.labels(job=name).observe(time.perf_counter() - started)
        JOB_RUNS.labels(job=name, outcome=outcome[0]).inc()


# ------------------------------------------------------------------ logs

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "cadence_request_id", default=None
)


@contextmanager
def request_id(value: str) -> Iterator[None]:
    """Log records made while serving this HTTP request carry `request_id`."""
    token = _request_id.set(value)
    try:
        yield
    finally:
        _request_id.reset(token)


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get()
        return True


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LOG_FORMATS = ("text", "json")


def log_to(level: str, fmt: str, stream: TextIO | None = None) -> None:
    """One handler on `stream` (standard error): readable lines (`text`) or one JSON object
    per line (`json`). Like logging.basicConfig, it leaves alone a logging set up by someone
    else (a test runner, a program embedding Cadence) unless a stream is given."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "cadence", False)]:
        root.removeHandler(old)
    if stream is None and root.handlers:
        return
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.cadence = True  # type: ignore[attr-defined]
    handler.addFilter(_RequestIdFilter())
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter

        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT_FORMAT))
    root.addHandler(handler)
    root.setLevel(level.upper())
