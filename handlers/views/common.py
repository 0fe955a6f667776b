"""What every modal submission handler needs: its state, its metadata, and the answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt import Ack
from slack_sdk import WebClient

from cadence.domain.text import clean_strings, clean_text
from cadence.services.deps import Deps

Form = TypeVar("Form")


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


def _element(values: dict[str, Any], block_id: str, action_id: str) -> dict[str, Any]:
    element = (values.get(block_id) or {}).get(action_id) or {}
    return element if isinstance(element, dict) else {}


def field(values: dict[str, Any], block_id: str, action_id: str) -> str | None:
    """One input's value as a string (a picked option's value, a picked date or user, typed
    text), or None when it is empty."""
    element = _element(values, block_id, action_id)
    if "selected_option" in element:
        option = element.get("selected_option") or {}
        value = option.get("value") if isinstance(option, dict) else None
    elif "selected_date" in element:
        value = element.get("selected_date")
    elif "selected_user" in element:
        value = element.get("selected_user")
    else:
        value = element.get("value")
    return None if value is None else str(value)


def picks(values: dict[str, Any], block_id: str, action_id: str) -> tuple[str, ...]:
    """A multi-select's picks as strings: the picked options' values, or the picked users."""
    element = _element(values, block_id, action_id)
    if "selected_options" in element:
        return tuple(
            str(o.get("value"))
            for o in element.get("selected_options") or []
            if isinstance(o, dict)
        )
    return tuple(str(u) for u in element.get("selected_users") or [])


def answer(ack: Ack, errors: dict[str, str]) -> None:
    """Field errors back to the modal (`response_action: errors`), or close it."""
    if errors:
        ack(response_action="errors", errors=errors)
    else:
        ack()


def form_then_home(
    deps: Deps,
    parse: Callable[[dict[str, Any]], Form],
    submit: Callable[[Deps, str, Form], dict[str, str]],
) -> Callable[..., None]:
    """A modal from the App Home, read by `parse` into the typed input `submit` takes: field
    errors back, or done and the caller's Home refreshed."""
    from cadence.services import home

    def listener(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user = body["user"]["id"]
        errors = submit(deps, user, parse(view))
        answer(ack, errors)
        if not errors:
            client.views_publish(user_id=user, view=home.home_view(deps, user))

    return listener
