"""Reads for HR's system lens: organisation-wide figures that name no one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select as core_select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select, update

from cadence.storage.models import Action, Checkin, LensSnapshot, Person


def blocker_notes(
    periods: Iterable[str], *, session: Session
) -> list[tuple[int, str, str, str, str]]:
    """(person id, team key, team name, period, blockers) for every non-empty blocker in
    `periods`; the team is the person's manager's (Slack id and name; "" at the top)."""
    manager = aliased(Person)
    stmt = (
        core_select(
            col(Checkin.person_id),
            col(manager.slack_id),
            col(manager.name),
            col(Checkin.period),
            col(Checkin.blockers),
        )
        .join(Person, col(Person.id) == col(Checkin.person_id))
        .outerjoin(manager, col(manager.id) == col(Person.manager_id))
        .where(col(Checkin.period).in_(sorted(set(periods))), col(Checkin.blockers) != "")
    )
    return [
        (pid, team or "", name or "", period, text)
        for pid, team, name, period, text in session.execute(stmt)
    ]


def latest_snapshot(kind: str, *, session: Session) -> LensSnapshot | None:
    stmt = (
        select(LensSnapshot)
        .where(col(LensSnapshot.kind) == kind)
        .order_by(col(LensSnapshot.period).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def has_snapshot(kind: str, period: str, *, session: Session) -> bool:
    stmt = select(col(LensSnapshot.id)).where(
        col(LensSnapshot.kind) == kind, col(LensSnapshot.period) == period
    )
    return session.exec(stmt).first() is not None


def save_snapshot(kind: str, period: str, payload: str, now: datetime, *, session: Session) -> None:
    """Once per (kind, period): a second scheduler or a re-run keeps the first."""
    if has_snapshot(kind, period, session=session):
        return
    session.add(LensSnapshot(kind=kind, period=period, payload=payload, computed_at=now))


def replace_snapshot(
    kind: str, period: str, payload: str, now: datetime, *, session: Session
) -> None:
    """The (kind, period) snapshot computed again: its payload and time replaced."""
    session.execute(
        update(LensSnapshot)
        .where(col(LensSnapshot.kind) == kind, col(LensSnapshot.period) == period)
        .values(payload=payload, computed_at=now)
    )


def actions_since(since: datetime, *, session: Session) -> list[Action]:
    """Actions created or closed at or after `since` (the lens window and the quarter)."""
    stmt = select(Action).where(
        (col(Action.created_at) >= since) | (col(Action.closed_at) >= since)
    )
    return list(session.exec(stmt))
