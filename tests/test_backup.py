"""`python bot.py backup FILE`: a consistent SQLite copy while Cadence writes, and a restore
done the way the README says (stop, copy the file back, start)."""

from __future__ import annotations

import gc
import shutil
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from cadence.storage import repo
from cadence.storage.db import make_engine, migrate, read_scope, session_scope
from cadence.storage.models import AuditEvent, Person
from tests.conftest import ORG
from tests.test_cli import env, run  # noqa: F401  (env: the CLI fixture)

NOW = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def count(url: str, model: type[AuditEvent] | type[Person]) -> int:
    engine = make_engine(url)
    with read_scope(engine) as s:
        n = int(s.execute(select(func.count()).select_from(model)).scalar_one())
    engine.dispose()
    return n


@pytest.fixture
def sqlite_env(env: Path, db_url: str) -> Path:  # noqa: F811
    if not db_url.startswith("sqlite"):
        pytest.skip("backup copies SQLite databases; PostgreSQL is covered below")
    return env


def test_backup_while_writing_then_restore(sqlite_env: Path, db_url: str) -> None:
    env = sqlite_env  # noqa: F811
    (env / "org.csv").write_text(ORG)
    assert run("import-org", "org.csv")[0] == 0
    engine = make_engine(db_url)
    stop, written = threading.Event(), [0]
    some_written = threading.Event()

    def writer() -> None:  # Cadence at work: one committed row after another
        while not stop.is_set():
            with session_scope(engine) as s:
                repo.audit("cli", "test.write", str(written[0]), "", NOW, session=s)
            written[0] += 1
            if written[0] >= 50:
                some_written.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        assert some_written.wait(30)
        code, out, err = run("backup", "copy.db")
        at_backup = written[0]
    finally:
        stop.set()
        thread.join(10)
    engine.dispose()
    assert code == 0, err
    assert "integrity ok" in out and str(env / "copy.db") in out
    copy = env / "copy.db"
    assert not (env / "copy.db-wal").exists()
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy_url = f"sqlite:///{copy}"
    in_copy = count(copy_url, AuditEvent)
    assert 50 <= in_copy <= at_backup + 1  # a snapshot taken while the writes went on
    assert count(copy_url, Person) == 5
    assert count(db_url, AuditEvent) >= in_copy

    # Restore: stop Cadence (the writer is gone; close the connections the CLI runs left open),
    # copy the backup over the database, drop its -wal/-shm, start.
    gc.collect()
    live = Path(db_url.removeprefix("sqlite:///"))
    shutil.copyfile(copy, live)
    for suffix in ("-wal", "-shm"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    restored = make_engine(db_url)
    migrate(restored)
    restored.dispose()
    assert count(db_url, AuditEvent) == in_copy
    assert count(db_url, Person) == 5
    assert run("migrate")[0] == 0


def test_backup_refuses_to_overwrite_the_database_itself(sqlite_env: Path, db_url: str) -> None:
    assert run("migrate")[0] == 0
    code, _, err = run("backup", db_url.removeprefix("sqlite:///"))
    assert code == 2 and "is the database itself" in err


def test_backup_of_postgresql_points_to_pg_dump(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("DATABASE_URL", "postgresql://cadence@db.example/cadence")
    code, out, err = run("backup", "copy.db")
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and "pg_dump" in err
    assert not (env / "copy.db").exists()
