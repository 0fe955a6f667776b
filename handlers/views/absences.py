"""The "I'll be away" modal's submission: field errors back, or save and refresh the Home."""

from __future__ import annotations

from datetime import date
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from cadence.handlers.views.common import answer, field, state_values
from cadence.prompts import ids
from cadence.services import absences, home
from cadence.services.deps import Deps


def _date(picked: str | None) -> date | None:
    try:
        return date.fromisoformat(picked) if picked else None
    except ValueError:
        return None


def register(app: App, deps: Deps) -> None:
    @app.view(ids.AWAY_MODAL)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user = body["user"]["id"]
        values = state_values(view)
        start = _date(field(values, ids.B_AWAY_START, ids.A_AWAY_START))
        end = _date(field(values, ids.B_AWAY_END, ids.A_AWAY_END))
        errors = absences.submit_modal(deps, user, start, end)
        answer(ack, errors)
        if not errors:
            client.views_publish(user_id=user, view=home.home_view(deps, user))
