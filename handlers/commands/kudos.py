"""/kudos @person [@more] message: a public thank-you in the channel where it was typed."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from cadence.services import kudos
from cadence.services.deps import Deps


def register(app: App, deps: Deps) -> None:
    @app.command("/kudos")
    def kudos_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        giver, channel = command["user_id"], command.get("channel_id") or ""
        outcome = kudos.give(deps, giver, channel, command.get("text") or "")
        if outcome.kudos_id is None or outcome.payload is None:
            ack(text=outcome.message or "")
            return
        ack()
        try:
            client.chat_postMessage(channel=channel, **outcome.payload)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "")
            note = kudos.deliver_privately(deps, outcome.kudos_id, error)
            client.chat_postMessage(channel=giver, text=note)
