"""/kudos @person [@more] message: a public thank-you in the channel where it was typed."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from cadence.services import kudos
from cadence.services.deps import Deps


def register(app: App, deps: Deps) -> None:
    @app.command("/kudos")
    def kudos_command(ack: Ack, command: dict[str, Any]) -> None:
        channel = str(command.get("channel_id") or "")
        note = kudos.give(deps, command["user_id"], channel, command.get("text") or "")
        if note:
            ack(text=note)  # why not, privately; otherwise the post is on its way (outbox)
        else:
            ack()
