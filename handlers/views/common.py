"""What every modal submission handler needs: its state, its metadata, and the answer."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack

from cadence.domain.text import clean_strings, clean_text


def metadata(view: dict[str, Any]) -> dict[str, str]:
    """The modal's private_metadata object (as strings); {} when absent or malformed."""
    try:
        data = json.loads(clean_text(view.get("private_metadata") or "{}"))
    except json.JSONDecodeError:
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def state_values(view: dict[str, Any]) -> dict[str, Any]:
    """`view.state.values` as Slack sends it, every string cleaned of what cannot be stored
    (NUL, control characters, lone surrogates): the same text on every engine."""
    values = (view.get("state") or {}).get("values") or {}
    return clean_strings(values) if isinstance(values, dict) else {}


def answer(ack: Ack, errors: dict[str, str]) -> None:
    """Field errors back to the modal (`response_action: errors`), or close it."""
    if errors:
        ack(response_action="errors", errors=errors)
    else:
        ack()
