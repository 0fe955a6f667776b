"""The "Plan an action" modal's submission: field errors back to the modal, or save and close."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from cadence.handlers.views.common import answer, state_values
from cadence.prompts import ids
from cadence.services import actions
from cadence.services.deps import Deps


def register(app: App, deps: Deps) -> None:
    @app.view(ids.ACTION_MODAL)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        raw = actions.read_action_state(state_values(view))
        errors = actions.submit_action(
            deps,
            body["user"]["id"],
            str(view.get("id") or ""),
            str(view.get("private_metadata") or ""),
            raw,
        )
        answer(ack, errors)
