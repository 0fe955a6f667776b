"""Feedback at any time: the /feedback modal (also from a message shortcut), delivery by DM
per its visibility, the audited CSV export, and the extra App Home sections."""

from __future__ import annotations

import csv
import json
from typing import Any, TextIO

from cadence.domain.export import csv_safe
from cadence.domain.feedback import (
    TEXT_LIMIT,
    VISIBILITIES,
    FeedbackDraft,
    feedback_audience,
    mentioned_user,
    validate_feedback,
)
from cadence.domain.periods import week_of
from cadence.prompts import ids
from cadence.services import kudos
from cadence.services.common import NOT_REGISTERED, Outcome, audit_export, caller
from cadence.services.deps import Deps
from cadence.services.people import first_name
from cadence.storage import feedback_repo, repo
from cadence.storage.db import read_scope, session_scope


def open_feedback(
    deps: Deps, giver: str, command_text: str = "", *, about: str | None = None, link: str = ""
) -> Outcome:
    """The feedback modal, with the person prefilled from `/feedback @someone` (or the author
    of the message a shortcut was used on) and the message's link."""
    if caller(deps, giver) is None:
        return Outcome(message=NOT_REGISTERED.replace("check-in", "feedback form"))
    who = mentioned_user(command_text) or about
    if who == giver:
        who = None
    view = deps.renderer.view(
        "feedback_modal.json.j2",
        who=who,
        link=link,
        visibilities=VISIBILITIES,
        text_limit=TEXT_LIMIT,
    )
    return Outcome(view=view)


def submit_feedback(
    deps: Deps, giver_slack: str, draft: FeedbackDraft, link: str, submission_key: str = ""
) -> dict[str, str]:
    """Validate against the stored org chart, store, and queue the DMs. Field errors keyed by
    block id, or {} when done. The same `submission_key` (the modal's view id) twice stores and
    sends nothing new."""
    giver = caller(deps, giver_slack)
    if giver is None:
        return {ids.B_FB_WHO: NOT_REGISTERED}
    receiver = caller(deps, draft.receiver) if draft.receiver else None
    manager = None
    if receiver is not None and receiver.manager_id is not None:
        with read_scope(deps.engine) as session:
            manager = repo.people_by_ids([receiver.manager_id], session=session).get(
                receiver.manager_id
            )
        if manager is not None and not manager.active:
            manager = None
    errors = validate_feedback(
        draft,
        giver_slack,
        receiver_known=receiver is not None,
        receiver_has_manager=manager is not None,
        block_ids=ids.FEEDBACK_BLOCK_IDS,
    )
    if errors or receiver is None or draft.visibility is None:
        return errors
    assert giver.id is not None and receiver.id is not None  # noqa: S101
    now = deps.clock.now()
    audience = feedback_audience(
        draft.visibility, receiver.slack_id, manager.slack_id if manager else None
    )
    context = dict(
        giver_name=giver.name,
        receiver_name=receiver.name,
        receiver_first=first_name(receiver),
        visibility=draft.visibility,
        visibility_label=VISIBILITIES[draft.visibility],
        strengths=draft.strengths,
        improvements=draft.improvements,
        link=link,
        has_manager=manager is not None,
    )
    with session_scope(deps.engine) as session:
        row = feedback_repo.add_feedback(
            giver.id,
            receiver.id,
            draft.visibility,
            draft.strengths,
            draft.improvements,
            link,
            now,
            submission_key=submission_key,
            session=session,
        )
        messages = [
            repo.OutgoingMessage(
                key=f"feedback:{row.id}:{to}",
                kind="feedback",
                recipient=to,
                payload=deps.renderer.message(
                    "feedback_message.json.j2",
                    to="receiver" if to == receiver.slack_id else "manager",
                    **context,
                ),
            )
            for to in audience
        ]
        messages.append(
            repo.OutgoingMessage(
                key=f"feedback:{row.id}:confirm",
                kind="feedback-confirm",
                recipient=giver.slack_id,
                payload=deps.renderer.message(
                    "feedback_message.json.j2", to="giver", audience=audience, **context
                ),
            )
        )
        repo.enqueue(messages, now, session=session)
    deps.wake_sender()
    return {}


# ------------------------------------------------------------------ App Home


def home_context(deps: Deps, slack_id: str) -> dict[str, Any]:
    """Extra App Home sections: kudos received (HR's rounds lead the Home: services.home)."""
    person = caller(deps, slack_id)
    if person is None:
        return {}
    return {
        "feedback": {
            "kudos": kudos.home_lines(deps, person),
        }
    }


# ------------------------------------------------------------------ export

EXPORT_HEADER = [
    "kind",
    "period",
    "slack_id",
    "name",
    "giver_slack_id",
    "round",
    "perspective",
    "visibility",
    "strengths",
    "improvements",
    "ratings",
    "comments",
    "link",
    "created_at",
]


def export_feedback(deps: Deps, out: TextIO, actor: str = "cli") -> int:
    """CSV of feedback and round answers; `slack_id` is the person the feedback is about.
    Anonymous round answers carry no reviewer and no time. Audited."""
    audit_export(deps, "feedback", actor)
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    rows = 0
    with read_scope(deps.engine) as session:
        people = {p.id: p for p in repo.active_people(session=session) if p.id is not None}
        feedback = list(feedback_repo.iter_feedback_for_export(session=session))
        missing = {f.giver_id for f in feedback} | {f.receiver_id for f in feedback}
        people.update(repo.people_by_ids(missing - set(people), session=session))
        for f in feedback:
            receiver, giver = people[f.receiver_id], people[f.giver_id]
            writer.writerow(
                [
                    "feedback",
                    week_of(f.created_at.date()),
                    receiver.slack_id,
                    csv_safe(receiver.name),
                    giver.slack_id,
                    "",
                    "",
                    f.visibility,
                    csv_safe(f.strengths),
                    csv_safe(f.improvements),
                    "",
                    "",
                    csv_safe(f.context_link),
                    f.created_at.isoformat(),
                ]
            )
            rows += 1
        for answer, round_, subject, reviewer in feedback_repo.iter_round_answers_for_export(
            session=session
        ):
            ratings = json.loads(answer.ratings)
            comments = json.loads(answer.comments)
            writer.writerow(
                [
                    "round",
                    week_of(round_.deadline.date()),
                    subject.slack_id,
                    csv_safe(subject.name),
                    reviewer.slack_id if reviewer is not None else "",
                    csv_safe(round_.name),
                    answer.perspective,
                    "anonymous" if round_.anonymous else "named",
                    "",
                    "",
                    csv_safe("; ".join(f"{k}: {v}" for k, v in ratings.items())),
                    csv_safe(" | ".join(f"{k} {v}" for k, v in comments.items() if v)),
                    "",
                    answer.submitted_at.isoformat() if answer.submitted_at else "",
                ]
            )
            rows += 1
    return rows
