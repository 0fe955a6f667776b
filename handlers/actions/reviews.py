"""Buttons of the review DMs and the App Home: open the self, manager or acknowledgement modal,
and the goals modals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from cadence.handlers.actions.checkin import _tell, open_or_tell
from cadence.handlers.views.common import metadata
from cadence.handlers.views.reviews import parse_assessment
from cadence.prompts import ids
from cadence.services import goals, reviews
from cadence.services.common import Outcome
from cadence.services.deps import Deps


def register(app: App, deps: Deps) -> None:
    def opener(open_: Callable[[str, str], Outcome]) -> Callable[..., None]:
        def handle(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
        ) -> None:
            ack()
            outcome = open_(body["user"]["id"], str(action.get("value") or ""))
            open_or_tell(deps, client, body, outcome, reviews.NOT_REGISTERED)

        return handle

    app.action(ids.REVIEW_SELF_OPEN)(
        opener(lambda user, value: reviews.open_self_assessment(deps, user, value or None))
    )
    app.action(ids.REVIEW_MANAGER_OPEN)(
        opener(lambda user, value: reviews.open_manager_assessment(deps, user, value))
    )
    app.action(ids.REVIEW_ACK_OPEN)(
        opener(lambda user, value: reviews.open_acknowledge(deps, user, value))
    )

    @app.action(ids.REVIEW_SAVE_DRAFT)
    def save_draft(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        view = body.get("view") or {}
        outcome = reviews.save_draft(
            deps,
            body["user"]["id"],
            str(view.get("callback_id") or ""),
            metadata(view),
            parse_assessment(view, final=False),
        )
        if outcome.view is not None:
            client.views_update(view_id=view["id"], hash=view.get("hash"), view=outcome.view)
        else:
            _tell(deps, client, body, outcome.message or reviews.NOT_REGISTERED)

    app.action(ids.GOALS_OPEN)(opener(lambda user, value: goals.open_goal(deps, user, value)))
    app.action(ids.GOALS_PROGRESS_OPEN)(
        opener(lambda user, value: goals.open_progress(deps, user, value))
    )
