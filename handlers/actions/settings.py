"""HR's Settings button (App Home) and the settings modal's submission."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from cadence.handlers.actions.checkin import _tell
from cadence.handlers.views.common import answer, state_values
from cadence.prompts import ids
from cadence.services import home, settings
from cadence.services.deps import Deps


def register(app: App, deps: Deps) -> None:
    @app.action(ids.HOME_SETTINGS_OPEN)
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        outcome = settings.open_settings(deps, body["user"]["id"])
        if outcome.view is not None:
            client.views_open(trigger_id=body["trigger_id"], view=outcome.view)
        else:
            _tell(deps, client, body, outcome.message or "")

    @app.view(ids.SETTINGS_MODAL)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user = body["user"]["id"]
        errors = settings.submit_settings(deps, user, settings.read_form(state_values(view)))
        answer(ack, errors)
        if not errors:
            client.views_publish(user_id=user, view=home.home_view(deps, user))
