"""/checkin: open this week's check-in modal (or last week's while still open and unanswered)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from cadence.services import checkins
from cadence.services.common import NOT_REGISTERED
from cadence.services.deps import Deps

log = logging.getLogger(__name__)


def register(app: App, deps: Deps) -> None:
    @app.command("/checkin")
    def checkin_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        outcome = checkins.open_checkin(deps, command["user_id"])
        if outcome.view is None:
            ack(text=outcome.message or NOT_REGISTERED)
            return
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=outcome.view)
