"""Buttons on the manager digest: "Plan action", and "Done" / "Still open" on actions."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from cadence.handlers.actions.checkin import _tell
from cadence.prompts import ids
from cadence.services import actions
from cadence.services.deps import Deps


def register(app: App, deps: Deps) -> None:
    @app.action(ids.DIGEST_PLAN)
    def plan(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        outcome = actions.open_plan(deps, body["user"]["id"], str(action.get("value") or ""))
        if outcome.view is None:
            _tell(deps, client, body, outcome.message or actions.NOT_YOURS)
        elif (body.get("container") or {}).get("type") == "view":
            # Clicked inside the /cadence team modal: stack the form on top of it.
            client.views_push(trigger_id=body["trigger_id"], view=outcome.view)
        else:
            client.views_open(trigger_id=body["trigger_id"], view=outcome.view)

    @app.action(ids.ACTION_DONE)
    def done(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        container = body.get("container") or {}
        ts = str(container.get("message_ts") or "") if container.get("type") == "message" else ""
        _tell(
            deps,
            client,
            body,
            actions.mark_done(deps, body["user"]["id"], str(action.get("value")), ts),
        )

    @app.action(ids.ACTION_KEEP)
    def keep(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        _tell(
            deps,
            client,
            body,
            actions.keep_open(deps, body["user"]["id"], str(action.get("value"))),
        )
