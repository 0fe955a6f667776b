"""SQL for people's rights over their data: erasing a person, retention, and reading
everything held about someone."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    ColumnElement,
    String,
    Table,
    TypeDecorator,
    delete,
    or_,
    select,
    update,
)
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col

from cadence.domain.rights import (
    REMOVED,
    identity_pattern,
    json_texts,
    mentions,
    scrub_json,
    scrub_message,
    snippets,
)
from cadence.domain.status import DeliveryStatus, RequestStatus, RoundStatus
from cadence.storage.models import (
    Action,
    AuditEvent,
    Checkin,
    Delivery,
    Feedback,
    FeedbackRound,
    Goal,
    KeyResult,
    Kudos,
    KudosRecipient,
    Person,
    Plan,
    Review,
    RoundAnswer,
    RoundRequest,
    SealedAnswer,
)

REMOVED_PAYLOAD = '{"text":"(removed)"}'
UNSENT = (DeliveryStatus.PENDING, DeliveryStatus.SENDING)
GIVEN_UP = (DeliveryStatus.SKIPPED, DeliveryStatus.FAILED)


@dataclass(frozen=True, slots=True)
class Shown:
    """A message delivered to someone else (a DM, a channel post) that named an erased person
    or quoted their text, in its newest version, and what it should read in Slack now."""

    key: str  # its outbox key now
    old_key: str  # as it was before the erasure (their Slack ID where a key held it)
    kind: str
    recipient: str
    scrubbed: dict[str, Any]  # domain.rights.scrub_message of its newest version


@dataclass(frozen=True, slots=True)
class Kept:
    """A message to someone else not sent yet that named an erased person or quoted their
    text: kept, its stored payload scrubbed (domain.rights.scrub_message, as Slack's copy of
    a delivered one), for services.rights to render again where it can."""

    key: str  # its outbox key now
    old_key: str  # as it was before the erasure (their Slack ID where a key held it)
    kind: str
    recipient: str
    method: str
    status: str  # pending, or sending: a sender may be posting the old payload right now
    scrubbed: dict[str, Any]


@dataclass
class Erasure:
    person_id: int
    token: str
    texts: int = 0  # free-text fields removed
    messages_deleted: int = 0
    messages_scrubbed: int = 0
    mentions: dict[str, int] = field(default_factory=dict)  # table → cells rewritten
    shown: list[Shown] = field(default_factory=list)  # to update in Slack (services.rights)
    kept: list[Kept] = field(default_factory=list)  # others' unsent messages, scrubbed


def _texts_of(person_id: int, *, session: Session) -> list[str]:
    """Every free text this person wrote or that was written about them (before erasure)."""
    found: list[str] = []
    for row in session.execute(
        select(col(Checkin.wins), col(Checkin.blockers), col(Checkin.priorities)).where(
            col(Checkin.person_id) == person_id
        )
    ):
        found.extend(row)
    about = or_(col(Feedback.giver_id) == person_id, col(Feedback.receiver_id) == person_id)
    for row in session.execute(
        select(col(Feedback.strengths), col(Feedback.improvements)).where(about)
    ):
        found.extend(row)
    found.extend(
        session.scalars(select(col(Kudos.message)).where(col(Kudos.giver_id) == person_id))
    )
    reviews = or_(col(Review.person_id) == person_id, col(Review.manager_id) == person_id)
    for self_a, manager_a, ack in session.execute(
        select(
            col(Review.self_answers), col(Review.manager_answers), col(Review.ack_comment)
        ).where(reviews)
    ):
        found += json_texts(self_a) + json_texts(manager_a) + [ack]
    goal_ids = list(session.scalars(select(col(Goal.id)).where(col(Goal.person_id) == person_id)))
    found.extend(session.scalars(select(col(Goal.objective)).where(col(Goal.id).in_(goal_ids))))
    found.extend(
        session.scalars(
            select(col(KeyResult.description)).where(col(KeyResult.goal_id).in_(goal_ids))
        )
    )
    acts = or_(col(Action.manager_id) == person_id, col(Action.report_id) == person_id)
    found.extend(session.scalars(select(col(Action.text)).where(acts)))
    plans = or_(col(Plan.person_id) == person_id, col(Plan.opened_by_id) == person_id)
    for quality, output, support, note in session.execute(
        select(
            col(Plan.quality_result),
            col(Plan.output_result),
            col(Plan.support),
            col(Plan.outcome_note),
        ).where(plans)
    ):
        found += [quality, output, note] + json_texts(support)
    found.extend(
        session.scalars(
            select(col(RoundRequest.decline_reason)).where(
                col(RoundRequest.reviewer_id) == person_id
            )
        )
    )
    answers = or_(
        col(RoundAnswer.reviewer_id) == person_id, col(RoundAnswer.subject_id) == person_id
    )
    for comments in session.scalars(select(col(RoundAnswer.comments)).where(answers)):
        found += json_texts(comments)
    return [t for t in found if t and t != REMOVED]


def _set_removed(
    model: type[SQLModel], columns: Iterable[str], where: object, *, session: Session
) -> int:
    """Replace non-empty free text in `columns` of the matching rows by "(removed)"."""
    n = 0
    for name in columns:
        column = getattr(model, name)
        result = session.execute(
            update(model)
            .where(where, column != "", column != REMOVED)  # type: ignore[arg-type]
            .values({name: REMOVED})
        )
        n += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return n


def _remove_plan_text(where: object, *, session: Session) -> int:
    """A plan's results, support and note read "(removed)" (its dates and outcome stay)."""
    n = _set_removed(
        Plan, ("quality_result", "output_result", "outcome_note"), where, session=session
    )
    removed_support = json.dumps([{"what": REMOVED, "owner": ""}])
    result = session.execute(
        update(Plan)
        .where(where, col(Plan.support) != removed_support)  # type: ignore[arg-type]
        .values(support=removed_support)
    )
    return n + int(result.rowcount or 0)  # type: ignore[attr-defined]


def _scrub_json_column(
    model: type[SQLModel], columns: Iterable[str], where: object, *, session: Session
) -> int:
    pk = model.__table__.primary_key.columns.values()[0]  # type: ignore[attr-defined]
    n = 0
    for name in columns:
        column = getattr(model, name)
        rows = session.execute(select(pk, column).where(where)).all()  # type: ignore[arg-type]
        for key, raw in rows:
            clean = scrub_json(raw)
            if clean != raw:
                session.execute(update(model).where(pk == key).values({name: clean}))
                n += 1
    return n


def erase_person(person: Person, token: str, now: datetime, *, session: Session) -> Erasure:
    """Erase one person in the caller's transaction (see services.rights.forget)."""
    pid = person.id
    if pid is None:
        raise ValueError("a stored person has an id")
    old_id, name, email = person.slack_id, person.name, person.email
    result = Erasure(person_id=pid, token=token)
    named = identity_pattern([old_id, name, email])
    known = snippets(_texts_of(pid, session=session))

    t = 0
    t += _set_removed(
        Checkin, ("wins", "blockers", "priorities"), col(Checkin.person_id) == pid, session=session
    )
    fb = or_(col(Feedback.giver_id) == pid, col(Feedback.receiver_id) == pid)
    t += _set_removed(Feedback, ("strengths", "improvements"), fb, session=session)
    session.execute(update(Feedback).where(fb).values(context_link=""))
    t += _set_removed(Kudos, ("message",), col(Kudos.giver_id) == pid, session=session)
    rv = or_(col(Review.person_id) == pid, col(Review.manager_id) == pid)
    t += _scrub_json_column(Review, ("self_answers", "manager_answers"), rv, session=session)
    t += _set_removed(Review, ("ack_comment",), rv, session=session)
    goal_ids = select(col(Goal.id)).where(col(Goal.person_id) == pid)
    t += _set_removed(Goal, ("objective",), col(Goal.person_id) == pid, session=session)
    t += _set_removed(
        KeyResult, ("description",), col(KeyResult.goal_id).in_(goal_ids), session=session
    )
    acts = or_(col(Action.manager_id) == pid, col(Action.report_id) == pid)
    t += _set_removed(Action, ("text",), acts, session=session)
    plans = or_(col(Plan.person_id) == pid, col(Plan.opened_by_id) == pid)
    t += _remove_plan_text(plans, session=session)
    t += _set_removed(
        RoundRequest, ("decline_reason",), col(RoundRequest.reviewer_id) == pid, session=session
    )
    ans = or_(col(RoundAnswer.reviewer_id) == pid, col(RoundAnswer.subject_id) == pid)
    t += _scrub_json_column(RoundAnswer, ("comments",), ans, session=session)
    result.texts = t
    _leave_open_rounds(pid, session=session)

    # The outbox: nothing unsent goes to them; what others are still to get keeps no trace of
    # them (scrubbed as Slack's copy of a delivered message is); what was sent keeps no trace.
    # What others were shown or are still to get about them is collected to be updated in
    # Slack or rendered again (services.rights).
    identity = [old_id, name, email, *name.split()[:1]]  # greetings use the first name
    originals: list[tuple[int, str, str, str, str, bool]] = []
    kept: dict[int, tuple[str, str, str, str, str, dict[str, Any]]] = {}
    latest: dict[str, tuple[str, bool]] = {}  # original key → its newest version, and about?
    for row_id, key, kind, recipient, method, status, payload, update_of, ts in session.execute(
        select(
            col(Delivery.id),
            col(Delivery.key),
            col(Delivery.kind),
            col(Delivery.recipient),
            col(Delivery.method),
            col(Delivery.status),
            col(Delivery.payload),
            col(Delivery.update_of),
            col(Delivery.slack_ts),
        )
    ):
        about = (
            recipient == old_id
            or (named is not None and named.search(payload) is not None)
            or mentions(payload, known)
        )
        if method == "chat.update" and update_of and status not in GIVEN_UP:
            latest[update_of] = (payload, about)
        elif method == "chat.postMessage" and status == DeliveryStatus.SENT and ts:
            if recipient != old_id:
                originals.append((row_id, key, kind, recipient, payload, about))
        if not about:
            continue
        if status in UNSENT and recipient == old_id:
            session.execute(delete(Delivery).where(col(Delivery.id) == row_id))
            result.messages_deleted += 1
        elif status in UNSENT:
            clean = scrub_message(payload, identity, known)
            session.execute(
                update(Delivery)
                .where(col(Delivery.id) == row_id)
                .values(payload=json.dumps(clean, ensure_ascii=False, separators=(",", ":")))
            )
            kept[row_id] = (key, kind, recipient, method, status, clean)
            result.messages_scrubbed += 1
        elif payload != REMOVED_PAYLOAD:
            session.execute(
                update(Delivery).where(col(Delivery.id) == row_id).values(payload=REMOVED_PAYLOAD)
            )
            result.messages_scrubbed += 1
    shown: dict[int, tuple[str, str, str, dict[str, Any]]] = {}
    for row_id, key, kind, recipient, payload, about in originals:
        newest, newest_about = latest.get(key, (payload, False))
        if about or newest_about:
            shown[row_id] = (key, kind, recipient, scrub_message(newest, identity, known))

    session.execute(
        update(Person)
        .where(col(Person.id) == pid)
        .values(
            slack_id=token,
            name=REMOVED,
            email="",
            active=False,
            hr_admin=False,
            erased_at=now,
            updated_at=now,
        )
    )
    # Whatever still names them (keys, recipients, audit rows, others' messages and the HR
    # lens's snapshots): their Slack ID becomes the token, their name and email go.
    pairs = {old_id: token, name: REMOVED, email: ""}
    result.mentions = replace_everywhere(
        {old: new for old, new in pairs.items() if old}, session=session
    )
    # Their Slack ID in an outbox key became the token: the updates go to the keys as they are.
    keys_now = dict(
        session.execute(
            select(col(Delivery.id), col(Delivery.key)).where(col(Delivery.id).in_([*shown, *kept]))
        ).all()
    )
    result.shown = [
        Shown(keys_now.get(row_id, key), key, kind, recipient, scrubbed)
        for row_id, (key, kind, recipient, scrubbed) in shown.items()
    ]
    result.kept = [
        Kept(keys_now.get(row_id, key), key, kind, recipient, method, status, scrubbed)
        for row_id, (key, kind, recipient, method, status, scrubbed) in kept.items()
    ]
    return result


def _leave_open_rounds(pid: int, *, session: Session) -> None:
    """Anonymous answers about them waiting sealed in a pool are deleted unread (no results
    about them go out: services.rounds), and nobody is asked any more about them or asks
    them: in open rounds their unanswered requests are withdrawn (kept, so that a click on
    one says so) and nominations not yet approved (never shown to anyone) deleted. Answers
    they gave stay counted (services.rounds.blank_sealed_answers_of removed their text)."""
    session.execute(delete(SealedAnswer).where(col(SealedAnswer.subject_id) == pid))
    theirs = or_(col(RoundRequest.reviewer_id) == pid, col(RoundRequest.subject_id) == pid)
    still_open = col(RoundRequest.round_id).in_(
        select(col(FeedbackRound.id)).where(col(FeedbackRound.status) == RoundStatus.OPEN)
    )
    session.execute(
        delete(RoundRequest).where(
            theirs, still_open, col(RoundRequest.status) == RequestStatus.NOMINATED
        )
    )
    session.execute(
        update(RoundRequest)
        .where(theirs, still_open, col(RoundRequest.status) == RequestStatus.PENDING)
        .values(status=RequestStatus.WITHDRAWN)
    )


def is_text(column: ColumnElement[Any]) -> bool:
    """A column holding text (String, Text, sqlmodel's AutoString)."""
    kind = column.type
    if isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return isinstance(kind, String)


def text_columns() -> Iterator[tuple[Table, list[Column[Any]]]]:
    """Every table with its text columns (tables added later count too)."""
    for table in SQLModel.metadata.sorted_tables:
        columns = [c for c in table.columns if is_text(c)]
        if columns:
            yield table, columns


def replace_everywhere(replacements: dict[str, str], *, session: Session) -> dict[str, int]:
    """Replace each key of `replacements` (a Slack ID, name or email, matched as a whole) by
    its value in every text column of every table; cells changed per table."""
    pattern = identity_pattern(replacements)
    if pattern is None:
        return {}
    changed: dict[str, int] = {}
    for table in SQLModel.metadata.sorted_tables:
        keys = list(table.primary_key.columns)
        for column in table.columns:
            if not is_text(column) or column.primary_key or not keys:
                continue
            near = or_(*(column.contains(old, autoescape=True) for old in replacements))
            for row in session.execute(select(column, *keys).where(near)).all():
                value = row[0]
                clean = pattern.sub(lambda m: replacements[m.group(0)], value)
                if clean == value:
                    continue
                where = [k == v for k, v in zip(keys, row[1:], strict=True)]
                session.execute(update(table).where(*where).values({column.name: clean}))
                changed[table.name] = changed.get(table.name, 0) + 1
    return changed


def audit_rows_about(slack_id: str, *, session: Session) -> list[AuditEvent]:
    """Audit entries that touched this person's data: naming them, or exporting everyone's."""
    stmt = (
        select(AuditEvent)
        .where(
            or_(
                col(AuditEvent.subject) == slack_id,
                col(AuditEvent.detail).contains(slack_id, autoescape=True),
                col(AuditEvent.action).startswith("export."),
            )
        )
        .order_by(col(AuditEvent.at))
    )
    return list(session.scalars(stmt))


# ---------------------------------------------------------------- /cadence my-data


@dataclass
class Held:
    """Everything stored about one person, as rows (services.rights shapes the file)."""

    checkins: list[Checkin]
    feedback_given: list[tuple[Feedback, Person]]  # with the receiver
    feedback_received: list[tuple[Feedback, Person]]  # with the giver
    kudos_given: list[Kudos]
    kudos_received: list[tuple[Kudos, Person]]  # with the giver
    reviews: list[Review]
    goals: list[tuple[Goal, list[KeyResult]]]
    actions_owned: list[Action]
    plans: list[Plan]  # plans about them (they see their own, DESIGN.md section 6)
    requests: list[tuple[RoundRequest, FeedbackRound, Person]]  # asked of them, with subject
    own_answers: list[tuple[RoundAnswer, FeedbackRound]]  # attributed answers they gave
    rounds_about: list[FeedbackRound]  # closed rounds with them as subject


def held_about(person: Person, *, session: Session) -> Held:
    pid = person.id
    giver, receiver = aliased(Person), aliased(Person)
    goals = list(
        session.scalars(select(Goal).where(col(Goal.person_id) == pid).order_by(col(Goal.id)))
    )
    results: dict[int, list[KeyResult]] = {g.id or 0: [] for g in goals}
    for kr in session.scalars(
        select(KeyResult)
        .where(col(KeyResult.goal_id).in_(list(results)))
        .order_by(col(KeyResult.position))
    ):
        results[kr.goal_id].append(kr)
    subject = aliased(Person)
    return Held(
        checkins=list(
            session.scalars(
                select(Checkin).where(col(Checkin.person_id) == pid).order_by(col(Checkin.period))
            )
        ),
        feedback_given=[
            (f, p)
            for f, p in session.execute(
                select(Feedback, receiver)
                .join(receiver, col(receiver.id) == Feedback.receiver_id)
                .where(col(Feedback.giver_id) == pid)
                .order_by(col(Feedback.id))
            )
        ],
        feedback_received=[
            (f, p)
            for f, p in session.execute(
                select(Feedback, giver)
                .join(giver, col(giver.id) == Feedback.giver_id)
                .where(col(Feedback.receiver_id) == pid)
                .order_by(col(Feedback.id))
            )
        ],
        kudos_given=list(
            session.scalars(select(Kudos).where(col(Kudos.giver_id) == pid).order_by(col(Kudos.id)))
        ),
        kudos_received=[
            (k, p)
            for k, p in session.execute(
                select(Kudos, giver)
                .join(KudosRecipient, col(KudosRecipient.kudos_id) == Kudos.id)
                .join(giver, col(giver.id) == Kudos.giver_id)
                .where(col(KudosRecipient.person_id) == pid)
                .order_by(col(Kudos.id))
            )
        ],
        reviews=list(
            session.scalars(
                select(Review).where(col(Review.person_id) == pid).order_by(col(Review.quarter))
            )
        ),
        goals=[(g, results[g.id or 0]) for g in goals],
        actions_owned=list(
            session.scalars(
                select(Action)
                .where(col(Action.owner_slack_id) == person.slack_id)
                .order_by(col(Action.id))
            )
        ),
        plans=list(
            session.scalars(select(Plan).where(col(Plan.person_id) == pid).order_by(col(Plan.id)))
        ),
        requests=[
            (r, f, p)
            for r, f, p in session.execute(
                select(RoundRequest, FeedbackRound, subject)
                .join(FeedbackRound, col(FeedbackRound.id) == RoundRequest.round_id)
                .join(subject, col(subject.id) == RoundRequest.subject_id)
                .where(col(RoundRequest.reviewer_id) == pid)
                .order_by(col(RoundRequest.id))
            )
        ],
        own_answers=[
            (a, f)
            for a, f in session.execute(
                select(RoundAnswer, FeedbackRound)
                .join(FeedbackRound, col(FeedbackRound.id) == RoundAnswer.round_id)
                .where(col(RoundAnswer.reviewer_id) == pid)
            )
        ],
        rounds_about=list(
            session.scalars(
                select(FeedbackRound)
                .where(
                    col(FeedbackRound.id).in_(
                        select(col(RoundRequest.round_id)).where(
                            col(RoundRequest.subject_id) == pid
                        )
                    ),
                    col(FeedbackRound.closed_at).is_not(None),
                )
                .order_by(col(FeedbackRound.id))
            )
        ),
    )


# ---------------------------------------------------------------- retention


def has_audit(action: str, subject: str, *, session: Session) -> bool:
    stmt = select(col(AuditEvent.id)).where(
        col(AuditEvent.action) == action, col(AuditEvent.subject) == subject
    )
    return session.execute(stmt.limit(1)).first() is not None


def remove_text_before(cutoff: datetime, *, session: Session) -> int:
    """Free text written before `cutoff` reads "(removed)" (numbers stay); how many texts."""
    n = _set_removed(
        Checkin,
        ("wins", "blockers", "priorities"),
        col(Checkin.updated_at) < cutoff,
        session=session,
    )
    old_feedback = col(Feedback.created_at) < cutoff
    n += _set_removed(Feedback, ("strengths", "improvements"), old_feedback, session=session)
    session.execute(
        update(Feedback)
        .where(old_feedback, col(Feedback.context_link) != "")
        .values(context_link="")
    )
    n += _set_removed(Kudos, ("message",), col(Kudos.created_at) < cutoff, session=session)
    old_review = col(Review.created_at) < cutoff
    n += _scrub_json_column(
        Review, ("self_answers", "manager_answers"), old_review, session=session
    )
    n += _set_removed(Review, ("ack_comment",), old_review, session=session)
    old_goal = col(Goal.created_at) < cutoff
    n += _set_removed(Goal, ("objective",), old_goal, session=session)
    n += _set_removed(
        KeyResult,
        ("description",),
        col(KeyResult.goal_id).in_(select(col(Goal.id)).where(old_goal)),
        session=session,
    )
    n += _set_removed(Action, ("text",), col(Action.closed_at) < cutoff, session=session)
    n += _remove_plan_text(col(Plan.ended_at) < cutoff, session=session)
    n += _set_removed(
        RoundRequest, ("decline_reason",), col(RoundRequest.created_at) < cutoff, session=session
    )
    closed = select(col(FeedbackRound.id)).where(col(FeedbackRound.closed_at) < cutoff)
    n += _scrub_json_column(
        RoundAnswer, ("comments",), col(RoundAnswer.round_id).in_(closed), session=session
    )
    result = session.execute(
        update(Delivery)
        .where(
            col(Delivery.created_at) < cutoff,
            col(Delivery.status).not_in(UNSENT),
            col(Delivery.payload) != REMOVED_PAYLOAD,
        )
        .values(payload=REMOVED_PAYLOAD)
    )
    return n + int(result.rowcount or 0)  # type: ignore[attr-defined]
