"""Validating a planned action from the "Plan action" modal (pure: values in, errors out)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

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
) -> tuple[PlannedAction | None, dict[str, str]]:
    """The action, or field errors keyed by block_id. `today` is the manager's local date."""
    errors: dict[str, str] = {}
    text = (raw.text or "").strip()
    if not text:
        errors[block_ids["text"]] = "Say what will be done."
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
