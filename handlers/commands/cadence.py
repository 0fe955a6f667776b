"""/cadence [help|team|review|goals|round|calibration]: what Cadence can do for you."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from cadence.services import (
    absences,
    calibration,
    checkins,
    digests,
    goals,
    plans,
    reviews,
    rights,
    rounds,
)
from cadence.services.common import Outcome
from cadence.services.deps import Deps

HELP = (
    "*Cadence* keeps a steady rhythm of check-ins and feedback.\n"
    "• `/checkin` — {checkin}\n"
    "• `/cadence team` — managers: your team's digest for last week, privately\n"
    "• `/cadence review` — your quarterly self-assessment (open in the last two weeks of the "
    "quarter), with your quarter's evidence\n"
    "• `/cadence goals [next]` — add a goal for this (or next) quarter: an objective with "
    "quality and output key results\n"
    "• `/cadence calibration [2026-Q4]` — HR admins: rating distributions and flags\n"
    "• `/cadence away 2026-12-21 2027-01-03` — say ahead that you'll be away: no prompts, "
    "no reminders, and *away* in every view for those weeks (`/cadence away` lists them)\n"
    "• `/cadence plan @person` — managers and HR: open a development plan with someone\n"
    "• `/cadence my-data` — a file of everything Cadence holds about you, by DM\n"
    "• `/cadence help` — this help\n"
    "{rhythm} Open Cadence's *Home* tab for your last 8 weeks, your review and goals."
)
HELP += (
    "\n• `/feedback [@person]` — give feedback, for their manager only or for them too"
    "\n• `/kudos @person [@more] message` — thank someone publicly in this channel"
    "\n• `/cadence round` — start a feedback round (HR admins)"
)


def help_text(deps: Deps, slack_id: str) -> str:
    """The help, with the asker's own check-in rhythm (their cadence, day and times) and who
    reads their answers."""
    checkin, rhythm = checkins.rhythm(deps, slack_id)
    return HELP.format(checkin=checkin, rhythm=rhythm)


Command = Callable[[Ack, dict[str, Any], WebClient, str], None]


def subcommands(deps: Deps) -> dict[str, Command]:
    """Every `/cadence` subcommand by name (the authorization matrix test lists them)."""

    def open_or_say(ack: Ack, command: dict[str, Any], client: WebClient, out: Outcome) -> None:
        if out.view is None:
            ack(text=out.message or help_text(deps, command["user_id"]))
            return
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=out.view)

    def help_(ack: Ack, command: dict[str, Any], client: WebClient, rest: str) -> None:
        ack(text=help_text(deps, command["user_id"]))

    def review(ack: Ack, command: dict[str, Any], client: WebClient, rest: str) -> None:
        out = reviews.open_self_assessment(deps, command["user_id"], rest.strip() or None)
        open_or_say(ack, command, client, out)

    def goals_(ack: Ack, command: dict[str, Any], client: WebClient, rest: str) -> None:
        open_or_say(ack, command, client, goals.open_goal(deps, command["user_id"], rest))

    def team(ack: Ack, command: dict[str, Any], client: WebClient, rest: str) -> None:
        open_or_say(ack, command, client, digests.team_view(deps, command["user_id"]))

    def away(ack: Ack, command: dict[str, Any], client: WebClient, rest: str) -> None:
        ack(text=absences.command(deps, command["user_id"], rest))

    def plan(ack: Ack, command: dict[str, Any], client: WebClient, rest: str) -> None:
        open_or_say(ack, command, client, plans.open_plan(deps, command["user_id"], rest))

    def round_(ack: Ack, command: dict[str, Any], client: WebClient, rest: str) -> None:
        open_or_say(ack, command, client, rounds.open_round_modal(deps, command["user_id"]))

    def calibration_(ack: Ack, command: dict[str, Any], client: WebClient, rest: str) -> None:
        channel = str(command.get("channel_id") or "")
        # The chart goes only into a DM with Cadence, never into a shared channel.
        chart_to = channel if channel.startswith("D") else ""
        out = calibration.open_calibration(deps, command["user_id"], rest, chart_to=chart_to)
        open_or_say(ack, command, client, out)

    def my_data(ack: Ack, command: dict[str, Any], client: WebClient, rest: str) -> None:
        ack(text=rights.send_my_data(deps, command["user_id"]))

    return {
        "help": help_,
        "my-data": my_data,
        "team": team,
        "review": review,
        "goals": goals_,
        "round": round_,
        "away": away,
        "plan": plan,
        "calibration": calibration_,
    }


def register(app: App, deps: Deps) -> None:
    table = subcommands(deps)

    @app.command("/cadence")
    def cadence_command(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        sub, _, rest = (command.get("text") or "").strip().partition(" ")
        handler = table.get(sub.lower() or "help")
        if handler is None:
            known = help_text(deps, command["user_id"])
            ack(text=f"I don't know `/cadence {sub[:30]}` yet.\n\n{known}")
            return
        handler(ack, command, client, rest)
