"""`POST /api/metrics`: metrics from systems of record, with a bearer token from the
environment (CADENCE_METRICS_API_TOKEN). Without a token configured the endpoint is off."""

from __future__ import annotations

import hmac
import json
from typing import TYPE_CHECKING, Any

from cadence.services.deps import Deps
from cadence.services.metrics import import_metrics_body

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

    from cadence.web import Route

METRICS_PATH = "/api/metrics"


def _json(status: int, body: dict[str, Any], **headers: str) -> tuple[int, dict[str, str], bytes]:
    return (
        status,
        {"Content-Type": "application/json; charset=utf-8", **headers},
        json.dumps(body, ensure_ascii=False).encode(),
    )


def metrics_routes(deps: Deps) -> dict[tuple[str, str], Route]:
    def post_metrics(environ: WSGIEnvironment, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        expected = deps.settings.cadence_metrics_api_token
        if not expected:
            return _json(
                503,
                {
                    "ok": False,
                    "error": "The metrics API is off: CADENCE_METRICS_API_TOKEN is not set.",
                },
            )
        auth = str(environ.get("HTTP_AUTHORIZATION") or "")
        given = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return _json(
                401,
                {"ok": False, "error": "Missing or wrong bearer token."},
                **{"WWW-Authenticate": 'Bearer realm="cadence"'},
            )
        mime = str(environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if mime != "application/json":
            return _json(415, {"ok": False, "error": "Send Content-Type: application/json."})
        status, body = import_metrics_body(deps, raw)
        return _json(status, body)

    return {("POST", METRICS_PATH): post_metrics}
