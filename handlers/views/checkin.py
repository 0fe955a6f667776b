"""The check-in modal's submission: field errors back to the modal, or save and close."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from cadence.handlers.views.common import answer, metadata, state_values
from cadence.prompts import ids
from cadence.services import checkins
from cadence.services.deps import Deps


def register(app: App, deps: Deps) -> None:
    @app.view(ids.CHECKIN_MODAL)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        period = metadata(view).get("period", "")
        raw = checkins.read_modal_state(state_values(view))
        answer(ack, checkins.submit_checkin(deps, body["user"]["id"], period, raw))
