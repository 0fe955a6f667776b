"""HTTP mode: a WSGI app served by waitress (a production server, not Bolt's dev server).

Routes: `POST /slack/events` (events, slash commands, interactivity), `GET /healthz` (200 while
the database answers). The Slack signature is checked here, once, with slack_sdk's
SignatureVerifier (the Bolt app does not check it again). A request that fails verification
gets 401; a signed request whose body cannot be parsed gets 400, never a 500."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from slack_bolt import App, BoltRequest
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.engine import Engine

from cadence.delivery.pacing import Foreground
from cadence.storage import replay_repo
from cadence.storage.db import GroupCommit
from cadence.storage.turns import PATIENCE, Turns
from cadence.web.health import HealthCheck
from cadence.web.observe import SURFACE_KEY, surface_of
from cadence.web.serving import READ_TIMEOUT, GuardedServer, create_guarded_server
from cadence.web.serving import run_until as run_until

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000  # "1 MB" in answers and the README
EVENTS_PATH = "/slack/events"

Route = Callable[["WSGIEnvironment", bytes], tuple[int, dict[str, str], bytes]]

_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


def _text(status: int, body: str) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "text/plain; charset=utf-8"}, body.encode()


class CadenceWSGI:
    def __init__(
        self,
        bolt: App,
        engine: Engine,
        signing_secret: str,
        routes: dict[tuple[str, str], Route] | None = None,
        foreground: Foreground | None = None,
        writes: GroupCommit | None = None,
        turn_patience: float = PATIENCE,
    ) -> None:
        self.bolt = bolt
        self.writes = writes or GroupCommit(engine)  # the replay store's writes go with others
        self.foreground = foreground or Foreground()
        self.engine = engine
        self.health = HealthCheck(engine)
        self.verifier = SignatureVerifier(signing_secret) if signing_secret.strip() else None
        self.routes = dict(routes or {})
        # SQLite: Slack's requests are served one at a time (storage/turns.py says why)
        self.turns = Turns(turn_patience) if engine.dialect.name == "sqlite" else None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        try:
            status, headers, body = self._handle(environ)
        except Exception:
            log.exception("unhandled error serving %s", environ.get("PATH_INFO"))
            status, headers, body = _text(500, "internal error")
        headers.setdefault("Content-Length", str(len(body)))
        start_response(f"{status} {_REASONS.get(status, '')}", list(headers.items()))
        return [body]

    def _handle(self, environ: WSGIEnvironment) -> tuple[int, dict[str, str], bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        if path == "/healthz":
            if method not in {"GET", "HEAD"}:
                return _text(405, "use GET")
            problem = self.health()
            return _text(200, "ok") if problem is None else _text(503, problem)
        route = self.routes.get((method, path))
        if path != EVENTS_PATH and route is None:
            known = {p for _, p in self.routes} | {EVENTS_PATH}
            return _text(405, "method not allowed") if path in known else _text(404, "not found")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _text(400, "bad Content-Length")
        if length > MAX_BODY:
            if route is not None:  # the JSON APIs answer in JSON
                return (
                    413,
                    {"Content-Type": "application/json; charset=utf-8"},
                    b'{"ok": false, "error": "The request body is over 1 MB: '
                    b'send smaller batches."}',
                )
            return _text(413, "request body too large")
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        if route is not None:
            return route(environ, raw)
        if method != "POST":
            return _text(405, "use POST")
        with self.foreground.serving():  # the outbox sender gives way meanwhile
            if self.turns is None:
                return self._slack(environ, raw)
            with self.turns.turn():
                return self._slack(environ, raw)

    def _signed(self, raw: bytes, timestamp: str | None, signature: str | None) -> bool:
        """Slack's v0 signature over the raw bytes, within five minutes."""
        if self.verifier is None:
            return False
        try:
            return self.verifier.is_valid(raw, timestamp, signature)
        except ValueError:  # a timestamp that is not a number, or a body that is not UTF-8
            return False

    def _slack(self, environ: WSGIEnvironment, raw: bytes) -> tuple[int, dict[str, str], bytes]:
        headers: dict[str, str | Sequence[str]] = {}
        for key, value in environ.items():
            if key.startswith("HTTP_"):
                headers[key[5:].replace("_", "-").lower()] = value
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        timestamp = str(headers.get("x-slack-request-timestamp") or "") or None
        signature = str(headers.get("x-slack-signature") or "") or None
        if not self._signed(raw, timestamp, signature) or timestamp is None or signature is None:
            return _text(401, "invalid signature")
        if not replay_repo.first_sighting(self.writes, signature, int(timestamp), int(time.time())):
            # Slack signs every delivery anew (its retries too), so the same signature twice is
            # a copy: refused before it is read, on whichever replica it arrives.
            log.warning("a replayed signed request was refused")
            return _text(409, "replayed request: this signature was already served")
        try:
            body = raw.decode("utf-8")
            request = BoltRequest(body=body, query=environ.get("QUERY_STRING", ""), headers=headers)
            _check_shape(request.body)
            environ[SURFACE_KEY] = surface_of(request.body)  # for the latency by surface
        except (ValueError, AttributeError, TypeError, KeyError):
            # JSON/Unicode decoding errors, or JSON of a shape Bolt cannot read.
            return _text(400, "request body could not be parsed")
        try:
            response = self.bolt.dispatch(request)
        except (KeyError, TypeError, AttributeError, ValueError):
            log.warning("signed request with an unexpected shape was refused", exc_info=True)
            return _text(400, "request body has an unexpected shape")
        out_headers = {k: ",".join(v) for k, v in response.headers.items()}
        return response.status, out_headers, response.body.encode("utf-8")


_SHAPES: dict[str, type | tuple[type, ...]] = {
    "type": str,
    "event": dict,
    "user": (dict, str),
    "view": dict,
    "actions": list,
    "team": (dict, str, type(None)),
    "channel": (dict, str),
    "container": dict,
    "command": str,
}


def _check_shape(body: object) -> None:
    """Refuse JSON whose top-level fields have types Slack never sends (Bolt would fail)."""
    if not isinstance(body, dict):
        raise ValueError("body is not an object")
    for key, expected in _SHAPES.items():
        if key in body and not isinstance(body[key], expected):
            raise ValueError(f"field {key} has an unexpected type")
    if isinstance(body.get("actions"), list) and not all(
        isinstance(a, dict) for a in body["actions"]
    ):
        raise ValueError("actions must be objects")


def make_server(
    wsgi: WSGIApplication,
    port: int,
    *,
    host: str = "0.0.0.0",  # noqa: S104 - HTTP mode must be reachable by Slack
    threads: int = 16,
    read_timeout: float = READ_TIMEOUT,
    reuse_port: bool = False,
) -> GuardedServer:
    """A waitress server guarded against slow clients (web/serving.py); serve it with
    `run_until`. port=0 picks a free port. reuse_port: several processes may listen on the same
    port (SO_REUSEPORT) and the kernel spreads connections across them."""
    # waitress warns at every request that waits for a free thread; the latency benchmark and
    # /healthz tell that story better than a log line per request.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    return create_guarded_server(
        wsgi,
        read_timeout=read_timeout,
        reuse_port=reuse_port,
        host=host,
        port=port,
        threads=threads,
        ident="cadence",
        clear_untrusted_proxy_headers=True,
    )
