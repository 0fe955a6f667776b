"""Queries for digests, actions and imported metrics. Keyword-only `session`; aware UTC.

Digest reads are bulk and bounded by the weeks they need (never by the length of history):
one query per kind of data for every person at once, filtered by period."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from cadence.domain.status import ActionStatus
from cadence.storage.models import Action, Checkin, MetricValue

CHUNK = 900  # bound parameters per IN list (SQLite's limit is 999 on old builds)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


# (person_id, period, status, quality_value, output_value, mood, weeks): plain tuples, as a
# digest run reads one per person and week for the whole organisation.
WeekRow = tuple[int, str, str, float | None, float | None, int | None, int | None]


def week_rows(
    periods: Iterable[str], person_ids: Iterable[int] | None = None, *, session: Session
) -> list[WeekRow]:
    """The numbers of every check-in in `periods` (for `person_ids`, or everyone)."""
    pers = sorted(set(periods))
    if not pers:
        return []
    columns = (
        col(Checkin.person_id),
        col(Checkin.period),
        col(Checkin.status),
        col(Checkin.quality_value),
        col(Checkin.output_value),
        col(Checkin.mood),
        col(Checkin.weeks),
    )
    base = select(*columns).where(col(Checkin.period).in_(pers))
    if person_ids is None:
        return [tuple(row) for row in session.execute(base)]
    out: list[WeekRow] = []
    for chunk in _chunks(sorted(set(person_ids))):
        stmt = base.where(col(Checkin.person_id).in_(chunk))
        out.extend(tuple(row) for row in session.execute(stmt))
    return out


def blockers_in(
    period: str, person_ids: Iterable[int] | None = None, *, session: Session
) -> dict[int, str]:
    """Non-empty blockers for one week."""
    base = select(col(Checkin.person_id), col(Checkin.blockers)).where(
        col(Checkin.period) == period, col(Checkin.blockers) != ""
    )
    if person_ids is None:
        return {pid: text for pid, text in session.execute(base)}
    found: dict[int, str] = {}
    for chunk in _chunks(sorted(set(person_ids))):
        stmt = base.where(col(Checkin.person_id).in_(chunk))
        found.update({pid: text for pid, text in session.execute(stmt)})
    return found


def imported_values(
    periods: Iterable[str], person_ids: Iterable[int] | None = None, *, session: Session
) -> dict[tuple[int, str, str], tuple[float, str]]:
    """(person, period, kind) → (value, source system) for imported metrics in `periods`."""
    pers = sorted(set(periods))
    if not pers:
        return {}
    base = select(
        col(MetricValue.person_id),
        col(MetricValue.period),
        col(MetricValue.kind),
        col(MetricValue.value),
        col(MetricValue.source),
    ).where(col(MetricValue.period).in_(pers))
    stmts = (
        [base]
        if person_ids is None
        else [
            base.where(col(MetricValue.person_id).in_(chunk))
            for chunk in _chunks(sorted(set(person_ids)))
        ]
    )
    found: dict[tuple[int, str, str], tuple[float, str]] = {}
    for stmt in stmts:
        for pid, period, kind, value, source in session.execute(stmt):
            found[(pid, period, kind)] = (value, source)
    return found


@dataclass(frozen=True, slots=True)
class ImportedMetric:
    person_id: int
    period: str
    kind: str
    value: float


def upsert_metric_values(
    rows: Sequence[ImportedMetric], source: str, now: datetime, *, session: Session
) -> int:
    """Insert or replace imported values on (person, period, kind); returns rows written."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for start in range(0, len(rows), 500):
        values = [
            {
                "person_id": r.person_id,
                "period": r.period,
                "kind": r.kind,
                "value": r.value,
                "source": source,
                "imported_at": now,
            }
            for r in rows[start : start + 500]
        ]
        stmt: Any = insert(MetricValue).values(values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["person_id", "period", "kind"],
            set_={
                "value": stmt.excluded.value,
                "source": stmt.excluded.source,
                "imported_at": stmt.excluded.imported_at,
            },
        )
        session.execute(stmt)
    return len(rows)


# ---------------------------------------------------------------- actions


def actions_for_digests(
    manager_ids: Iterable[int], since: datetime, *, session: Session
) -> list[Action]:
    """Every open action of these managers, and those closed since `since`."""
    ids = sorted(set(manager_ids))
    out: list[Action] = []
    for chunk in _chunks(ids):
        stmt = select(Action).where(
            col(Action.manager_id).in_(chunk),
            or_(col(Action.status) == ActionStatus.OPEN, col(Action.closed_at) >= since),
        )
        out.extend(session.execute(stmt).scalars())
    return out


def closed_actions_read_in(
    manager_ids: Iterable[int], period: str, *, session: Session
) -> list[Action]:
    """The closed actions these managers planned on signals read for `period`."""
    out: list[Action] = []
    for chunk in _chunks(sorted(set(manager_ids))):
        stmt = select(Action).where(
            col(Action.manager_id).in_(chunk),
            col(Action.period) == period,
            col(Action.status) != ActionStatus.OPEN,
        )
        out.extend(session.execute(stmt).scalars())
    return out


def action_by_id(action_id: int, *, session: Session) -> Action | None:
    return session.get(Action, action_id)


def owned_open_actions(owner_slack_id: str, *, session: Session) -> list[Action]:
    """Open actions someone owns (whoever planned them), soonest due first."""
    stmt = (
        select(Action)
        .where(col(Action.owner_slack_id) == owner_slack_id, col(Action.status) == "open")
        .order_by(col(Action.due), col(Action.id))
    )
    return list(session.execute(stmt).scalars())


def action_by_idem_key(key: str, *, session: Session) -> Action | None:
    return session.execute(select(Action).where(col(Action.idem_key) == key)).scalars().first()


def add_action(
    *,
    manager_id: int,
    report_id: int,
    period: str,
    signal: str,
    text: str,
    owner_kind: str,
    owner_slack_id: str,
    due: date,
    idem_key: str | None,
    now: datetime,
    session: Session,
) -> Action:
    action = Action(
        manager_id=manager_id,
        report_id=report_id,
        period=period,
        signal=signal,
        text=text,
        owner_kind=owner_kind,
        owner_slack_id=owner_slack_id,
        due=due,
        idem_key=idem_key,
        status=ActionStatus.OPEN,
        created_at=now,
        updated_at=now,
    )
    session.add(action)
    session.flush()
    return action


def close_action(action_id: int, now: datetime, *, session: Session) -> bool:
    """Mark done (once): False when it was already closed."""
    result = session.execute(
        update(Action)
        .where(col(Action.id) == action_id, col(Action.status) == ActionStatus.OPEN)
        .values(status=ActionStatus.DONE, closed_at=now, updated_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def touch_action(action_id: int, now: datetime, *, session: Session) -> None:
    """ "Still open": the manager looked at it this week."""
    session.execute(update(Action).where(col(Action.id) == action_id).values(updated_at=now))
