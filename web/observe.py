"""Around the WSGI app: an id per HTTP request (on its log records and in the X-Request-Id
header), request latency by surface, and `GET /metrics` (Prometheus text) when CADENCE_METRICS=1;
without it the path is not found."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy.engine import Engine

from cadence import telemetry
from cadence.storage import repo
from cadence.storage.db import read_scope

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

METRICS_PATH = "/metrics"
SURFACE_KEY = "cadence.surface"  # set in the WSGI environ by whoever parsed the Slack request

_SURFACES = {
    "block_actions": "action",
    "interactive_message": "action",
    "view_submission": "view",
    "view_closed": "view",
    "event_callback": "event",
    "url_verification": "event",
    "app_rate_limited": "event",
    "block_suggestion": "options",
    "shortcut": "shortcut",
    "message_action": "shortcut",
}
_PATHS = {"/healthz": "healthz", METRICS_PATH: "metrics", "/api/metrics": "metrics_api"}


def surface_of(body: object) -> str:
    """Which kind of Slack request a parsed body is: command, action, view, event, …"""
    if not isinstance(body, dict):
        return "other"
    if "command" in body:
        return "command"
    return _SURFACES.get(str(body.get("type")), "other")


def metrics_body(engine: Engine) -> bytes:
    with read_scope(engine) as session:
        outbox = repo.outbox_counts_by_method(session=session)
    return telemetry.render(outbox)


class Observed:
    """Wraps a WSGI app (CadenceWSGI, or none: then only /metrics is served)."""

    def __init__(self, app: WSGIApplication | None, engine: Engine, *, metrics: bool) -> None:
        self.app = app
        self.engine = engine
        self.metrics = metrics

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        rid = uuid.uuid4().hex[:16]
        started = time.perf_counter()
        code = [500]

        def observed_start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            code[0] = int(status.split(" ", 1)[0])
            return start_response(status, [*headers, ("X-Request-Id", rid)], *exc_info)

        start = cast("StartResponse", observed_start)

        path = str(environ.get("PATH_INFO") or "/")
        body: Iterable[bytes]
        with telemetry.request_id(rid):
            if path == METRICS_PATH and self.metrics:
                body = self._metrics(environ, start)
            elif self.app is not None:
                body = self.app(environ, start)
            else:
                body = _plain(start, "404 Not Found", b"not found")
        surface = str(environ.get(SURFACE_KEY) or _PATHS.get(path, "other"))
        telemetry.observe_request(surface, code[0], time.perf_counter() - started)
        return body

    def _metrics(self, environ: WSGIEnvironment, start: StartResponse) -> list[bytes]:
        if environ.get("REQUEST_METHOD", "GET") not in {"GET", "HEAD"}:
            return _plain(start, "405 Method Not Allowed", b"use GET")
        body = metrics_body(self.engine)
        start(
            "200 OK",
            [("Content-Type", telemetry.CONTENT_TYPE), ("Content-Length", str(len(body)))],
        )
        return [body]


def _plain(start: StartResponse, status: str, body: bytes) -> list[bytes]:
    start(
        status,
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]
