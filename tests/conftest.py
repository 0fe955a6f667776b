"""Shared fixtures: a real database (SQLite file; PostgreSQL too when CADENCE_TEST_POSTGRES_URL
is set), the fake Slack Web API server, the real Bolt app behind the real HTTP server, and
signed requests in the shapes of ../shared/payloads/."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from cadence.config import PROJECT_ROOT, Settings
from cadence.delivery.gateway import WebClientGateway
from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.domain.org import parse_org_csv
from cadence.domain.roles import load_roles
from cadence.prompts.render import Renderer
from cadence.services.deps import Deps
from cadence.storage import repo
from cadence.storage.db import make_engine, migrate, session_scope
from cadence.storage.turns import PATIENCE
from tests.fakeslack import FakeSlack
from tests.shared_data import PAYLOADS

SIGNING_SECRET = "test-signing-secret"
BOT_TOKEN = "xoxb-test-token"
POSTGRES_URL = os.environ.get("CADENCE_TEST_POSTGRES_URL", "")

# SQLite generates its key file beside the test database; PostgreSQL needs the variable.
PG_SECRET_KEY = "k" * 32 + "-postgres-tests"

BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text())
    return data


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'cadence.db'}"
        return
    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(_pg(POSTGRES_URL))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _pg(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


@pytest.fixture
def clock() -> FixedClock:
    # Friday 2026-11-20 15:00 in Paris (14:00 UTC): check-in time there.
    return FixedClock(datetime(2026, 11, 20, 14, 0, tzinfo=UTC))


@pytest.fixture
def settings(db_url: str, fake: FakeSlack) -> Settings:
    return Settings(
        slack_bot_token=BOT_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        slack_app_token="",
        slack_api_url=fake.url,
        database_url=db_url,
        roles_file=PROJECT_ROOT / "roles.toml",
        cadence_send_rate=500,
        cadence_secret_key="" if db_url.startswith("sqlite") else PG_SECRET_KEY,
    )


@pytest.fixture
def deps(settings: Settings, engine: Engine, clock: FixedClock) -> Deps:
    return Deps(
        settings=settings,
        engine=engine,
        clock=clock,
        roles=load_roles(settings.roles_file),
        renderer=Renderer(),
        slack=WebClientGateway.create(settings.slack_bot_token, settings.slack_api_url),
    )


@pytest.fixture
def sender(deps: Deps) -> OutboxSender:
    s = OutboxSender(deps.engine, deps.slack, deps.clock, rate=500, workers=1)
    return s


ORG_HEADER = "slack_id,email,name,manager_slack_id,role,timezone,hr_admin\n"
ORG = ORG_HEADER + (
    "U0LEAD,lea@example.com,Lea Lead,,engineering,Europe/Paris,true\n"
    "U0ANA,ana@example.com,Ana Agent,U0LEAD,support,Europe/Paris,false\n"
    "U0BEN,ben@example.com,Ben Builder,U0LEAD,engineering,America/New_York,false\n"
    "U0CAT,cat@example.com,Cat Closer,U0BEN,sales,Pacific/Honolulu,false\n"
    "U0DAN,dan@example.com,Dan Dev,U0LEAD,engineering,Pacific/Tongatapu,false\n"
)


def load_org(deps: Deps, csv_text: str = ORG) -> None:
    rows = parse_org_csv(csv_text, set(deps.roles))
    with session_scope(deps.engine) as session:
        repo.upsert_people(rows, deps.clock.now(), session=session)


def seed_org(deps: Deps, fake: FakeSlack, csv_text: str = ORG) -> Deps:
    """The org chart in the database, and its people known to the fake Slack."""
    load_org(deps, csv_text)
    for line in csv_text.splitlines()[1:]:
        fields = line.split(",")
        fake.add_user(fields[0], name=fields[2], email=fields[1], tz=fields[5] or "UTC")
    return deps


@pytest.fixture
def org(deps: Deps, fake: FakeSlack) -> Deps:
    return seed_org(deps, fake)


# ------------------------------------------------------------------ HTTP mode


_SIGNED: set[tuple[int, bytes]] = set()


def sign(body: bytes, secret: str = SIGNING_SECRET, ts: int | None = None) -> dict[str, str]:
    """Slack's headers for `body`. Like Slack, every delivery gets its own signature: the same
    body signed again within a second gets an earlier timestamp (the same signature twice is a
    replay, which the server refuses)."""
    if ts is None:
        ts, key = int(time.time()), hashlib.sha256(body).digest()
        while (ts, key) in _SIGNED:
            ts -= 1
        _SIGNED.add((ts, key))
    stamp = str(ts)
    base = b"v0:" + stamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class HttpApp:
    base: str

    def request(
        self,
        path: str,
        body: bytes = b"",
        *,
        method: str = "POST",
        headers: dict[str, str] | None = None,
    ) -> Response:
        req = urllib.request.Request(  # noqa: S310 - loopback test server
            self.base + path, data=body if method != "GET" else None, method=method
        )
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                return Response(resp.status, resp.read())
        except urllib.error.HTTPError as exc:
            return Response(exc.code, exc.read())

    def slack(self, body: bytes, content_type: str, *, signed: bool = True) -> Response:
        headers = {"Content-Type": content_type}
        if signed:
            headers.update(sign(body))
        return self.request("/slack/events", body, headers=headers)

    def interactive(self, data: dict[str, Any]) -> Response:
        body = urllib.parse.urlencode({"payload": json.dumps(data)}).encode()
        return self.slack(body, "application/x-www-form-urlencoded")

    def command(self, command: str, user_id: str, text: str = "", **extra: str) -> Response:
        form = dict(
            urllib.parse.parse_qsl((PAYLOADS / "slash_command.form.txt").read_text().strip())
        )
        form.update(command=command, user_id=user_id, text=text, trigger_id=f"trig-{user_id}")
        form.update(extra)
        return self.slack(
            urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
        )

    def event(self, data: dict[str, Any]) -> Response:
        return self.slack(json.dumps(data).encode(), "application/json")


@pytest.fixture
def http_app(deps: Deps) -> Iterator[HttpApp]:
    yield from serve_http(deps, metrics=False)


def serve_http(deps: Deps, *, metrics: bool, turn_patience: float = PATIENCE) -> Iterator[HttpApp]:
    """The HTTP stack `python bot.py serve` runs, on a free loopback port."""
    from cadence.handlers import build_app
    from cadence.web import CadenceWSGI, make_server, run_until
    from cadence.web.metrics_api import metrics_routes
    from cadence.web.observe import Observed

    app = build_app(deps)
    wsgi = CadenceWSGI(
        app,
        deps.engine,
        SIGNING_SECRET,
        routes=metrics_routes(deps),
        writes=deps.writes,
        turn_patience=turn_patience,
    )
    server = make_server(Observed(wsgi, deps.engine, metrics=metrics), 0, host="127.0.0.1")
    stop = threading.Event()
    thread = threading.Thread(target=run_until, args=(server, stop), daemon=True)
    thread.start()
    port = server.effective_port
    yield HttpApp(f"http://127.0.0.1:{port}")
    stop.set()
    thread.join(5)


# ------------------------------------------------------------------ payload builders


def button_click(
    user_id: str, action_id: str, value: str, *, channel: str = "D111"
) -> dict[str, Any]:
    data = payload("block_actions_button_dm.json")
    data["user"]["id"] = user_id
    data["trigger_id"] = f"trig-{user_id}"
    data["channel"]["id"] = channel
    data["container"]["channel_id"] = channel
    data["actions"] = [
        {
            "type": "button",
            "action_id": action_id,
            "block_id": "checkin_actions",
            "text": {"type": "plain_text", "text": "x"},
            "value": value,
            "action_ts": "1700000000.000100",
        }
    ]
    return data


def view_submission(
    user_id: str,
    view: dict[str, Any],
    values: dict[str, dict[str, Any]],
    view_id: str | None = None,
) -> dict[str, Any]:
    """A view_submission in the envelope Slack sends, for a modal we rendered, with
    `state.values` in Slack's shapes."""
    data = payload("view_submission_all_inputs.json")
    data["user"]["id"] = user_id
    data["view"].update(
        {
            # Each opened modal has its own id; pass one to replay the same submission.
            "id": view_id or f"V{uuid.uuid4().hex[:10].upper()}",
            "callback_id": view["callback_id"],
            "private_metadata": view.get("private_metadata", ""),
            "blocks": view["blocks"],
            "state": {"values": values},
        }
    )
    return data
