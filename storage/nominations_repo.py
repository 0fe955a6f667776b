"""Peer nominations in feedback rounds: who was asked to nominate, their one set of nominees
(replaced on each submission until approved), and the approval (compare-and-set on the
revision the approver saw)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from cadence.domain.rounds import Assignment
from cadence.domain.status import RequestStatus
from cadence.storage.feedback_repo import add_requests
from cadence.storage.models import RoundNomination, RoundRequest


def add_nominating(round_id: int, subject_ids: Iterable[int], *, session: Session) -> None:
    """Record the subjects HR asked to nominate their peers (at round creation)."""
    for subject_id in dict.fromkeys(subject_ids):
        session.add(RoundNomination(round_id=round_id, subject_id=subject_id))
    session.flush()


def nomination_for(round_id: int, subject_id: int, *, session: Session) -> RoundNomination | None:
    stmt = select(RoundNomination).where(
        col(RoundNomination.round_id) == round_id, col(RoundNomination.subject_id) == subject_id
    )
    return session.execute(stmt).scalar_one_or_none()


def replace_nominees(
    round_id: int,
    subject_id: int,
    seen_revision: int,
    assignments: Sequence[Assignment],
    now: datetime,
    *,
    session: Session,
) -> int | None:
    """Replace the subject's not-yet-approved nominees with `assignments`; the new revision,
    or None when the set was approved or changed since `seen_revision` was read."""
    result = session.execute(
        update(RoundNomination)
        .where(
            col(RoundNomination.round_id) == round_id,
            col(RoundNomination.subject_id) == subject_id,
            col(RoundNomination.revision) == seen_revision,
            col(RoundNomination.approved_at).is_(None),
        )
        .values(revision=seen_revision + 1)
    )
    if not getattr(result, "rowcount", 0):
        return None
    session.execute(
        delete(RoundRequest).where(
            col(RoundRequest.round_id) == round_id,
            col(RoundRequest.subject_id) == subject_id,
            col(RoundRequest.perspective) == "peer",
            col(RoundRequest.status) == RequestStatus.NOMINATED,
        )
    )
    add_requests(round_id, assignments, now, status=RequestStatus.NOMINATED, session=session)
    return seen_revision + 1


def approve(
    round_id: int,
    subject_id: int,
    revision: int,
    approver_id: int,
    now: datetime,
    *,
    session: Session,
) -> bool:
    """Approve exactly revision `revision` of the set, once."""
    result = session.execute(
        update(RoundNomination)
        .where(
            col(RoundNomination.round_id) == round_id,
            col(RoundNomination.subject_id) == subject_id,
            col(RoundNomination.revision) == revision,
            col(RoundNomination.revision) > 0,
            col(RoundNomination.approved_at).is_(None),
        )
        .values(approved_by_id=approver_id, approved_at=now)
    )
    return bool(getattr(result, "rowcount", 0))
