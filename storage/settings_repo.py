"""Settings HR set in Slack (domain.settings) and their audit trail: reads and writes."""

from __future__ import annotations

import threading
import time
import weakref
from datetime import datetime

from sqlalchemy import event
from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col, select

from cadence.domain.settings import Change
from cadence.storage.db import read_scope
from cadence.storage.models import AuditEvent, Setting, SettingChange

AUDIT_ACTION = "settings.change"


_SETTINGS = Setting.__table__  # type: ignore[attr-defined]
_CHANGES = SettingChange.__table__  # type: ignore[attr-defined]
_ALL_SETTINGS = core_select(_SETTINGS.c.scope, _SETTINGS.c.key, _SETTINGS.c.value)
_HISTORY = core_select(
    _CHANGES.c.scope, _CHANGES.c.key, _CHANGES.c.old_value, _CHANGES.c.new_value, _CHANGES.c.at
).order_by(_CHANGES.c.at, _CHANGES.c.id)


def _conn(session: Session | Connection) -> Connection:
    return session.connection() if isinstance(session, Session) else session


def all_settings(*, session: Session | Connection) -> dict[str, dict[str, str]]:
    """Every stored value: scope → key → value (a small table, read whole; Core and a
    statement built once: interactive requests read it)."""
    found: dict[str, dict[str, str]] = {}
    for scope, key, value in _conn(session).execute(_ALL_SETTINGS):
        found.setdefault(scope, {})[key] = value
    return found


# Interactive requests read the settings through `recent`: HR changes them a few times a year
# and every check-in submission needs them. A change made in this process is seen at once (put
# forgets the copy); one made by another process (a second replica) within FRESH seconds.
FRESH = 2.0
_recent: weakref.WeakKeyDictionary[
    Engine, tuple[float, dict[str, dict[str, str]], list[Change]]
] = weakref.WeakKeyDictionary()
_recent_lock = threading.Lock()


def recent(engine: Engine) -> tuple[dict[str, dict[str, str]], list[Change]]:
    """Every stored value and the settings' history (all_settings, history), read at most
    FRESH seconds ago in this process. Treat them as read-only."""
    with _recent_lock:
        hit = _recent.get(engine)
    if hit is not None and time.monotonic() - hit[0] < FRESH:
        return hit[1], hit[2]
    read_at = time.monotonic()
    with read_scope(engine) as session:
        stored, changes = all_settings(session=session), history(session=session)
    with _recent_lock:
        _recent[engine] = (read_at, stored, changes)
    return stored, changes


def forget_recent(engine: Engine) -> None:
    with _recent_lock:
        _recent.pop(engine, None)


def put(
    scope: str, key: str, value: str | None, actor: str, now: datetime, *, session: Session
) -> str | None:
    """Store `value` (None: remove it), and the change in the settings' history; the value it
    replaces, None when there was none. This process's `recent` copy is forgotten (and again
    when the transaction ends, so a read between the two cannot keep the old values)."""
    bind = session.get_bind()
    if isinstance(bind, Engine):
        forget_recent(bind)
        event.listen(session, "after_commit", lambda _s: forget_recent(bind), once=True)
        event.listen(session, "after_rollback", lambda _s: forget_recent(bind), once=True)
    row = session.get(Setting, (scope, key))
    before = row.value if row is not None else None
    if before != value:
        session.add(SettingChange(scope=scope, key=key, old_value=before, new_value=value, at=now))
    if value is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(Setting(scope=scope, key=key, value=value, updated_by=actor, updated_at=now))
    else:
        row.value, row.updated_by, row.updated_at = value, actor, now
    session.flush()
    return before


def history(*, session: Session | Connection) -> list[Change]:
    """Every change to the settings, oldest first (a small table: HR's edits, read whole)."""
    return [Change(*row) for row in _conn(session).execute(_HISTORY)]


def recent_changes(limit: int, *, session: Session) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(col(AuditEvent.action) == AUDIT_ACTION)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt))
