"""The check-in modal's submission: field errors back to the modal, or save and close."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App

from prompts import ids
from services import checkins
from services.deps import Deps


def register(app: App, deps: Deps) -> None:
    @app.view(ids.CHECKIN_MODAL)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            period = str(json.loads(view.get("private_metadata") or "{}").get("period", ""))
        except (json.JSONDecodeError, AttributeError):
            period = ""
        raw = checkins.read_modal_state((view.get("state") or {}).get("values") or {})
        errors = checkins.submit_checkin(deps, body["user"]["id"], period, raw)
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()
