"""A plan's outcome buttons on the App Home: Completed, Extend 4 weeks, Close."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from cadence.handlers.actions.checkin import _tell
from cadence.prompts import ids
from cadence.services import home, plans
from cadence.services.deps import Deps


def register(app: App, deps: Deps) -> None:
    def listener(outcome: str) -> Any:
        def end(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
            ack()
            user = body["user"]["id"]
            try:
                plan_id = int(str(action.get("value") or ""))
            except ValueError:
                return
            _tell(deps, client, body, plans.end_plan(deps, user, plan_id, outcome))
            client.views_publish(user_id=user, view=home.home_view(deps, user))

        return end

    for outcome, action_id in ids.PLAN_END.items():
        app.action(action_id)(listener(outcome))
