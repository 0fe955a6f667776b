"""App Home buttons for declared absences: "I'll be away" (opens the modal) and "Cancel"."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from cadence.handlers.actions.checkin import _tell, open_or_tell
from cadence.prompts import ids
from cadence.services import absences, home
from cadence.services.deps import Deps


def register(app: App, deps: Deps) -> None:
    @app.action(ids.HOME_AWAY_NEW)
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        outcome = absences.open_modal(deps, body["user"]["id"])
        open_or_tell(deps, client, body, outcome)

    @app.action(ids.AWAY_CANCEL)
    def cancel(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        user = body["user"]["id"]
        try:
            absence_id = int(str(action.get("value") or ""))
        except ValueError:
            return
        _tell(deps, client, body, absences.cancel(deps, user, absence_id))
        client.views_publish(user_id=user, view=home.home_view(deps, user))
