"""People's rights over their data: erasure (`python bot.py forget`, HR's App Home), the
`/cadence my-data` file, and the retention job."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlmodel import Session

from cadence.domain.authz import may_administer
from cadence.domain.rights import confirmation_matches, erased_token, retention_cutoff
from cadence.domain.rounds import PerspectiveResult
from cadence.domain.status import DeliveryStatus
from cadence.prompts import ids
from cadence.services import digests, kudos
from cadence.services.common import JobReport, Outcome, caller
from cadence.services.deps import Deps
from cadence.services.digests import UPLOAD_METHOD
from cadence.services.people import first_name
from cadence.services.rounds import (
    REVIEWER_DM_KINDS,
    blank_sealed_answers_of,
    erased_subject_notice,
    minimum_for,
    refresh_dms_about,
    subject_results,
)
from cadence.storage import repo, rights_repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Checkin, Person
from cadence.storage.sealing import SealError

log = logging.getLogger(__name__)

ERASE_ACTION = "person.erase"


class UnknownPerson(Exception):
    """No one in Cadence has this Slack ID."""


@dataclass(frozen=True, slots=True)
class Forgotten:
    person_id: int
    already: bool
    texts: int = 0
    messages: int = 0

    def sentence(self, slack_id: str) -> str:
        if self.already:
            return f"{slack_id} was already erased (person #{self.person_id}); nothing to do."
        return (
            f"Erased person #{self.person_id}: {self.texts} texts removed, {self.messages} "
            "messages deleted or cleared; name, email and Slack ID are gone."
        )


def _token(deps: Deps, slack_id: str) -> str:
    """The keyed stand-in when the key is at hand (a second erasure then recognises the
    first), else a random one."""
    try:
        return deps.sealer.erased_token(slack_id)
    except (SealError, OSError):
        return erased_token()


def forget(deps: Deps, slack_id: str, actor: str) -> Forgotten:
    """Erase a person: their free text and the text about them removed, their identity
    replaced everywhere, numbers kept; audited without the erased data. Raises UnknownPerson."""
    slack_id = slack_id.strip()
    token = _token(deps, slack_id)
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        person = repo.person_by_slack_id(slack_id, session=session)
        if person is None:
            done = repo.person_by_slack_id(token, session=session) if slack_id else None
            if done is not None and done.id is not None:
                return Forgotten(done.id, already=True)
            raise UnknownPerson(slack_id)
        if person.erased_at is not None and person.id is not None:
            return Forgotten(person.id, already=True)
        blanked = 0
        try:
            blanked = blank_sealed_answers_of(deps, person.id or 0, session=session)
        except (SealError, OSError):
            # Without the key no pool opens either: the rounds stay open until it is back.
            log.warning("person erased with anonymous answers pooled under a missing key")
        erased = rights_repo.erase_person(person, token, now, session=session)
        _update_in_slack(deps, erased, person.slack_id, now, session=session)
        _keep_for_others(deps, erased, person.slack_id, now, session=session)
        repo.audit(
            token if actor == slack_id else actor,
            ERASE_ACTION,
            f"person:{erased.person_id}",
            "",
            now,
            session=session,
        )
    # Read once the erasure is committed: the digests then read without them.
    digests.render_again(deps, [k.key for k in erased.kept], now)
    log.info("person #%d erased", erased.person_id)
    deps.wake_sender()
    return Forgotten(
        erased.person_id,
        already=False,
        texts=erased.texts + blanked,
        messages=erased.messages_deleted + erased.messages_scrubbed,
    )


def _update_in_slack(
    deps: Deps, erased: rights_repo.Erasure, slack_id: str, now: datetime, *, session: Session
) -> None:
    """What other people were shown about the erased person stops showing it in Slack too:
    each delivered message that named them or quoted their text is updated (chat.update,
    through the outbox, keyed `update:<message>`: erasing is done once, and a second update
    of the same message replaces the first). Reviewers' round DMs and reminders are rendered
    again without them, their buttons for others kept; their results and the approval of
    their nominations lose their buttons; everything else reads as before with their name,
    Slack ID and email as "(removed)" and any block quoting their text removed whole.
    Messages to the person themselves and files (charts) stay as Slack has them."""
    refresh_dms_about(deps, [erased.person_id], now, open_only=False, session=session)
    for shown in erased.shown:
        if shown.kind in REVIEWER_DM_KINDS:
            continue  # rendered again above
        payload = erased_subject_notice(deps, shown.old_key, slack_id, session=session)
        repo.update_dms(
            repo.DmUpdate(
                originals=[shown.key],
                kind=f"{shown.kind}-update",
                recipient=shown.recipient,
                payload=payload or shown.scrubbed,
                reason="its subject was erased",
            ),
            now,
            session=session,
        )


def _keep_for_others(
    deps: Deps, erased: rights_repo.Erasure, slack_id: str, now: datetime, *, session: Session
) -> None:
    """Every message to someone else not sent yet that named the erased person still goes,
    once, without them (a scheduled send never drops a message): scrubbed as Slack's copy of
    a delivered one is (rights_repo.erase_person); reviewers' round DMs and reminders are
    rendered again (refresh_dms_about, above), and so are digests, once this commits
    (digests.render_again); results about them and the approval of their nominations say
    they were removed instead, as delivered ones do. One a sender may be posting right now,
    as it read before, is then updated in Slack as a delivered one is."""
    for kept in erased.kept:
        if kept.kind in REVIEWER_DM_KINDS:
            continue  # rendered again, and updated if already going out
        payload = erased_subject_notice(deps, kept.old_key, slack_id, session=session)
        if payload is not None:
            repo.set_unsent_payload(kept.key, payload, session=session)
        if kept.status == DeliveryStatus.SENDING and kept.method == "chat.postMessage":
            update = repo.update_of(
                kept.key, f"{kept.kind}-update", kept.recipient, payload or kept.scrubbed
            )
            repo.replace_pending(update, now, session=session)


def may_erase(deps: Deps, slack_id: str) -> bool:
    """Only active HR admins erase people."""
    person = caller(deps, slack_id, hr_admin=True)
    return person is not None and may_administer(person)


# ---------------------------------------------------------------- /cadence my-data

MY_DATA_KIND = "my-data"
MY_DATA_FILE_KIND = "my-data-file"
ON_ITS_WAY = (
    "On its way: a DM from Cadence with a file of everything it holds about you "
    "(check-ins, feedback, reviews, goals, and who accessed your data)."
)
NOT_KNOWN = "Cadence holds nothing about you: you are not in its org chart."


def _iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _checkin(c: Checkin) -> dict[str, Any]:
    return {
        "week": c.period,
        "status": c.status,
        "quality": c.quality_value,
        "output": c.output_value,
        "mood": c.mood,
        "wins": c.wins,
        "blockers": c.blockers,
        "priorities": c.priorities,
        "source": c.source,
        "weeks_covered": c.weeks,  # 1 or 2 as stored when written; None on older rows
        "submitted_at": _iso(c.submitted_at),
        "updated_at": _iso(c.updated_at),
    }


def _round_results(results: list[PerspectiveResult]) -> list[dict[str, Any]]:
    return [
        {
            "perspective": r.label,
            "answers": r.answers,
            "shown": r.enough,
            "averages": dict(r.averages),
            "comments": {q: list(texts) for q, texts in r.comments},
        }
        for r in results
    ]


def my_data_document(deps: Deps, person: Person) -> dict[str, Any]:
    """Everything Cadence holds about `person`, as DESIGN.md section 6 lets them see it: their
    own records whole; feedback about them when it was shared with them (feedback for their
    manager only is counted, without its text); round results as their manager reads them
    (anonymous answers only aggregated, never below the minimum); the manager assessment
    only once released; and every audit entry that touched their data."""
    with read_scope(deps.engine) as session:
        held = rights_repo.held_about(person, session=session)
        went = kudos.where_they_went([k.id for k in held.kudos_given if k.id], session=session)
        manager = (
            repo.people_by_ids([person.manager_id], session=session).get(person.manager_id)
            if person.manager_id
            else None
        )
        absences = repo.own_absences(person.id or 0, date.min, session=session)
        rounds = [
            {
                "round": r.name,
                "closed_at": _iso(r.closed_at),
                "anonymous": r.anonymous,
                "minimum_answers": minimum_for(r, person.id or 0, session=session),
                "results": _round_results(subject_results(deps, r, person, session=session)),
            }
            for r in held.rounds_about
        ]
        audit = rights_repo.audit_rows_about(person.slack_id, session=session)
    manager_only = [f for f, _ in held.feedback_received if f.visibility != "shared"]
    return {
        "about": "Everything Cadence holds about you (see DESIGN.md section 6 for who sees what).",
        "generated_at": _iso(deps.clock.now()),
        "you": {
            "slack_id": person.slack_id,
            "name": person.name,
            "email": person.email,
            "role": person.role,
            "timezone": person.timezone,
            "manager": manager.name if manager else None,
            "hr_admin": person.hr_admin,
            "active": person.active,
        },
        "checkins": [_checkin(c) for c in held.checkins],
        "absences": [{"start": _iso(a.start), "end": _iso(a.end)} for a in absences],
        "feedback_you_gave": [
            {
                "to": receiver.name,
                "visibility": f.visibility,
                "strengths": f.strengths,
                "improvements": f.improvements,
                "context_link": f.context_link,
                "created_at": _iso(f.created_at),
            }
            for f, receiver in held.feedback_given
        ],
        "feedback_about_you": [
            {
                "from": giver.name,
                "strengths": f.strengths,
                "improvements": f.improvements,
                "context_link": f.context_link,
                "created_at": _iso(f.created_at),
            }
            for f, giver in held.feedback_received
            if f.visibility == "shared"
        ],
        "feedback_about_you_for_your_manager_only": {
            "count": len(manager_only),
            "note": "Written for your manager chain only; its text is not yours to read.",
        },
        "kudos_you_gave": [
            {
                "message": k.message,
                "channel": k.channel_id,
                "delivered": went.get(k.id or 0, kudos.NOT_DELIVERED),
                "created_at": _iso(k.created_at),
            }
            for k in held.kudos_given
        ],
        "kudos_you_received": [
            {"from": giver.name, "message": k.message, "created_at": _iso(k.created_at)}
            for k, giver in held.kudos_received
        ],
        "reviews": [
            {
                "quarter": r.quarter,
                "self_assessment": json.loads(r.self_answers or "{}"),
                "self_submitted_at": _iso(r.self_submitted_at),
                "manager_assessment": (
                    json.loads(r.manager_answers or "{}") if r.released_at else None
                ),
                "released_at": _iso(r.released_at),
                "acknowledged_at": _iso(r.acknowledged_at),
                "your_comment": r.ack_comment,
            }
            for r in held.reviews
        ],
        "goals": [
            {
                "quarter": g.quarter,
                "objective": g.objective,
                "key_results": [
                    {
                        "kind": kr.kind,
                        "description": kr.description,
                        "baseline": kr.baseline,
                        "target": kr.target,
                        "due": _iso(kr.due),
                        "current": kr.current_value,
                    }
                    for kr in krs
                ],
            }
            for g, krs in held.goals
        ],
        "actions_you_own": [
            {"text": a.text, "due": _iso(a.due), "status": a.status} for a in held.actions_owned
        ],
        "development_plans": [
            {
                "kind": p.kind,
                "quality_result": p.quality_result,
                "output_result": p.output_result,
                "support": json.loads(p.support),
                "check_ins": json.loads(p.checkins),
                "ends": _iso(p.end_date),
                "status": p.status,
                "opened": _iso(p.created_at),
                "ended": _iso(p.ended_at),
            }
            for p in held.plans
        ],
        "feedback_rounds_asked_of_you": [
            {
                "round": rnd.name,
                "about": subject.name,
                "as": r.perspective,
                "status": r.status,
                "decline_reason": r.decline_reason,
            }
            for r, rnd, subject in held.requests
        ],
        "round_answers_you_gave_with_your_name": [
            {
                "round": rnd.name,
                "perspective": a.perspective,
                "ratings": json.loads(a.ratings),
                "comments": json.loads(a.comments),
            }
            for a, rnd in held.own_answers
        ],
        "feedback_rounds_about_you": rounds,
        "access_to_your_data": [
            {"at": _iso(e.at), "by": e.actor, "what": e.action, "detail": e.detail} for e in audit
        ],
    }


def send_my_data(deps: Deps, slack_id: str) -> str:
    """`/cadence my-data`: the person's file goes out as a DM with an upload (the outbox);
    the request is audited. Returns the ephemeral reply."""
    with read_scope(deps.engine) as session:
        person = repo.person_by_slack_id(slack_id, session=session)
    if person is None or not person.active:
        return NOT_KNOWN
    now = deps.clock.now()
    document = my_data_document(deps, person)
    content = json.dumps(document, ensure_ascii=False, indent=2)
    stamp = now.strftime("%Y%m%dT%H%M%S")
    filename = f"cadence-my-data-{now.date().isoformat()}.json"
    counts = [
        f"check-ins: {len(document['checkins'])}",
        f"feedback given: {len(document['feedback_you_gave'])}",
        f"feedback about you: {len(document['feedback_about_you'])}",
        f"reviews: {len(document['reviews'])}",
        f"goals: {len(document['goals'])}",
        f"access records: {len(document['access_to_your_data'])}",
    ]
    manager_only = document["feedback_about_you_for_your_manager_only"]["count"]
    message = deps.renderer.message(
        "my_data.json.j2",
        first_name=first_name(person),
        filename=filename,
        counts=counts,
        manager_only=manager_only,
    )
    key = f"{MY_DATA_KIND}:{slack_id}:{stamp}"
    fallback = {
        "text": "Your Cadence data could not be uploaded as a file",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "The file could not be uploaded. Ask again with `/cadence my-data`.",
                },
            }
        ],
    }
    outgoing = [
        repo.OutgoingMessage(key=key, kind=MY_DATA_KIND, recipient=slack_id, payload=message),
        repo.OutgoingMessage(
            key=f"{key}:file",
            kind=MY_DATA_FILE_KIND,
            recipient=slack_id,
            payload={
                "filename": filename,
                "title": "Everything Cadence holds about you",
                "content": content,
                "fallback": fallback,
            },
            method=UPLOAD_METHOD,
            update_of=key,
        ),
    ]
    with session_scope(deps.engine) as session:
        repo.enqueue(outgoing, now, session=session)
        repo.audit(slack_id, "my-data", slack_id, "sent to the person", now, session=session)
    deps.wake_sender()
    return ON_ITS_WAY


# ---------------------------------------------------------------- HR's App Home: erase

HR_ONLY = "Only HR admins can erase a person's data."


def open_erase(deps: Deps, slack_id: str) -> Outcome:
    """The erase modal, for active HR admins only."""
    if not may_erase(deps, slack_id):
        return Outcome(message=HR_ONLY)
    return Outcome(view=deps.renderer.view("erase_modal.json.j2"))


@dataclass(frozen=True, slots=True)
class Erasure:
    who: str  # the picked person's Slack ID ("" when nobody was picked)
    typed: str  # the name HR typed to confirm


def submit_erase(deps: Deps, slack_id: str, form: Erasure) -> dict[str, str]:
    """Erase the chosen person once HR typed their name; field errors keyed by block_id."""
    if not may_erase(deps, slack_id):
        return {ids.B_ERASE_WHO: HR_ONLY}
    who, typed = form.who, form.typed
    if not who:
        return {ids.B_ERASE_WHO: "Pick the person whose data to erase."}
    if who == slack_id:
        return {ids.B_ERASE_WHO: "You cannot erase yourself: ask another HR admin."}
    with read_scope(deps.engine) as session:
        person = repo.person_by_slack_id(who, session=session)
    if person is None:
        return {ids.B_ERASE_WHO: "This person is not in Cadence: there is nothing to erase."}
    if not confirmation_matches(typed, person.name):
        return {
            ids.B_ERASE_CONFIRM: "That is not their name as Cadence has it: type their full "
            "name to confirm."
        }
    forget(deps, person.slack_id, actor=slack_id)
    return {}


# ---------------------------------------------------------------- retention

RETENTION_ACTION = "retention.run"


def run_retention(deps: Deps, now: datetime) -> JobReport:
    """Free text older than CADENCE_RETENTION_MONTHS months reads "(removed)"; numbers stay.
    Once a day (the audit log records each day's run, so the minute ticks in between cost one
    small query); off when the setting is 0."""
    report = JobReport("retention", now)
    cutoff_day = retention_cutoff(now.date(), deps.settings.cadence_retention_months)
    if cutoff_day is None:
        return report
    cutoff = datetime.combine(cutoff_day, time(0, 0), tzinfo=UTC)
    day = cutoff_day.isoformat()
    with session_scope(deps.engine) as session:
        if rights_repo.has_audit(RETENTION_ACTION, day, session=session):
            return report
        removed = rights_repo.remove_text_before(cutoff, session=session)
        repo.audit(
            "scheduler", RETENTION_ACTION, day, f"{removed} texts removed", now, session=session
        )
    if removed:
        log.info("retention: %d texts older than %s removed", removed, day)
    report.add("texts removed", removed)
    return report
