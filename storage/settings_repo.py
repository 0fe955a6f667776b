"""Settings HR set in Slack (domain.settings) and their audit trail: reads and writes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select as core_select
from sqlalchemy.engine import Connection
from sqlmodel import Session, col, select

from cadence.domain.settings import Change
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


def put(
    scope: str, key: str, value: str | None, actor: str, now: datetime, *, session: Session
) -> str | None:
    """Store `value` (None: remove it), and the change in the settings' history; the value it
    replaces, None when there was none."""
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
