"""Quarterly reviews: the self-assessment prompt job, the self and manager assessment modals
(with drafts), release, acknowledgement, the App Home section and the audited export."""

from __future__ import annotations

import csv
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TextIO

from sqlmodel import Session

from cadence.domain.authz import may_assess
from cadence.domain.export import csv_safe
from cadence.domain.periods import local_now
from cadence.domain.quarters import (
    quarter_end,
    quarter_label,
    quarter_of,
    review_quarter_on,
    review_window,
    shift_quarter,
)
from cadence.domain.reviews import (
    ANSWER_LIMIT,
    RATINGS,
    Assessment,
    can_read_self_assessment,
    review_status_line,
    validate_assessment,
)
from cadence.domain.roles import Role
from cadence.domain.words import after_self_assessment, who_reads_self_assessment
from cadence.prompts import ids
from cadence.prompts.render import clip, escape_mrkdwn
from cadence.services import settings
from cadence.services.common import JobReport, Outcome, audit_export, caller
from cadence.services.deps import Deps
from cadence.services.evidence import evidence_for
from cadence.services.people import away_ids, first_name, resolve_timezones, timezone_of
from cadence.storage import repo, review_repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Person, Review

log = logging.getLogger(__name__)

LATE_DAYS = 30  # a self-assessment may still be written this long after the quarter ends
NOT_REGISTERED = (
    "You're not in Cadence's org chart yet, so there's no review for you. "
    "Ask your HR team to add you."
)


def self_prompt_key(slack_id: str, quarter: str) -> str:
    return f"review-self:{slack_id}:{quarter}"


def manager_prompt_key(manager_slack_id: str, report_slack_id: str, quarter: str) -> str:
    return f"review-manager:{manager_slack_id}:{report_slack_id}:{quarter}"


def released_key(slack_id: str, quarter: str) -> str:
    return f"review-released:{slack_id}:{quarter}"


def _day_label(day: date) -> str:
    return f"{day:%A %d %b}"


def _self_prompt(deps: Deps, person: Person, quarter: str) -> repo.OutgoingMessage:
    payload = deps.renderer.message(
        "review_prompt.json.j2",
        kind="self",
        first_name=first_name(person),
        quarter=quarter,
        quarter_label=quarter_label(quarter),
        deadline_label=_day_label(quarter_end(quarter)),
    )
    return repo.OutgoingMessage(
        key=self_prompt_key(person.slack_id, quarter),
        kind="review-self",
        recipient=person.slack_id,
        payload=payload,
    )


def _manager_prompt(
    deps: Deps, manager: Person, report: Person, quarter: str
) -> repo.OutgoingMessage:
    payload = deps.renderer.message(
        "review_prompt.json.j2",
        kind="manager",
        first_name=first_name(manager),
        quarter=quarter,
        quarter_label=quarter_label(quarter),
        deadline_label=_day_label(quarter_end(quarter) + timedelta(days=LATE_DAYS)),
        report_name=report.name,
        report_slack_id=report.slack_id,
    )
    return repo.OutgoingMessage(
        key=manager_prompt_key(manager.slack_id, report.slack_id, quarter),
        kind="review-manager",
        recipient=manager.slack_id,
        payload=payload,
    )


# ------------------------------------------------------------------ the scheduled job


def send_review_prompts(deps: Deps, now: datetime) -> JobReport:
    """In the last two weeks of each quarter (local date, working hours), one self-assessment
    DM per active person; and a DM to each report's current manager once the self-assessment
    is submitted (catching up a manager change or a prompt missed at night). Idempotent."""
    report = JobReport("reviews", now)
    with read_scope(deps.engine) as session:
        people = [p for p in repo.active_people(session=session) if p.role in deps.roles]
    people = resolve_timezones(deps, people, now)
    window = [
        (p, quarter)
        for p in people
        if (quarter := review_quarter_on(local_now(now, p.timezone).date()))
    ]
    chosen = settings.resolved(deps) if window else None
    due = [  # never in the person's own quiet hours
        (p, quarter)
        for p, quarter in window
        if chosen is not None and not chosen.schedule(p).is_quiet(now, p.timezone)
    ]
    if due:
        with read_scope(deps.engine) as session:
            done = repo.deliveries_by_keys(
                [self_prompt_key(p.slack_id, q) for p, q in due], session=session
            )
            submitted = {
                (r.person_id, r.quarter)
                for q in {q for _, q in due}
                for r in review_repo.reviews_in(q, session=session)
                if r.self_submitted_at is not None
            }
        todo = [(p, q) for p, q in due if self_prompt_key(p.slack_id, q) not in done]
        away = away_ids(deps, {p.slack_id for p, _ in todo}, now)
        messages = []
        with session_scope(deps.engine) as session:
            for person, quarter in todo:
                if (person.id, quarter) in submitted:
                    repo.record_not_sent(
                        _self_prompt(deps, person, quarter),
                        "submitted before the prompt",
                        now,
                        session=session,
                    )
                    report.add("already submitted")
                elif person.slack_id in away:
                    report.add("away, asked again later")  # the window lasts two weeks
                else:
                    messages.append(_self_prompt(deps, person, quarter))
            report.add("self-assessment prompts", repo.enqueue(messages, now, session=session))
    report.add("manager prompts", _queue_manager_prompts(deps, now))
    deps.wake_sender()
    return report


def _queue_manager_prompts(deps: Deps, now: datetime, only: int | None = None) -> int:
    """Prompt each submitted, unreleased review's current manager (working hours only)."""
    this = quarter_of(now.date())
    quarters = [this, shift_quarter(this, -1)]
    with read_scope(deps.engine) as session:
        pending = [
            r
            for q in quarters
            for r in review_repo.reviews_in(q, session=session)
            if r.self_submitted_at is not None
            and r.released_at is None
            and (only is None or r.person_id == only)
        ]
        if not pending:
            return 0
        manager_of = review_repo.manager_map(session=session)
        ids_needed = {r.person_id for r in pending} | {
            m for r in pending if (m := manager_of.get(r.person_id)) is not None
        }
        people = repo.people_by_ids(ids_needed, session=session)
        chosen = settings.resolved(deps, session=session, only=ids_needed)
        pairs = []
        for r in pending:
            report_person = people.get(r.person_id)
            manager = people.get(manager_of.get(r.person_id) or 0)
            if report_person is None or manager is None or not manager.active:
                continue
            if chosen.schedule(manager).is_quiet(now, manager.timezone or "UTC"):
                continue
            pairs.append((manager, report_person, r.quarter))
        done = repo.deliveries_by_keys(
            [manager_prompt_key(m.slack_id, p.slack_id, q) for m, p, q in pairs],
            session=session,
        )
    messages = [
        _manager_prompt(deps, m, p, q)
        for m, p, q in pairs
        if manager_prompt_key(m.slack_id, p.slack_id, q) not in done
    ]
    if not messages:
        return 0
    with session_scope(deps.engine) as session:
        return repo.enqueue(messages, now, session=session)


# ------------------------------------------------------------------ what the modals send


@dataclass(frozen=True, slots=True)
class ModalAnswers:
    """An assessment modal as Slack sent it: ratings in competency order (None when not
    picked), the texts by name, and `final` for its submit button (Submit / Release; False
    for Save draft and for closing it)."""

    ratings: list[str | None]
    texts: dict[str, str | None]
    final: bool


def _rating_blocks(role: Role) -> list[str]:
    return [f"{ids.B_RV_RATE}{i}" for i in range(len(role.competencies))]


def rating_lines(role: Role, answers: Assessment) -> list[str]:
    return [
        f"{name}: {RATINGS[answers.ratings[name]] if name in answers.ratings else '–'}"
        for name in role.competencies
    ]


# ------------------------------------------------------------------ self-assessment


def open_quarters(today: date) -> list[str]:
    """Quarters whose self-assessment can be written on local date `today`: the one in its
    last two weeks, and the previous one for LATE_DAYS after it ends."""
    found = []
    current = review_quarter_on(today)
    if current:
        found.append(current)
    previous = shift_quarter(quarter_of(today), -1)
    if today <= quarter_end(previous) + timedelta(days=LATE_DAYS):
        found.append(previous)
    return found


def _answers(raw: str) -> Assessment | None:
    try:
        data = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return None
    return Assessment.from_json(data) if isinstance(data, dict) and data else None


def _evidence_blocks(
    deps: Deps, person: Person, quarter: str, whose: str, now: datetime, *, session: Session
) -> list[dict[str, Any]]:
    evidence = evidence_for(deps, person, quarter, now, session=session)
    rendered = deps.renderer.message(
        "review_evidence.json.j2",
        quarter_label=quarter_label(quarter),
        whose=whose,
        evidence=evidence,
    )
    blocks: list[dict[str, Any]] = rendered["blocks"]
    return blocks


def open_self_assessment(
    deps: Deps, slack_id: str, quarter: str | None = None, *, saved_line: str = ""
) -> Outcome:
    person = caller(deps, slack_id, with_role=True)
    if person is None:
        return Outcome(message=NOT_REGISTERED)
    now = deps.clock.now()
    tz = timezone_of(person)
    today = local_now(now, tz).date()
    allowed = open_quarters(today)
    if quarter is None:
        if not allowed:
            first, _ = review_window(quarter_of(today))
            return Outcome(
                message=f"Self-assessments for {quarter_of(today)} open on {first:%d %b}; "
                "you'll get a DM then."
            )
        quarter = allowed[0]
    if quarter not in allowed:
        return Outcome(message=f"The self-assessment for {quarter} is not open now.")
    assert person.id is not None  # noqa: S101
    with read_scope(deps.engine) as session:
        review = review_repo.review_for(person.id, quarter, session=session)
        if review is not None and review.self_submitted_at is not None:
            return Outcome(
                message=f"You submitted your self-assessment for {quarter} on "
                f"{local_now(review.self_submitted_at, tz):%d %b}. "
                + after_self_assessment(person.manager_id is not None)
            )
        blocks = _evidence_blocks(deps, person, quarter, "Your", now, session=session)
    role = deps.roles[person.role]
    view = deps.renderer.view(
        "review_self_modal.json.j2",
        quarter=quarter,
        quarter_label=quarter_label(quarter),
        role=role,
        evidence_blocks=blocks,
        ratings=RATINGS,
        current=_answers(review.self_answers) if review is not None else None,
        limit=ANSWER_LIMIT,
        saved_line=saved_line,
        has_manager=person.manager_id is not None,
        who_reads=who_reads_self_assessment(person.manager_id is not None),
    )
    return Outcome(view=view)


def _status_update(
    deps: Deps, original: str, recipient: str, line: str, now: datetime, *, session: Session
) -> None:
    """Turn a review DM into a one-line 'done' note (through the outbox), or withdraw it if it
    has not gone out yet."""
    dm = repo.DmUpdate(
        [original],
        kind="review-status",
        recipient=recipient,
        payload=deps.renderer.message("review_status.json.j2", line=line),
        reason="done before it was sent",
    )
    repo.update_dms(dm, now, session=session)


def save_self_assessment(
    deps: Deps, slack_id: str, quarter: str, answers: ModalAnswers
) -> dict[str, str]:
    """Store a draft (Save draft, or closing the modal: a draft may be partial) or, when
    `answers.final`, submit it (every rating and the achievements needed). Field errors keyed
    by block id."""
    person = caller(deps, slack_id, with_role=True)
    if person is None:
        return {ids.B_RV_ACHIEVEMENTS: NOT_REGISTERED}
    now = deps.clock.now()
    tz = timezone_of(person)
    if quarter not in open_quarters(local_now(now, tz).date()):
        return {ids.B_RV_ACHIEVEMENTS: f"The self-assessment for {quarter} has closed."}
    role = deps.roles[person.role]
    final = answers.final
    assessment, errors = validate_assessment(
        role.competencies,
        answers.ratings,
        {k: answers.texts.get(k) for k in ("achievements", "grow", "goals")},
        final=final,
        rating_block=_rating_blocks(role),
        text_blocks={
            "achievements": ids.B_RV_ACHIEVEMENTS,
            "grow": ids.B_RV_GROW,
            "goals": ids.B_RV_GOALS,
        },
        required_texts=("achievements",),
    )
    if assessment is None:
        return errors
    assert person.id is not None  # noqa: S101
    with session_scope(deps.engine) as session:
        saved = review_repo.save_self_assessment(
            person.id, quarter, assessment, final=final, now=now, session=session
        )
        if saved is None:
            return {
                ids.B_RV_ACHIEVEMENTS: f"You already submitted your self-assessment for {quarter}."
            }
        if final:
            _status_update(
                deps,
                self_prompt_key(slack_id, quarter),
                slack_id,
                f"✅ Self-assessment for {quarter_label(quarter)} submitted. "
                + after_self_assessment(person.manager_id is not None),
                now,
                session=session,
            )
    if final:
        _queue_manager_prompts(deps, now, only=person.id)
    deps.wake_sender()
    return {}


# ------------------------------------------------------------------ manager assessment


@dataclass(frozen=True, slots=True)
class _Assessing:
    manager: Person
    report: Person
    review: Review | None


def _authorize_manager(
    deps: Deps, manager_slack_id: str, report_slack_id: str, quarter: str
) -> _Assessing | str:
    """The pair, or why this person may not assess (from the stored org chart only)."""
    manager = caller(deps, manager_slack_id, with_role=True)
    if manager is None or manager.id is None:
        return NOT_REGISTERED
    with read_scope(deps.engine) as session:
        report = repo.person_by_slack_id(report_slack_id, session=session)
        manager_of = review_repo.manager_map(session=session)
        review = (
            review_repo.review_for(report.id, quarter, session=session)
            if report is not None and report.id is not None
            else None
        )
    if report is None or report.id is None or report.role not in deps.roles:
        return "That person is no longer in Cadence's org chart."
    if not may_assess(manager, report_id=report.id, manager_of=manager_of):
        return (
            f"You are not {report.name}'s manager in the org chart now, so their review for "
            f"{quarter} is for their current manager."
        )
    return _Assessing(manager, report, review)


def open_manager_assessment(
    deps: Deps, manager_slack_id: str, value: str, *, saved_line: str = ""
) -> Outcome:
    report_slack_id, _, quarter = value.partition("|")
    found = _authorize_manager(deps, manager_slack_id, report_slack_id, quarter)
    if isinstance(found, str):
        return Outcome(message=escape_mrkdwn(found))  # mrkdwn: the person's name escaped
    manager, report, review = found.manager, found.report, found.review
    assert manager.id is not None and report.id is not None  # noqa: S101
    if review is not None and review.released_at is not None:
        return Outcome(
            message=f"You released {escape_mrkdwn(report.name)}'s review for {quarter} already."
        )
    now = deps.clock.now()
    role = deps.roles[report.role]
    with read_scope(deps.engine) as session:
        manager_of = review_repo.manager_map(session=session)
        blocks = _evidence_blocks(deps, report, quarter, f"{report.name}'s", now, session=session)
    self_answers = None
    if (
        review is not None
        and review.self_submitted_at is not None
        and can_read_self_assessment(manager.id, report.id, manager_of)
    ):
        self_answers = _answers(review.self_answers) or Assessment(ratings={})
    # A draft belongs to the manager who wrote it: after a manager change the new one starts
    # from a blank form.
    draft = (
        _answers(review.manager_answers)
        if review is not None and review.manager_id == manager.id
        else None
    )
    view = deps.renderer.view(
        "review_manager_modal.json.j2",
        quarter=quarter,
        quarter_label=quarter_label(quarter),
        report_slack_id=report.slack_id,
        report_name=report.name,
        role=role,
        evidence_blocks=blocks,
        self_answers=self_answers,
        self_rating_lines=rating_lines(role, self_answers) if self_answers else [],
        ratings=RATINGS,
        current=draft,
        limit=ANSWER_LIMIT,
        saved_line=saved_line,
        release_label=clip(f"Release to {first_name(report)}", 24),
    )
    return Outcome(view=view)


def save_draft(
    deps: Deps, slack_id: str, callback_id: str, meta: Mapping[str, str], answers: ModalAnswers
) -> Outcome:
    """ "Save draft" inside a self or manager assessment modal: store what is there (partial is
    fine) and give back the same modal saying when it was saved."""
    quarter, report = meta.get("quarter", ""), meta.get("report", "")
    if callback_id == ids.REVIEW_MANAGER_MODAL:
        errors = save_manager_assessment(deps, slack_id, report, quarter, answers)
    else:
        errors = save_self_assessment(deps, slack_id, quarter, answers)
    if errors:
        return Outcome(message=" ".join(dict.fromkeys(errors.values())))
    person = caller(deps, slack_id)
    now = deps.clock.now()
    local = local_now(now, timezone_of(person) if person else "UTC")
    when = f"{local:%A} {local.day} {local:%b}, {local:%H:%M}"
    if callback_id == ids.REVIEW_MANAGER_MODAL:
        line = f"💾 Draft saved {when}. They see nothing until you release it."
        return open_manager_assessment(deps, slack_id, f"{report}|{quarter}", saved_line=line)
    line = f"💾 Draft saved {when}. Only you see it until you submit it" + (
        " to your manager." if person is not None and person.manager_id is not None else "."
    )
    return open_self_assessment(deps, slack_id, quarter, saved_line=line)


def save_manager_assessment(
    deps: Deps,
    manager_slack_id: str,
    report_slack_id: str,
    quarter: str,
    answers: ModalAnswers,
) -> dict[str, str]:
    """Store the manager's draft, or release it (`answers.final`: every rating and the
    assessment text needed). Field errors keyed by block id."""
    found = _authorize_manager(deps, manager_slack_id, report_slack_id, quarter)
    if isinstance(found, str):
        return {ids.B_RV_NARRATIVE: found}
    manager, report = found.manager, found.report
    assert manager.id is not None and report.id is not None  # noqa: S101
    role = deps.roles[report.role]
    release = answers.final
    assessment, errors = validate_assessment(
        role.competencies,
        answers.ratings,
        {"narrative": answers.texts.get("narrative")},
        final=release,
        rating_block=_rating_blocks(role),
        text_blocks={"narrative": ids.B_RV_NARRATIVE},
        required_texts=("narrative",),
    )
    if assessment is None:
        return errors
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        saved = review_repo.save_manager_assessment(
            report.id, quarter, manager.id, assessment, release=release, now=now, session=session
        )
        if saved is None:
            return {
                ids.B_RV_NARRATIVE: f"{report.name}'s review for {quarter} is already released."
            }
        if release:
            repo.enqueue(
                [_released_message(deps, report, manager, quarter, assessment)],
                now,
                session=session,
            )
            _status_update(
                deps,
                manager_prompt_key(manager.slack_id, report.slack_id, quarter),
                manager.slack_id,
                f"✅ You released {report.name}'s review for {quarter_label(quarter)}.",
                now,
                session=session,
            )
    deps.wake_sender()
    return {}


def _released_message(
    deps: Deps, report: Person, manager: Person, quarter: str, answers: Assessment
) -> repo.OutgoingMessage:
    role = deps.roles[report.role]
    payload = deps.renderer.message(
        "review_released.json.j2",
        first_name=first_name(report),
        quarter=quarter,
        quarter_label=quarter_label(quarter),
        manager_name=manager.name,
        rating_lines=rating_lines(role, answers),
        narrative=answers.narrative,
    )
    return repo.OutgoingMessage(
        key=released_key(report.slack_id, quarter),
        kind="review-released",
        recipient=report.slack_id,
        payload=payload,
    )


# ------------------------------------------------------------------ acknowledgement


def open_acknowledge(deps: Deps, slack_id: str, quarter: str) -> Outcome:
    person = caller(deps, slack_id, with_role=True)
    if person is None or person.id is None:
        return Outcome(message=NOT_REGISTERED)
    with read_scope(deps.engine) as session:
        review = review_repo.review_for(person.id, quarter, session=session)
    if review is None or review.released_at is None:
        return Outcome(message=f"There is no released review for {quarter} to acknowledge.")
    view = deps.renderer.view(
        "review_ack_modal.json.j2",
        quarter=quarter,
        quarter_label=quarter_label(quarter),
        comment=review.ack_comment,
    )
    return Outcome(view=view)


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    quarter: str
    comment: str | None


def acknowledge(deps: Deps, slack_id: str, form: Acknowledgement) -> dict[str, str]:
    quarter = form.quarter
    person = caller(deps, slack_id, with_role=True)
    if person is None or person.id is None:
        return {ids.B_RV_ACK: NOT_REGISTERED}
    text = (form.comment or "").strip()
    if len(text) > ANSWER_LIMIT:
        return {ids.B_RV_ACK: f"Please keep this under {ANSWER_LIMIT} characters."}
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        review = review_repo.review_for(person.id, quarter, session=session)
        if review is None or review.id is None or review.released_at is None:
            return {ids.B_RV_ACK: f"There is no released review for {quarter} to acknowledge."}
        review_repo.acknowledge_review(review.id, text, now, session=session)
        _status_update(
            deps,
            released_key(slack_id, quarter),
            slack_id,
            f"✅ You acknowledged your review for {quarter_label(quarter)}. It stays in "
            "Cadence's Home tab.",
            now,
            session=session,
        )
    deps.wake_sender()
    return {}


# ------------------------------------------------------------------ App Home


def home_context(deps: Deps, person: Person, now: datetime) -> dict[str, Any]:
    """The review part of the App Home section (services.home adds goals)."""
    assert person.id is not None  # noqa: S101
    tz = person.timezone or "UTC"
    today = local_now(now, tz).date()
    this = quarter_of(today)
    quarters = [this, shift_quarter(this, -1)]
    open_now = open_quarters(today)
    with read_scope(deps.engine) as session:
        mine = {q: review_repo.review_for(person.id, q, session=session) for q in quarters}
        reports = repo.direct_reports(person.id, session=session)
        report_reviews = {
            q: review_repo.reviews_for([r.id for r in reports if r.id], q, session=session)
            for q in quarters
        }
        released = next(
            (r for q in quarters if (r := mine[q]) is not None and r.released_at is not None),
            None,
        )
        assessor = (
            repo.people_by_ids([released.manager_id], session=session).get(released.manager_id)
            if released is not None and released.manager_id is not None
            else None
        )
    role = deps.roles[person.role]
    button = None
    shown = next((q for q in open_now), None) or next((q for q in quarters if mine[q]), None)
    review = mine.get(shown) if shown else None
    with read_scope(deps.engine) as session:
        manager = (
            repo.people_by_ids([m], session=session).get(m)
            if (m := (review.manager_id if review and review.manager_id else person.manager_id))
            else None
        )

    def day(at: datetime | None) -> date | None:
        return local_now(at, tz).date() if at is not None else None

    review_line = review_status_line(
        quarter_label(shown) if shown else "",
        is_open=shown in open_now,
        draft_saved=day(review.self_updated_at) if review else None,
        submitted=day(review.self_submitted_at) if review else None,
        released=day(review.released_at) if review else None,
        acknowledged=day(review.acknowledged_at) if review else None,
        manager=manager.name if manager else None,
    )
    if shown in open_now and (review is None or review.self_submitted_at is None):
        button = {
            "action": ids.REVIEW_SELF_OPEN,
            "text": "Continue draft"
            if review is not None and review.self_updated_at
            else "Write it",
            "value": shown,
        }
    released_ctx = None
    if released is not None:
        answers = _answers(released.manager_answers) or Assessment(ratings={})
        ack = (
            f"You acknowledged it on {local_now(released.acknowledged_at, tz):%d %b}."
            if released.acknowledged_at
            else "Not acknowledged yet."
        )
        released_ctx = {
            "quarter": released.quarter,
            "quarter_label": quarter_label(released.quarter),
            "manager_name": assessor.name if assessor else "Your manager",
            "rating_lines": rating_lines(role, answers),
            "narrative": answers.narrative,
            "ack_line": ack,
            "can_ack": released.acknowledged_at is None,
        }
    to_assess = [
        {"name": r.name, "value": f"{r.slack_id}|{q}"}
        for q in quarters
        for r in reports
        if (rv := report_reviews[q].get(r.id or 0)) is not None
        and rv.self_submitted_at is not None
        and rv.released_at is None
    ]
    return {
        "review_line": review_line,
        "review_button": button,
        "released": released_ctx,
        "to_assess": to_assess,
    }


# ------------------------------------------------------------------ export

EXPORT_HEADER = [
    "slack_id",
    "name",
    "period",
    "role",
    "manager_slack_id",
    "self_ratings",
    "self_submitted_at",
    "achievements",
    "grow",
    "proposed_goals",
    "manager_ratings",
    "manager_mean",
    "narrative",
    "released_at",
    "acknowledged_at",
    "ack_comment",
]


def export_reviews(deps: Deps, out: TextIO, actor: str = "cli") -> int:
    """CSV of every review, one row per person and quarter (`period` = 2026-Q4). HR's view of
    individual reviews: audited."""
    audit_export(deps, "reviews", actor)
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    rows = 0
    with read_scope(deps.engine) as session:
        assessors: dict[int, Person] = {}
        for review, person in review_repo.iter_reviews_for_export(session=session):
            if review.manager_id and review.manager_id not in assessors:
                assessors.update(repo.people_by_ids([review.manager_id], session=session))
            own = _answers(review.self_answers) or Assessment(ratings={})
            mgr = _answers(review.manager_answers) or Assessment(ratings={})
            assessor = assessors.get(review.manager_id or 0)
            mean = mgr.mean
            writer.writerow(
                [
                    person.slack_id,
                    csv_safe(person.name),
                    review.quarter,
                    person.role,
                    assessor.slack_id if assessor else "",
                    csv_safe(json.dumps(own.ratings, ensure_ascii=False)),
                    review.self_submitted_at.isoformat() if review.self_submitted_at else "",
                    csv_safe(own.achievements),
                    csv_safe(own.grow),
                    csv_safe(own.goals),
                    csv_safe(json.dumps(mgr.ratings, ensure_ascii=False)),
                    f"{mean:.2f}" if mean is not None else "",
                    csv_safe(mgr.narrative),
                    review.released_at.isoformat() if review.released_at else "",
                    review.acknowledged_at.isoformat() if review.acknowledged_at else "",
                    csv_safe(review.ack_comment),
                ]
            )
            rows += 1
    return rows
