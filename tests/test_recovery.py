"""Recovery with real processes: kill -9 mid fan-out, a database outage mid fan-out, and a
run-job that cannot send everything says so (DESIGN.md section 7)."""

from __future__ import annotations

import collections
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import pytest
from sqlalchemy.engine import make_url

from cadence.config import PROJECT_ROOT
from tests.conftest import ORG_HEADER, PG_SECRET_KEY
from tests.fakeslack import FakeSlack
from tests.tcpproxy import TcpProxy

AT = "2026-11-20T14:00:00Z"  # Friday 15:00 in Paris: everyone's check-in is due
PEOPLE = 240


def org_csv(n: int) -> str:
    lines = [f"U{i:05d},p{i}@example.com,Person {i},,support,Europe/Paris,false" for i in range(n)]
    return ORG_HEADER + "\n".join(lines) + "\n"


class Cli:
    """`python bot.py ...` as the operator runs it: a real process."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd = cwd
        self.env = env

    def start(self, *argv: str) -> subprocess.Popen[str]:
        return subprocess.Popen(  # noqa: S603
            [sys.executable, str(PROJECT_ROOT / "bot.py"), *argv],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def run(self, *argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [sys.executable, str(PROJECT_ROOT / "bot.py"), *argv],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def make_cli(tmp_path: Path, db_url: str, fake: FakeSlack, rate: int) -> Cli:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "CADENCE_")) and k not in {"DATABASE_URL", "PORT"}
    }
    env.update(
        DATABASE_URL=db_url,
        SLACK_BOT_TOKEN="xoxb-recovery-test",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=fake.url,
        CADENCE_SEND_RATE=str(rate),
        CADENCE_LOG_LEVEL="WARNING",
    )
    if not db_url.startswith("sqlite"):
        env["CADENCE_SECRET_KEY"] = PG_SECRET_KEY
    cli = Cli(tmp_path, env)
    (tmp_path / "org.csv").write_text(org_csv(PEOPLE))
    imported = cli.run("import-org", "org.csv")
    assert imported.returncode == 0, imported.stderr
    return cli


def dms(fake: FakeSlack) -> collections.Counter[str]:
    return collections.Counter(
        str(c.args["channel"]) for c in fake.calls("chat.postMessage") if c.ok
    )


def wait_for_posts(fake: FakeSlack, n: int, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while fake.count("chat.postMessage") < n:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the fan-out never got going"
        time.sleep(0.01)


def assert_everyone_got_their_dm(fake: FakeSlack) -> None:
    got = dms(fake)
    assert set(got) == {f"U{i:05d}" for i in range(PEOPLE)}  # nobody left without their DM
    assert sum(got.values()) - len(got) <= 1  # at most one repeat in total


def test_kill_9_mid_fan_out_then_an_immediate_rerun_sends_everyone_their_dm(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    cli = make_cli(tmp_path, db_url, fake, rate=60)
    first = cli.start("run-job", "checkins", "--at", AT)
    wait_for_posts(fake, 60, first)
    os.kill(first.pid, signal.SIGKILL)
    first.wait(10)
    got = dms(fake)
    assert 0 < len(got) < PEOPLE  # killed mid fan-out

    started = time.monotonic()
    # The dead process's claims are taken over within seconds (no five-minute lease): the
    # immediate re-run sends the rest and exits 0 (it must finish within 30 s).
    rerun = cli.run("run-job", "checkins", "--at", AT, timeout=30)
    took = time.monotonic() - started
    assert rerun.returncode == 0, rerun.stderr
    assert "Traceback" not in rerun.stderr
    assert_everyone_got_their_dm(fake)
    print(f"kill -9 recovery: the re-run finished in {took:.1f} s")  # noqa: T201


def test_run_job_says_what_it_could_not_send_and_exits_non_zero(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    cli = make_cli(tmp_path, db_url, fake, rate=500)
    fake.fail_next("chat.postMessage", 2, status=503)
    result = cli.run("run-job", "checkins", "--at", AT)
    assert result.returncode == 1
    assert "sent 238" in result.stdout and "retrying later 2" in result.stdout
    assert "2 messages are not sent yet: 2 to be retried later" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(dms(fake)) == PEOPLE - 2


@pytest.fixture
def outage(db_url: str, tmp_path: Path) -> Iterator[tuple[str, Outage]]:
    """A database the test can take away for a while: on SQLite another process holds the
    file's lock (as a backup tool or a stuck migration would), on PostgreSQL a proxy the test
    controls drops every connection and refuses new ones."""
    if db_url.startswith("sqlite"):
        yield db_url, SqliteOutage(str(make_url(db_url).database))
        return
    url = make_url(db_url)
    with TcpProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port)
        yield proxied.render_as_string(hide_password=False), proxy


class Outage(Protocol):
    def down(self) -> None: ...

    def up(self) -> None: ...


class SqliteOutage:
    def __init__(self, path: str) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None

    def down(self) -> None:
        self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.conn.execute("BEGIN EXCLUSIVE")

    def up(self) -> None:
        assert self.conn is not None
        self.conn.execute("ROLLBACK")
        self.conn.close()


def test_a_database_outage_mid_fan_out_is_ridden_out_and_sends_nothing_twice(
    tmp_path: Path, outage: tuple[str, Outage], fake: FakeSlack
) -> None:
    url, switch = outage
    cli = make_cli(tmp_path, url, fake, rate=60)
    job = cli.start("run-job", "checkins", "--at", AT)
    wait_for_posts(fake, 60, job)
    switch.down()
    during = fake.count("chat.postMessage")
    time.sleep(8)
    sent_during_outage = fake.count("chat.postMessage") - during
    switch.up()
    out, err = job.communicate(timeout=120)
    assert job.returncode == 0, err
    assert "Traceback" not in err
    assert "database unavailable" in err and "database is back" in err
    got = dms(fake)
    assert set(got) == {f"U{i:05d}" for i in range(PEOPLE)}
    assert max(got.values()) == 1  # nothing sent twice
    assert sent_during_outage <= 2  # the sender paused (one message per thread in flight)
    assert f"sent {PEOPLE}" in out
    print(f"outage: {during} sent before, {sent_during_outage} during; log:\n{err}")  # noqa: T201


def test_a_dead_senders_claims_are_not_taken_over_while_it_lives(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    """A second run-job while the first is still sending leaves the first one's messages to
    it (no message twice), and both end with everyone served."""
    cli = make_cli(tmp_path, db_url, fake, rate=60)
    first = cli.start("run-job", "checkins", "--at", AT)
    wait_for_posts(fake, 30, first)
    second = cli.start("run-job", "checkins", "--at", AT)
    results = [p.communicate(timeout=60) for p in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], results
    got = dms(fake)
    assert set(got) == {f"U{i:05d}" for i in range(PEOPLE)}
    assert max(got.values()) == 1


def test_start_up_waits_a_bounded_time_for_the_migration_lock(
    tmp_path: Path, db_url: str, fake: FakeSlack
) -> None:
    cli = make_cli(tmp_path, db_url, fake, rate=500)  # migrated once by import-org
    cli.env["CADENCE_MIGRATION_WAIT"] = "2"
    holder = _hold_migration_lock(db_url)
    try:
        result = cli.run("migrate", timeout=30)
    finally:
        holder()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    [sentence] = result.stderr.strip().splitlines()
    assert "locked for 2 s" in sentence and "CADENCE_MIGRATION_WAIT" in sentence
    assert cli.run("migrate").returncode == 0  # once the other process is done


def _hold_migration_lock(db_url: str) -> Callable[[], None]:
    """Another process in the middle of a migration; returns how to end it."""
    if db_url.startswith("sqlite"):
        conn = sqlite3.connect(str(make_url(db_url).database), isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")

        def end() -> None:
            conn.execute("ROLLBACK")
            conn.close()

        return end
    from sqlalchemy import text

    from cadence.storage.db import _ADVISORY_MIGRATE, make_engine

    engine = make_engine(db_url)
    pg = engine.connect()
    pg.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _ADVISORY_MIGRATE})
    pg.commit()

    def release() -> None:
        pg.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_MIGRATE})
        pg.commit()
        pg.close()
        engine.dispose()

    return release
