"""HTTP mode: signature verification, bad bodies, health, URL verification."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

from cadence.services.deps import Deps
from cadence.storage.db import make_engine
from tests.conftest import SIGNING_SECRET, HttpApp, sign
from tests.shared_data import PAYLOADS


def test_url_verification_answers_the_challenge(http_app: HttpApp) -> None:
    body = (PAYLOADS / "url_verification.json").read_bytes()
    resp = http_app.slack(body, "application/json")
    assert resp.status == 200
    assert resp.json()["challenge"] == json.loads(body)["challenge"]


def test_unsigned_wrongly_signed_and_stale_requests_get_401(http_app: HttpApp) -> None:
    body = (PAYLOADS / "slash_command.form.txt").read_bytes().strip()
    form = "application/x-www-form-urlencoded"
    assert http_app.slack(body, form, signed=False).status == 401
    bad = sign(body, secret="not-the-secret")
    assert (
        http_app.request("/slack/events", body, headers={"Content-Type": form, **bad}).status == 401
    )
    stale = sign(body, ts=int(time.time()) - 600)
    assert (
        http_app.request("/slack/events", body, headers={"Content-Type": form, **stale}).status
        == 401
    )


def test_signed_garbage_gets_400_and_the_server_keeps_serving(http_app: HttpApp) -> None:
    for body, content_type in [
        (b"{not json", "application/json"),
        (b"[1, 2, 3]", "application/json"),
        (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\xfa", "application/json"),
        (b'{"type": "event_callback", "event": "not-an-object"}', "application/json"),
    ]:
        resp = http_app.slack(body, content_type)
        assert 400 <= resp.status < 500, (body, resp.status)
    assert http_app.request("/healthz", method="GET").status == 200


def test_healthz_is_200_while_the_database_answers(http_app: HttpApp) -> None:
    resp = http_app.request("/healthz", method="GET")
    assert (resp.status, resp.body) == (200, b"ok")


def test_healthz_is_503_when_the_database_is_gone(deps: Deps, tmp_path: Path) -> None:
    from cadence.handlers import build_app
    from cadence.web import CadenceWSGI

    gone = make_engine(f"sqlite:///{tmp_path}/missing-dir/cadence.db")
    wsgi = CadenceWSGI(build_app(deps), gone, SIGNING_SECRET)
    statuses: list[str] = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/healthz", "wsgi.input": io.BytesIO()}
    body = b"".join(wsgi(environ, lambda status, headers: statuses.append(status)))  # type: ignore[arg-type]
    assert statuses == ["503 Service Unavailable"]
    assert b"database" in body


def test_unknown_paths_and_methods(http_app: HttpApp) -> None:
    assert http_app.request("/nope", method="GET").status == 404
    assert http_app.request("/slack/events", method="GET").status == 405
    assert http_app.request("/healthz", b"x", method="POST").status == 405
