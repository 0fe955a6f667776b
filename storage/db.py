"""Engine and sessions. SQLite gets WAL, a busy timeout and immediate write transactions so
several threads share one file without 'database is locked' reaching a user."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

log = logging.getLogger(__name__)

MIGRATIONS = "cadence.storage:migrations"  # Alembic finds the package's scripts itself


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
            connect_args={"check_same_thread": False, "timeout": 30},
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
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy drive transactions; we issue BEGIN IMMEDIATE ourselves so a writer waits
        # on the busy timeout up front instead of failing on a lock upgrade mid-transaction.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    # Writers in this process take turns on a lock before BEGIN IMMEDIATE, and end their
    # transaction themselves before giving it back: SQLite's busy handler waits in sleeps of up
    # to 100 ms, which under a burst of modal submissions turned 5 ms writes into seconds.
    # Another process (a second `serve` on the same file) still meets the busy timeout.
    write_turn = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        if options.get("cadence_one_statement", False):
            return  # SQLite runs a lone statement as its own transaction
        if options.get("cadence_read_only", False):
            conn.exec_driver_sql("BEGIN")
            return
        write_turn.acquire()
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
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
    __slots__ = ("writes", "finished", "error")

    def __init__(self, writes: Sequence[tuple[Any, dict[str, Any]]]) -> None:
        self.writes = writes
        self.finished = False
        self.error: BaseException | None = None


class GroupCommit:
    """Short writes of concurrent requests, committed together: a request queues its writes
    (statements with their parameters); whoever holds the turn runs everything queued (up to
    `max_batch`) in one transaction, one executemany per statement, statement by statement in
    order of first use, parameters in queue order, and each caller returns once the
    transaction holding its writes has committed. A failing batch is retried request by
    request, so a bad write fails only its own request. Use it for writes whose effects do not
    depend on other requests' writes of the same batch, except that a later request's values
    win."""

    def __init__(self, engine: Engine, max_batch: int = 64) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._turn = threading.Lock()
        self._queue_lock = threading.Lock()
        self._queue: list[_Job] = []

    def execute(self, writes: Sequence[tuple[Any, dict[str, Any]]]) -> None:
        job = _Job(writes)
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
        statements: dict[Any, list[dict[str, Any]]] = {}  # statement -> parameter sets
        for job in batch:
            for statement, params in job.writes:
                statements.setdefault(statement, []).append(params)
        try:
            with session_scope(self._engine) as session:
                conn = session.connection()
                for statement, param_sets in statements.items():
                    conn.execute(statement, param_sets)
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
        for job in batch:
            job.finished = True


@contextmanager
def one_read(engine: Engine) -> Iterator[Connection]:
    """A connection for a single read statement (on SQLite without BEGIN and ROLLBACK around
    it: a lone SELECT is its own transaction). Reads that must agree with each other belong
    in one read_scope."""
    with engine.execution_options(
        cadence_read_only=True, cadence_one_statement=True
    ).connect() as conn:
        yield conn


@contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """A read-only session: on SQLite it does not take the write lock."""
    with Session(
        engine.execution_options(cadence_read_only=True), expire_on_commit=False
    ) as session:
        yield session  # closing ends the transaction; loaded objects stay readable


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not reachable"
        log.warning("database ping failed", exc_info=True)
        return False


_migrate_lock = threading.Lock()
_ADVISORY_MIGRATE = 7_262_633_001


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (safe with several replicas starting)."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", MIGRATIONS)
    with _migrate_lock, engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _ADVISORY_MIGRATE})
            conn.commit()
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            conn.commit()
        finally:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_MIGRATE})
                conn.commit()
