"""HR's erase modal: field errors back, or erase and refresh the Home."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from cadence.handlers.views.common import field, form_then_home, state_values
from cadence.prompts import ids
from cadence.services import rights
from cadence.services.deps import Deps


def parse(view: dict[str, Any]) -> rights.Erasure:
    values = state_values(view)
    return rights.Erasure(
        who=field(values, ids.B_ERASE_WHO, ids.A_ERASE_WHO) or "",
        typed=field(values, ids.B_ERASE_CONFIRM, ids.A_ERASE_CONFIRM) or "",
    )


def register(app: App, deps: Deps) -> None:
    app.view(ids.ERASE_MODAL)(form_then_home(deps, parse, rights.submit_erase))
