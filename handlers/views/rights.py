"""HR's erase modal: field errors back, or erase and refresh the Home."""

from __future__ import annotations

from slack_bolt import App

from cadence.handlers.views.common import form_then_home
from cadence.prompts import ids
from cadence.services import rights
from cadence.services.deps import Deps


def register(app: App, deps: Deps) -> None:
    app.view(ids.ERASE_MODAL)(form_then_home(deps, rights.submit_erase))
