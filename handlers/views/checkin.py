"""The check-in modal's submission: field errors back to the modal, or save and close."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from cadence.domain.checkins import RawAnswers
from cadence.handlers.views.common import answer, field, metadata, state_values
from cadence.prompts import ids
from cadence.services import checkins
from cadence.services.deps import Deps


def parse(view: dict[str, Any]) -> RawAnswers:
    """The modal's answers as strings (None when a field was left empty)."""
    values = state_values(view)
    return RawAnswers(
        **{
            name: field(values, block, action)
            for name, (block, action) in ids.CHECKIN_FIELDS.items()
        }
    )


def register(app: App, deps: Deps) -> None:
    @app.view(ids.CHECKIN_MODAL)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        period = metadata(view).get("period", "")
        answer(ack, checkins.submit_checkin(deps, body["user"]["id"], period, parse(view)))
