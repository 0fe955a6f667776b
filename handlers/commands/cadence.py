"""/cadence [help|round]: what Cadence can do for you, and HR's feedback rounds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from services import rounds
from services.deps import Deps

HELP = (
    "*Cadence* keeps a steady rhythm of check-ins and feedback.\n"
    "• `/checkin` — answer this week's check-in (or last week's until Tuesday noon)\n"
    "• `/cadence help` — this help\n"
    "Every Friday afternoon you get a DM with a button for your weekly check-in; if you miss "
    "it, one reminder follows on Monday morning. Your answers are seen by you and your "
    "manager only. Open Cadence's *Home* tab for your last 8 weeks."
)
HELP += (
    "\n• `/feedback [@person]` — give feedback, for their manager only or for them too"
    "\n• `/kudos @person [@more] message` — thank someone publicly in this channel"
    "\n• `/cadence round` — start a feedback round (HR admins)"
)

Subcommand = Callable[[Deps, Ack, dict[str, Any], WebClient], None]


def _round(deps: Deps, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    outcome = rounds.open_round_modal(deps, command["user_id"])
    if outcome.view is None:
        ack(text=outcome.message or rounds.HR_ONLY)
        return
    ack()
    client.views_open(trigger_id=command["trigger_id"], view=outcome.view)


SUBCOMMANDS: dict[str, Subcommand] = {
    "round": _round,
}


def register(app: App, deps: Deps) -> None:
    @app.command("/cadence")
    def cadence_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        words = (command.get("text") or "").split()
        sub = words[0].lower() if words else "help"
        if sub in SUBCOMMANDS:
            SUBCOMMANDS[sub](deps, ack, command, client)
        elif sub == "help":
            ack(text=HELP)
        else:
            ack(text=f"I don't know `/cadence {sub[:30]}` yet.\n\n{HELP}")
