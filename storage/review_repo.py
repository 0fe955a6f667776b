"""Repository functions for quarterly reviews, goals and key results. Keyword-only `session`;
aware UTC times."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col

from cadence.domain.goals import GoalInput
from cadence.domain.reviews import Assessment
from cadence.storage.models import Goal, KeyResult, Person, Review

# ---------------------------------------------------------------- org chart


def manager_map(*, session: Session) -> dict[int, int | None]:
    """Everyone's current manager (person id → manager id), from the stored org chart."""
    rows = session.execute(select(col(Person.id), col(Person.manager_id)))
    return {int(pid): mid for pid, mid in rows}


# ---------------------------------------------------------------- reviews


def review_for(person_id: int, quarter: str, *, session: Session) -> Review | None:
    stmt = select(Review).where(col(Review.person_id) == person_id, col(Review.quarter) == quarter)
    return session.execute(stmt).scalar_one_or_none()


def reviews_for(person_ids: Iterable[int], quarter: str, *, session: Session) -> dict[int, Review]:
    ids = list(set(person_ids))
    if not ids:
        return {}
    stmt = select(Review).where(col(Review.person_id).in_(ids), col(Review.quarter) == quarter)
    return {r.person_id: r for r in session.execute(stmt).scalars()}


def reviews_in(quarter: str, *, session: Session) -> list[Review]:
    stmt = select(Review).where(col(Review.quarter) == quarter).order_by(col(Review.id))
    return list(session.execute(stmt).scalars())


def _ensure_review(person_id: int, quarter: str, now: datetime, *, session: Session) -> Review:
    """The one review row for (person, quarter), created race-free on both backends."""
    values = {
        "person_id": person_id,
        "quarter": quarter,
        "self_answers": "{}",
        "manager_answers": "{}",
        "ack_comment": "",
        "created_at": now,
    }
    dialect = session.get_bind().dialect.name
    stmt: Any = (pg_insert if dialect == "postgresql" else sqlite_insert)(Review).values(values)
    session.execute(stmt.on_conflict_do_nothing(index_elements=["person_id", "quarter"]))
    session.expire_all()
    found = review_for(person_id, quarter, session=session)
    assert found is not None  # noqa: S101 - just written in this transaction
    return found


def _dump(answers: Assessment) -> str:
    return json.dumps(answers.to_json(), ensure_ascii=False, separators=(",", ":"))


def save_self_assessment(
    person_id: int,
    quarter: str,
    answers: Assessment,
    *,
    final: bool,
    now: datetime,
    session: Session,
) -> Review | None:
    """Store a draft or the final self-assessment. None when it was already submitted (a
    submitted self-assessment is what the manager reads; it no longer changes)."""
    review = _ensure_review(person_id, quarter, now, session=session)
    values: dict[str, Any] = {"self_answers": _dump(answers), "self_updated_at": now}
    if final:
        values["self_submitted_at"] = now
    result = session.execute(
        update(Review)
        .where(col(Review.id) == review.id, col(Review.self_submitted_at).is_(None))
        .values(**values)
    )
    if not getattr(result, "rowcount", 0):
        return None
    session.expire_all()
    return review_for(person_id, quarter, session=session)


def save_manager_assessment(
    person_id: int,
    quarter: str,
    manager_id: int,
    answers: Assessment,
    *,
    release: bool,
    now: datetime,
    session: Session,
) -> Review | None:
    """Store the manager's draft, or release it. None when it was already released."""
    review = _ensure_review(person_id, quarter, now, session=session)
    values: dict[str, Any] = {
        "manager_answers": _dump(answers),
        "manager_id": manager_id,
        "manager_updated_at": now,
    }
    if release:
        values["released_at"] = now
    result = session.execute(
        update(Review)
        .where(col(Review.id) == review.id, col(Review.released_at).is_(None))
        .values(**values)
    )
    if not getattr(result, "rowcount", 0):
        return None
    session.expire_all()
    return review_for(person_id, quarter, session=session)


def acknowledge_review(review_id: int, comment: str, now: datetime, *, session: Session) -> bool:
    """Record the employee's acknowledgement of a released review (a second one updates the
    comment, keeping the first time)."""
    stmt = update(Review).where(col(Review.id) == review_id, col(Review.released_at).is_not(None))
    first = session.execute(
        stmt.where(col(Review.acknowledged_at).is_(None)).values(
            acknowledged_at=now, ack_comment=comment
        )
    )
    if getattr(first, "rowcount", 0):
        return True
    again = session.execute(stmt.values(ack_comment=comment))
    return bool(getattr(again, "rowcount", 0))


def iter_reviews_for_export(*, session: Session) -> Iterator[tuple[Review, Person]]:
    stmt = (
        select(Review, Person)
        .join(Person, col(Person.id) == Review.person_id)
        .order_by(Review.quarter, Person.slack_id)
        .execution_options(yield_per=500)
    )
    yield from session.execute(stmt)


# ---------------------------------------------------------------- goals


def add_goal(
    person_id: int, quarter: str, goal: GoalInput, now: datetime, *, session: Session
) -> Goal:
    row = Goal(
        person_id=person_id,
        quarter=quarter,
        objective=goal.objective,
        aligned_to_id=goal.aligned_to,
        created_at=now,
    )
    session.add(row)
    session.flush()
    assert row.id is not None  # noqa: S101 - flushed
    for position, kr in enumerate(goal.key_results):
        session.add(
            KeyResult(
                goal_id=row.id,
                position=position,
                kind=kr.kind,
                metric=kr.metric,
                description=kr.description,
                baseline=kr.baseline,
                target=kr.target,
                due=kr.due,
            )
        )
    session.flush()
    return row


def goals_for(
    person_ids: Iterable[int], quarter: str, *, session: Session
) -> list[tuple[Goal, list[KeyResult]]]:
    """The quarter's goals of these people with their key results, oldest first."""
    ids = list(set(person_ids))
    if not ids:
        return []
    goals = list(
        session.execute(
            select(Goal)
            .where(col(Goal.person_id).in_(ids), col(Goal.quarter) == quarter)
            .order_by(col(Goal.id))
        ).scalars()
    )
    if not goals:
        return []
    krs: dict[int, list[KeyResult]] = {}
    rows = session.execute(
        select(KeyResult)
        .where(col(KeyResult.goal_id).in_([g.id for g in goals]))
        .order_by(col(KeyResult.goal_id), col(KeyResult.position))
    ).scalars()
    for kr in rows:
        krs.setdefault(kr.goal_id, []).append(kr)
    return [(g, krs.get(g.id or 0, [])) for g in goals]


def goals_by_ids(ids: Iterable[int], *, session: Session) -> dict[int, Goal]:
    wanted = list(set(ids))
    if not wanted:
        return {}
    rows = session.execute(select(Goal).where(col(Goal.id).in_(wanted))).scalars()
    return {g.id: g for g in rows if g.id is not None}


def set_key_result_values(
    person_id: int, values: Sequence[tuple[int, float]], now: datetime, *, session: Session
) -> set[int]:
    """Update described key results' current values; only the person's own. Returns the ids
    updated."""
    changed: set[int] = set()
    own = select(col(Goal.id)).where(col(Goal.person_id) == person_id)
    for kr_id, value in values:
        result = session.execute(
            update(KeyResult)
            .where(
                col(KeyResult.id) == kr_id,
                col(KeyResult.metric) == "",
                col(KeyResult.goal_id).in_(own),
            )
            .values(current_value=value, updated_at=now)
        )
        if getattr(result, "rowcount", 0):
            changed.add(kr_id)
    return changed
