"""What operators see: GET /metrics (Prometheus text, off unless enabled, no person's data in
it), request ids, and JSON logs that never hold what people typed."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from cadence.config import Settings, configure_logging
from cadence.delivery.sender import OutboxSender
from cadence.prompts import ids
from cadence.scheduler import tick
from cadence.services.checkins import send_weekly_checkins
from cadence.services.deps import Deps
from tests.conftest import ORG, HttpApp, button_click, serve_http, view_submission
from tests.fakeslack import FakeSlack
from tests.test_checkin_flow import FRIDAY_PARIS_15, open_modal, values


@pytest.fixture
def metrics_app(deps: Deps) -> Iterator[HttpApp]:
    yield from serve_http(deps, metrics=True)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_are_off_unless_enabled(http_app: HttpApp) -> None:
    assert http_app.request("/metrics", method="GET").status == 404


def test_metrics_render_the_outbox_requests_jobs_and_429s_without_any_persons_data(
    org: Deps, fake: FakeSlack, sender: OutboxSender, metrics_app: HttpApp
) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=1)
    send_weekly_checkins(org, FRIDAY_PARIS_15)
    sender.drain()
    assert len(fake.messages_to("U0ANA")) == 1
    view = open_modal(metrics_app, fake, "U0ANA", "2026-W47")
    submitted = metrics_app.interactive(view_submission("U0ANA", view, values()))
    assert submitted.status == 200
    assert metrics_app.command("/cadence", "U0ANA", "help").status == 200
    assert metrics_app.request("/healthz", method="GET").status == 200
    tick(org)  # every job once, at the fixed clock

    resp = metrics_app.request("/metrics", method="GET")
    assert resp.status == 200
    text = resp.body.decode()
    got = samples(text)
    post = (("method", "chat.postMessage"),)
    assert got[("cadence_outbox_messages", (*post, ("status", "sent")))] == 2
    assert got[("cadence_outbox_messages", (*post, ("status", "failed")))] == 0
    assert got[("cadence_outbox_messages", (*post, ("status", "pending")))] >= 0
    assert got[("cadence_slack_ratelimited_total", post)] >= 1
    assert got[("cadence_slack_retry_after_seconds_total", post)] >= 1
    assert got[("cadence_slack_send_seconds_count", post)] >= 3
    for surface in ("action", "view", "command", "healthz"):
        assert got[("cadence_http_request_seconds_count", (("surface", surface),))] >= 1
    assert got[("cadence_job_runs_total", (("job", "checkins"), ("outcome", "ok")))] >= 1
    assert got[("cadence_job_seconds_count", (("job", "digests"),))] >= 1
    # Nobody in it: no Slack ids, names, emails or DM channels of the org chart.
    for line in ORG.splitlines()[1:]:
        slack_id, email, name = line.split(",")[:3]
        for secret in (slack_id, email, name, name.split()[0], "D" + slack_id[1:]):
            assert secret not in text


def test_each_request_gets_an_id_in_the_logs_and_the_response(
    http_app: HttpApp, capture_json_logs: io.StringIO
) -> None:
    # A click no listener handles: Bolt logs a warning while the request is served.
    click = button_click("U0ANA", "no_such_action", "x")
    assert http_app.interactive(click).status == 404
    records = [json.loads(line) for line in capture_json_logs.getvalue().splitlines()]
    served = [r for r in records if r.get("request_id")]
    assert served, records
    assert all({"time", "level", "logger", "message"} <= r.keys() for r in records)


@pytest.fixture
def capture_json_logs() -> Iterator[io.StringIO]:
    buffer = io.StringIO()
    root = logging.getLogger()
    level = root.level
    configure_logging(Settings(cadence_log_level="DEBUG", cadence_log_format="json"), buffer)
    yield buffer
    for handler in [h for h in root.handlers if getattr(h, "cadence", False)]:
        root.removeHandler(handler)
    root.setLevel(level)


def test_what_people_type_is_never_logged_even_at_debug(
    org: Deps,
    fake: FakeSlack,
    sender: OutboxSender,
    http_app: HttpApp,
    capture_json_logs: io.StringIO,
) -> None:
    secret = "Zanzibar-plan-7781"
    send_weekly_checkins(org, FRIDAY_PARIS_15)
    sender.drain()
    view = open_modal(http_app, fake, "U0ANA", "2026-W47")
    answers = values(wins=secret, blockers=secret + " blocker", priorities=secret + " next")
    assert http_app.interactive(view_submission("U0ANA", view, answers)).status == 200
    # and once more with an invalid number, which is answered with a field error
    bad = values(quality="abc", wins=secret)
    resp = http_app.interactive(view_submission("U0ANA", view, bad)).json()
    assert ids.B_QUALITY in resp["errors"]
    # and a click nobody handles, which is logged (so the capture is known to work)
    assert http_app.interactive(button_click("U0ANA", "no_such_action", secret)).status == 404
    logged = capture_json_logs.getvalue()
    assert logged, "nothing was logged: the test would prove nothing"
    for line in logged.splitlines():
        json.loads(line)  # one JSON object per line
    assert secret not in logged


def test_a_process_without_http_serves_only_metrics(deps: Deps) -> None:
    # `python bot.py scheduler` (and Socket Mode) with CADENCE_METRICS=1: /metrics on PORT.
    import threading

    from cadence.web import make_server, run_until
    from cadence.web.observe import Observed

    server = make_server(Observed(None, deps.engine, metrics=True), 0, host="127.0.0.1")
    stop = threading.Event()
    thread = threading.Thread(target=run_until, args=(server, stop), daemon=True)
    thread.start()
    try:
        app = HttpApp(f"http://127.0.0.1:{server.effective_port}")
        resp = app.request("/metrics", method="GET")
        assert resp.status == 200 and b"cadence_scheduler_lag_seconds" in resp.body
        assert app.request("/slack/events", b"{}").status == 404
    finally:
        stop.set()
        thread.join(5)
