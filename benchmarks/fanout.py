"""Weekly check-in fan-out: N people's DMs through the outbox sender against the fake Slack Web
API, which limits chat.postMessage to R per second (a token bucket answering 429 with an
integer Retry-After, as Slack does).

    python -m benchmarks.fanout              # R=5/s x 300, R=50/s x 3000, unlimited x 10,000
    python -m benchmarks.fanout --full       # R=50/s with the issue's 10,000 messages
    python -m benchmarks.fanout --case none --workers 8 --fake inprocess

The messages are the real weekly check-in DMs: N people in the org chart, the `checkins` job
(services.checkins.send_weekly_checkins) renders and enqueues them, then an OutboxSender
started the way `python bot.py scheduler` starts it sends them. The sender's ceiling
(cadence_send_rate) is 1000/s, so it is the adaptive pacer that has to find the fake's limit.

Printed per case: achieved rate (and its share of R), losses (people with no DM), duplicates
(DMs beyond the first per person), 429 answers, other errors and wall time. The fake runs in
its own process by default (`--fake inprocess` shares this one's GIL). Traffic stays on
127.0.0.1; the database is a SQLite file in a temporary directory, or PostgreSQL (--postgres).
"""

from __future__ import annotations

import argparse
import collections
import multiprocessing
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from cadence.config import PROJECT_ROOT, Settings
from cadence.delivery.gateway import WebClientGateway
from cadence.delivery.sender import OutboxSender
from cadence.domain.org import OrgRow
from cadence.domain.roles import load_roles
from cadence.prompts.render import Renderer
from cadence.services.checkins import send_weekly_checkins
from cadence.services.deps import Deps
from cadence.storage import repo
from cadence.storage.db import make_engine, migrate, read_scope, session_scope
from tests.fakeslack import FakeSlack

# Friday 2026-11-20 15:00 in Paris: everybody's weekly check-in is due.
FRIDAY_PARIS_15 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
SENDER_CEILING = 1000.0  # cadence_send_rate: far above the fake's limit
ROLES = ("support", "engineering", "sales")
POST = "chat.postMessage"


# ------------------------------------------------------------------ the fake Slack


def call_summary(fake: FakeSlack, method: str) -> dict[str, Any]:
    calls = fake.calls(method)
    ok = [c for c in calls if c.ok]
    return {
        "per_channel": collections.Counter(str(c.args.get("channel")) for c in ok),
        # what was delivered: a message repeated to the same place is a duplicate
        "per_message": collections.Counter(
            (str(c.args.get("channel") or c.args.get("channel_id")), str(c.args.get("text")))
            + ((str(c.args.get("files")),) if "files" in c.args else ())
            for c in ok
        ),
        "calls": len(calls),
        "last_ok": max((c.at for c in ok), default=0.0),
        "rate_limited": fake.rate_limited_count.get(method, 0),
        "errors": sum(1 for c in calls if not c.ok and c.status != 429),
    }


class Fake(Protocol):
    url: str

    def add_users(self, users: list[tuple[str, str, str]]) -> None: ...

    def rate_limit(self, method: str, per_second: float | None) -> None: ...

    def clear(self) -> None: ...

    def summary(self, method: str) -> dict[str, Any]: ...

    def stop(self) -> None: ...


class LocalFake:
    """FakeSlack in this process (it then competes with the sender for the GIL)."""

    def __init__(self) -> None:
        self.fake = FakeSlack().start()
        self.url = self.fake.url

    def add_users(self, users: list[tuple[str, str, str]]) -> None:
        for user_id, name, tz in users:
            self.fake.add_user(user_id, name=name, tz=tz)

    def rate_limit(self, method: str, per_second: float | None) -> None:
        self.fake.rate_limit(method, per_second)

    def clear(self) -> None:
        self.fake.clear()

    def summary(self, method: str) -> dict[str, Any]:
        return call_summary(self.fake, method)

    def stop(self) -> None:
        self.fake.stop()


def _fake_child(conn: Connection) -> None:
    fake = LocalFake()
    conn.send(fake.url)
    while True:
        op, args = conn.recv()
        result = getattr(fake, op)(*args)
        conn.send(result)
        if op == "stop":
            return


class RemoteFake:
    """FakeSlack in a child process, driven over a pipe: Slack is not in the bot's process, and
    sharing a GIL with it would charge the fake's own work to the sender. time.monotonic() is
    system-wide on Linux, so the call timestamps it reports compare with this process's."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_fake_child, args=(child,), daemon=True)
        self._proc.start()
        self.url: str = self._conn.recv()

    def _ask(self, op: str, *args: Any) -> Any:
        self._conn.send((op, args))
        return self._conn.recv()

    def add_users(self, users: list[tuple[str, str, str]]) -> None:
        self._ask("add_users", users)

    def rate_limit(self, method: str, per_second: float | None) -> None:
        self._ask("rate_limit", method, per_second)

    def clear(self) -> None:
        self._ask("clear")

    def summary(self, method: str) -> dict[str, Any]:
        result: dict[str, Any] = self._ask("summary", method)
        return result

    def stop(self) -> None:
        self._ask("stop")
        self._proc.join(5)


@contextmanager
def fake_slack(where: str) -> Iterator[Fake]:
    fake: Fake = RemoteFake() if where == "process" else LocalFake()
    try:
        yield fake
    finally:
        fake.stop()


# ------------------------------------------------------------------ the bot's side


class RunningClock:
    """Wall time, shifted so that the run starts at `start` (the job's due time)."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)


@contextmanager
def database(postgres_url: str | None) -> Iterator[Engine]:
    """A fresh migrated database: a SQLite file, or a throwaway PostgreSQL schema."""
    if not postgres_url:
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
            migrate(engine)
            try:
                yield engine
            finally:
                engine.dispose()
        return
    schema = "bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(make_engine(postgres_url).url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in postgres_url else "?"
    engine = make_engine(f"{postgres_url}{sep}options=-csearch_path%3D{schema}")
    try:
        migrate(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_deps(engine: Engine, slack_url: str, clock: RunningClock) -> Deps:
    settings = Settings(
        slack_bot_token="xoxb-bench-token",
        slack_signing_secret="bench-signing-secret",
        slack_api_url=slack_url,
        database_url=str(engine.url),
        roles_file=PROJECT_ROOT / "roles.toml",
        cadence_send_rate=SENDER_CEILING,
    )
    return Deps(
        settings=settings,
        engine=engine,
        clock=clock,
        roles=load_roles(settings.roles_file),
        renderer=Renderer(),
        slack=WebClientGateway.create(settings.slack_bot_token, settings.slack_api_url),
    )


def slack_id(i: int) -> str:
    return f"U{i:07d}"


def populate(deps: Deps, fake: Fake, n: int) -> None:
    """N people in Paris (a manager for every 8), in the org chart and in the fake Slack."""
    rows = [
        OrgRow(
            line=i + 2,
            slack_id=slack_id(i),
            email=f"person{i}@example.com",
            name=f"Person{i} Example",
            manager_slack_id=slack_id(i - i % 8) if i % 8 else None,
            role=ROLES[i % len(ROLES)],
            timezone="Europe/Paris",
            hr_admin=False,
        )
        for i in range(n)
    ]
    fake.add_users([(r.slack_id, r.name, r.timezone) for r in rows])
    with session_scope(deps.engine) as session:
        repo.upsert_people(rows, deps.clock.now(), session=session)


def fan_out(deps: Deps, n: int) -> float:
    """Run the weekly check-in job: N rendered DMs into the outbox. Returns the seconds taken."""
    t0 = time.perf_counter()
    report = send_weekly_checkins(deps, deps.clock.now())
    if report.counts.get("queued") != n:
        raise SystemExit(f"expected {n} DMs queued, got {report.counts}")
    return time.perf_counter() - t0


def outbox(engine: Engine) -> dict[str, int]:
    with read_scope(engine) as session:
        return repo.outbox_counts(session=session)


# ------------------------------------------------------------------ one case


@dataclass
class Result:
    name: str
    messages: int
    limit: float | None
    enqueue_s: float
    wall_s: float
    rate: float
    losses: int
    duplicates: int
    rate_limited: int
    errors: int
    unsent_rows: int
    timed_out: bool

    def line(self) -> str:
        share = f"= {self.rate / self.limit:.3f} R" if self.limit else ""
        note = "  TIMED OUT" if self.timed_out else ""
        return (
            f"{self.name:<9} {self.messages:>6} DMs  enqueue {self.enqueue_s:5.1f}s  "
            f"send {self.wall_s:6.1f}s  {self.rate:6.1f}/s {share:<9}  lost {self.losses}  "
            f"dup {self.duplicates}  429s {self.rate_limited}  errors {self.errors}  "
            f"unsent rows {self.unsent_rows}{note}"
        )


def run_case(
    name: str,
    n: int,
    limit: float | None,
    *,
    workers: int,
    fake_where: str,
    postgres_url: str | None,
    timeout: float,
) -> Result:
    with fake_slack(fake_where) as fake, database(postgres_url) as engine:
        clock = RunningClock(FRIDAY_PARIS_15)
        deps = make_deps(engine, fake.url, clock)
        populate(deps, fake, n)
        enqueue_s = fan_out(deps, n)
        fake.clear()
        fake.rate_limit(POST, limit)
        sender = OutboxSender(engine, deps.slack, clock, rate=SENDER_CEILING, workers=workers)
        started = time.monotonic()
        sender.start()
        deadline = started + timeout
        stats = sender.stats
        while time.monotonic() < deadline and stats.sent + stats.failed + stats.skipped < n:
            time.sleep(0.1)
        sender.stop()
        timed_out = stats.sent + stats.failed + stats.skipped < n
        summary = fake.summary(POST)
        counts = outbox(engine)
    per_channel: collections.Counter[str] = summary["per_channel"]
    wall = max(summary["last_ok"] - started, 1e-9)
    ok = sum(per_channel.values())
    return Result(
        name=name,
        messages=n,
        limit=limit,
        enqueue_s=enqueue_s,
        wall_s=wall,
        rate=ok / wall,
        losses=n - len(per_channel),
        duplicates=ok - len(per_channel),
        rate_limited=int(summary["rate_limited"]),
        errors=int(summary["errors"]),
        unsent_rows=n - counts.get("sent", 0),
        timed_out=timed_out,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Outbox fan-out against a rate-limited fake Slack")
    parser.add_argument("--full", action="store_true", help="R=50/s with 10,000 DMs")
    parser.add_argument(
        "--case", choices=["5", "50", "none"], action="append", help="only these cases"
    )
    parser.add_argument("--n", type=int, help="override every case's number of DMs")
    parser.add_argument("--workers", type=int, default=8, help="sender threads (default 8)")
    parser.add_argument("--fake", choices=["process", "inprocess"], default="process")
    parser.add_argument("--postgres", metavar="URL", help="PostgreSQL instead of SQLite")
    args = parser.parse_args(argv)
    cases: list[tuple[str, str, int, float | None]] = [
        ("5", "R=5/s", 300, 5.0),
        ("50", "R=50/s", 10_000 if args.full else 3_000, 50.0),
        ("none", "no limit", 10_000, None),
    ]
    print(
        f"fan-out: sender ceiling {SENDER_CEILING:.0f}/s, {args.workers} sender threads, "
        f"{'PostgreSQL' if args.postgres else 'SQLite'}, fake Slack "
        f"{'in its own process' if args.fake == 'process' else 'in this process'}",
        flush=True,
    )
    for key, name, n, limit in cases:
        if args.case and key not in args.case:
            continue
        n = args.n or n
        budget = 60.0 + (1.5 * n / limit if limit else n / 25.0)
        result = run_case(
            name,
            n,
            limit,
            workers=args.workers,
            fake_where=args.fake,
            postgres_url=args.postgres,
            timeout=budget,
        )
        print(result.line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
