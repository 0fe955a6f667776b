"""Settings HR set in Slack (domain.settings) and their audit trail: reads and writes."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from cadence.domain.settings import Change
from cadence.storage.models import AuditEvent, Setting, SettingChange

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


def history(*, session: Session) -> list[Change]:
    """Every change to the settings, oldest first (a small table: HR's edits, read whole)."""
    stmt = select(SettingChange).order_by(col(SettingChange.at), col(SettingChange.id))
    return [Change(c.scope, c.key, c.old_value, c.new_value, c.at) for c in session.exec(stmt)]


def recent_changes(limit: int, *, session: Session) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(col(AuditEvent.action) == AUDIT_ACTION)
        .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list(session.exec(stmt))
