"""`python bot.py backup FILE`: a consistent copy of the SQLite database, taken while Cadence
runs and writes (SQLite's online backup API reads one snapshot; writers are not stopped)."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

PG_DUMP = (
    "backup copies SQLite databases only; for PostgreSQL use pg_dump, e.g. "
    'pg_dump --format=custom --file=cadence.dump "$DATABASE_URL" (README, Backups).'
)


class BackupError(Exception):
    """A backup that cannot be made; the message is one sentence for the operator."""


@dataclass(frozen=True, slots=True)
class Backup:
    source: Path
    dest: Path
    pages: int


def sqlite_file(database_url: str) -> Path:
    """The database file of a sqlite:/// URL (BackupError for any other database)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        raise BackupError(PG_DUMP)
    if not url.database or url.database == ":memory:":
        raise BackupError("DATABASE_URL names an in-memory SQLite database: nothing to back up.")
    return Path(url.database).resolve()


def backup_sqlite(database_url: str, dest: Path) -> Backup:
    """Copy the database to `dest` (replaced atomically), as one self-contained file (no -wal)
    that passes PRAGMA integrity_check."""
    source = sqlite_file(database_url)
    if not source.is_file():
        raise BackupError(f"There is no database at {source}: nothing to back up.")
    dest = dest.resolve()
    if dest == source:
        raise BackupError(f"{dest} is the database itself: choose another file for the backup.")
    partial = dest.with_name(dest.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        src = sqlite3.connect(source, timeout=30)
        try:
            dst = sqlite3.connect(partial)
            try:
                src.backup(dst)  # all pages in one step: one consistent snapshot
                dst.execute("PRAGMA journal_mode=DELETE")  # the copy needs no -wal beside it
                verdict = dst.execute("PRAGMA integrity_check").fetchone()[0]
                pages = int(dst.execute("PRAGMA page_count").fetchone()[0])
            finally:
                dst.close()
        finally:
            src.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"Could not back up {source} to {dest}: {exc}.") from None
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"Could not write {dest}: {exc.strerror}.") from None
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"The copy of {source} failed its integrity check ({verdict}).")
    os.replace(partial, dest)
    return Backup(source=source, dest=dest, pages=pages)
