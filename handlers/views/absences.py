"""The "I'll be away" modal's submission: field errors back, or save and refresh the Home."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from cadence.handlers.views.common import answer, state_values
from cadence.prompts import ids
from cadence.services import absences, home
from cadence.services.deps import Deps


def register(app: App, deps: Deps) -> None:
    @app.view(ids.AWAY_MODAL)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user = body["user"]["id"]
        errors = absences.submit_modal(deps, user, state_values(view))
        answer(ack, errors)
        if not errors:
            client.views_publish(user_id=user, view=home.home_view(deps, user))
