"""/cadence [help]: what Cadence can do for you."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from services.deps import Deps

HELP = (
    "*Cadence* keeps a steady rhythm of check-ins and feedback.\n"
    "• `/checkin` — answer this week's check-in (or last week's until Tuesday noon)\n"
    "• `/cadence help` — this help\n"
    "Every Friday afternoon you get a DM with a button for your weekly check-in; if you miss "
    "it, one reminder follows on Monday morning. Your answers are seen by you and your "
    "manager only. Open Cadence's *Home* tab for your last 8 weeks."
)


def register(app: App, deps: Deps) -> None:
    @app.command("/cadence")
    def cadence_command(ack: Ack, command: dict[str, Any]) -> None:
        words = (command.get("text") or "").split()
        sub = words[0].lower() if words else "help"
        if sub == "help":
            ack(text=HELP)
        else:
            ack(text=f"I don't know `/cadence {sub[:30]}` yet.\n\n{HELP}")
