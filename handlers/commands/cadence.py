"""/cadence [help|team]: what Cadence can do for you."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from services import digests
from services.deps import Deps

HELP = (
    "*Cadence* keeps a steady rhythm of check-ins and feedback.\n"
    "• `/checkin` — answer this week's check-in (or last week's until Tuesday noon)\n"
    "• `/cadence team` — managers: your team's digest for last week, privately\n"
    "• `/cadence help` — this help\n"
    "Every Friday afternoon you get a DM with a button for your weekly check-in; if you miss "
    "it, one reminder follows on Monday morning. Your answers are seen by you and your "
    "manager only. Open Cadence's *Home* tab for your last 8 weeks."
)

Subcommand = Callable[[Deps, Ack, dict[str, Any], WebClient], None]


def _help(deps: Deps, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    ack(text=HELP)


def _team(deps: Deps, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
    outcome = digests.team_view(deps, command["user_id"])
    if outcome.view is None:
        ack(text=outcome.message or digests.NOT_A_MANAGER)
        return
    ack()
    client.views_open(trigger_id=command["trigger_id"], view=outcome.view)


SUBCOMMANDS: dict[str, Subcommand] = {
    "help": _help,
    "team": _team,
}


def register(app: App, deps: Deps) -> None:
    @app.command("/cadence")
    def cadence_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        words = (command.get("text") or "").split()
        sub = words[0].lower() if words else "help"
        handler = SUBCOMMANDS.get(sub)
        if handler is None:
            ack(text=f"I don't know `/cadence {sub[:30]}` yet.\n\n{HELP}")
            return
        handler(deps, ack, command, client)
