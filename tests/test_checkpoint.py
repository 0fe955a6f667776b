"""SQLite's WAL is copied into the database file by a background thread in the long-running
processes (storage.db.Checkpointer), not by whichever request commits when the WAL crosses
SQLite's threshold: the database file stays current while no writer pays for the copy."""

from __future__ import annotations

import time
from pathlib import Path

from sqlalchemy import text

from cadence.storage.db import AUTOCHECKPOINT_PAGES, Checkpointer, make_engine, migrate


def _write_pages(engine: object, rows: int) -> None:
    with engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("CREATE TABLE IF NOT EXISTS filler (v TEXT)"))
    for _ in range(rows):
        with engine.begin() as conn:  # type: ignore[attr-defined]
            conn.execute(text("INSERT INTO filler VALUES (:v)"), {"v": "x" * 3000})


def test_writers_leave_the_wal_to_the_background_checkpointer(tmp_path: Path) -> None:
    path = tmp_path / "cadence.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    # Writers do not copy the WAL themselves below the backstop: 600 commits of a page each
    # stay in the WAL (SQLite's default threshold, 1,000 pages, is not what applies).
    _write_pages(engine, 600)
    assert AUTOCHECKPOINT_PAGES > 1_000
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == AUTOCHECKPOINT_PAGES
    before = path.stat().st_size  # the database file grows only when the WAL is copied in
    assert (path.parent / "cadence.db-wal").stat().st_size > 600 * 3000
    checkpointer = Checkpointer(engine, every=0.05).start()
    try:
        deadline = time.monotonic() + 10
        while checkpointer.runs == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert checkpointer.runs >= 1
        # The 600 rows of 3,000 bytes are in the database file itself now.
        assert path.stat().st_size - before > 600 * 3000
    finally:
        checkpointer.stop()
        engine.dispose()
