"""Repository functions: every query the application makes. Keyword-only `session`; aware UTC."""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    exists,
    false,
    insert,
    inspect,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session, col

from cadence.domain.checkins import CheckinAnswers
from cadence.domain.org import OrgRow
from cadence.domain.status import CheckinStatus, DeliveryStatus
from cadence.domain.weeks import Absence as AbsenceSpan
from cadence.storage.db import GroupCommit, prepared
from cadence.storage.models import Absence, AuditEvent, Checkin, Delivery, OutboxSender, Person

# A statement and its parameters, to run now or in a storage.db.GroupCommit batch.
Write = tuple[Any, dict[str, Any]]


def apply(writes: Iterable[Write], *, session: Session) -> None:
    """Run writes now, in the session's transaction."""
    conn = session.connection()
    for statement, params in writes:
        conn.execute(statement, params)


# ---------------------------------------------------------------- people


_PERSON_BY_SLACK_ID = select(Person.__table__).where(  # type: ignore[attr-defined]
    col(Person.slack_id) == bindparam("slack_id")
)


_PERSON_MAPPER = inspect(Person)


def _stored_person(columns: Mapping[Any, Any]) -> Person:
    """A Person from its stored row, built as SQLAlchemy's ORM builds the rows it loads: the
    columns go into the instance as they are, without pydantic's validation of each field
    (which cost 60-80 µs, most of what an interactive request spends finding who is asking;
    a stored row is valid by construction). Like Person(**row), the instance belongs to no
    session."""
    if not _PERSON_MAPPER.configured:  # as the ORM does before it loads a row
        configure_mappers()
    person: Person = _PERSON_MAPPER.class_manager.new_instance()
    person.__dict__.update(columns)
    return person


def _first(
    statement: Any, params: dict[str, Any], session: Session | Connection | Engine
) -> Mapping[Any, Any] | None:
    """The first row of a read, by column: in the `session` or connection given, or, given
    the Engine, as a lone read on the driver's cursor (storage.db.Prepared), which is how
    every interactive request reads who is asking."""
    if isinstance(session, Engine):
        return prepared(statement, session.dialect).first(session, params)
    conn = session.connection() if isinstance(session, Session) else session
    row = conn.execute(statement, params).first()
    return None if row is None else row._mapping


def person_by_slack_id(slack_id: str, *, session: Session | Connection | Engine) -> Person | None:
    """The person, detached from the session (changes go through the update functions).
    Core and a statement built once; an Engine for `session`: a lone read (_first)."""
    columns = _first(_PERSON_BY_SLACK_ID, {"slack_id": slack_id}, session)
    return None if columns is None else _stored_person(columns)


def _manages(manager_id: Any, roles: tuple[str, ...]) -> Any:
    """EXISTS an active direct report of `manager_id` whose role is one of `roles`: the one
    definition of "manages someone", for person_managing and manages_role."""
    report = Person.__table__.alias("report")  # type: ignore[attr-defined]
    # The roles as literal values, not an expanding IN: they are fixed for the process, and
    # a statement without one can be compiled once (storage.db.Prepared).
    known = report.c.role.in_([literal(role, String) for role in roles]) if roles else false()
    return exists().where(report.c.manager_id == manager_id, report.c.active.is_(True), known)


@functools.cache
def _person_managing(roles: tuple[str, ...]) -> Any:
    person = Person.__table__  # type: ignore[attr-defined]
    return select(person, _manages(person.c.id, roles).label("cadence_manages")).where(
        person.c.slack_id == bindparam("slack_id")
    )


def person_managing(
    slack_id: str, roles: Iterable[str], *, session: Session | Connection | Engine
) -> tuple[Person | None, bool]:
    """person_by_slack_id, and whether they manage an active person with one of `roles`
    (manages_role, asked in the same statement)."""
    found = _first(_person_managing(tuple(sorted(roles))), {"slack_id": slack_id}, session)
    if found is None:
        return None, False
    columns = dict(found)
    manages = bool(columns.pop("cadence_manages"))
    return _stored_person(columns), manages


def people_by_ids(ids: Iterable[int], *, session: Session) -> dict[int, Person]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = session.execute(select(Person).where(col(Person.id).in_(wanted))).scalars()
    return {p.id: p for p in rows if p.id is not None}


_PERSON = Person.__table__  # type: ignore[attr-defined]
_UP = (
    select(_PERSON.c.id, _PERSON.c.manager_id)
    .where(_PERSON.c.id.in_(bindparam("ids", expanding=True)), _PERSON.c.active.is_(True))
    .cte("up", recursive=True)
)
_UP = _UP.union(  # UNION, not UNION ALL: a cycle in the chart ends instead of looping
    select(_PERSON.c.id, _PERSON.c.manager_id)
    .join(_UP, _PERSON.c.id == _UP.c.manager_id)
    .where(_PERSON.c.active.is_(True))
)
_MANAGERS_ABOVE = select(_UP.c.id, _UP.c.manager_id)


def managers_above(
    person_ids: Iterable[int], *, session: Session | Connection
) -> dict[int, int | None]:
    """The stored org chart at and above these people (active people only): person id →
    manager id, in one recursive query (interactive requests read it for one person)."""
    ids = sorted(set(person_ids))
    if not ids:
        return {}
    conn = session.connection() if isinstance(session, Session) else session
    return {pid: manager for pid, manager in conn.execute(_MANAGERS_ABOVE, {"ids": ids})}


def active_people(*, session: Session) -> list[Person]:
    rows = session.execute(
        select(Person).where(col(Person.active).is_(True)).order_by(col(Person.id))
    )
    return list(rows.scalars())


def direct_reports(manager_id: int, *, session: Session) -> list[Person]:
    rows = session.execute(
        select(Person)
        .where(col(Person.manager_id) == manager_id, col(Person.active).is_(True))
        .order_by(Person.name)
    )
    return list(rows.scalars())


@functools.cache
def _manages_role(roles: tuple[str, ...]) -> Any:
    return select(_manages(bindparam("manager_id"), roles).label("manages"))


def manages_role(
    manager_id: int, roles: Iterable[str], *, session: Session | Connection | Engine
) -> bool:
    """Whether the manager has an active direct report with one of `roles`. Core and a
    statement built once per set of roles; an Engine for `session`: a lone read (_first)."""
    found = _first(_manages_role(tuple(sorted(roles))), {"manager_id": manager_id}, session)
    return found is not None and bool(found["manages"])


def set_timezone(person_id: int, tz: str, now: datetime, *, session: Session) -> None:
    session.execute(
        update(Person).where(col(Person.id) == person_id).values(timezone=tz, updated_at=now)
    )


@dataclass(frozen=True, slots=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    deactivated: int
    reactivated: int
    came_or_went: frozenset[int] = frozenset()  # ids of those deactivated or reactivated


def upsert_people(rows: Sequence[OrgRow], now: datetime, *, session: Session) -> ImportResult:
    """Upsert everyone in `rows`; deactivate (never delete) active people missing from them."""
    existing = {p.slack_id: p for p in session.execute(select(Person)).scalars()}
    created = updated = unchanged = reactivated = 0
    moved: set[int] = set()  # deactivated or reactivated
    by_slack: dict[str, Person] = {}
    for row in rows:
        person = existing.get(row.slack_id)
        if person is None:
            person = Person(
                slack_id=row.slack_id,
                email=row.email,
                name=row.name,
                role=row.role,
                timezone=row.timezone,
                hr_admin=row.hr_admin,
                country=row.country or "",
                active=True,
                created_at=now,
                updated_at=now,
            )
            session.add(person)
            created += 1
        else:
            # An empty time zone in the file keeps the one learnt from Slack.
            tz = row.timezone or person.timezone
            # A file without the country column keeps the countries already stored.
            country = person.country if row.country is None else row.country
            changed = (
                person.email,
                person.name,
                person.role,
                person.timezone,
                person.hr_admin,
                person.country,
                person.active,
            ) != (row.email, row.name, row.role, tz, row.hr_admin, country, True)
            if not person.active:
                reactivated += 1
                moved.add(person.id or 0)
            person.email, person.name, person.role = row.email, row.name, row.role
            person.timezone, person.hr_admin, person.active = tz, row.hr_admin, True
            person.country = country
            if changed:
                person.updated_at = now
                updated += 1
            else:
                unchanged += 1
        by_slack[row.slack_id] = person
    session.flush()
    for row in rows:
        person = by_slack[row.slack_id]
        manager = by_slack[row.manager_slack_id] if row.manager_slack_id else None
        new_manager_id = manager.id if manager else None
        if person.manager_id != new_manager_id:
            person.manager_id = new_manager_id
            person.updated_at = now
    deactivated = 0
    for slack_id, person in existing.items():
        if slack_id not in by_slack and person.active:
            person.active = False
            person.updated_at = now
            deactivated += 1
            moved.add(person.id or 0)
    session.flush()
    return ImportResult(
        created, updated - reactivated, unchanged, deactivated, reactivated, frozenset(moved)
    )


# ---------------------------------------------------------------- check-ins


def checkin_for(person_id: int, period: str, *, session: Session) -> Checkin | None:
    stmt = select(Checkin).where(col(Checkin.person_id) == person_id, col(Checkin.period) == period)
    return session.execute(stmt).scalar_one_or_none()


def checkins_in(
    person_ids: Iterable[int], periods: Iterable[str], *, session: Session
) -> dict[tuple[int, str], Checkin]:
    ids, pers = list(set(person_ids)), list(set(periods))
    if not ids or not pers:
        return {}
    rows = session.execute(
        select(Checkin).where(col(Checkin.person_id).in_(ids), col(Checkin.period).in_(pers))
    ).scalars()
    return {(c.person_id, c.period): c for c in rows}


def _upsert_checkin(
    person_id: int, period: str, values: dict[str, Any], now: datetime, *, session: Session
) -> Checkin:
    """Insert or update the one check-in for (person, period), race-free on both backends."""
    insert_values = {"person_id": person_id, "period": period, "submitted_at": now, **values}
    dialect = session.get_bind().dialect.name
    stmt: Any
    if dialect == "postgresql":
        stmt = pg_insert(Checkin).values(**insert_values)
    else:
        stmt = sqlite_insert(Checkin).values(**insert_values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["person_id", "period"], set_=values
    ).returning(Checkin)
    found: Checkin = session.scalars(stmt, execution_options={"populate_existing": True}).one()
    return found


_ANSWER_COLUMNS = (
    "status",
    "quality_value",
    "output_value",
    "mood",
    "wins",
    "blockers",
    "priorities",
    "source",
    "weeks",
    "updated_at",
)


@functools.cache
def _save_answers_stmt(dialect: str) -> Any:
    """INSERT .. ON CONFLICT (person, period) DO UPDATE, built once per dialect: Core against
    the table, so a modal submission pays neither statement construction nor the ORM."""
    table: Table = Checkin.__table__  # type: ignore[attr-defined]
    stmt: Any = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    stmt = stmt.values({c.name: bindparam(c.name, type_=c.type) for c in table.c if c.name != "id"})
    return stmt.on_conflict_do_update(
        index_elements=["person_id", "period"],
        set_={name: stmt.excluded[name] for name in _ANSWER_COLUMNS},
    )


def answers_write(
    person_id: int,
    period: str,
    answers: CheckinAnswers,
    now: datetime,
    *,
    dialect: str,
    weeks: int | None = None,
) -> Write:
    """Store a person's answers for a week: the one row for (person, period), race-free;
    `weeks`: what the check-in covers (Checkin.weeks; None when the writer does not know,
    then it is read from the settings in force when the week closed)."""
    return (
        _save_answers_stmt(dialect),
        {
            "person_id": person_id,
            "period": period,
            "status": CheckinStatus.ANSWERED,
            "quality_value": answers.quality,
            "output_value": answers.output,
            "mood": answers.mood,
            "wins": answers.wins,
            "blockers": answers.blockers,
            "priorities": answers.priorities,
            "source": "self",
            "weeks": weeks,
            "submitted_at": now,
            "updated_at": now,
        },
    )


def save_answers(
    person_id: int,
    period: str,
    answers: CheckinAnswers,
    now: datetime,
    *,
    session: Session,
    weeks: int | None = None,
) -> None:
    dialect = session.get_bind().dialect.name
    write = answers_write(person_id, period, answers, now, dialect=dialect, weeks=weeks)
    apply([write], session=session)


def mark_skipped(
    person_id: int, period: str, now: datetime, *, session: Session, weeks: int | None = None
) -> Checkin:
    """Skip a week (`weeks`: what the check-in covers) unless it was already answered (an
    answer is never thrown away)."""
    existing = checkin_for(person_id, period, session=session)
    if existing is not None and existing.status == CheckinStatus.ANSWERED:
        return existing
    return _upsert_checkin(
        person_id,
        period,
        {"status": CheckinStatus.SKIPPED, "weeks": weeks, "updated_at": now},
        now,
        session=session,
    )


def mark_away(
    person_id: int, period: str, now: datetime, *, session: Session, weeks: int | None = None
) -> None:
    """Record that Slack said the person was away when the week's prompt was due (no prompt
    went out; `weeks`: what that check-in covered). A row already there (answered, skipped)
    is left as it is."""
    dialect = session.get_bind().dialect.name
    stmt: Any = (pg_insert if dialect == "postgresql" else sqlite_insert)(Checkin).values(
        person_id=person_id,
        period=period,
        status=CheckinStatus.AWAY,
        weeks=weeks,
        submitted_at=now,
        updated_at=now,
    )
    session.execute(stmt.on_conflict_do_nothing(index_elements=["person_id", "period"]))


# ---------------------------------------------------------------- declared absences


def add_absence(person_id: int, start: date, end: date, now: datetime, *, session: Session) -> int:
    row = Absence(person_id=person_id, start=start, end=end, created_at=now)
    session.add(row)
    session.flush()
    assert row.id is not None  # noqa: S101
    return row.id


def absences_of(
    person_ids: Iterable[int], first: date, last: date, *, session: Session
) -> dict[int, list[AbsenceSpan]]:
    """Declared absences overlapping `first`..`last` (inclusive), per person."""
    ids = sorted(set(person_ids))
    out: dict[int, list[AbsenceSpan]] = {}
    if not ids:
        return out
    for start in range(0, len(ids), 900):
        stmt = select(col(Absence.person_id), col(Absence.start), col(Absence.end)).where(
            col(Absence.person_id).in_(ids[start : start + 900]),
            col(Absence.end) >= first,
            col(Absence.start) <= last,
        )
        for pid, a, b in session.execute(stmt):
            out.setdefault(pid, []).append(AbsenceSpan(a, b))
    return out


def own_absences(person_id: int, since: date, *, session: Session) -> list[Absence]:
    """A person's absences that have not ended before `since`, soonest first."""
    stmt = (
        select(Absence)
        .where(col(Absence.person_id) == person_id, col(Absence.end) >= since)
        .order_by(col(Absence.start), col(Absence.id))
    )
    return list(session.execute(stmt).scalars())


def iter_absences_for_export(*, session: Session) -> Iterator[tuple[Absence, Person]]:
    stmt = (
        select(Absence, Person)
        .join(Person, col(Person.id) == Absence.person_id)
        .order_by(Person.slack_id, col(Absence.start))
    )
    yield from session.execute(stmt)


def cancel_absence(person_id: int, absence_id: int, *, session: Session) -> Absence | None:
    """Delete one of the person's own absences; None when it is not theirs (or gone)."""
    row = session.get(Absence, absence_id)
    if row is None or row.person_id != person_id:
        return None
    session.delete(row)
    return row


def iter_checkins_for_export(*, session: Session) -> Iterator[tuple[Checkin, Person]]:
    stmt = (
        select(Checkin, Person)
        .join(Person, col(Person.id) == Checkin.person_id)
        .order_by(Person.slack_id, Checkin.period)
        .execution_options(yield_per=1000)
    )
    yield from session.execute(stmt)


# ---------------------------------------------------------------- outbox


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    key: str
    kind: str
    recipient: str
    payload: dict[str, Any]
    method: str = "chat.postMessage"
    update_of: str | None = None


def update_of(key: str, kind: str, to: str, payload: dict[str, Any]) -> OutgoingMessage:
    """The chat.update (key `update:<key>`) that turns the delivered message `key` into
    `payload`; queue it with replace_pending (a later one replaces it)."""
    return OutgoingMessage(
        key=f"update:{key}",
        kind=kind,
        recipient=to,
        payload=payload,
        method="chat.update",
        update_of=key,
    )


def _insert_ignore(rows: list[dict[str, Any]], *, session: Session) -> int:
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    stmt: Any = (pg_insert if dialect == "postgresql" else sqlite_insert)(Delivery).values(rows)
    stmt = stmt.on_conflict_do_nothing(index_elements=["key"]).returning(Delivery.id)
    return len(session.execute(stmt).all())


def _row(
    message: OutgoingMessage, now: datetime, status: str = DeliveryStatus.PENDING
) -> dict[str, Any]:
    return {
        "key": message.key,
        "kind": message.kind,
        "recipient": message.recipient,
        "method": message.method,
        "payload": json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")),
        "update_of": message.update_of,
        "status": status,
        "attempts": 0,
        "not_before": now,
        "created_at": now,
    }


def enqueue(messages: Sequence[OutgoingMessage], now: datetime, *, session: Session) -> int:
    """Record messages to send; a key already recorded is left alone. Returns how many are new."""
    total = 0
    for start in range(0, len(messages), 500):
        chunk = messages[start : start + 500]
        total += _insert_ignore([_row(m, now) for m in chunk], session=session)
    return total


def record_not_sent(
    message: OutgoingMessage, reason: str, now: datetime, *, session: Session
) -> bool:
    """Record under its key that a message was deliberately not sent (away, answered early)."""
    row = _row(message, now, status=DeliveryStatus.SKIPPED)
    row["last_error"] = reason[:500]
    return _insert_ignore([row], session=session) == 1


def replace_pending(message: OutgoingMessage, now: datetime, *, session: Session) -> None:
    """Enqueue, or put an already recorded message back in the queue with a new payload
    (used for updates of an earlier DM, which may happen several times)."""
    if enqueue([message], now, session=session):
        return
    session.execute(
        update(Delivery)
        .where(col(Delivery.key) == message.key)
        .values(
            payload=json.dumps(message.payload, ensure_ascii=False, separators=(",", ":")),
            status=DeliveryStatus.PENDING,
            attempts=0,
            last_error=None,
            not_before=now,
            claimed_until=None,
            claim_token=None,
            claimed_by=None,
        )
    )


def set_unsent_payload(key: str, payload: dict[str, Any], *, session: Session) -> None:
    """Change what a message not sent yet says, leaving its place in the queue (and a
    sender's claim on it) as they are."""
    session.execute(
        update(Delivery)
        .where(
            col(Delivery.key) == key,
            col(Delivery.status).in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)),
        )
        .values(payload=json.dumps(payload, ensure_ascii=False, separators=(",", ":")))
    )


def keys_starting(prefix: str, *, session: Session) -> list[str]:
    """The outbox keys that start with `prefix` (the parts of one message), in order."""
    stmt = select(col(Delivery.key)).where(col(Delivery.key).startswith(prefix, autoescape=True))
    return list(session.execute(stmt.order_by(col(Delivery.id))).scalars())


def replace_unsent(
    old_keys: Sequence[str],
    messages: Sequence[OutgoingMessage],
    reason: str,
    now: datetime,
    *,
    session: Session,
) -> bool:
    """Put `messages` in the place of the recorded messages `old_keys` (one message in parts,
    say) when every one of them is still waiting: each new message replaces the one with its
    key (or is queued), and each old one not among them is recorded not sent with `reason`.
    False, and nothing changed, when one of them has gone or is going out. The rows are
    locked first (PostgreSQL; a sender's claim skips them meanwhile)."""
    stmt = select(col(Delivery.key), col(Delivery.status)).where(
        col(Delivery.key).in_(list(old_keys))
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    found = dict(session.execute(stmt).all())
    if not found or any(status != DeliveryStatus.PENDING for status in found.values()):
        return False
    for message in messages:
        replace_pending(message, now, session=session)
    gone = [key for key in found if key not in {m.key for m in messages}]
    if gone:
        session.execute(
            update(Delivery)
            .where(col(Delivery.key).in_(gone))
            .values(status=DeliveryStatus.SKIPPED, last_error=reason[:500])
        )
    return True


@functools.cache
def _dm_update_stmts(dialect: str, originals: int) -> tuple[Any, Any]:
    """The two statements of `dm_update_writes` for a number of originals, built once per
    dialect (plain parameters, not an expanding IN, so that requests committed together can
    share one executemany)."""
    table: Table = Delivery.__table__  # type: ignore[attr-defined]
    keys = [bindparam(f"original_{i}", type_=String) for i in range(originals)]
    withdraw = (
        update(table)
        .where(table.c.key.in_(keys), table.c.status == DeliveryStatus.PENDING)
        .values(status=DeliveryStatus.SKIPPED, last_error=bindparam("reason"), sent_at=None)
    )
    original = table.alias("original")
    now = bindparam("now", type_=table.c.not_before.type)
    columns = ["key", "kind", "recipient", "method", "payload", "update_of", "status"]
    columns += ["attempts", "not_before", "created_at"]
    updates = select(
        literal("update:", String) + original.c.key,
        bindparam("kind", type_=String),
        bindparam("recipient", type_=String),
        literal("chat.update", String),
        bindparam("payload", type_=Text),
        original.c.key,
        literal(DeliveryStatus.PENDING, String),
        literal(0, Integer),
        now,
        now,
    ).where(original.c.key.in_(keys))
    queue: Any = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    queue = queue.from_select(columns, updates).on_conflict_do_update(
        index_elements=["key"],
        set_={
            "payload": queue.excluded.payload,
            "status": DeliveryStatus.PENDING,
            "attempts": 0,
            "last_error": None,
            "not_before": queue.excluded.not_before,
            "claimed_until": None,
            "claim_token": None,
            "claimed_by": None,
        },
    )
    return withdraw, queue


@dataclass(frozen=True, slots=True)
class DmUpdate:
    """Earlier DMs (by outbox key) to turn into `payload` through chat.update; those not sent
    yet are withdrawn with `reason` instead."""

    originals: Sequence[str]
    kind: str
    recipient: str
    payload: dict[str, Any]
    reason: str


def dm_update_writes(dm: DmUpdate, now: datetime, *, dialect: str) -> list[Write]:
    """Turn earlier DMs into `payload` through chat.update (key `update:<original>`, queued
    again with the new payload if an update was already recorded), and withdraw those of them
    not sent yet. Keys never recorded are ignored. Two statements, whatever the count."""
    withdraw, queue = _dm_update_stmts(dialect, len(dm.originals))
    keys = {f"original_{i}": key for i, key in enumerate(dm.originals)}
    return [
        (withdraw, {**keys, "reason": dm.reason[:500]}),
        (
            queue,
            {
                **keys,
                "kind": dm.kind,
                "recipient": dm.recipient,
                "payload": json.dumps(dm.payload, ensure_ascii=False, separators=(",", ":")),
                "now": now,
            },
        ),
    ]


def update_dms(dm: DmUpdate, now: datetime, *, session: Session) -> None:
    """dm_update_writes, run now in the session's transaction."""
    apply(dm_update_writes(dm, now, dialect=session.get_bind().dialect.name), session=session)


def submit_answers(
    writes: GroupCommit,
    person_id: int,
    period: str,
    answers: CheckinAnswers,
    dm: DmUpdate,
    now: datetime,
    *,
    weeks: int,
) -> None:
    """Store a week's answers (`weeks`: what the check-in covers) and update its DMs,
    committed with other requests' writes."""
    dialect = writes.dialect
    writes.execute(
        [
            answers_write(person_id, period, answers, now, dialect=dialect, weeks=weeks),
            *dm_update_writes(dm, now, dialect=dialect),
        ],
        order=f"checkin:{person_id}:{period}",
    )


def delivery_by_key(key: str, *, session: Session) -> Delivery | None:
    stmt = select(Delivery).where(col(Delivery.key) == key)
    return session.execute(stmt).scalar_one_or_none()


def delivery_by_ts(recipient: str, ts: str, *, session: Session) -> Delivery | None:
    """The message we posted to `recipient` that Slack knows as `ts` (a button's message)."""
    stmt = select(Delivery).where(
        col(Delivery.recipient) == recipient,
        col(Delivery.slack_ts) == ts,
        col(Delivery.method) == "chat.postMessage",
    )
    return session.execute(stmt).scalars().first()


def deliveries_by_keys(keys: Iterable[str], *, session: Session) -> dict[str, Delivery]:
    wanted = list(set(keys))
    found: dict[str, Delivery] = {}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        for d in session.execute(select(Delivery).where(col(Delivery.key).in_(chunk))).scalars():
            found[d.key] = d
    return found


def register_sender(
    sender_id: str, host: str, pid: int, beat: int, now: datetime, *, session: Session
) -> None:
    session.execute(
        insert(OutboxSender).values(id=sender_id, host=host, pid=pid, started_at=now, beat=beat)
    )


def beat_sender(sender_id: str, beat: int, *, session: Session) -> bool:
    """Record that the sender lives. False when it was given up for dead meanwhile (its claims
    may belong to others now)."""
    result = session.connection().execute(
        update(OutboxSender).where(col(OutboxSender.id) == sender_id).values(beat=beat)
    )
    return bool(getattr(result, "rowcount", 0))


def unregister_sender(sender_id: str, *, session: Session) -> None:
    session.execute(delete(OutboxSender).where(col(OutboxSender.id) == sender_id))


def sender_beats(*, session: Session) -> dict[str, int]:
    rows = session.execute(select(col(OutboxSender.id), col(OutboxSender.beat)))
    return {sender_id: int(beat) for sender_id, beat in rows}


def claim_due(
    now: datetime,
    limit: int,
    lease: timedelta,
    *,
    sender: str | None = None,
    dead: Mapping[str, int] | None = None,
    session: Session,
) -> list[Delivery]:
    """Claim up to `limit` due messages for `sender`: pending ones whose time has come, and
    ones whose claimant is gone: a sender in `dead` (id -> the beat it was seen standing still
    at; one that has beaten since is alive after all and keeps its claims), a sender no longer
    registered, or a claim whose lease expired. On PostgreSQL several senders claim disjoint
    rows with FOR UPDATE SKIP LOCKED."""
    table: Table = Delivery.__table__  # type: ignore[attr-defined]
    senders: Table = OutboxSender.__table__  # type: ignore[attr-defined]
    postgres = session.get_bind().dialect.name == "postgresql"
    conn = session.connection()
    for sender_id, beat in (dead or {}).items():
        conn.execute(delete(senders).where(senders.c.id == sender_id, senders.c.beat == beat))
    orphaned = and_(
        table.c.claimed_by.is_not(None), table.c.claimed_by.not_in(select(senders.c.id))
    )
    # Two index range scans on (status, not_before), each stopping at `limit`: one OR over
    # both statuses made SQLite sort every due row (10 ms with 10,000 queued), inside the write
    # transaction that interactive requests wait for.
    picks = [
        select(table.c.id)
        .where(table.c.status == DeliveryStatus.SENDING, or_(table.c.claimed_until < now, orphaned))
        .order_by(table.c.not_before, table.c.id),
        select(table.c.id)
        .where(table.c.status == DeliveryStatus.PENDING, table.c.not_before <= now)
        .order_by(table.c.not_before, table.c.id),
    ]
    ids: list[int] = []
    for pick in picks:
        if len(ids) >= limit:
            break
        if postgres:
            pick = pick.with_for_update(of=table, skip_locked=True)
        ids += conn.execute(pick.limit(limit - len(ids))).scalars()
    if not ids:
        return []
    conn.execute(
        update(table)
        .where(table.c.id.in_(ids))
        .values(
            status=DeliveryStatus.SENDING,
            claim_token=str(uuid.uuid4()),
            claimed_by=sender,
            claimed_until=now + lease,
            attempts=table.c.attempts + 1,
        )
    )
    rows = session.execute(
        select(Delivery)
        .where(col(Delivery.id).in_(ids))
        .order_by(col(Delivery.id))
        .execution_options(populate_existing=True)
    ).scalars()
    return list(rows)


def finish(
    delivery_id: int,
    token: str,
    *,
    status: str,
    now: datetime,
    error: str | None = None,
    channel: str | None = None,
    ts: str | None = None,
    retry_at: datetime | None = None,
    session: Session,
) -> bool:
    """Settle a claimed message (sent, failed, skipped, or back to pending at `retry_at`).
    Only the holder of the claim can settle it."""
    values: dict[str, Any] = {
        "status": status,
        "claim_token": None,
        "claimed_until": None,
        "claimed_by": None,
    }
    if error is not None:
        values["last_error"] = error[:500]
    if status == DeliveryStatus.SENT:
        values.update(sent_at=now, slack_channel=channel, slack_ts=ts, last_error=error)
    if retry_at is not None:
        values["not_before"] = retry_at
    result = session.connection().execute(
        _finish_stmt(tuple(sorted(values))),
        {**values, "settle_id": delivery_id, "settle_token": token},
    )
    return bool(getattr(result, "rowcount", 0))


@functools.cache
def _finish_stmt(columns: tuple[str, ...]) -> Any:
    """`finish`'s UPDATE for one set of columns, built once: the sender settles every message
    with one of a handful of shapes, and building the statement cost more than running it."""
    table: Table = Delivery.__table__  # type: ignore[attr-defined]
    return (
        update(table)
        .where(
            table.c.id == bindparam("settle_id"), table.c.claim_token == bindparam("settle_token")
        )
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns})
    )


def unsent(*, session: Session) -> dict[tuple[str, str], int]:
    """Messages not sent yet, by (status, last error): pending ones (due now, or retried
    later) and ones a sender holds."""
    from sqlalchemy import func

    error = func.coalesce(col(Delivery.last_error), "")
    rows = session.execute(
        select(col(Delivery.status), error, func.count())
        .where(col(Delivery.status).in_((DeliveryStatus.PENDING, DeliveryStatus.SENDING)))
        .group_by(col(Delivery.status), error)
    )
    return {(status, str(why)): int(n) for status, why, n in rows}


def outbox_counts(*, session: Session) -> dict[str, int]:
    """Outbox rows by status."""
    counts: dict[str, int] = {}
    for (_, status), n in outbox_counts_by_method(session=session).items():
        counts[status] = counts.get(status, 0) + n
    return counts


def outbox_counts_by_method(*, session: Session) -> dict[tuple[str, str], int]:
    """Outbox rows by (Web API method, status)."""
    from sqlalchemy import func

    rows = session.execute(
        select(col(Delivery.method), col(Delivery.status), func.count()).group_by(
            col(Delivery.method), col(Delivery.status)
        )
    )
    return {(method, status): int(n) for method, status, n in rows}


# ---------------------------------------------------------------- audit


def audit(
    actor: str, action: str, subject: str, detail: str, now: datetime, *, session: Session
) -> None:
    session.add(AuditEvent(actor=actor, action=action, subject=subject, detail=detail, at=now))
