"""GET /healthz tells the truth: 503 (with the reason) whenever requests would fail, within a
second even while the database is locked; and a deleted SQLite file takes no more writes."""

from __future__ import annotations

import os
import sqlite3
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from cadence.services.deps import Deps
from cadence.storage import replay_repo, repo
from cadence.storage.db import head_revision, session_scope
from tests.conftest import HttpApp


def healthz(http_app: HttpApp) -> tuple[int, str]:
    resp = http_app.request("/healthz", method="GET")
    return resp.status, resp.body.decode()


def test_healthz_is_200_when_requests_would_succeed(http_app: HttpApp) -> None:
    assert healthz(http_app) == (200, "ok")


def test_a_deleted_sqlite_file_fails_health_and_takes_no_more_writes(
    http_app: HttpApp, deps: Deps, db_url: str
) -> None:
    if not db_url.startswith("sqlite"):
        pytest.skip("a database file is SQLite's")
    assert healthz(http_app)[0] == 200
    path = str(make_url(db_url).database)
    os.remove(path)
    status, body = healthz(http_app)
    assert status == 503 and "is gone" in body
    # What would have been acknowledged and lost is refused instead.
    with pytest.raises(OperationalError, match="is gone"), session_scope(deps.engine) as s:
        repo.audit("U1", "test", "", "", deps.clock.now(), session=s)
    # The group commit's writes (every signed request's replay check, every check-in) too.
    with pytest.raises(OperationalError, match="is gone"):
        replay_repo.first_sighting(deps.writes, "v0=after-deletion", 1_700_000_000, 1_700_000_000)
    # A new, empty file at the same path is not the database either.
    sqlite3.connect(path).close()
    status, body = healthz(http_app)
    assert status == 503 and "was replaced" in body


def test_a_database_recreated_empty_fails_health(
    http_app: HttpApp, deps: Deps, db_url: str
) -> None:
    with session_scope(deps.engine) as s:
        s.execute(text("DROP TABLE alembic_version"))
    status, body = healthz(http_app)
    assert status == 503 and "no Cadence schema" in body


def test_a_schema_at_another_revision_fails_health(http_app: HttpApp, deps: Deps) -> None:
    with session_scope(deps.engine) as s:
        s.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    status, body = healthz(http_app)
    assert status == 503 and "revision 0001" in body and head_revision() in body
    with session_scope(deps.engine) as s:
        s.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": head_revision()})
    assert healthz(http_app) == (200, "ok")


def test_healthz_answers_503_instead_of_hanging_while_the_database_is_locked(
    http_app: HttpApp, deps: Deps, db_url: str
) -> None:
    release = threading.Event()
    locked = threading.Event()

    def hold() -> None:
        if db_url.startswith("sqlite"):
            conn = sqlite3.connect(str(make_url(db_url).database), isolation_level=None)
            conn.execute("BEGIN EXCLUSIVE")
            locked.set()
            release.wait(30)
            conn.execute("ROLLBACK")
            conn.close()
            return
        with deps.engine.connect() as pg:
            pg.execute(text("LOCK TABLE alembic_version IN ACCESS EXCLUSIVE MODE"))
            locked.set()
            release.wait(30)
            pg.rollback()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        status, body = healthz(http_app)  # the client gives up after 10 s; it needs < 1 s
        assert status == 503, body
        assert "locked" in body or "did not answer" in body or "timeout" in body, body
    finally:
        release.set()
        holder.join(10)
    assert healthz(http_app) == (200, "ok")
