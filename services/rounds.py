"""HR feedback rounds: creating one (HR admins only), one DM per reviewer, answering and
declining, peer nominations, reminders within the weekly budget, closing at the deadline with
results to each subject's manager, and releasing them to the subject."""

from __future__ import annotations

import json
import logging
import uuid
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from cadence.domain.authz import (
    may_administer,
    may_answer_request,
    may_approve_nominations,
    may_nominate,
    may_release_results,
    nominations_approver_is_hr,
)
from cadence.domain.periods import local_now, moment_label
from cadence.domain.rounds import (
    AS_REVIEWER,
    NOT_AGAIN_WITHIN,
    PEER_MODES,
    PERSPECTIVES,
    RATINGS,
    REPLACEABLE,
    Answer,
    Assignment,
    Minimums,
    OrgNode,
    PerspectiveResult,
    QuestionSet,
    RoundForm,
    SubjectProgress,
    aggregate,
    attributed,
    check_nominations,
    check_replacement,
    deadline_at,
    group_opens,
    is_weekday,
    load_question_sets,
    plan_requests,
    promise,
    reminder_moments,
    round_progress,
    sealed_size,
    standing,
    subject_minimum,
    validate_answer,
    validate_round_form,
)
from cadence.domain.status import DeliveryStatus, RequestStatus, RoundStatus
from cadence.domain.words import plural
from cadence.prompts import ids
from cadence.prompts.render import escape_mrkdwn
from cadence.services import nudges, settings
from cadence.services.common import NOT_REGISTERED, JobReport, Outcome, caller
from cadence.services.deps import Deps
from cadence.services.people import away_ids, first_name, timezone_of
from cadence.storage import feedback_repo, nominations_repo, repo, review_repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import FeedbackRound, Person, RoundNomination, RoundRequest
from cadence.storage.sealing import SealError

log = logging.getLogger(__name__)

HR_ONLY = "Feedback rounds are run by HR admins. Ask your HR team if you'd like one for your team."
WITHDRAWN = "This request was withdrawn: the round no longer asks about this person. Nothing to do."
ERASED_RESULTS = (
    "These results can't be shared: the person they were about has been erased from Cadence. "
    "Nothing to do."
)
ERASED_NOMINATIONS = (
    "These nominations were withdrawn: the round no longer asks about this person. "
    "Nothing to approve."
)
RESULTS, APPROVE = "round-results", "round-approve"  # kinds, and the first part of their keys
REVIEWER_DM_KINDS = ("round-request", "round-reminder")  # what _refresh_reviewer_dms renders
# What their delivered messages read instead (the round's name filled in).
ERASED_NOTICES = {
    RESULTS: "The results from “{}” were removed: the person they were about has been "
    "erased from Cadence. Nothing to share.",
    APPROVE: "The nominations for “{}” were withdrawn: the round no longer asks about "
    "this person. Nothing to approve.",
}
EXTEND_BY = timedelta(days=7)
HOME_ROUNDS_DAYS = 60


def _key(kind: str, round_id: int, subject: str, *more: object) -> str:
    """The outbox key of a round message about one subject (their Slack ID in it)."""
    return ":".join(str(part) for part in (kind, round_id, subject, *more))


def question_sets(deps: Deps) -> dict[str, QuestionSet]:
    """The question sets of QUESTION_SETS_FILE (read once; checked at start by build_deps)."""
    return _question_sets(deps.settings.question_sets_file)


@cache
def _question_sets(path: Path) -> dict[str, QuestionSet]:
    return load_question_sets(path)


def _questions(deps: Deps, round_: FeedbackRound, subject: Person) -> tuple[list[str], list[str]]:
    qs = question_sets(deps).get(round_.question_set) or next(iter(question_sets(deps).values()))
    role = deps.roles.get(subject.role)
    competencies = list(role.competencies) if qs.rate_competencies and role else []
    return competencies, list(qs.open)


def _message(key: str, kind: str, to: str, payload: dict[str, Any]) -> repo.OutgoingMessage:
    return repo.OutgoingMessage(key=key, kind=kind, recipient=to, payload=payload)


# ------------------------------------------------------------------ creating a round


def open_round_modal(deps: Deps, slack_id: str) -> Outcome:
    hr = caller(deps, slack_id, hr_admin=True)
    if hr is None:
        return Outcome(message=HR_ONLY)
    now = deps.clock.now()
    today = local_now(now, timezone_of(hr)).date()
    return Outcome(
        view=deps.renderer.view(
            "round_modal.json.j2",
            perspectives=PERSPECTIVES,
            peer_modes=PEER_MODES,
            question_sets={k: q.title for k, q in question_sets(deps).items()},
            default_deadline=(today + timedelta(days=14)).isoformat(),
            minimum=settings.resolved(deps).anonymity_minimum(),
        )
    )


def create_round(deps: Deps, slack_id: str, form: RoundForm) -> dict[str, str]:
    """Create the round and queue its DMs; field errors keyed by block id, or {}."""
    hr = caller(deps, slack_id, hr_admin=True)
    if hr is None or hr.id is None:
        return {ids.B_RD_NAME: HR_ONLY}
    now = deps.clock.now()
    tz = timezone_of(hr)
    chosen = settings.resolved(deps)
    spec, errors = validate_round_form(
        form,
        today=local_now(now, tz).date(),
        question_sets=question_sets(deps),
        block_ids=ids.ROUND_BLOCK_IDS,
        floor=chosen.anonymity_minimum(),
    )
    if spec is None:
        return errors
    with read_scope(deps.engine) as session:
        people = {p.slack_id: p for p in repo.active_people(session=session)}
    unknown = [s for s in (*form.subjects, *form.peers) if s not in people]
    if form.team_of and form.team_of not in people:
        unknown.append(form.team_of)
    if unknown:
        names = ", ".join(f"<@{s}>" for s in unknown[:5])
        block = ids.B_RD_PEERS if set(unknown) <= set(form.peers) else ids.B_RD_SUBJECTS
        return {block: f"Not in Cadence's org chart (or left): {names}."}
    subjects = [people[s].id for s in form.subjects]
    if form.team_of:
        manager_id = people[form.team_of].id
        subjects += [p.id for p in people.values() if p.manager_id == manager_id]
    subject_ids = [s for s in dict.fromkeys(subjects) if s is not None]
    if not subject_ids:
        return {ids.B_RD_TEAM: "Nobody reports to that manager; pick people instead."}
    nodes = {p.id: OrgNode(p.id, p.manager_id) for p in people.values() if p.id is not None}
    with read_scope(deps.engine) as session:
        recent = feedback_repo.recent_pairs(subject_ids, now - NOT_AGAIN_WITHIN, session=session)
    plan = plan_requests(
        subject_ids,
        nodes,
        spec.perspectives,
        peer_mode=spec.peer_mode,
        peers=[people[s].id or 0 for s in form.peers],
        recent_pairs=recent,
    )
    if not plan.assignments and not plan.nominating:
        return {
            ids.B_RD_SUBJECTS: "Everyone you'd ask was already asked about these people by "
            "another round in the last 30 days. Pick other people or a later date."
        }
    by_id = {p.id: p for p in people.values()}
    # Each subject's minimum, fixed now: a later settings change leaves this round as promised.
    minimums = {
        s: subject_minimum(spec.min_responses, chosen.anonymity_minimum(by_id[s]))
        for s in subject_ids
    }
    round_ = FeedbackRound(
        name=spec.name,
        created_by_id=hr.id,
        perspectives=",".join(spec.perspectives),
        peer_mode=spec.peer_mode,
        question_set=spec.question_set,
        anonymous=spec.anonymous,
        min_responses=spec.min_responses,
        deadline=deadline_at(spec.deadline_day, tz),
        created_at=now,
    )
    with session_scope(deps.engine) as session:
        feedback_repo.create_round(
            round_, plan.assignments, now, minimums=minimums, session=session
        )
        assert round_.id is not None  # noqa: S101 - just flushed
        nominations_repo.add_nominating(round_.id, plan.nominating, session=session)
        repo.audit(
            hr.slack_id,
            "round.create",
            f"round:{round_.id}",
            f"{len(subject_ids)} subjects, {len(plan.assignments)} requests, "
            f"{plan.skipped_recent} skipped (asked within 30 days)",
            now,
            session=session,
        )
        nominating = [by_id[s] for s in plan.nominating if s in by_id]
        to_hr = _hr_stands_in(nominating, session=session)
        messages = [
            _nomination_message(deps, round_, p, hr_approves=p.id in to_hr) for p in nominating
        ]
        summary = (
            f"Round “{spec.name}” started: {plural(len(subject_ids), 'person')}, "
            f"{plural(len(plan.assignments), 'request')}"
            + (
                f", {plural(len(plan.nominating), 'person', 'people')} asked to nominate peers"
                if plan.nominating
                else ""
            )
            + (
                f". {plural(plan.skipped_recent, 'request')} left out: another round asked the "
                "same reviewer about the same person in the last 30 days."
                if plan.skipped_recent
                else "."
            )
            + _minimum_note(Minimums(spec.min_responses, minimums))
            + " Follow progress in Cadence's Home tab."
        )
        messages.append(
            _message(
                f"round-created:{round_.id}",
                "round-notice",
                hr.slack_id,
                deps.renderer.message("round_notice.json.j2", text=summary),
            )
        )
        repo.enqueue(messages, now, session=session)
        reviewers = {a.reviewer_id for a in plan.assignments}
        _refresh_reviewer_dms(deps, round_, reviewers, now, session=session)
    deps.wake_sender()
    return {}


# ------------------------------------------------------------------ the reviewer's DM


def _reviewer_dm_key(round_id: int, reviewer: str) -> str:
    return f"round:{round_id}:{reviewer}"


def _refresh_reviewer_dms(
    deps: Deps,
    round_: FeedbackRound,
    reviewer_ids: set[int],
    now: Any,
    *,
    reminders: bool = False,
    session: Session,
) -> None:
    """One DM per reviewer per round listing their subjects; later changes (an answer, a new
    approved nomination, a withdrawal) update that same DM instead of sending another. With
    `reminders`, the reminders they were sent (which carry the same buttons) are updated too."""
    assert round_.id is not None  # noqa: S101
    requests = [
        r
        for r in feedback_repo.requests_of(round_.id, session=session)
        if r.reviewer_id in reviewer_ids and r.status != RequestStatus.NOMINATED
    ]
    people = repo.people_by_ids(
        {r.reviewer_id for r in requests} | {r.subject_id for r in requests}, session=session
    )
    mine: dict[int, list[RoundRequest]] = defaultdict(list)
    for r in requests:
        mine[r.reviewer_id].append(r)
    keys = [_reviewer_dm_key(round_.id, people[i].slack_id) for i in mine]
    if reminders:
        keys += [k for i in mine for k in _reminder_keys(round_.id, people[i].slack_id).values()]
    existing = repo.deliveries_by_keys(keys, session=session)
    minimums = feedback_repo.minimums(round_, session=session)
    for reviewer_id, reqs in mine.items():
        reviewer = people[reviewer_id]
        payload = _request_payload(deps, round_, reviewer, reqs, people, minimums, reminder=False)
        key = _reviewer_dm_key(round_.id, reviewer.slack_id)
        original = existing.get(key)
        if original is None and not any(_still_asked(r, people) for r in reqs):
            continue  # never told about these: nothing to tell now either
        sent = [
            k
            for k in _reminder_keys(round_.id, reviewer.slack_id).values()
            if k in existing and existing[k].status == DeliveryStatus.SENT
        ]
        if sent:
            nudge = _request_payload(deps, round_, reviewer, reqs, people, minimums, reminder=True)
            for k in sent:
                update = repo.update_of(k, "round-reminder-update", reviewer.slack_id, nudge)
                repo.replace_pending(update, now, session=session)
        if original is None or original.status == DeliveryStatus.PENDING:
            # Not sent yet: send the current version (replacing the queued payload).
            message = _message(key, REVIEWER_DM_KINDS[0], reviewer.slack_id, payload)
            repo.replace_pending(message, now, session=session)
        else:
            update = repo.update_of(key, "round-request-update", reviewer.slack_id, payload)
            repo.replace_pending(update, now, session=session)


def _reminder_keys(round_id: int, reviewer: str) -> dict[str, str]:
    """The reminders one reviewer may get in a round, by when: halfway and the last day."""
    return {w: f"round-reminder:{round_id}:{reviewer}:{w}" for w in ("half", "last")}


def _left(person: Person) -> str:
    """Why nothing more happens about someone who left (mrkdwn, their name escaped)."""
    return (
        f"{escape_mrkdwn(person.name)} is no longer active in Cadence (they left, or are not in "
        "the org chart any more)"
    )


def _active(people: Mapping[int, Person], person_id: int) -> bool:
    found = people.get(person_id)
    return found is not None and found.active


def _here(request: RoundRequest, people: Mapping[int, Person]) -> bool:
    """Whether the request's reviewer and subject are both active in the org chart now."""
    return _active(people, request.reviewer_id) and _active(people, request.subject_id)


def _owed(request: RoundRequest, people: Mapping[int, Person]) -> bool:
    """Whether the reviewer still owes this answer (domain.rounds.standing: not when they or
    the person it is about have left)."""
    return standing(request.status, _here(request, people)) == RequestStatus.PENDING


def _still_asked(request: RoundRequest, people: Mapping[int, Person]) -> bool:
    """Whether a reviewer's DM lists this request: not withdrawn, and about someone still
    active (even answered: no results about someone who left or was erased go out, and an
    erased person's name is gone). Read at the moment: someone re-imported is listed again."""
    return request.status != RequestStatus.WITHDRAWN and _active(people, request.subject_id)


def refresh_dms_about(
    deps: Deps,
    subject_ids: Collection[int],
    now: datetime,
    *,
    open_only: bool,
    session: Session,
) -> None:
    """Once people stopped or started being asked about (in the caller's transaction: an
    erasure once their requests are withdrawn, services.rights.forget; an org import that
    deactivated or brought back someone, services.org): in every round that asked about them
    (`open_only`: still open), each active reviewer's DM and the reminders they were sent are
    rendered again as the requests read now (_still_asked); what is still asked of the
    reviewer keeps its buttons. Nobody who left is sent anything."""
    if not subject_ids:
        return
    asked = feedback_repo.reviewers_about(subject_ids, open_only=open_only, session=session)
    reviewers = repo.people_by_ids({r for rs in asked.values() for r in rs}, session=session)
    for round_id, ids_ in asked.items():
        round_ = feedback_repo.round_by_id(round_id, session=session)
        here = {r for r in ids_ if _active(reviewers, r)}
        if round_ is not None and here:
            _refresh_reviewer_dms(deps, round_, here, now, reminders=True, session=session)


def erased_subject_notice(
    deps: Deps, key: str, slack_id: str, *, session: Session
) -> dict[str, Any] | None:
    """What a delivered round message about a subject erased since should read instead (its
    outbox key `key` as it was, naming their Slack ID `slack_id`): their results (with the
    Share button) and the approval of their nominations (with Approve) lose their buttons
    and say why, in words that tell nothing about them. None for other messages."""
    kind, _, rest = key.partition(":")
    round_id, _, rest = rest.partition(":")
    subject = rest.split(":")[0]
    if kind not in ERASED_NOTICES or subject != slack_id or not round_id.isdigit():
        return None
    round_ = feedback_repo.round_by_id(int(round_id), session=session)
    name = round_.name if round_ is not None else "a feedback round"
    return deps.renderer.message("round_notice.json.j2", text=ERASED_NOTICES[kind].format(name))


def _request_payload(
    deps: Deps,
    round_: FeedbackRound,
    reviewer: Person,
    requests: list[RoundRequest],
    people: dict[int, Person],
    minimums: Minimums,
    *,
    reminder: bool,
) -> dict[str, Any]:
    subjects = []
    asked = [r for r in requests if _still_asked(r, people)]
    for r in asked:
        own = r.subject_id == reviewer.id
        name = reviewer.name if own else people[r.subject_id].name
        short, _ = promise(r.perspective, round_.anonymous, minimums.of(r.subject_id), name)
        subjects.append(
            {
                "request": r.id,
                "name": "Your own view" if own else name,
                "as": "" if own else AS_REVIEWER[r.perspective],
                "promise": short,
                "status": r.status,
                "can_decline": not own,
            }
        )
    return deps.renderer.message(
        "round_request.json.j2",
        first_name=first_name(reviewer),
        round_name=round_.name,
        deadline_label=_deadline_label(deps, round_, reviewer),
        reminder=reminder,
        subjects=subjects,
        withdrawn=len(requests) - len(asked),
    )


def _deadline_label(deps: Deps, round_: FeedbackRound, reader: Person) -> str:
    """The deadline in the reader's zone, and in the zone of the HR admin who set it."""
    with read_scope(deps.engine) as session:
        creator = repo.people_by_ids([round_.created_by_id], session=session).get(
            round_.created_by_id
        )
    origin = (creator.timezone if creator else None) or "UTC"
    return moment_label(round_.deadline, reader.timezone or "UTC", origin)


def _own_request(
    deps: Deps, slack_id: str, request_id: int
) -> tuple[Person, RoundRequest, FeedbackRound, Person] | str:
    """The request if it is this person's and still open to answer, else why not."""
    person = caller(deps, slack_id)
    if person is None:
        return NOT_REGISTERED.replace("check-in", "feedback request")
    with read_scope(deps.engine) as session:
        request = feedback_repo.request_by_id(request_id, session=session)
        round_ = feedback_repo.round_by_id(request.round_id, session=session) if request else None
        subject = (
            repo.people_by_ids([request.subject_id], session=session).get(request.subject_id)
            if request
            else None
        )
    if (
        request is None
        or round_ is None
        or subject is None
        or not may_answer_request(person, reviewer_id=request.reviewer_id)
    ):
        return "That feedback request isn't yours."
    if request.status == RequestStatus.WITHDRAWN or not subject.active:
        return WITHDRAWN  # also about someone who left or was erased
    if round_.status != RoundStatus.OPEN:
        return f"The round “{round_.name}” has closed; thank you all the same."
    if request.status == RequestStatus.ANSWERED:
        return "You've already answered this one. Thank you!"
    if request.status == RequestStatus.DECLINED:
        return "You declined this one, so there's nothing more to do."
    if request.status != RequestStatus.PENDING:
        return "This request isn't open yet."
    return person, request, round_, subject


def open_answer(deps: Deps, slack_id: str, request_id: int) -> Outcome:
    found = _own_request(deps, slack_id, request_id)
    if isinstance(found, str):  # a reply in mrkdwn: the round name in it escaped
        return Outcome(message=escape_mrkdwn(found))
    person, request, round_, subject = found
    competencies, questions = _questions(deps, round_, subject)
    with read_scope(deps.engine) as session:
        minimum = minimum_for(round_, request.subject_id, session=session)
        to_hr = bool(_hr_stands_in([subject], session=session))
    return Outcome(
        view=deps.renderer.view(
            "round_answer_modal.json.j2",
            request=request.id,
            round_name=round_.name,
            subject_name="yourself" if subject.id == person.id else subject.name,
            answer_as=AS_REVIEWER[request.perspective],
            promise=promise(
                request.perspective, round_.anonymous, minimum, subject.name, to_hr=to_hr
            )[1],
            deadline_label=_deadline_label(deps, round_, person),
            competencies=competencies,
            questions=questions,
            ratings=RATINGS,
        )
    )


@dataclass(frozen=True, slots=True)
class RoundAnswer:
    """A reviewer's answer modal: ratings and open answers by question index, as Slack sent
    them (None when left empty)."""

    request: int
    ratings: Mapping[int, str | None]
    texts: Mapping[int, str | None]


def submit_answer(deps: Deps, slack_id: str, answer: RoundAnswer) -> dict[str, str]:
    ratings, texts = answer.ratings, answer.texts
    found = _own_request(deps, slack_id, answer.request)
    if isinstance(found, str):
        return {"rate_0" if ratings else "open_0": found}
    _, request, round_, subject = found
    competencies, questions = _questions(deps, round_, subject)
    good, comments, problems = validate_answer(
        {c: ratings.get(i) for i, c in enumerate(competencies)},
        {q: texts.get(i) for i, q in enumerate(questions)},
        competencies,
    )
    errors = {f"rate_{i}": problems[c] for i, c in enumerate(competencies) if c in problems}
    errors.update({f"open_{i}": problems[q] for i, q in enumerate(questions) if q in problems})
    if errors:
        return errors
    now = deps.clock.now()
    assert request.id is not None  # noqa: S101
    pooled = not attributed(request.perspective, round_.anonymous)
    if pooled:
        _seal_answer(deps, request, good, comments, sealed_size(competencies, questions))
    # Whether they answered, in a transaction of its own: nothing written here (the request's
    # status, the DM update in the outbox) shares a transaction with the sealed answer.
    with session_scope(deps.engine) as session:
        if feedback_repo.set_request_status(
            request.id, RequestStatus.PENDING, RequestStatus.ANSWERED, session=session
        ):
            if not pooled:
                feedback_repo.add_answer(round_, request, good, comments, now, session=session)
            _refresh_reviewer_dms(deps, round_, {request.reviewer_id}, now, session=session)
    deps.wake_sender()
    return {}


def _group(round_id: int, subject_id: int, perspective: str) -> str:
    return f"round:{round_id}:subject:{subject_id}:{perspective}"


def _seal_answer(
    deps: Deps, request: RoundRequest, ratings: dict[str, int], comments: dict[str, str], size: int
) -> None:
    """Pool the answer sealed, naming nobody, in its own transaction. A second submission of
    the same request (a double click) finds its token pooled and stores nothing."""
    assert request.id is not None  # noqa: S101
    plaintext = json.dumps({"ratings": ratings, "comments": comments}, ensure_ascii=False)
    sealed = deps.sealer.seal(
        plaintext.encode("utf-8"),
        size=size,
        group=_group(request.round_id, request.subject_id, request.perspective),
    )
    try:
        with session_scope(deps.engine) as session:
            feedback_repo.add_sealed(
                request.round_id,
                request.subject_id,
                request.perspective,
                deps.sealer.token(request.id),
                sealed,
                session=session,
            )
    except IntegrityError:
        pass  # the same request, pooled by a concurrent submission a moment earlier


def blank_sealed_answers_of(deps: Deps, reviewer_id: int, *, session: Session) -> int:
    """For an erasure (services.rights.forget, in its transaction): each anonymous answer the
    person gave that still waits sealed in an open round's pool stays there — counted, its
    ratings in the group's averages, as anonymous as the others — with its text blanked and
    sealed again to the same length. How many. Raises SealError without the key."""
    blanked = 0
    for request, round_ in feedback_repo.answered_in_open_rounds(reviewer_id, session=session):
        if attributed(request.perspective, round_.anonymous) or request.id is None:
            continue  # stored with their name: rights_repo.erase_person removes its text
        row = feedback_repo.sealed_by_token(deps.sealer.token(request.id), session=session)
        if row is None:
            continue
        group = _group(request.round_id, request.subject_id, request.perspective)
        resealed = deps.sealer.reseal(row.sealed, group=group, change=_without_text)
        feedback_repo.replace_sealed(row.id, resealed, session=session)
        blanked += 1
    return blanked


def _without_text(plaintext: bytes) -> bytes:
    """A sealed answer's plaintext (as _seal_answer writes it) with every comment empty."""
    data = json.loads(plaintext)
    data["comments"] = {question: "" for question in data["comments"]}
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _open_pool(
    deps: Deps,
    round_: FeedbackRound,
    minimums: Minimums,
    shown: set[int],
    *,
    session: Session,
) -> None:
    """At close: every pooled group about a subject whose results are `shown` that reached
    their minimum is opened and written as answers (no reviewer, no time) in this one
    transaction, in shuffled order; every sealed row is deleted, those of smaller groups and
    about anyone else (someone who left) unread."""
    assert round_.id is not None  # noqa: S101
    groups: dict[tuple[int, str], list[bytes]] = defaultdict(list)
    for row in feedback_repo.sealed_of(round_.id, session=session):
        groups[(row.subject_id, row.perspective)].append(row.sealed)
    opened: list[tuple[int, str, dict[str, int], dict[str, str]]] = []
    for (subject_id, perspective), sealed in groups.items():
        if subject_id not in shown or not group_opens(len(sealed), minimums.of(subject_id)):
            continue
        group = _group(round_.id, subject_id, perspective)
        for blob in sealed:
            data = json.loads(deps.sealer.open(blob, group=group))
            opened.append((subject_id, perspective, data["ratings"], data["comments"]))
    # Sorted first so nothing of the pool's own order survives, then shuffled; the random
    # keys (the storage order on SQLite) come from the same generator.
    opened.sort(key=lambda a: json.dumps(a, sort_keys=True))
    deps.rng.shuffle(opened)
    rows = [
        (str(uuid.UUID(int=deps.rng.getrandbits(128), version=4)), *answer) for answer in opened
    ]
    feedback_repo.add_opened_answers(round_.id, rows, session=session)
    feedback_repo.delete_sealed(round_.id, session=session)


def open_decline(deps: Deps, slack_id: str, request_id: int) -> Outcome:
    found = _own_request(deps, slack_id, request_id)
    if isinstance(found, str):  # a reply in mrkdwn: the round name in it escaped
        return Outcome(message=escape_mrkdwn(found))
    person, request, round_, subject = found
    return Outcome(
        view=deps.renderer.view(
            "round_decline_modal.json.j2",
            request=request.id,
            round_name=round_.name,
            subject_name="yourself" if subject.id == person.id else subject.name,
        )
    )


@dataclass(frozen=True, slots=True)
class Decline:
    request: int
    reason: str


def submit_decline(deps: Deps, slack_id: str, decline: Decline) -> dict[str, str]:
    reason = decline.reason.strip()
    if not reason:
        return {ids.B_RD_REASON: "A short reason helps HR find someone else."}
    if len(reason) > 500:
        return {ids.B_RD_REASON: "Please keep the reason under 500 characters."}
    found = _own_request(deps, slack_id, decline.request)
    if isinstance(found, str):
        return {ids.B_RD_REASON: found}
    _, request, round_, _ = found
    now = deps.clock.now()
    assert request.id is not None  # noqa: S101
    with session_scope(deps.engine) as session:
        if feedback_repo.set_request_status(
            request.id,
            RequestStatus.PENDING,
            RequestStatus.DECLINED,
            reason=reason,
            session=session,
        ):
            _refresh_reviewer_dms(deps, round_, {request.reviewer_id}, now, session=session)
    deps.wake_sender()
    return {}


# ------------------------------------------------------------------ peer nominations


def _hr_stands_in(subjects: Sequence[Person], *, session: Session) -> set[int]:
    """The ids of `subjects` with no active manager: HR stands in for one in a round
    (approves their nominations, receives their results)."""
    ids_ = [p.manager_id for p in subjects if p.manager_id]
    managers = repo.people_by_ids(ids_, session=session) if ids_ else {}
    return {
        p.id
        for p in subjects
        if p.id is not None and nominations_approver_is_hr(managers.get(p.manager_id or 0))
    }


def _nomination_message(
    deps: Deps, round_: FeedbackRound, subject: Person, *, hr_approves: bool
) -> repo.OutgoingMessage:
    return _message(
        f"round-nominate:{round_.id}:{subject.slack_id}",
        "round-nominate",
        subject.slack_id,
        deps.renderer.message(
            "round_nominate.json.j2",
            first_name=first_name(subject),
            round_name=round_.name,
            round_id=round_.id,
            hr_approves=hr_approves,
        ),
    )


NOT_YOUR_NOMINATION = "There is no nomination for you in that round: HR asks each subject directly."


def _nominating(
    deps: Deps, slack_id: str, round_id: int
) -> tuple[Person, FeedbackRound, RoundNomination] | str:
    """The caller, the round and their nomination, when the stored round asked *them* to
    nominate peers and the set is still open; else why not."""
    person = caller(deps, slack_id)
    with read_scope(deps.engine) as session:
        round_ = feedback_repo.round_by_id(round_id, session=session)
        nomination = (
            nominations_repo.nomination_for(round_id, person.id, session=session)
            if round_ is not None and person is not None and person.id is not None
            else None
        )
    asked = {nomination.subject_id} if nomination is not None else set()
    if person is None or round_ is None or nomination is None:
        return NOT_YOUR_NOMINATION
    if not may_nominate(person, nominating_subject_ids=asked):
        return NOT_YOUR_NOMINATION
    if round_.status != RoundStatus.OPEN:
        return f"The round “{round_.name}” has closed."
    if nomination.approved_at is not None:
        return "Your nominations were approved already: those peers are being asked."
    return person, round_, nomination


def open_nominate(deps: Deps, slack_id: str, round_id: int) -> Outcome:
    found = _nominating(deps, slack_id, round_id)
    if isinstance(found, str):  # a reply in mrkdwn: the round name in it escaped
        return Outcome(message=escape_mrkdwn(found))
    subject, round_, _ = found
    assert round_.id is not None  # noqa: S101
    with read_scope(deps.engine) as session:
        waiting = [
            r.reviewer_id
            for r in feedback_repo.requests_of(round_.id, session=session)
            if r.subject_id == subject.id and r.status == RequestStatus.NOMINATED
        ]
        current = [p.slack_id for p in repo.people_by_ids(waiting, session=session).values()]
        to_hr = bool(_hr_stands_in([subject], session=session))
    return Outcome(
        view=deps.renderer.view(
            "round_nominate_modal.json.j2",
            round_id=round_.id,
            round_name=round_.name,
            current=sorted(current),
            hr_approves=to_hr,
        )
    )


def _approver(
    deps: Deps, round_: FeedbackRound, subject: Person, manager: Person | None
) -> Person | None:
    """Who approves a subject's nominations: their active manager; without one, the HR admin
    who ran the round (or another active HR admin if they have left), never the subject."""
    if not nominations_approver_is_hr(manager):
        return manager
    with read_scope(deps.engine) as session:
        active = repo.active_people(session=session)
    admins = [p for p in active if may_administer(p) and p.id != subject.id]
    return next((p for p in admins if p.id == round_.created_by_id), None) or next(
        iter(admins), None
    )


@dataclass(frozen=True, slots=True)
class Nominations:
    round: int
    nominees: tuple[str, ...]  # Slack IDs


def submit_nominations(deps: Deps, slack_id: str, nominations: Nominations) -> dict[str, str]:
    """Store the subject's one set of nominees (replacing an earlier one not yet approved) and
    ask the approver to approve exactly that set."""
    nominees = nominations.nominees
    found = _nominating(deps, slack_id, nominations.round)
    if isinstance(found, str):
        return {ids.B_RD_NOMINEES: found}
    subject, round_, nomination = found
    assert round_.id is not None and subject.id is not None  # noqa: S101
    now = deps.clock.now()
    with read_scope(deps.engine) as session:
        people = {p.slack_id: p for p in repo.active_people(session=session)}
        manager = (
            repo.people_by_ids([subject.manager_id], session=session).get(subject.manager_id)
            if subject.manager_id
            else None
        )
    active_manager = manager if manager is not None and manager.active else None
    problem = check_nominations(
        nominees, slack_id, active_manager.slack_id if active_manager else None
    )
    unknown = [n for n in nominees if n not in people]
    if problem is None and unknown:
        problem = "Not in Cadence's org chart (or left): " + ", ".join(f"<@{n}>" for n in unknown)
    if problem:
        return {ids.B_RD_NOMINEES: problem}
    approver = _approver(deps, round_, subject, active_manager)
    if approver is None:
        return {ids.B_RD_NOMINEES: "Nobody can approve nominations right now; ask your HR team."}
    with session_scope(deps.engine) as session:
        recent = feedback_repo.recent_pairs([subject.id], now - NOT_AGAIN_WITHIN, session=session)
        already = {
            r.reviewer_id
            for r in feedback_repo.requests_of(round_.id, session=session)
            if r.subject_id == subject.id and r.status != RequestStatus.NOMINATED
        }
        mine = {
            r.reviewer_id
            for r in feedback_repo.requests_of(round_.id, session=session)
            if r.subject_id == subject.id and r.status == RequestStatus.NOMINATED
        }
        picked = [people[n] for n in dict.fromkeys(nominees)]
        blocked = [
            p.name
            for p in picked
            if (p.id, subject.id) in recent and p.id not in already and p.id not in mine
        ]
        if blocked:
            return {
                ids.B_RD_NOMINEES: "Already asked about you by a round in the last 30 days: "
                + ", ".join(blocked)
                + ". Pick someone else."
            }
        to_ask = [p for p in picked if p.id not in already]
        revision = nominations_repo.replace_nominees(
            round_.id,
            subject.id,
            nomination.revision,
            [Assignment(p.id or 0, subject.id, "peer") for p in to_ask],
            now,
            session=session,
        )
        if revision is None:
            return {
                ids.B_RD_NOMINEES: "Your nominations changed or were approved meanwhile; "
                "open the form again from the DM."
            }
        repo.enqueue(
            [
                _message(
                    _key(APPROVE, round_.id, subject.slack_id, revision),
                    APPROVE,
                    approver.slack_id,
                    deps.renderer.message(
                        "round_approve.json.j2",
                        round_name=round_.name,
                        subject_name=subject.name,
                        nominees=[p.name for p in to_ask],
                        as_hr=approver is not active_manager,
                        value=f"{round_.id}:{subject.id}:{revision}",
                    ),
                )
            ],
            now,
            session=session,
        )
    deps.wake_sender()
    return {}


def _pair(value: str) -> tuple[int, int] | None:
    first, _, second = value.partition(":")
    return (int(first), int(second)) if first.isdigit() and second.isdigit() else None


def _approval(value: str) -> tuple[int, int, int] | None:
    """(round id, subject id, revision) from the approval button ("r:s:rev"; a button sent
    before revisions existed approves the first set)."""
    parts = value.split(":")
    if len(parts) == 2:
        parts.append("1")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1]), int(parts[2])


def approve_nominations(deps: Deps, slack_id: str, value: str) -> str:
    """The subject's manager (HR when they have none) approves exactly the set of nominees the
    approval message showed: those peers are asked."""
    approver = caller(deps, slack_id)
    parsed = _approval(value)
    if parsed is None:
        return "That approval button is out of date."
    round_id, subject_id, revision = parsed
    now = deps.clock.now()
    with read_scope(deps.engine) as session:
        round_ = feedback_repo.round_by_id(round_id, session=session)
        subject = repo.people_by_ids([subject_id], session=session).get(subject_id)
        manager = (
            repo.people_by_ids([subject.manager_id], session=session).get(subject.manager_id)
            if subject is not None and subject.manager_id
            else None
        )
        nomination = nominations_repo.nomination_for(round_id, subject_id, session=session)
    if round_ is None or subject is None or nomination is None:
        return "That approval is out of date."
    if not may_approve_nominations(approver, subject=subject, manager=manager):
        return (
            f"Only {escape_mrkdwn(subject.name)}'s manager can approve these nominations "
            "(HR admins, when they have no manager)."
        )
    assert approver is not None and approver.id is not None  # noqa: S101 - may_… checked
    if subject.erased_at is not None:
        return ERASED_NOMINATIONS
    if not subject.active:
        return f"{_left(subject)}, so the round no longer asks about them. Nothing to approve."
    if round_.status != RoundStatus.OPEN:
        return "That round has closed."
    if nomination.approved_at is not None:
        return "Already approved."
    if nomination.revision != revision:
        return (
            f"{escape_mrkdwn(subject.name)} changed their nominations since this message: "
            "approve the newest one, which lists the peers who will be asked."
        )
    with session_scope(deps.engine) as session:
        if not nominations_repo.approve(
            round_id, subject_id, revision, approver.id, now, session=session
        ):
            return (
                f"{escape_mrkdwn(subject.name)} changed their nominations meanwhile: "
                "approve the newest list."
            )
        feedback_repo.set_nominations_status(
            round_id, subject_id, RequestStatus.NOMINATED, RequestStatus.PENDING, session=session
        )
        peers = {
            r.reviewer_id
            for r in feedback_repo.requests_of(round_id, session=session)
            if r.subject_id == subject_id and r.perspective == "peer"
        }
        _refresh_reviewer_dms(deps, round_, peers, now, session=session)
        repo.audit(
            approver.slack_id,
            "round.approve",
            f"round:{round_id}",
            f"{subject.slack_id} revision {revision}",
            now,
            session=session,
        )
    deps.wake_sender()
    return f"Approved: {escape_mrkdwn(subject.name)}'s peers are now asked for feedback."


# ------------------------------------------------------------------ HR: progress and control


def home_section(deps: Deps, person: Person) -> dict[str, Any] | None:
    if not person.hr_admin:
        return None
    now = deps.clock.now()
    tz = person.timezone or "UTC"
    with read_scope(deps.engine) as session:
        rounds = feedback_repo.rounds_to_show(
            now - timedelta(days=HOME_ROUNDS_DAYS), session=session
        )[:10]
        counts = feedback_repo.progress([r.id for r in rounds if r.id], session=session)
        minimums = feedback_repo.minimums_of(rounds, session=session)
        declined = feedback_repo.declined_requests(
            [r.id for r in rounds if r.id and r.status == RoundStatus.OPEN], session=session
        )
        people = repo.people_by_ids(
            {r.reviewer_id for r in declined} | {r.subject_id for r in declined}, session=session
        )
    declines: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for d in declined:
        if not people[d.subject_id].active:
            continue  # nobody is asked about someone who left: nobody to ask instead
        declines[d.round_id].append(
            {
                "request": str(d.id),
                "who": people[d.reviewer_id].name,
                "whom": people[d.subject_id].name,
                "as": AS_REVIEWER[d.perspective],
                "reason": d.decline_reason,
                "replaceable": d.perspective in REPLACEABLE,
            }
        )
    rows = []
    for r in rounds:
        c: Counter[str] = Counter()
        for (status, here), n in counts.get(r.id or 0, Counter()).items():
            c[standing(status, here)] += n
        late = r.deadline <= now
        rows.append(
            {
                "id": str(r.id),
                "name": r.name,
                "open": r.status == RoundStatus.OPEN,
                "line": (
                    f"{r.status} · deadline "
                    f"{moment_label(r.deadline, tz, tz)} · "
                    f"requested {c['pending'] + c['answered'] + c['declined']} · "
                    f"answered {c['answered']} · declined {c['declined'] + c['replaced']} · "
                    f"overdue {c['pending'] if late else 0}"
                    + (f" · awaiting approval {c['nominated']}" if c["nominated"] else "")
                    + (f" · withdrawn {c['withdrawn']}" if c["withdrawn"] else "")
                    + (" · anonymous" if r.anonymous else "")
                    + _minimum_line(minimums.get(r.id or 0))
                ),
                "declines": declines.get(r.id or 0, [])[:10],
            }
        )
    return {"rounds": rows}


def open_replace(deps: Deps, slack_id: str, request_id: int) -> Outcome:
    """HR's "Ask someone else" on a declined request: pick the new reviewer."""
    found = _declined(deps, slack_id, request_id)
    if isinstance(found, str):
        return Outcome(message=found)
    request, round_, reviewer, subject = found
    return Outcome(
        view=deps.renderer.view(
            "round_replace_modal.json.j2",
            request=request.id,
            round_name=round_.name,
            reviewer_name=reviewer.name,
            subject_name=subject.name,
            answer_as=AS_REVIEWER[request.perspective],
            reason=request.decline_reason,
        )
    )


@dataclass(frozen=True, slots=True)
class Replacement:
    request: int  # the declined request
    reviewer: str  # Slack ID of who to ask instead ("" when nobody was picked)


def submit_replace(deps: Deps, slack_id: str, replacement: Replacement) -> dict[str, str]:
    """Ask `replacement.reviewer` instead of the reviewer who declined: a new request (and
    its DM)."""
    new_reviewer = replacement.reviewer
    found = _declined(deps, slack_id, replacement.request)
    if isinstance(found, str):
        return {ids.B_RD_REPLACE: found}
    request, round_, _, subject = found
    assert request.id is not None and round_.id is not None  # noqa: S101
    picked = caller(deps, new_reviewer) if new_reviewer else None
    if picked is None or picked.id is None:
        return {ids.B_RD_REPLACE: "Pick someone who is in Cadence's org chart."}
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        asked = {
            r.reviewer_id
            for r in feedback_repo.requests_of(round_.id, session=session)
            if r.subject_id == request.subject_id
        }
        problem = check_replacement(
            request.perspective,
            picked.id,
            request.subject_id,
            review_repo.manager_map(session=session),
            asked,
        )
        if problem:
            return {ids.B_RD_REPLACE: problem}
        new = feedback_repo.replace_request(request, picked.id, now, session=session)
        if new is None:
            return {ids.B_RD_REPLACE: "Someone else has already been asked instead."}
        _refresh_reviewer_dms(deps, round_, {picked.id}, now, session=session)
        repo.audit(
            slack_id,
            "round.replace",
            f"round:{round_.id}",
            f"request {request.id}",
            now,
            session=session,
        )
    deps.wake_sender()
    log.info("round %s: declined request %s replaced", round_.id, request.id)
    return {}


def _declined(
    deps: Deps, slack_id: str, request_id: int
) -> tuple[RoundRequest, FeedbackRound, Person, Person] | str:
    """A declined request of an open round, for an HR admin; else why not."""
    if caller(deps, slack_id, hr_admin=True) is None:
        return HR_ONLY
    with read_scope(deps.engine) as session:
        request = feedback_repo.request_by_id(request_id, session=session)
        round_ = feedback_repo.round_by_id(request.round_id, session=session) if request else None
        people = (
            repo.people_by_ids([request.reviewer_id, request.subject_id], session=session)
            if request
            else {}
        )
    if (
        request is None
        or round_ is None
        or request.reviewer_id not in people
        or request.subject_id not in people
    ):
        return "That request no longer exists."
    if round_.status != RoundStatus.OPEN:
        return f"“{round_.name}” has closed."
    if request.status != RequestStatus.DECLINED:
        return "Someone else has already been asked instead."
    if not people[request.subject_id].active:
        return f"{_left(people[request.subject_id])}: the round no longer asks about them."
    return request, round_, people[request.reviewer_id], people[request.subject_id]


def extend_round(deps: Deps, slack_id: str, round_id: int) -> str:
    hr = caller(deps, slack_id, hr_admin=True)
    if hr is None:
        return HR_ONLY
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        round_ = feedback_repo.round_by_id(round_id, session=session)
        if round_ is None:
            return "No such round."
        new = max(round_.deadline, now) + EXTEND_BY
        if not feedback_repo.extend_round(round_id, new, session=session):
            return f"“{escape_mrkdwn(round_.name)}” has already closed."
        repo.audit(
            hr.slack_id, "round.extend", f"round:{round_id}", new.isoformat(), now, session=session
        )
        # The reviewers who still owe answers read the new deadline in their request DM.
        round_.deadline = new
        requests = feedback_repo.requests_of(round_id, session=session)
        people = repo.people_by_ids(
            {r.reviewer_id for r in requests} | {r.subject_id for r in requests}, session=session
        )
        owing = {r.reviewer_id for r in requests if _owed(r, people)}
        _refresh_reviewer_dms(deps, round_, owing, now, session=session)
    deps.wake_sender()
    label = _deadline_label(deps, round_, hr)
    return f"“{escape_mrkdwn(round_.name)}” now closes on {label}."


def close_early(deps: Deps, slack_id: str, round_id: int) -> str:
    hr = caller(deps, slack_id, hr_admin=True)
    if hr is None:
        return HR_ONLY
    with read_scope(deps.engine) as session:
        round_ = feedback_repo.round_by_id(round_id, session=session)
    if round_ is None:
        return "No such round."
    report = JobReport("rounds", deps.clock.now())
    try:
        closed = _close(deps, round_, report, actor=hr.slack_id)
    except SealError as exc:
        log.error("round %s not closed: %s", round_.id, exc)
        return (
            f"“{escape_mrkdwn(round_.name)}” stays open: its anonymous answers were sealed with "
            "another key. Ask whoever runs Cadence to restore CADENCE_SECRET_KEY (or the key file)."
        )
    if not closed:
        return f"“{escape_mrkdwn(round_.name)}” has already closed."
    who = "your DMs" if round_.created_by_id == hr.id else "the DMs of the HR admin who ran it"
    name = escape_mrkdwn(round_.name)
    return f"Closed “{name}”: results went to each person's manager, the summary to {who}."


# ------------------------------------------------------------------ results


def minimum_for(round_: FeedbackRound, subject_id: int, *, session: Session) -> int:
    """How many answers this subject's peer and report groups need in this round."""
    return feedback_repo.minimums(round_, session=session).of(subject_id)


def _minimum_note(minimums: Minimums) -> str:
    """' Minimum 3 answers per group (5 for 1 person: their team's or own anonymity
    minimum).' for HR's round-started note, or '' when every subject has the round's."""
    raised = _raised(minimums)
    if not raised:
        return ""
    return (
        f" Minimum {minimums.base} answers per group ({raised}: their team's or own "
        "anonymity minimum)."
    )


def _minimum_line(minimums: Minimums | None) -> str:
    """' · minimum 3 (5 for 1 person)' on HR's Home, when some subject needs more."""
    if minimums is None or not (raised := _raised(minimums)):
        return ""
    return f" · minimum {minimums.base} ({raised})"


def _raised(minimums: Minimums) -> str:
    """'5 for 1 person, 6 for 2 people': subjects who need more than the round's minimum."""
    return ", ".join(
        f"{n} for {plural(count, 'person', 'people')}" for n, count in minimums.raised().items()
    )


def subject_results(
    deps: Deps,
    round_: FeedbackRound,
    subject: Person,
    *,
    session: Session,
    minimum: int | None = None,
) -> list[PerspectiveResult]:
    """A subject's results as their manager reads them: per perspective, averaged, and
    nothing for a multi-reviewer group below the subject's minimum (`minimum`, read when
    not given)."""
    assert round_.id is not None and subject.id is not None  # noqa: S101
    if minimum is None:
        minimum = minimum_for(round_, subject.id, session=session)
    competencies, questions = _questions(deps, round_, subject)
    rows = feedback_repo.answers_about(round_.id, subject.id, session=session)
    reviewers = repo.people_by_ids(
        [a.reviewer_id for a in rows if a.reviewer_id is not None], session=session
    )
    answered = Counter(
        r.perspective
        for r in feedback_repo.requests_of(round_.id, session=session)
        if r.subject_id == subject.id and r.status == RequestStatus.ANSWERED
    )
    answers = []
    for a in rows:
        comments: dict[str, str] = json.loads(a.comments)
        if not round_.anonymous and a.reviewer_id in reviewers:
            name = reviewers[a.reviewer_id].name
            comments = {q: f"{t} — {name}" for q, t in comments.items() if t}
        answers.append(Answer(a.perspective, json.loads(a.ratings), comments))
    return aggregate(
        answers,
        round_.perspectives.split(","),
        minimum,
        competencies,
        questions,
        answered=dict(answered),
    )


def _results_messages(
    deps: Deps,
    round_: FeedbackRound,
    subject: Person,
    key: str,
    to: str,
    *,
    for_manager: bool,
    session: Session,
    shared_by: str = "",
) -> list[repo.OutgoingMessage]:
    """The results DM: one message, or several when the comments do not fit one (never cut);
    parts after the first have keys `KEY:part2`, .... Read in the caller's transaction: at
    close it holds the answers just opened."""
    assert subject.id is not None  # noqa: S101
    minimum = minimum_for(round_, subject.id, session=session)
    results = subject_results(deps, round_, subject, session=session, minimum=minimum)
    parts = deps.renderer.messages(
        "round_results.json.j2",
        round_name=round_.name,
        subject_name=subject.name,
        anonymous=round_.anonymous,
        min_responses=minimum,
        for_manager=for_manager,
        shared_by=shared_by,
        release_value=f"{round_.id}:{subject.id}",
        results=[
            {
                "label": r.label,
                "answers": r.answers,
                "enough": r.enough,
                "averages": [list(x) for x in r.averages],
                "comments": [{"question": q, "texts": list(t)} for q, t in r.comments],
            }
            for r in results
        ],
    )
    return [
        _message(key if n == 1 else f"{key}:part{n}", RESULTS, to, payload)
        for n, payload in enumerate(parts, start=1)
    ]


def _close(
    deps: Deps, round_: FeedbackRound, report: JobReport, *, actor: str = "scheduler"
) -> bool:
    """Close the round once (compare-and-set) and queue each subject's results to their
    manager (to the HR admin who ran it when the subject has no manager); nothing about a
    subject who has left (inactive in the org chart now) or was erased meanwhile: their
    sealed answers are deleted unread."""
    assert round_.id is not None  # noqa: S101
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        if not feedback_repo.close_round(round_.id, now, session=session):
            return False
        minimums = feedback_repo.minimums(round_, session=session)
        requests = feedback_repo.requests_of(round_.id, session=session)
        subject_ids = sorted({r.subject_id for r in requests})
        people = repo.people_by_ids(
            {*subject_ids, *(r.reviewer_id for r in requests)}, session=session
        )
        shown = [s for s in subject_ids if people[s].active]
        _open_pool(deps, round_, minimums, set(shown), session=session)
        managers = repo.people_by_ids(
            {m for s in subject_ids if (m := people[s].manager_id) is not None}, session=session
        )
        creator = repo.people_by_ids([round_.created_by_id], session=session)[round_.created_by_id]
        messages = []
        for subject_id in shown:
            subject = people[subject_id]
            manager = managers.get(subject.manager_id or 0)
            to = manager if manager is not None and manager.active else creator
            feedback_repo.add_release(round_.id, subject_id, to.id, session=session)
            messages += _results_messages(
                deps,
                round_,
                subject,
                _key(RESULTS, round_.id, subject.slack_id),
                to.slack_id,
                for_manager=True,
                session=session,
            )
        repo.enqueue(messages, now, session=session)
        report.add("results queued", len(shown))  # once: closing is compare-and-set
        summary = _summary_payload(deps, round_, requests, people, minimums, creator, now)
        repo.enqueue(
            [_message(f"round-summary:{round_.id}", "round-summary", creator.slack_id, summary)],
            now,
            session=session,
        )
        repo.audit(
            actor,
            "round.close",
            f"round:{round_.id}",
            f"{len(subject_ids)} subjects",
            now,
            session=session,
        )
    deps.wake_sender()
    report.add("rounds closed")
    return True


def _summary_payload(
    deps: Deps,
    round_: FeedbackRound,
    requests: Sequence[RoundRequest],
    people: dict[int, Person],
    minimums: Minimums,
    hr: Person,
    now: datetime,
) -> dict[str, Any]:
    """What HR reads when a round closes, at its deadline or with Close now (one builder)."""
    progress = round_progress(
        [(r.subject_id, r.perspective, standing(r.status, _here(r, people))) for r in requests],
        round_.perspectives.split(","),
        minimums,
    )
    late = now >= round_.deadline

    def counts(p: SubjectProgress) -> str:
        subject = people[p.subject_id]
        if subject.erased_at is not None:
            return "erased: no results"
        if not subject.active:
            return "left: no results"
        return (
            f"answered {p.answered} · declined {p.declined} · "
            f"{'overdue' if late else 'unanswered'} {p.waiting}"
            + (f" · withdrawn {p.withdrawn}" if p.withdrawn else "")
        )

    subjects = [
        {
            "name": people[p.subject_id].name,
            "counts": counts(p),
            "minimum": p.minimum,
            "below": ", ".join(f"{label} ({n})" for label, n in p.below)
            if people[p.subject_id].active
            else "",
        }
        for p in sorted(progress, key=lambda p: people[p.subject_id].name.casefold())
    ]
    tz = hr.timezone or "UTC"
    return deps.renderer.message(
        "round_summary.json.j2",
        round_name=round_.name,
        closed_label=moment_label(now, tz, tz),
        early=not late,
        subjects=subjects,
        below=sum(1 for s in subjects if s["below"]),
        min_responses=minimums.base,
        raised=_raised(minimums),
        gone=sum(1 for s in subjects if str(s["counts"]).endswith(": no results")),
    )


def release_results(deps: Deps, slack_id: str, value: str) -> str:
    """The manager shares a subject's results with the subject."""
    manager = caller(deps, slack_id)
    pair = _pair(value)
    if manager is None or manager.id is None or pair is None:
        return "Only their manager can share these results."
    round_id, subject_id = pair
    now = deps.clock.now()
    with read_scope(deps.engine) as session:
        round_ = feedback_repo.round_by_id(round_id, session=session)
        subject = repo.people_by_ids([subject_id], session=session).get(subject_id)
        sent = feedback_repo.release_for(round_id, subject_id, session=session)
    if round_ is None or subject is None or round_.status != RoundStatus.CLOSED or sent is None:
        return "Those results aren't ready."
    if not may_release_results(manager, recipient_id=sent.manager_id):
        return f"Only {escape_mrkdwn(subject.name)}'s manager can share these results."
    if subject.erased_at is not None:
        return ERASED_RESULTS
    if not subject.active:
        return f"{_left(subject)}, so there is nobody to share these results with."
    with session_scope(deps.engine) as session:
        if not feedback_repo.release(round_id, subject_id, manager.id, now, session=session):
            return f"Only {escape_mrkdwn(subject.name)}'s manager can share these results, once."
        repo.enqueue(
            _results_messages(
                deps,
                round_,
                subject,
                f"round-results-subject:{round_id}:{subject.slack_id}",
                subject.slack_id,
                for_manager=False,
                session=session,
                shared_by="Your manager" if manager.id == subject.manager_id else manager.name,
            ),
            now,
            session=session,
        )
        repo.audit(
            manager.slack_id,
            "round.release",
            f"round:{round_id}",
            subject.slack_id,
            now,
            session=session,
        )
    deps.wake_sender()
    return f"Shared with {escape_mrkdwn(subject.name)}. They'll get the results by DM."


# ------------------------------------------------------------------ the scheduled job


def run_rounds(deps: Deps, now: Any) -> JobReport:
    """Close rounds whose deadline has come (results to managers) and send due reminders.
    Idempotent: closing is compare-and-set and every message has a unique key."""
    report = JobReport("rounds", now)
    with read_scope(deps.engine) as session:
        rounds = feedback_repo.open_rounds(session=session)
    for round_ in rounds:
        if round_.deadline <= now:
            try:
                _close(deps, round_, report)
            except SealError as exc:  # it stays open, its pool intact, until the key is back
                log.error("round %s not closed: %s", round_.id, exc)
                report.add("rounds not closed")
        else:
            _remind(deps, round_, now, report)
    return report


def _remind(deps: Deps, round_: FeedbackRound, now: Any, report: JobReport) -> None:
    """Halfway and one day before the deadline, to reviewers who still owe an answer, on a
    weekday outside their own quiet hours (services.settings) and within their weekly
    reminder budget."""
    assert round_.id is not None  # noqa: S101
    due = [w for w, at in reminder_moments(round_.created_at, round_.deadline).items() if at <= now]
    if not due:
        return
    which = due[-1]  # a missed halfway reminder is not sent next to the last one
    with read_scope(deps.engine) as session:
        requests = feedback_repo.requests_of(round_.id, session=session)
        people = repo.people_by_ids(
            {r.reviewer_id for r in requests} | {r.subject_id for r in requests}, session=session
        )
        minimums = feedback_repo.minimums(round_, session=session)
    owing: dict[int, list[RoundRequest]] = defaultdict(list)
    for r in requests:
        if r.status != RequestStatus.NOMINATED:
            owing[r.reviewer_id].append(r)
    owing = {
        k: v
        for k, v in owing.items()
        if any(_owed(r, people) for r in v)  # nobody who has left is reminded
    }
    keys = {rid: _reminder_keys(round_.id, people[rid].slack_id) for rid in owing}
    with read_scope(deps.engine) as session:
        done = repo.deliveries_by_keys(
            [k for ks in keys.values() for k in ks.values()], session=session
        )
    chosen = settings.resolved(deps, only=list(owing))
    todo = []
    for rid in owing:
        person = people[rid]
        key = keys[rid][which]
        if key in done or (which == "half" and keys[rid]["last"] in done):
            continue
        tz = timezone_of(person)
        if not is_weekday(now, tz) or chosen.schedule(person).is_quiet(now, tz):
            continue  # waits for the next tick on a weekday outside their quiet hours
        todo.append((person, key))
    if not todo:
        return
    away = away_ids(deps, {p.slack_id for p, _ in todo}, now)
    with session_scope(deps.engine) as session:
        for person, key in todo:
            message = _message(
                key,
                REVIEWER_DM_KINDS[1],
                person.slack_id,
                _request_payload(
                    deps, round_, person, owing[person.id or 0], people, minimums, reminder=True
                ),
            )
            if person.slack_id in away:
                repo.record_not_sent(message, "away (Slack status)", now, session=session)
                report.add("away")
            elif nudges.over_budget(
                person, now, session=session, budget=chosen.nudge_budget(person)
            ):
                repo.record_not_sent(message, nudges.BUDGET_REASON, now, session=session)
                report.add("over budget")
            else:
                report.add("reminders queued", repo.enqueue([message], now, session=session))
    deps.wake_sender()
