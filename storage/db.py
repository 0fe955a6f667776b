"""Engine and sessions. SQLite gets WAL, a busy timeout and immediate write transactions so
several threads share one file without 'database is locked' reaching a user."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sqlite3
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import (
    DBAPIError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
    StatementError,
)
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

from cadence.storage.turns import step_aside_if_long

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
_T = TypeVar("_T")

MIGRATIONS = "cadence.storage:migrations"  # Alembic finds the package's scripts itself
# How long a statement waits for a lock (SQLite's busy timeout; PostgreSQL's lock_timeout) or
# runs (PostgreSQL's statement_timeout) before it fails instead of hanging: requests answer,
# and background writers retry through storage.db.ride_out.
BUSY_TIMEOUT = 5.0
STATEMENT_TIMEOUT = 30.0


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, aware UTC out, on every backend (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def make_engine(url: str) -> Engine:
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT},
            # Pooled connections: opening one (and the WAL checkpoint on closing the last one)
            # cost more than the short transactions themselves. The pool keeps one for every
            # thread that may hold one at once (HTTP threads, sender, scheduler): an overflow
            # connection is closed when given back, and under a burst of submissions
            # reopening them cost about 0.5 ms of CPU per request. LIFO keeps the warm ones busy.
            poolclass=QueuePool,
            pool_size=32,
            max_overflow=30,
            pool_use_lifo=True,
        )
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if engine.dialect.name == "postgresql":
        _configure_postgres(engine)
    return engine


def _configure_postgres(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # No statement waits for a lock, or runs, forever (migrate() lifts these for itself).
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET statement_timeout = {int(STATEMENT_TIMEOUT * 1000)}")
            cur.execute(f"SET lock_timeout = {int(BUSY_TIMEOUT * 1000)}")
        dbapi_conn.commit()


class _SqliteFile:
    """The database file an engine opened first (device, inode). A file deleted or replaced
    under a running process would take writes that nobody ever reads again (the open
    connections keep the old inode): writes and new connections then fail instead, and
    /healthz says why."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.opened: tuple[int, int] | None = None

    def now(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return st.st_dev, st.st_ino

    def problem(self) -> str | None:
        if self.opened is None:
            return None
        current = self.now()
        if current is None:
            return (
                f"the database file {self.path} is gone (deleted or moved); restore it and restart"
            )
        if current != self.opened:
            return f"the database file {self.path} was replaced since start-up; restart Cadence"
        return None

    def check(self, statement: str) -> None:
        problem = self.problem()
        if problem is not None:
            raise OperationalError(statement, None, sqlite3.OperationalError(problem))


_SQLITE_FILES: weakref.WeakKeyDictionary[Engine, _SqliteFile] = weakref.WeakKeyDictionary()
# SQLite engines' write turns (see _configure_sqlite), for write_transaction.
_WRITE_TURNS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()


def _configure_sqlite(engine: Engine) -> None:
    path = engine.url.database or ""
    file = None
    if path and path != ":memory:" and not path.startswith("file:"):
        file = _SQLITE_FILES[engine] = _SqliteFile(os.path.abspath(path))

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        if file is not None:
            if file.opened is None:
                file.opened = file.now()
            else:
                file.check("connect")
        # Let SQLAlchemy drive transactions; we issue BEGIN IMMEDIATE ourselves so a writer waits
        # on the busy timeout up front instead of failing on a lock upgrade mid-transaction.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        # A writer checkpoints the WAL itself only as a backstop (40 MB); long-running
        # processes copy it into the database in the background (Checkpointer), so no
        # request waits on a checkpoint's disk writes while holding the write lock.
        cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        cur.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    # Writers in this process take turns on a lock before BEGIN IMMEDIATE, and end their
    # transaction themselves before giving it back: SQLite's busy handler waits in sleeps of up
    # to 100 ms, which under a burst of modal submissions turned 5 ms writes into seconds.
    # Another process (a second `serve` on the same file) still meets the busy timeout.
    write_turn = _WRITE_TURNS[engine] = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def _before_statement(*_args: Any) -> None:
        step_aside_if_long()  # a long request lets the others have their turns (storage/turns)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("cadence_read_only", False):
            conn.exec_driver_sql("BEGIN")
            return
        write_turn.acquire()
        try:
            _begin_immediate(file, conn.exec_driver_sql)
        except BaseException:
            write_turn.release()
            raise
        conn.info["cadence_write_turn"] = True

    def _end(conn: Any, statement: str) -> None:
        if not conn.info.pop("cadence_write_turn", False):
            return
        try:
            dbapi = conn.connection.dbapi_connection
            if dbapi is not None and dbapi.in_transaction:
                dbapi.execute(statement)  # SQLAlchemy's own commit/rollback then has no work
        finally:
            write_turn.release()

    @event.listens_for(engine, "commit")
    def _on_commit(conn: Any) -> None:
        _end(conn, "COMMIT")

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn: Any) -> None:
        _end(conn, "ROLLBACK")


def _begin_immediate(file: _SqliteFile | None, execute: Callable[[str], object]) -> None:
    """How a write transaction starts on SQLite, its writer holding the process's write turn:
    the file must still be the one opened (_SqliteFile), then BEGIN IMMEDIATE."""
    if file is not None:
        file.check("BEGIN IMMEDIATE")
    execute("BEGIN IMMEDIATE")


AUTOCHECKPOINT_PAGES = 10_000  # the writers' own checkpoint, a backstop (4 KiB pages)


class Checkpointer:
    """SQLite only: copies the WAL into the database file every `every` seconds on a thread of
    its own and its own connection (a PASSIVE checkpoint: it takes no lock that readers or
    writers wait on). Without it the writer whose commit crosses SQLite's threshold does the
    copy and its fsync itself, while holding the write lock: about 10 ms every few seconds
    under load, charged to whichever request commits then and to every request queued behind
    it. Started by the long-running commands (run, serve, scheduler); one-shot commands leave
    it to the backstop and to SQLite's checkpoint when the last connection closes."""

    def __init__(self, engine: Engine, every: float = 1.0) -> None:
        self.path = engine.url.database or ""
        self.every = every
        self.runs = 0  # checkpoints that copied frames
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @staticmethod
    def applies(engine: Engine) -> bool:
        return engine.dialect.name == "sqlite" and engine in _SQLITE_FILES

    def start(self) -> Checkpointer:
        self._thread = threading.Thread(target=self._loop, name="wal-checkpoint", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _loop(self) -> None:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, check_same_thread=False)
        try:
            while not self._stop.wait(self.every):
                try:
                    busy, frames, copied = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                except sqlite3.Error as exc:  # the file gone, a disk error: the backstop remains
                    log.warning("background WAL checkpoint failed: %s", exc)
                    continue
                if copied > 0 and not busy:
                    self.runs += 1
        finally:
            conn.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One short transaction: commit on success, roll back on error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


class _Job:
    __slots__ = ("writes", "probe", "order", "found", "finished", "error")

    def __init__(
        self,
        writes: Sequence[tuple[Any, dict[str, Any]]],
        probe: tuple[Any, dict[str, Any]] | None = None,
        order: str = "",
    ) -> None:
        self.writes = writes
        self.probe = probe
        self.order = order
        self.found = False
        self.finished = False
        self.error: BaseException | None = None


class GroupCommit:
    """Short writes of concurrent requests, committed together: a request queues its writes
    (statements with their parameters); whoever holds the turn runs everything queued (up to
    `max_batch`) in one transaction, one executemany per statement, statement by statement in
    order of first use, then each request's probe (a statement run on its own, whose first row
    the request gets back), and each caller returns once the transaction holding its writes
    has committed. Requests run in the order of their `order` key (what they write, such as
    the person and week), queue order among equal keys: two processes' batches then lock the
    same rows in the same order, and never wait on each other in a cycle (PostgreSQL would
    break the deadlock only after a second). A failing batch is retried request by
    request, so a bad write fails only its own request. Use it for writes whose effects do not
    depend on other requests' writes of the same batch, except that a later request's values
    win."""

    def __init__(self, engine: Engine, max_batch: int = 64) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._turn = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Job] = []

    @property
    def dialect(self) -> str:
        return self._engine.dialect.name

    def execute(self, writes: Sequence[tuple[Any, dict[str, Any]]], order: str = "") -> None:
        self._run(_Job(writes, order=order))

    def probe(
        self,
        statement: Any,
        params: dict[str, Any],
        writes: Sequence[tuple[Any, dict[str, Any]]] = (),
        order: str = "",
    ) -> bool:
        """`writes`, then `statement` (for example an INSERT ... ON CONFLICT DO NOTHING
        RETURNING) in the next batch: whether it returned a row."""
        job = _Job(writes, (statement, params), order)
        self._run(job)
        return job.found

    def _run(self, job: _Job) -> None:
        with self._queue_lock:
            self._queue.append(job)
        while not job.finished:
            with self._turn:
                if job.finished:  # an earlier turn committed it
                    break
                with self._queue_lock:
                    batch = self._queue[: self._max_batch]
                    del self._queue[: self._max_batch]
                self._commit(batch)
        if job.error is not None:
            raise job.error

    def _commit(self, batch: list[_Job]) -> None:
        batch = sorted(batch, key=lambda job: job.order)  # stable: queue order among equals
        statements: dict[Any, list[dict[str, Any]]] = {}  # statement -> parameter sets
        for job in batch:
            for statement, params in job.writes:
                statements.setdefault(statement, []).append(params)
        found: list[bool] = []
        try:
            dialect = self._engine.dialect
            with write_transaction(self._engine) as conn:
                cursor = conn.cursor()
                try:
                    for statement, param_sets in statements.items():
                        prepared(statement, dialect).run(conn, cursor, param_sets)
                    for job in batch:
                        if job.probe is not None:
                            statement, params = job.probe
                            found.append(prepared(statement, dialect).run(conn, cursor, [params]))
                finally:
                    cursor.close()
        except Exception as exc:
            if len(batch) == 1:
                batch[0].error = exc
                batch[0].finished = True
                return
            for job in batch:
                self._commit([job])
            return
        except BaseException as exc:  # interrupted: nobody may wait forever
            for job in batch:
                job.error, job.finished = exc, True
            raise
        answers = iter(found)
        for job in batch:
            if job.probe is not None:
                job.found = next(answers)
            job.finished = True


class Prepared:
    """A Core statement compiled once for a dialect and run on the DBAPI cursor, with
    SQLAlchemy's own conversions (the types' bind and result processors, literal values). The
    interactive hot path runs this way: the group commit's writes, and the read of who is
    asking (repo.person_by_slack_id). SQLAlchemy's per-execution work (cache key, execution
    context, result set-up, events) cost about 60 µs a statement, against about 10 µs for
    the driver, and a check-in submission runs six. Driver errors come out as SQLAlchemy's
    (sqlalchemy.exc.DBAPIError and its kinds), as from Connection.execute. Get one through
    `prepared`, which compiles each statement once per dialect."""

    __slots__ = ("sql", "compiled", "names", "processors", "columns", "dialect")

    def __init__(self, statement: Any, dialect: Any) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.post_compile_params or compiled.literal_execute_params:
            raise ValueError("an expanding parameter is not supported; use one bindparam each")
        self.sql: str = compiled.string
        self.compiled = compiled
        self.dialect = dialect
        self.names: Sequence[str] | None = compiled.positiontup  # None: named parameters
        self.processors: dict[str, Callable[[Any], Any]] = {}
        for bind, key in compiled.bind_names.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.processors[compiled.escaped_bind_names.get(key, key)] = processor
        self.columns: list[tuple[str, Callable[[Any], Any] | None]] = [
            (column.key, column.type.dialect_impl(dialect).result_processor(dialect, None))
            for column in getattr(statement, "selected_columns", ())
        ]

    def parameters(self, params: dict[str, Any]) -> Any:
        values = self.compiled.construct_params(params)
        for name, processor in self.processors.items():
            values[name] = processor(values[name])
        return values if self.names is None else tuple(values[name] for name in self.names)

    def run(self, conn: Any, cursor: Any, param_sets: list[dict[str, Any]]) -> bool:
        """Execute for each parameter set (one executemany) on `cursor` of the pooled
        connection `conn` (write_transaction's); whether a lone execution returned a row (a
        statement with RETURNING)."""
        rows = [self.parameters(params) for params in param_sets]
        try:
            if len(rows) == 1:
                cursor.execute(self.sql, rows[0])
                return cursor.description is not None and bool(cursor.fetchall())
            cursor.executemany(self.sql, rows)
            return False
        except self.dialect.loaded_dbapi.Error as exc:
            raise driver_error(self.dialect, exc, conn, self.sql, rows, cursor) from exc

    def first(self, engine: Engine, params: dict[str, Any]) -> dict[str, Any] | None:
        """The first row of a lone read, {column key: value}, on a pooled connection of its
        own: on SQLite without BEGIN and ROLLBACK (a lone SELECT is its own transaction). Reads
        that must agree with each other belong in one read_scope."""
        values = self.parameters(params)
        conn = engine.raw_connection()
        try:
            cursor = conn.cursor()
            try:
                cursor.execute(self.sql, values)
                row = cursor.fetchone()
            except self.dialect.loaded_dbapi.Error as exc:
                raise driver_error(self.dialect, exc, conn, self.sql, values, cursor) from exc
            finally:
                cursor.close()
        finally:
            conn.close()  # back to the pool, which ends a transaction the driver began
        if row is None:
            return None
        return {
            key: value if process is None else process(value)
            for (key, process), value in zip(self.columns, row, strict=True)
        }


def driver_error(
    dialect: Any, exc: Exception, conn: Any, statement: str, params: Any = None, cursor: Any = None
) -> StatementError:
    """A driver's error on the pooled connection `conn` as SQLAlchemy raises it from
    Connection.execute (sqlalchemy.exc.DBAPIError, of the same kind: OperationalError,
    IntegrityError, ...); a lost connection is invalidated, so the pool opens a new one."""
    lost = conn.dbapi_connection is not None and bool(
        dialect.is_disconnect(exc, conn.dbapi_connection, cursor)
    )
    if lost:
        conn.invalidate(exc)
    return DBAPIError.instance(
        statement,
        params,
        exc,
        dialect.loaded_dbapi.Error,
        connection_invalidated=lost,
        dialect=dialect,
    )


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Any]:
    """A write transaction on a pooled driver connection, without SQLAlchemy's Connection and
    its events (about 50 µs less per transaction; the group commit's). On SQLite it takes what
    every write transaction takes (_configure_sqlite): the process's write turn, the file
    check and BEGIN IMMEDIATE; on PostgreSQL the driver begins with the first statement.
    Commits when the block ends, rolls back when it raises; driver errors come out as
    SQLAlchemy's (driver_error)."""
    dialect = engine.dialect
    turn = _WRITE_TURNS.get(engine)
    conn = engine.raw_connection()
    try:
        with turn if turn is not None else contextlib.nullcontext():
            if turn is not None:
                sqlite: Any = conn.dbapi_connection  # a sqlite3.Connection
                try:
                    _begin_immediate(_SQLITE_FILES.get(engine), sqlite.execute)
                except dialect.loaded_dbapi.Error as exc:
                    raise driver_error(dialect, exc, conn, "BEGIN IMMEDIATE") from exc
            try:
                yield conn
                try:
                    conn.commit()
                except dialect.loaded_dbapi.Error as exc:
                    raise driver_error(dialect, exc, conn, "COMMIT") from exc
            except BaseException:
                _rollback(conn)
                raise
    finally:
        conn.close()


def _rollback(conn: Any) -> None:
    """Roll back what a failed write transaction began, without hiding why it failed: a
    connection that cannot even roll back is invalidated instead."""
    if conn.dbapi_connection is None:  # invalidated already
        return
    try:
        conn.rollback()
    except Exception as exc:  # noqa: BLE001 - the first error is the one to report
        conn.invalidate(exc)


_PREPARED: dict[tuple[Any, Any], Prepared] = {}


def prepared(statement: Any, dialect: Any) -> Prepared:
    """`statement` compiled for `dialect`, once (callers build their statements once; a
    bound keeps one that does not from growing the cache forever)."""
    found = _PREPARED.get((statement, dialect))
    if found is None:
        if len(_PREPARED) >= 512:
            _PREPARED.clear()
        found = _PREPARED[(statement, dialect)] = Prepared(statement, dialect)
    return found


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A read-only session: on SQLite it does not take the write lock."""
    with Session(
        engine.execution_options(cadence_read_only=True), expire_on_commit=False
    ) as session:
        yield session  # closing ends the transaction; loaded objects stay readable


HEALTH_TIMEOUT = 0.8  # seconds the health check's statements may wait or run


@functools.cache
def head_revision() -> str:
    """The Alembic revision this code needs."""
    from alembic.script import ScriptDirectory

    return str(ScriptDirectory.from_config(_alembic_config()).get_current_head())


def health_problem(engine: Engine) -> str | None:
    """None when a request would succeed; otherwise what is wrong, in one sentence: the
    database unreachable, its schema missing or at another revision, read-only, its write
    lock unobtainable, or (SQLite) its file deleted or replaced under the running process."""
    file = _SQLITE_FILES.get(engine)
    if file is not None and (problem := file.problem()) is not None:
        return problem
    postgres = engine.dialect.name == "postgresql"
    millis = int(HEALTH_TIMEOUT * 1000)
    try:
        with engine.execution_options(cadence_read_only=True).connect() as conn:
            if postgres:
                conn.execute(text(f"SET LOCAL statement_timeout = {millis}"))
                conn.execute(text(f"SET LOCAL lock_timeout = {millis}"))
            try:
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            except (OperationalError, ProgrammingError) as exc:
                if not is_outage(exc) or "alembic_version" in str(exc.orig):
                    return "the database has no Cadence schema (run python bot.py migrate)"
                raise
            if revision != head_revision():
                return (
                    f"the database schema is at revision {revision}, "
                    f"this version of Cadence needs {head_revision()}"
                )
            if postgres and conn.execute(text("SHOW transaction_read_only")).scalar() == "on":
                return "the database is read-only"
        if file is not None:
            _sqlite_write_probe(engine, millis)
    except Exception as exc:  # whatever it is, requests would fail the same way
        log.warning("health check failed: %s", outage_reason(exc))
        return f"the database is unavailable ({outage_reason(exc)})"
    return None


def _sqlite_write_probe(engine: Engine, millis: int) -> None:
    """Take and give back the write lock, waiting at most `millis` for it."""
    with engine.connect() as conn:
        raw: Any = conn.connection.dbapi_connection
        raw.execute(f"PRAGMA busy_timeout={millis}")
        try:
            with conn.begin():
                pass
        finally:
            raw.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT * 1000)}")


_migrate_lock = threading.Lock()
_ADVISORY_MIGRATE = 7_262_633_001


def schema_revision(engine: Engine) -> tuple[str | None, str | None, bool]:
    """(the database's Alembic revision or None, the newest revision the code ships, whether
    the code knows the database's revision). Reads only; does not migrate."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    scripts = ScriptDirectory.from_config(_alembic_config())
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    try:
        known = current is None or scripts.get_revision(current) is not None
    except CommandError:
        known = False
    return current, scripts.get_current_head(), known


def _alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    return cfg


MIGRATION_WAIT = 60.0


class MigrationLockTimeout(Exception):
    """Another process kept the database locked (migrating) for longer than we would wait."""


def migrate(engine: Engine, wait: float = MIGRATION_WAIT) -> None:
    """Bring the schema to the newest Alembic revision (safe with several replicas starting).
    Waits at most `wait` seconds for another process's migration, then raises
    MigrationLockTimeout."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from alembic import command

    cfg = _alembic_config()
    deadline = time.monotonic() + wait
    with _migrate_lock, engine.connect() as conn:
        postgres = conn.dialect.name == "postgresql"
        if postgres:
            # DDL may wait for requests' locks, up to the same deadline; no statement limit.
            conn.execute(text("SET statement_timeout = 0"))
            conn.execute(text(f"SET lock_timeout = {int(wait * 1000)}"))
            while not conn.execute(
                text("SELECT pg_try_advisory_lock(:k)"), {"k": _ADVISORY_MIGRATE}
            ).scalar():
                conn.commit()
                if time.monotonic() >= deadline:
                    raise MigrationLockTimeout(wait)
                time.sleep(0.25)
            conn.commit()
        try:
            cfg.attributes["connection"] = conn
            while True:
                try:
                    command.upgrade(cfg, "head")
                    conn.commit()
                    break
                except OperationalError as exc:
                    # SQLite: another process holds the file's write lock (migrating).
                    conn.rollback()
                    if postgres or "locked" not in str(exc.orig):
                        raise
                    if time.monotonic() >= deadline:
                        raise MigrationLockTimeout(wait) from None
        finally:
            if postgres:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_MIGRATE})
                conn.execute(text(f"SET statement_timeout = {int(STATEMENT_TIMEOUT * 1000)}"))
                conn.execute(text(f"SET lock_timeout = {int(BUSY_TIMEOUT * 1000)}"))
                conn.commit()


# ---------------------------------------------------------------- outages

OUTAGE_PATIENCE = 300.0  # seconds a background writer keeps retrying before it gives up
_OUTAGE_BACKOFF = (0.2, 0.5, 1.0, 2.0, 3.0, 5.0)


def is_outage(exc: BaseException) -> bool:
    """The database could not be reached or was busy (worth retrying), as opposed to a bad
    statement or a constraint (not worth it)."""
    return isinstance(exc, OperationalError | InterfaceError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    )


def outage_reason(exc: BaseException) -> str:
    """One line about an outage, without parameters or credentials."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [""])[0][:200]
    return f"{type(orig).__name__}: {first}" if first else type(orig).__name__


def ride_out(
    what: str,
    work: Callable[[], _T],
    *,
    patience: float = OUTAGE_PATIENCE,
    stop: threading.Event | None = None,
) -> _T:
    """Run `work` (one short transaction), retrying with backoff while the database is
    unavailable, for up to `patience` seconds; then the last error propagates. Logs one line
    when an outage starts and one when it ends."""
    started: float | None = None
    attempt = 0
    while True:
        try:
            result = work()
        except Exception as exc:
            if not is_outage(exc):
                raise
            now = time.monotonic()
            if started is None:
                started = now
                log.warning(
                    "database unavailable while %s (%s); pausing and retrying for up to %ds",
                    what,
                    outage_reason(exc),
                    patience,
                )
            if now - started >= patience or (stop is not None and stop.is_set()):
                raise
            pause = _OUTAGE_BACKOFF[min(attempt, len(_OUTAGE_BACKOFF) - 1)]
            attempt += 1
            if stop is not None:
                stop.wait(pause)
            else:
                time.sleep(pause)
            continue
        if started is not None:
            log.warning(
                "database is back after %.1f s; %s went through", time.monotonic() - started, what
            )
        return result


@contextmanager
def job_lock(engine: Engine, name: str) -> Iterator[bool]:
    """On PostgreSQL, one scheduler replica at a time runs a job (advisory lock; the others
    skip the tick). On SQLite there is one scheduler process by design: always True."""
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = zlib.crc32(f"cadence-job:{name}".encode())
    with engine.connect() as conn:
        got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        try:
            yield got
        finally:
            if got:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
            conn.commit()
