"""Turning a signal into an owned action: the "Plan action" modal, storing it, telling the
owner, and closing it from the next digests. Only the report's manager may act on it."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlmodel import Session

from cadence.domain.actions import ACTION_TEXT_LIMIT, RawAction, due_phrase, validate_action
from cadence.domain.authz import may_act_on_action, may_plan_action
from cadence.domain.periods import local_now, week_label
from cadence.domain.reviews import manager_chain
from cadence.domain.signals import ACTIONS, LABELS, SignalKind
from cadence.domain.status import ActionStatus
from cadence.prompts import ids
from cadence.prompts.render import escape_mrkdwn
from cadence.services import weeks
from cadence.services.common import Outcome
from cadence.services.deps import Deps
from cadence.services.people import timezone_of
from cadence.storage import digest_repo, repo, review_repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Action, Person

log = logging.getLogger(__name__)

ACTION_BLOCK = "action_"  # + the action id: the Done / Still open row of a digest
NOT_YOURS = "Only their manager can plan actions for this person in Cadence."
NOT_YOUR_ACTION = (
    "Only the manager who planned this action (while they still manage this person) or its "
    "owner can update it."
)
BLOCK_IDS = {
    "text": ids.B_ACTION_WHAT,
    "owner": ids.B_ACTION_OWNER,
    "other": ids.B_ACTION_OTHER,
    "due": ids.B_ACTION_DUE,
}


def parse_target(raw: str) -> tuple[str, str, SignalKind] | None:
    """(report slack_id, period, signal) from a button value or the modal's metadata."""
    try:
        data = json.loads(raw or "{}")
        return str(data["r"]), str(data["p"]), SignalKind(str(data["s"]))
    except (ValueError, KeyError, TypeError):
        return None


def _manager_and_report(deps: Deps, manager: str, report: str) -> tuple[Person, Person] | None:
    """Both people, when `manager` is the active direct manager of `report` (from the stored
    org chart, never from what a payload claims)."""
    with read_scope(deps.engine) as session:
        m = repo.person_by_slack_id(manager, session=session)
        r = repo.person_by_slack_id(report, session=session)
    if r is None or not may_plan_action(m, report=r) or m is None:
        return None
    return m, r


def open_plan(deps: Deps, slack_id: str, value: str) -> Outcome:
    target = parse_target(value)
    if target is None:
        return Outcome(message="That button is out of date; open this week's digest again.")
    report_id, period, signal = target
    pair = _manager_and_report(deps, slack_id, report_id)
    if pair is None:
        return Outcome(message=NOT_YOURS)
    manager, report = pair
    now = deps.clock.now()
    today = local_now(now, timezone_of(manager)).date()
    with read_scope(deps.engine) as session:
        label = weeks.checkin_labels(deps, [report], [period], session=session)
    view = deps.renderer.view(
        "action_modal.json.j2",
        meta={"r": report_id, "p": period, "s": signal.value},
        report_name=report.name,
        signal_label=LABELS[signal],
        period_label=label[(report.id or 0, period)],
        suggested=ACTIONS[signal],
        due=(today + timedelta(days=7)).isoformat(),
        text_limit=ACTION_TEXT_LIMIT,
    )
    return Outcome(view=view)


def submit_action(
    deps: Deps, slack_id: str, view_id: str, metadata: str, raw: RawAction
) -> dict[str, str]:
    """Store the action (once per modal) and DM its owner. Field errors keyed by block_id."""
    target = parse_target(metadata)
    if target is None:
        return {ids.B_ACTION_WHAT: "This form is out of date; open the digest again."}
    report_id, period, signal = target
    pair = _manager_and_report(deps, slack_id, report_id)
    if pair is None:
        return {ids.B_ACTION_WHAT: NOT_YOURS}
    manager, report = pair
    now = deps.clock.now()
    tz = timezone_of(manager)
    planned, errors = validate_action(
        raw,
        manager_slack_id=manager.slack_id,
        report_slack_id=report.slack_id,
        today=local_now(now, tz).date(),
        block_ids=BLOCK_IDS,
        generic=ACTIONS.values(),
    )
    if planned is None:
        return errors
    assert manager.id is not None and report.id is not None  # noqa: S101
    idem = f"view:{view_id}" if view_id else None
    with session_scope(deps.engine) as session:
        if idem and digest_repo.action_by_idem_key(idem, session=session) is not None:
            return {}  # the same submission again (a retry): stored once
        action = digest_repo.add_action(
            manager_id=manager.id,
            report_id=report.id,
            period=period,
            signal=signal.value,
            text=planned.text,
            owner_kind=planned.owner_kind,
            owner_slack_id=planned.owner_slack_id,
            due=planned.due,
            idem_key=idem,
            now=now,
            session=session,
        )
        owner = repo.person_by_slack_id(planned.owner_slack_id, session=session)
        tell_signal = planned.owner_kind != "other" or (
            owner is not None
            and owner.id in manager_chain(report.id, review_repo.manager_map(session=session))
        )
        payload = deps.renderer.message(
            "action_assigned.json.j2",
            owner_kind=planned.owner_kind,
            manager_name=manager.name,
            report_name=report.name,
            # The signal is read from the report's check-ins: told to their manager chain
            # only (DESIGN.md section 6); someone else learns the action and the week.
            signal_label=LABELS[signal].lower() if tell_signal else "",
            week=weeks.checkin_labels(deps, [report], [period], session=session)[
                (report.id, period)
            ],
            text=planned.text,
            due_label=f"{planned.due:%A} {planned.due.day} {planned.due:%b}",
        )
        repo.enqueue(
            [
                repo.OutgoingMessage(
                    key=f"action:{action.id}:owner",
                    kind="action",
                    recipient=planned.owner_slack_id,
                    payload=payload,
                )
            ],
            now,
            session=session,
        )
        repo.audit(
            slack_id, "action.create", report.slack_id, f"action {action.id}", now, session=session
        )
    deps.wake_sender()
    return {}


def _own_action(deps: Deps, slack_id: str, value: str) -> tuple[Action, Person] | str:
    """The open action and the caller when they may act on it now (its active owner, or the
    active manager who planned it while still in the report's line); else what to tell them."""
    try:
        action_id = int(value)
    except ValueError:
        return "That button is out of date."
    with read_scope(deps.engine) as session:
        action = digest_repo.action_by_id(action_id, session=session)
        person = repo.person_by_slack_id(slack_id, session=session)
        manager_of = review_repo.manager_map(session=session)
    if (
        action is None
        or person is None
        or not may_act_on_action(
            person,
            planner_id=action.manager_id,
            owner_slack_id=action.owner_slack_id,
            report_id=action.report_id,
            manager_of=manager_of,
        )
    ):
        return NOT_YOUR_ACTION
    if action.status != ActionStatus.OPEN:
        return _already_done(deps, action, person)
    return action, person


def _day(deps: Deps, person: Person, at: datetime) -> str:
    day = local_now(at, timezone_of(person)).date()
    return f"{day:%a} {day.day} {day:%b}"


def _already_done(deps: Deps, action: Action, manager: Person) -> str:
    when = f" on {_day(deps, manager, action.closed_at)}" if action.closed_at else ""
    return f"That action was already marked done{when}; nothing more to do."


def mark_done(deps: Deps, slack_id: str, value: str, message_ts: str = "") -> str:
    """Close the action; the message whose Done was clicked (`message_ts`) loses its buttons
    and says who closed it and when (a chat.update through the outbox)."""
    found = _own_action(deps, slack_id, value)
    if isinstance(found, str):
        return found
    action, manager = found
    assert action.id is not None  # noqa: S101
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        closed = digest_repo.close_action(action.id, now, session=session)
        if closed:
            repo.audit(slack_id, "action.done", str(action.id), "", now, session=session)
            if message_ts:
                _update_message(deps, manager, action.id, message_ts, now, session=session)
    if not closed:
        with read_scope(deps.engine) as session:
            again = digest_repo.action_by_id(action.id, session=session)
        return _already_done(deps, again or action, manager)
    deps.wake_sender()
    return (
        f"✅ Marked done: {escape_mrkdwn(action.text[:200])}. It won't appear in your next digest."
    )


def _update_message(
    deps: Deps, closer: Person, action_id: int, message_ts: str, now: datetime, *, session: Session
) -> None:
    """Queue the clicked message again with this action's buttons replaced by who closed it
    and when, starting from the latest version we sent or queued (earlier closings kept),
    never from the click's payload."""
    original = repo.delivery_by_ts(closer.slack_id, message_ts, session=session)
    if original is None:
        return
    key = f"update:{original.key}"
    latest = repo.delivery_by_key(key, session=session) or original
    message = json.loads(latest.payload)
    block_id = f"{ACTION_BLOCK}{action_id}"
    line = f"✅ Done · marked by {closer.name} on {_day(deps, closer, now)}"
    blocks = [
        {
            "type": "context",
            "block_id": block_id,
            "elements": [{"type": "mrkdwn", "text": escape_mrkdwn(line)}],
        }
        if b.get("block_id") == block_id
        else b
        for b in message.get("blocks") or []
    ]
    repo.replace_pending(
        repo.update_of(
            original.key, f"{original.kind}-update", closer.slack_id, {**message, "blocks": blocks}
        ),
        now,
        session=session,
    )


def keep_open(deps: Deps, slack_id: str, value: str) -> str:
    found = _own_action(deps, slack_id, value)
    if isinstance(found, str):
        return found
    action, _ = found
    assert action.id is not None  # noqa: S101
    with session_scope(deps.engine) as session:
        digest_repo.touch_action(action.id, deps.clock.now(), session=session)
    return f"Kept open: {escape_mrkdwn(action.text[:200])}. It comes back in next Monday's digest."


def home_lines(deps: Deps, person: Person) -> list[str]:
    """The App Home's "Actions you own": each open action someone planned with this person as
    its owner, what it is about, who planned it, and when it is due (or that it is overdue)."""
    now = deps.clock.now()
    today = local_now(now, timezone_of(person)).date()
    with read_scope(deps.engine) as session:
        owned = digest_repo.owned_open_actions(person.slack_id, session=session)
        people = repo.people_by_ids(
            {a.manager_id for a in owned} | {a.report_id for a in owned}, session=session
        )
        reports = [people[i] for i in {a.report_id for a in owned} if i in people]
        labels = weeks.checkin_labels(deps, reports, {a.period for a in owned}, session=session)
    lines = []
    for a in owned:
        report = people.get(a.report_id)
        planner = people.get(a.manager_id)
        about = (
            "your week"
            if report is not None and report.id == person.id
            else (report.name if report else "a former colleague")
        )
        by = (
            "you"
            if planner is not None and planner.id == person.id
            else (planner.name if planner else "a former manager")
        )
        lines.append(
            f"☐ {a.text[:200]} — about {about}, "
            f"{labels.get((a.report_id, a.period)) or week_label(a.period)} · planned by {by} · "
            f"{due_phrase(a.due, a.status, today)}"
        )
    return lines
