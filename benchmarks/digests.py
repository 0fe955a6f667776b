"""How long the Monday digests take for a large organisation, and how much memory.

10,000 people, 1,000 managers (a tree: every manager has 9 individual contributors and up to
10 managers below), every manager in one time zone so all 1,000 digests are due at once, and
WEEKS weeks of check-ins for everyone (104 weeks: 1.04 M rows). The script bulk-loads the data,
then runs the digests job exactly as the scheduler does (read, compute, render, validate,
write 2,000 outbox rows: digests and chart rows) and prints the time and peak RSS.

    python benchmarks/digests.py                 # SQLite, 26 and 104 weeks of history
    python benchmarks/digests.py --backend postgresql --pg-url postgresql://postgres@127.0.0.1:5432/test

Each (backend, weeks) case runs in its own process so its peak RSS is its own. A script, not
a test: it prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import bindparam, create_engine, insert, text, update  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import col  # noqa: E402

from cadence.config import PROJECT_ROOT, Settings  # noqa: E402
from cadence.delivery.gateway import WebClientGateway  # noqa: E402
from cadence.domain.clock import FixedClock  # noqa: E402
from cadence.domain.periods import weeks_back  # noqa: E402
from cadence.domain.roles import Role, load_roles  # noqa: E402
from cadence.prompts.render import Renderer  # noqa: E402
from cadence.services.deps import Deps  # noqa: E402
from cadence.services.digests import build_digests, load_org, render_digest, send_digests  # noqa: E402
from cadence.storage.db import make_engine, migrate  # noqa: E402
from cadence.storage.models import Person  # noqa: E402

PERIOD = "2026-W47"
NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 09:00 in Paris
CHUNK = 50_000


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def load_people(engine: Engine, people: int, managers: int, roles: list[str]) -> list[int]:
    rows = [
        {
            "slack_id": f"U{i:07d}",
            "email": f"p{i}@example.com",
            "name": f"Person {i}",
            "role": roles[i % len(roles)],
            "timezone": "Europe/Paris",
            "hr_admin": False,
            "active": True,
            "created_at": NOW,
            "updated_at": NOW,
        }
        for i in range(people)
    ]
    with engine.begin() as conn:
        conn.execute(insert(Person), rows)
        ids = [r[0] for r in conn.execute(text("SELECT id FROM person ORDER BY id"))]
        # Managers are the first `managers` people: manager m (m ≥ 1) reports to (m - 1) // 10;
        # the individual contributors are spread 9 per manager.
        links = [{"pid": ids[m], "mid": ids[(m - 1) // 10]} for m in range(1, managers)]
        links += [
            {"pid": ids[i], "mid": ids[(i - managers) % managers]} for i in range(managers, people)
        ]
        stmt = (
            update(Person)
            .where(col(Person.id) == bindparam("pid"))
            .values(manager_id=bindparam("mid"))
        )
        conn.execute(stmt, links)
    return ids


def checkin_rows(ids: list[int], periods: list[str], rng: random.Random):  # type: ignore[no-untyped-def]
    """Tuples in column order, generated lazily in chunks (bounded memory)."""
    ts = NOW.replace(tzinfo=None)
    batch: list[tuple[Any, ...]] = []
    for pid in ids:
        base_q, base_o = rng.uniform(80, 98), rng.uniform(3, 70)
        for period in periods:
            roll = rng.random()
            if roll < 0.02:
                continue  # no check-in that week
            if roll < 0.05:
                batch.append((pid, period, "skipped", None, None, None, "", "", "", "self", ts, ts))
            else:
                blockers = "Waiting on review from <@U0BOSS> & <!here>" if roll > 0.9 else ""
                batch.append(
                    (
                        pid,
                        period,
                        "answered",
                        round(min(100.0, base_q + rng.gauss(0, 3)), 1),
                        float(max(0, round(base_o + rng.gauss(0, base_o * 0.1)))),
                        rng.randint(1, 5),
                        "Closed the backlog",
                        blockers,
                        "Next: the launch",
                        "self",
                        ts,
                        ts,
                    )
                )
            if len(batch) >= CHUNK:
                yield batch
                batch = []
    if batch:
        yield batch


COLUMNS = (
    "person_id, period, status, quality_value, output_value, mood, wins, blockers, priorities,"
    " source, submitted_at, updated_at"
)


def load_checkins(engine: Engine, ids: list[int], periods: list[str]) -> int:
    rng = random.Random(42)
    total = 0
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cur.copy(f"COPY checkin ({COLUMNS}) FROM STDIN") as copy:
                for batch in checkin_rows(ids, periods, rng):
                    for row in batch:
                        copy.write_row(
                            [v.replace(tzinfo=UTC) if isinstance(v, datetime) else v for v in row]
                        )
                    total += len(batch)
        else:
            marks = ",".join("?" * 12)
            cur.execute("BEGIN")  # the engine's SQLite connections autocommit otherwise
            for batch in checkin_rows(ids, periods, rng):
                cur.executemany(
                    f"INSERT INTO checkin ({COLUMNS}) VALUES ({marks})",  # noqa: S608
                    [
                        tuple(v.isoformat(" ") if isinstance(v, datetime) else v for v in r)
                        for r in batch
                    ],
                )
                total += len(batch)
        raw.commit()
    finally:
        raw.close()
    return total


def bench_deps(url: str, engine: Engine, roles: dict[str, Role], now: datetime) -> Deps:
    """Deps for a benchmark: a fixed clock and a Slack gateway that is never called."""
    return Deps(
        settings=Settings(database_url=url, slack_bot_token="xoxb-bench"),
        engine=engine,
        clock=FixedClock(now),
        roles=roles,
        renderer=Renderer(),
        slack=WebClientGateway.create("xoxb-bench", "http://127.0.0.1:9/api/"),  # never called
    )


@contextmanager
def bench_engine(backend: str, pg_url: str) -> Iterator[tuple[str, Engine]]:
    """A migrated, empty database for one benchmark run (a temporary SQLite file, or a fresh
    PostgreSQL schema), removed afterwards."""
    schema = ""
    tmp = tempfile.TemporaryDirectory()
    if backend == "sqlite":
        url = f"sqlite:///{tmp.name}/bench.db"
    else:
        schema = "bench_" + uuid.uuid4().hex[:10]
        admin = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = f"{pg_url}{'&' if '?' in pg_url else '?'}options=-csearch_path%3D{schema}"
    engine = make_engine(url)
    try:
        migrate(engine)
        yield url, engine
    finally:
        engine.dispose()
        if schema:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
        tmp.cleanup()


def run_case(backend: str, weeks: int, people: int, managers: int, pg_url: str) -> dict[str, Any]:
    with bench_engine(backend, pg_url) as (url, engine):
        roles = load_roles(PROJECT_ROOT / "roles.toml")
        t0 = time.perf_counter()
        ids = load_people(engine, people, managers, sorted(roles))
        rows = load_checkins(engine, ids, weeks_back(PERIOD, weeks))
        if backend == "postgresql":
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        load_s = time.perf_counter() - t0
        deps = bench_deps(url, engine, roles, NOW)
        rss_before = rss_mb()
        t1 = time.perf_counter()
        report = send_digests(deps, NOW)
        job_s = time.perf_counter() - t1
        rss_after = rss_mb()
        # On demand (/cadence team): one manager's digest, alone, read with its own queries.
        org = load_org(deps)
        sample = [org.people[i] for i in ids[:managers:20]]
        t2 = time.perf_counter()
        for m in sample:
            [d] = build_digests(deps, org, [(m, PERIOD)], NOW)
            render_digest(deps, d)
        single_ms = (time.perf_counter() - t2) / len(sample) * 1000
        return {
            "backend": backend,
            "weeks": weeks,
            "people": people,
            "managers": managers,
            "checkin_rows": rows,
            "load_s": round(load_s, 1),
            "digests": report.counts.get("digests", 0),
            "outbox_rows": report.counts.get("messages queued", 0),
            "job_s": round(job_s, 2),
            "per_digest_ms": round(job_s / max(1, report.counts.get("digests", 1)) * 1000, 2),
            "single_manager_digest_ms": round(single_ms, 1),
            "peak_rss_mb_before_job": round(rss_before),
            "peak_rss_mb": round(rss_after),
        }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    p.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--people", type=int, default=10_000)
    p.add_argument("--managers", type=int, default=1_000)
    p.add_argument("--weeks", type=int, nargs="*", default=[26, 104])
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # a child process
    args = p.parse_args()
    if args.one:
        result = run_case(args.backend, args.weeks[0], args.people, args.managers, args.pg_url)
        print(json.dumps(result))
        return
    print(f"digests benchmark · {args.backend} · {args.people} people, {args.managers} managers")
    for weeks in args.weeks:
        out = subprocess.run(  # noqa: S603 - this very script, in a fresh process
            [
                sys.executable,
                __file__,
                "--one",
                "--backend",
                args.backend,
                "--pg-url",
                args.pg_url,
                "--people",
                str(args.people),
                "--managers",
                str(args.managers),
                "--weeks",
                str(weeks),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['weeks']:>4} weeks · {r['checkin_rows']:>9,} check-ins (loaded in {r['load_s']} s)"
            f" · {r['digests']} digests + charts = {r['outbox_rows']} outbox rows in {r['job_s']} s"
            f" ({r['per_digest_ms']} ms per digest) · one manager on demand "
            f"{r['single_manager_digest_ms']} ms · peak RSS {r['peak_rss_mb']} MB"
            f" (after loading {r['peak_rss_mb_before_job']} MB)"
        )


if __name__ == "__main__":
    main()
