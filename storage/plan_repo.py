"""Development plans (domain.plans): reads and writes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from cadence.storage.models import Plan

OPEN = "open"


def open_plan_of(person_id: int, *, session: Session) -> Plan | None:
    stmt = select(Plan).where(col(Plan.person_id) == person_id, col(Plan.status) == OPEN)
    return session.exec(stmt).first()


def open_plans(person_ids: Iterable[int] | None = None, *, session: Session) -> list[Plan]:
    """Open plans (of `person_ids`, or everyone's), soonest end first."""
    stmt = select(Plan).where(col(Plan.status) == OPEN)
    if person_ids is not None:
        stmt = stmt.where(col(Plan.person_id).in_(sorted(set(person_ids))))
    return list(session.exec(stmt.order_by(col(Plan.end_date), col(Plan.id))))


def plan_by_id(plan_id: int, *, session: Session) -> Plan | None:
    return session.get(Plan, plan_id)


def add_plan(plan: Plan, *, session: Session) -> Plan:
    session.add(plan)
    session.flush()
    return plan


def end_plan(
    plan_id: int, status: str, ended_by_id: int, now: datetime, *, session: Session
) -> bool:
    """Record the outcome of an open plan; False when it was no longer open."""
    plan = session.get(Plan, plan_id)
    if plan is None or plan.status != OPEN:
        return False
    plan.status, plan.ended_by_id, plan.ended_at = status, ended_by_id, now
    return True
