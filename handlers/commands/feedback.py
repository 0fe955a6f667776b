"""/feedback [@user] and the "Give feedback about this" message shortcut: open the modal."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from cadence.domain.feedback import permalink
from cadence.prompts import ids
from cadence.services import feedback
from cadence.services.common import tell_privately
from cadence.services.deps import Deps


def register(app: App, deps: Deps) -> None:
    @app.command("/feedback")
    def feedback_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        outcome = feedback.open_feedback(deps, command["user_id"], command.get("text") or "")
        if outcome.view is None:
            ack(text=outcome.message or "")
            return
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=outcome.view)

    @app.shortcut(ids.FEEDBACK_SHORTCUT)
    def feedback_shortcut(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or ""
        link = permalink(
            (body.get("team") or {}).get("domain") or "", channel, str(message.get("ts") or "")
        )
        user = body["user"]["id"]
        outcome = feedback.open_feedback(deps, user, about=message.get("user"), link=link)
        if outcome.view is not None:
            client.views_open(trigger_id=body["trigger_id"], view=outcome.view)
        else:
            tell_privately(deps, user, outcome.message or "")
