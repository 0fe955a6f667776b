"""HR's Settings button (App Home) and the settings modal's submission."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from cadence.domain import settings as rules
from cadence.handlers.actions.checkin import open_or_tell
from cadence.handlers.views.common import field, form_then_home, state_values
from cadence.prompts import ids
from cadence.services import settings
from cadence.services.deps import Deps


def parse(view: dict[str, Any]) -> settings.SettingsForm:
    """The scope, who (for a team or person) and every non-blank value typed."""
    values = state_values(view)
    typed = {
        key.name: (field(values, ids.B_SET_KEY.format(key=key.name), ids.A_SET_VALUE) or "").strip()
        for key in rules.KEYS
    }
    return settings.SettingsForm(
        scope=field(values, ids.B_SET_SCOPE, ids.A_SET_SCOPE) or "",
        who=field(values, ids.B_SET_WHO, ids.A_SET_WHO) or "",
        raw={name: text for name, text in typed.items() if text},
    )


def register(app: App, deps: Deps) -> None:
    @app.action(ids.HOME_SETTINGS_OPEN)
    def open_modal(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        outcome = settings.open_settings(deps, body["user"]["id"])
        open_or_tell(deps, client, body, outcome)

    app.view(ids.SETTINGS_MODAL)(form_then_home(deps, parse, settings.submit_settings))
