"""Turning a signal into an owned action: the "Plan action" modal, storing it, telling the
owner, and closing it from the next digests. Only the report's manager may act on it."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

from cadence.domain.actions import ACTION_TEXT_LIMIT, RawAction, validate_action
from cadence.domain.periods import local_now, week_label
from cadence.domain.signals import ACTIONS, LABELS, SignalKind
from cadence.prompts import ids
from cadence.prompts.render import escape_mrkdwn
from cadence.services.common import Outcome
from cadence.services.deps import Deps
from cadence.services.people import timezone_of
from cadence.storage import digest_repo, repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Person

log = logging.getLogger(__name__)

NOT_YOURS = "Only their manager can plan actions for this person in Cadence."
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
    if m is None or r is None or not m.active or not r.active or r.manager_id != m.id:
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
    today = local_now(now, timezone_of(deps, manager, now)).date()
    view = deps.renderer.view(
        "action_modal.json.j2",
        meta={"r": report_id, "p": period, "s": signal.value},
        report_name=report.name,
        signal_label=LABELS[signal],
        period_label=week_label(period),
        suggested=ACTIONS[signal],
        due=(today + timedelta(days=7)).isoformat(),
        text_limit=ACTION_TEXT_LIMIT,
    )
    return Outcome(view=view)


def read_action_state(values: dict[str, Any]) -> RawAction:
    def element(block_id: str, action_id: str) -> dict[str, Any]:
        found = (values.get(block_id) or {}).get(action_id) or {}
        return found if isinstance(found, dict) else {}

    owner = element(ids.B_ACTION_OWNER, ids.A_ACTION_OWNER).get("selected_option") or {}
    return RawAction(
        text=element(ids.B_ACTION_WHAT, ids.A_ACTION_WHAT).get("value"),
        owner=owner.get("value") if isinstance(owner, dict) else None,
        other=element(ids.B_ACTION_OTHER, ids.A_ACTION_OTHER).get("selected_user"),
        due=element(ids.B_ACTION_DUE, ids.A_ACTION_DUE).get("selected_date"),
    )


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
    tz = timezone_of(deps, manager, now)
    planned, errors = validate_action(
        raw,
        manager_slack_id=manager.slack_id,
        report_slack_id=report.slack_id,
        today=local_now(now, tz).date(),
        block_ids=BLOCK_IDS,
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
        payload = deps.renderer.message(
            "action_assigned.json.j2",
            owner_kind=planned.owner_kind,
            manager_name=manager.name,
            report_name=report.name,
            signal_label=LABELS[signal],
            text=planned.text,
            due_label=planned.due.strftime("%A %d %b"),
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


def _own_action(deps: Deps, slack_id: str, value: str) -> tuple[int, str] | str:
    """(action id, its text) when `slack_id` is the manager who planned it; else a message."""
    try:
        action_id = int(value)
    except ValueError:
        return "That button is out of date."
    with read_scope(deps.engine) as session:
        action = digest_repo.action_by_id(action_id, session=session)
        person = repo.person_by_slack_id(slack_id, session=session)
    if action is None or person is None or action.manager_id != person.id:
        return "Only the manager who planned this action can close it."
    if action.status != "open":
        return "That action is already marked done."
    return action_id, action.text


def mark_done(deps: Deps, slack_id: str, value: str) -> str:
    found = _own_action(deps, slack_id, value)
    if isinstance(found, str):
        return found
    action_id, text = found
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        closed = digest_repo.close_action(action_id, now, session=session)
        if closed:
            repo.audit(slack_id, "action.done", str(action_id), "", now, session=session)
    if not closed:
        return "That action is already marked done."
    return f"✅ Marked done: {escape_mrkdwn(text[:200])}. It won't appear in your next digest."


def keep_open(deps: Deps, slack_id: str, value: str) -> str:
    found = _own_action(deps, slack_id, value)
    if isinstance(found, str):
        return found
    action_id, text = found
    with session_scope(deps.engine) as session:
        digest_repo.touch_action(action_id, deps.clock.now(), session=session)
    return f"Kept open: {escape_mrkdwn(text[:200])}. It comes back in next Monday's digest."
