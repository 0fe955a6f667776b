"""Settings HR set in Slack (domain.settings) and their audit trail: reads and writes."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from cadence.storage.models import AuditEvent, Setting

AUDIT_ACTION = "settings.change"


def all_settings(*, session: Session) -> dict[str, dict[str, str]]:
    """Every stored value: scope → key → value (a small table, read whole)."""
    found: dict[str, dict[str, str]] = {}
    for row in session.exec(select(Setting)):
        found.setdefault(row.scope, {})[row.key] = row.value
    return found


def put(
    scope: str, key: str, value: str | None, actor: str, now: datetime, *, session: Session
) -> str | None:
    """Store `value` (None: remove it); the value it replaces, None when there was none."""
    row = session.get(Setting, (scope, key))
    before = row.value if row is not None else None
    if value is None:
        if row is not None:
            session.delete(row)
    elif row is None:
        session.add(Setting(scope=scope, key=key, value=value, updated_by=actor, updated_at=now))
    else:
        row.value, row.updated_by, row.updated_at = value, actor, now
    session.flush()
    return before


def recent_changes(limit: int, *, session: Session) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(col(AuditEvent.action) == AUDIT_ACTION)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt))
