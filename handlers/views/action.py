"""The "Plan an action" modal's submission: field errors back to the modal, or save and close."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from cadence.domain.actions import RawAction
from cadence.handlers.views.common import answer, field, state_values
from cadence.prompts import ids
from cadence.services import actions
from cadence.services.deps import Deps


def parse(view: dict[str, Any]) -> RawAction:
    values = state_values(view)
    return RawAction(
        text=field(values, ids.B_ACTION_WHAT, ids.A_ACTION_WHAT),
        owner=field(values, ids.B_ACTION_OWNER, ids.A_ACTION_OWNER),
        other=field(values, ids.B_ACTION_OTHER, ids.A_ACTION_OTHER),
        due=field(values, ids.B_ACTION_DUE, ids.A_ACTION_DUE),
    )


def register(app: App, deps: Deps) -> None:
    @app.view(ids.ACTION_MODAL)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        errors = actions.submit_action(
            deps,
            body["user"]["id"],
            str(view.get("id") or ""),
            str(view.get("private_metadata") or ""),
            parse(view),
        )
        answer(ack, errors)
