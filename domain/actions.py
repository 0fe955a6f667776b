"""Validating a planned action from the "Plan action" modal (pure: values in, errors out)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from cadence.domain.status import ActionStatus

ACTION_TEXT_LIMIT = 500
OWNER_KINDS = ("manager", "report", "other")
MAX_DUE_AHEAD = timedelta(days=366)
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")


@dataclass(frozen=True, slots=True)
class RawAction:
    """The modal's values as strings (None when empty)."""

    text: str | None
    owner: str | None
    other: str | None
    due: str | None


@dataclass(frozen=True, slots=True)
class PlannedAction:
    text: str
    owner_kind: str
    owner_slack_id: str
    due: date


def validate_action(
    raw: RawAction,
    *,
    manager_slack_id: str,
    report_slack_id: str,
    today: date,
    block_ids: dict[str, str],
    generic: Iterable[str] = (),
) -> tuple[PlannedAction | None, dict[str, str]]:
    """The action, or field errors keyed by block_id. `today` is the manager's local date;
    `generic` the suggestions the form starts from, refused as they are (they name a kind of
    action, not what will happen)."""
    errors: dict[str, str] = {}
    text = (raw.text or "").strip()
    if not text:
        errors[block_ids["text"]] = "Say what will be done."
    elif _plain(text) in {_plain(g) for g in generic}:
        errors[block_ids["text"]] = (
            "Say what will happen: who does what, and when. The suggestion is only a start."
        )
    elif len(text) > ACTION_TEXT_LIMIT:
        errors[block_ids["text"]] = f"Keep it under {ACTION_TEXT_LIMIT} characters."
    owner_kind = raw.owner or ""
    owner = ""
    if owner_kind == "manager":
        owner = manager_slack_id
    elif owner_kind == "report":
        owner = report_slack_id
    elif owner_kind == "other":
        owner = (raw.other or "").strip()
        if not _USER_ID.match(owner):
            errors[block_ids["other"]] = "Pick the person who owns it."
    else:
        errors[block_ids["owner"]] = "Pick who owns it."
    due: date | None = None
    try:
        due = date.fromisoformat(raw.due or "")
    except ValueError:
        errors[block_ids["due"]] = "Pick a due date."
    if due is not None and due < today:
        errors[block_ids["due"]] = "The due date is in the past."
    elif due is not None and due > today + MAX_DUE_AHEAD:
        errors[block_ids["due"]] = "Pick a due date within a year."
    if errors or due is None:
        return None, errors
    return PlannedAction(text, owner_kind, owner, due), {}


def _plain(text: str) -> str:
    return " ".join(text.casefold().replace(".", " ").split())


def is_overdue(due: date, status: str, today: date) -> bool:
    """Open past its due date (`today` in the reader's zone)."""
    return status == ActionStatus.OPEN and due < today


def due_phrase(due: date, status: str, today: date) -> str:
    """'due Fri 27 Nov', or 'overdue since Fri 27 Nov' once the date has passed."""
    label = f"{due:%a} {due.day} {due:%b}"
    return f"⚠️ overdue since {label}" if is_overdue(due, status, today) else f"due {label}"
