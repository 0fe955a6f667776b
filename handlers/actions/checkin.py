"""Buttons on the check-in DM and the App Home."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from cadence.prompts import ids
from cadence.services import checkins
from cadence.services.common import NOT_REGISTERED, Outcome, tell_privately
from cadence.services.deps import Deps


def _tell(deps: Deps, client: WebClient, body: dict[str, Any], text: str) -> None:
    """A private note about the button that was clicked: an ephemeral reply beside it, or
    (App Home: no channel to reply in) a DM through the outbox."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    user = body["user"]["id"]
    if channel:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    else:
        tell_privately(deps, user, text)


def open_or_tell(
    deps: Deps, client: WebClient, body: dict[str, Any], outcome: Outcome, otherwise: str = ""
) -> None:
    """Open the modal a button's service chose, or tell the clicker why not (_tell)."""
    if outcome.view is not None:
        client.views_open(trigger_id=body["trigger_id"], view=outcome.view)
    else:
        _tell(deps, client, body, outcome.message or otherwise)


def register(app: App, deps: Deps) -> None:
    def open_modal(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
    ) -> None:
        ack()
        outcome = checkins.open_checkin(deps, body["user"]["id"], action.get("value") or None)
        open_or_tell(deps, client, body, outcome, NOT_REGISTERED)

    app.action(ids.CHECKIN_OPEN)(open_modal)
    app.action(ids.HOME_CHECKIN_OPEN)(open_modal)

    @app.action(ids.CHECKIN_SKIP)
    def skip(ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        message = checkins.skip_week(deps, body["user"]["id"], str(action.get("value") or ""))
        _tell(deps, client, body, message)
