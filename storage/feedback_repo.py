"""Queries for feedback, kudos and HR feedback rounds. Keyword-only `session`; aware UTC."""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, insert, select, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from cadence.domain.rounds import Assignment, Minimums
from cadence.domain.status import DeliveryStatus, RequestStatus, RoundStatus
from cadence.storage.models import (
    Delivery,
    Feedback,
    FeedbackRound,
    Kudos,
    KudosRecipient,
    Person,
    RoundAnswer,
    RoundRelease,
    RoundRequest,
    RoundSubject,
    SealedAnswer,
)

# ---------------------------------------------------------------- feedback


def add_feedback(
    giver_id: int,
    receiver_id: int,
    visibility: str,
    strengths: str,
    improvements: str,
    context_link: str,
    now: datetime,
    *,
    submission_key: str | None = None,
    session: Session,
) -> Feedback:
    """Store feedback once per submission: a repeated `submission_key` returns the stored row."""
    if submission_key:
        found: Feedback | None = session.execute(
            select(Feedback).where(col(Feedback.submission_key) == submission_key)
        ).scalar_one_or_none()
        if found is not None:
            return found
    row = Feedback(
        submission_key=submission_key or None,
        giver_id=giver_id,
        receiver_id=receiver_id,
        visibility=visibility,
        strengths=strengths,
        improvements=improvements,
        context_link=context_link,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


def iter_feedback_for_export(*, session: Session) -> Iterator[Feedback]:
    stmt = select(Feedback).order_by(col(Feedback.created_at), col(Feedback.id))
    yield from session.execute(stmt.execution_options(yield_per=1000)).scalars()


# ---------------------------------------------------------------- kudos


def add_kudos(
    giver_id: int,
    channel_id: str,
    message: str,
    recipient_ids: Sequence[int],
    now: datetime,
    *,
    session: Session,
) -> Kudos:
    kudos = Kudos(giver_id=giver_id, channel_id=channel_id, message=message, created_at=now)
    session.add(kudos)
    session.flush()
    assert kudos.id is not None  # noqa: S101 - just flushed
    for person_id in dict.fromkeys(recipient_ids):
        session.add(KudosRecipient(kudos_id=kudos.id, person_id=person_id))
    session.flush()
    return kudos


def kudos_given_between(giver_id: int, start: datetime, end: datetime, *, session: Session) -> int:
    stmt = select(func.count()).where(
        col(Kudos.giver_id) == giver_id, col(Kudos.created_at) >= start, col(Kudos.created_at) < end
    )
    return int(session.execute(stmt).scalar_one())


@dataclass(frozen=True, slots=True)
class ReceivedKudos:
    receiver_id: int
    giver_id: int
    giver_name: str
    giver_slack_id: str
    message: str  # plain text: escape before putting it into mrkdwn
    channel_id: str
    created_at: datetime


def kudos_received(
    person_ids: Iterable[int], period_start: datetime, period_end: datetime, *, session: Session
) -> dict[int, list[ReceivedKudos]]:
    """Kudos each person received in [period_start, period_end), newest first, keyed by the
    receiver's person id (people without kudos are absent). Kudos are public by design."""
    ids = list(set(person_ids))
    if not ids:
        return {}
    stmt = (
        select(col(KudosRecipient.person_id), Kudos, Person)
        .join(Kudos, col(Kudos.id) == KudosRecipient.kudos_id)
        .join(Person, col(Person.id) == Kudos.giver_id)
        .where(
            col(KudosRecipient.person_id).in_(ids),
            col(Kudos.created_at) >= period_start,
            col(Kudos.created_at) < period_end,
        )
        .order_by(col(Kudos.created_at).desc(), col(Kudos.id).desc())
    )
    found: dict[int, list[ReceivedKudos]] = defaultdict(list)
    for receiver_id, kudos, giver in session.execute(stmt):
        found[receiver_id].append(
            ReceivedKudos(
                receiver_id=receiver_id,
                giver_id=kudos.giver_id,
                giver_name=giver.name,
                giver_slack_id=giver.slack_id,
                message=kudos.message,
                channel_id=kudos.channel_id,
                created_at=kudos.created_at,
            )
        )
    return dict(found)


# ---------------------------------------------------------------- rounds


def create_round(
    round_: FeedbackRound,
    assignments: Sequence[Assignment],
    now: datetime,
    *,
    minimums: Mapping[int, int] | None = None,
    session: Session,
) -> FeedbackRound:
    """Store the round, its requests and `minimums` (subject id → the answers their groups
    need): only those above the round's own minimum are stored, the others need the round's."""
    session.add(round_)
    session.flush()
    assert round_.id is not None  # noqa: S101 - just flushed
    add_requests(round_.id, assignments, now, session=session)
    for subject_id, minimum in sorted((minimums or {}).items()):
        if minimum > round_.min_responses:
            session.add(
                RoundSubject(round_id=round_.id, subject_id=subject_id, min_responses=minimum)
            )
    session.flush()
    return round_


def minimums_of(rounds: Iterable[FeedbackRound], *, session: Session) -> dict[int, Minimums]:
    """Round id → how many answers each subject's groups need (domain.rounds.Minimums)."""
    by_id = {r.id: r for r in rounds if r.id is not None}
    raised: dict[int, dict[int, int]] = defaultdict(dict)
    if by_id:
        stmt = select(RoundSubject).where(col(RoundSubject.round_id).in_(list(by_id)))
        for row in session.execute(stmt).scalars():
            raised[row.round_id][row.subject_id] = row.min_responses
    return {i: Minimums(r.min_responses, raised.get(i, {})) for i, r in by_id.items()}


def minimums(round_: FeedbackRound, *, session: Session) -> Minimums:
    return minimums_of([round_], session=session).get(
        round_.id or 0, Minimums(round_.min_responses)
    )


def add_requests(
    round_id: int,
    assignments: Sequence[Assignment],
    now: datetime,
    *,
    status: str = RequestStatus.PENDING,
    session: Session,
) -> None:
    for a in assignments:
        session.add(
            RoundRequest(
                round_id=round_id,
                reviewer_id=a.reviewer_id,
                subject_id=a.subject_id,
                perspective=a.perspective,
                status=status,
                created_at=now,
            )
        )
    session.flush()


def recent_pairs(
    subject_ids: Iterable[int], since: datetime, *, session: Session
) -> set[tuple[int, int]]:
    """(reviewer, subject) pairs asked by any round since `since` (nominations included)."""
    ids = list(set(subject_ids))
    if not ids:
        return set()
    stmt = select(col(RoundRequest.reviewer_id), col(RoundRequest.subject_id)).where(
        col(RoundRequest.subject_id).in_(ids), col(RoundRequest.created_at) >= since
    )
    return {(r, s) for r, s in session.execute(stmt)}


def round_by_id(round_id: int, *, session: Session) -> FeedbackRound | None:
    return session.get(FeedbackRound, round_id)


def rounds_to_show(since: datetime, *, session: Session) -> list[FeedbackRound]:
    """Open rounds and rounds closed since `since`, newest first."""
    stmt = (
        select(FeedbackRound)
        .where(
            (col(FeedbackRound.status) == RoundStatus.OPEN)
            | (col(FeedbackRound.closed_at) >= since)
        )
        .order_by(col(FeedbackRound.id).desc())
    )
    return list(session.execute(stmt).scalars())


def open_rounds(*, session: Session) -> list[FeedbackRound]:
    stmt = select(FeedbackRound).where(col(FeedbackRound.status) == RoundStatus.OPEN)
    return list(session.execute(stmt.order_by(col(FeedbackRound.id))).scalars())


def requests_of(
    round_id: int, *, reviewer_id: int | None = None, session: Session
) -> list[RoundRequest]:
    stmt = select(RoundRequest).where(col(RoundRequest.round_id) == round_id)
    if reviewer_id is not None:
        stmt = stmt.where(col(RoundRequest.reviewer_id) == reviewer_id)
    return list(session.execute(stmt.order_by(col(RoundRequest.id))).scalars())


def request_by_id(request_id: int, *, session: Session) -> RoundRequest | None:
    return session.get(RoundRequest, request_id)


def progress(round_ids: Iterable[int], *, session: Session) -> dict[int, Counter[tuple[str, bool]]]:
    """Round id → how many requests per (status, whether their reviewer and their subject are
    both active now)."""
    ids = list(set(round_ids))
    if not ids:
        return {}
    reviewer, subject = aliased(Person), aliased(Person)
    both = and_(col(reviewer.active), col(subject.active))
    stmt = (
        select(col(RoundRequest.round_id), col(RoundRequest.status), both, func.count())
        .join(reviewer, col(reviewer.id) == RoundRequest.reviewer_id)
        .join(subject, col(subject.id) == RoundRequest.subject_id)
        .where(col(RoundRequest.round_id).in_(ids))
        .group_by(col(RoundRequest.round_id), col(RoundRequest.status), both)
    )
    counts: dict[int, Counter[tuple[str, bool]]] = defaultdict(Counter)
    for round_id, status, here, n in session.execute(stmt):
        counts[round_id][(status, bool(here))] += int(n)
    return dict(counts)


def reviewers_about(
    subject_ids: Iterable[int], *, open_only: bool = False, session: Session
) -> dict[int, set[int]]:
    """Round id → who was asked about any of `subject_ids` in it (any status but nominated:
    those were never told); with `open_only`, in open rounds only."""
    stmt = select(col(RoundRequest.round_id), col(RoundRequest.reviewer_id)).where(
        col(RoundRequest.subject_id).in_(list(set(subject_ids))),
        col(RoundRequest.status) != RequestStatus.NOMINATED,
    )
    if open_only:
        stmt = stmt.where(
            col(RoundRequest.round_id).in_(
                select(col(FeedbackRound.id)).where(col(FeedbackRound.status) == RoundStatus.OPEN)
            )
        )
    found: dict[int, set[int]] = defaultdict(set)
    for round_id, reviewer_id in session.execute(stmt):
        found[round_id].add(reviewer_id)
    return dict(found)


def declined_requests(round_ids: Iterable[int], *, session: Session) -> list[RoundRequest]:
    """Declined requests HR has not replaced yet, oldest first."""
    ids = list(set(round_ids))
    if not ids:
        return []
    stmt = (
        select(RoundRequest)
        .where(
            col(RoundRequest.round_id).in_(ids), col(RoundRequest.status) == RequestStatus.DECLINED
        )
        .order_by(col(RoundRequest.id))
    )
    return list(session.execute(stmt).scalars())


def replace_request(
    declined: RoundRequest, reviewer_id: int, now: datetime, *, session: Session
) -> RoundRequest | None:
    """Mark a declined request replaced (once: compare-and-set) and ask `reviewer_id` about
    the same subject from the same perspective. None when it was already replaced."""
    result = session.execute(
        update(RoundRequest)
        .where(
            col(RoundRequest.id) == declined.id,
            col(RoundRequest.status) == RequestStatus.DECLINED,
        )
        .values(status=RequestStatus.REPLACED)
    )
    if not getattr(result, "rowcount", 0):
        return None
    request = RoundRequest(
        round_id=declined.round_id,
        reviewer_id=reviewer_id,
        subject_id=declined.subject_id,
        perspective=declined.perspective,
        status=RequestStatus.PENDING,
        created_at=now,
    )
    session.add(request)
    session.flush()
    return request


def set_request_status(
    request_id: int, expected: str, status: str, *, reason: str = "", session: Session
) -> bool:
    """Compare-and-set a request's status (a double click answers once)."""
    result = session.execute(
        update(RoundRequest)
        .where(col(RoundRequest.id) == request_id, col(RoundRequest.status) == expected)
        .values(status=status, decline_reason=reason[:500])
    )
    return bool(getattr(result, "rowcount", 0))


def set_nominations_status(
    round_id: int, subject_id: int, expected: str, status: str, *, session: Session
) -> int:
    result = session.execute(
        update(RoundRequest)
        .where(
            col(RoundRequest.round_id) == round_id,
            col(RoundRequest.subject_id) == subject_id,
            col(RoundRequest.perspective) == "peer",
            col(RoundRequest.status) == expected,
        )
        .values(status=status)
    )
    return int(getattr(result, "rowcount", 0))


def _answer_row(
    answer_id: str,
    round_id: int,
    subject_id: int,
    perspective: str,
    reviewer_id: int | None,
    ratings: dict[str, int],
    comments: dict[str, str],
    submitted_at: datetime | None,
) -> dict[str, object]:
    return {
        "id": answer_id,
        "round_id": round_id,
        "subject_id": subject_id,
        "perspective": perspective,
        "reviewer_id": reviewer_id,
        "ratings": json.dumps(ratings, ensure_ascii=False, sort_keys=True),
        "comments": json.dumps(comments, ensure_ascii=False, sort_keys=True),
        "submitted_at": submitted_at,
    }


def add_answer(
    round_: FeedbackRound,
    request: RoundRequest,
    ratings: dict[str, int],
    comments: dict[str, str],
    now: datetime,
    *,
    session: Session,
) -> None:
    """Store an attributed answer (a named round, or the self and manager views, one known
    person each). In an anonymous round it carries neither the reviewer nor a time."""
    row = _answer_row(
        str(uuid.uuid4()),
        request.round_id,
        request.subject_id,
        request.perspective,
        None if round_.anonymous else request.reviewer_id,
        ratings,
        comments,
        None if round_.anonymous else now,
    )
    session.execute(insert(RoundAnswer), [row])


def add_sealed(
    round_id: int, subject_id: int, perspective: str, token: str, sealed: bytes, *, session: Session
) -> bool:
    """Pool one sealed answer; False when this token is pooled already (a double submission).
    The row names no reviewer and holds no time; its key is random."""
    found = session.execute(
        select(col(SealedAnswer.id)).where(col(SealedAnswer.token) == token)
    ).first()
    if found is not None:
        return False
    session.execute(
        insert(SealedAnswer),
        [
            {
                "id": str(uuid.uuid4()),
                "round_id": round_id,
                "subject_id": subject_id,
                "perspective": perspective,
                "token": token,
                "sealed": sealed,
            }
        ],
    )
    return True


def sealed_of(round_id: int, *, session: Session) -> list[SealedAnswer]:
    stmt = select(SealedAnswer).where(col(SealedAnswer.round_id) == round_id)
    return list(session.execute(stmt).scalars())


def sealed_by_token(token: str, *, session: Session) -> SealedAnswer | None:
    stmt = select(SealedAnswer).where(col(SealedAnswer.token) == token)
    return session.execute(stmt).scalars().first()


def replace_sealed(row_id: str, sealed: bytes, *, session: Session) -> None:
    session.execute(
        update(SealedAnswer).where(col(SealedAnswer.id) == row_id).values(sealed=sealed)
    )


def answered_in_open_rounds(
    reviewer_id: int, *, session: Session
) -> list[tuple[RoundRequest, FeedbackRound]]:
    """The reviewer's answered requests in rounds still open, with their round."""
    stmt = (
        select(RoundRequest, FeedbackRound)
        .join(FeedbackRound, col(FeedbackRound.id) == RoundRequest.round_id)
        .where(
            col(RoundRequest.reviewer_id) == reviewer_id,
            col(RoundRequest.status) == RequestStatus.ANSWERED,
            col(FeedbackRound.status) == RoundStatus.OPEN,
        )
        .order_by(col(RoundRequest.id))
    )
    return [(r, f) for r, f in session.execute(stmt)]


def delete_sealed(round_id: int, *, session: Session) -> int:
    result = session.execute(delete(SealedAnswer).where(col(SealedAnswer.round_id) == round_id))
    return int(getattr(result, "rowcount", 0))


def add_opened_answers(
    round_id: int,
    answers: Sequence[tuple[str, int, str, dict[str, int], dict[str, str]]],
    *,
    session: Session,
) -> None:
    """Write opened (id, subject, perspective, ratings, comments) answers with no reviewer and
    no time, in the order given (the caller shuffles and draws the random ids), in one
    statement."""
    rows = [_answer_row(i, round_id, s, p, None, r, c, None) for i, s, p, r, c in answers]
    if rows:
        session.execute(insert(RoundAnswer), rows)


def answers_about(round_id: int, subject_id: int, *, session: Session) -> list[RoundAnswer]:
    stmt = (
        select(RoundAnswer)
        .where(col(RoundAnswer.round_id) == round_id, col(RoundAnswer.subject_id) == subject_id)
        .order_by(col(RoundAnswer.id))
    )
    return list(session.execute(stmt).scalars())


def close_round(round_id: int, now: datetime, *, session: Session) -> bool:
    """Compare-and-set open → closed: only one caller gets True."""
    result = session.execute(
        update(FeedbackRound)
        .where(col(FeedbackRound.id) == round_id, col(FeedbackRound.status) == RoundStatus.OPEN)
        .values(status=RoundStatus.CLOSED, closed_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def extend_round(round_id: int, deadline: datetime, *, session: Session) -> bool:
    result = session.execute(
        update(FeedbackRound)
        .where(col(FeedbackRound.id) == round_id, col(FeedbackRound.status) == RoundStatus.OPEN)
        .values(deadline=deadline)
    )
    return bool(getattr(result, "rowcount", 0))


def add_release(
    round_id: int, subject_id: int, manager_id: int | None, *, session: Session
) -> None:
    session.add(RoundRelease(round_id=round_id, subject_id=subject_id, manager_id=manager_id))
    session.flush()


def release_for(round_id: int, subject_id: int, *, session: Session) -> RoundRelease | None:
    """Where a subject's results went at close, and whether they were released."""
    stmt = select(RoundRelease).where(
        col(RoundRelease.round_id) == round_id, col(RoundRelease.subject_id) == subject_id
    )
    return session.execute(stmt).scalar_one_or_none()


def release(
    round_id: int, subject_id: int, manager_id: int, now: datetime, *, session: Session
) -> bool:
    """Mark a subject's results released by their manager (once)."""
    result = session.execute(
        update(RoundRelease)
        .where(
            col(RoundRelease.round_id) == round_id,
            col(RoundRelease.subject_id) == subject_id,
            col(RoundRelease.manager_id) == manager_id,
            col(RoundRelease.released_at).is_(None),
        )
        .values(released_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def iter_round_answers_for_export(
    *, session: Session
) -> Iterator[tuple[RoundAnswer, FeedbackRound, Person, Person | None]]:
    stmt = (
        select(RoundAnswer, FeedbackRound, Person)
        .join(FeedbackRound, col(FeedbackRound.id) == RoundAnswer.round_id)
        .join(Person, col(Person.id) == RoundAnswer.subject_id)
        .order_by(col(RoundAnswer.round_id), col(Person.slack_id), col(RoundAnswer.perspective))
        .order_by(col(RoundAnswer.id))
    )
    rows = list(session.execute(stmt))
    reviewers = {
        p.id: p
        for p in session.execute(
            select(Person).where(
                col(Person.id).in_({a.reviewer_id for a, _, _ in rows if a.reviewer_id})
            )
        ).scalars()
    }
    for answer, round_, subject in rows:
        yield answer, round_, subject, reviewers.get(answer.reviewer_id or 0)


# ---------------------------------------------------------------- DM budget


def nudges_between(
    recipient: str, kinds: Sequence[str], start: datetime, end: datetime, *, session: Session
) -> int:
    """Reminders of `kinds` queued or sent to `recipient` in [start, end) (not skipped ones)."""
    stmt = select(func.count()).where(
        col(Delivery.recipient) == recipient,
        col(Delivery.kind).in_(list(kinds)),
        col(Delivery.status).in_(
            [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT]
        ),
        col(Delivery.created_at) >= start,
        col(Delivery.created_at) < end,
    )
    return int(session.execute(stmt).scalar_one())
