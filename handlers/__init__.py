"""Thin Bolt listeners: parse the payload, call a use case, ack or respond. No SQL, no Jinja,
no clock here (DESIGN.md section 10)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

from cadence.handlers.actions import absences as absence_actions
from cadence.handlers.actions import checkin as checkin_actions
from cadence.handlers.actions import digest as digest_actions
from cadence.handlers.actions import feedback as feedback_actions
from cadence.handlers.actions import plans as plan_actions
from cadence.handlers.actions import reviews as review_actions
from cadence.handlers.actions import settings as settings_handlers
from cadence.handlers.commands import cadence as cadence_command
from cadence.handlers.commands import checkin as checkin_command
from cadence.handlers.commands import feedback as feedback_command
from cadence.handlers.commands import kudos as kudos_command
from cadence.handlers.events import home as home_events
from cadence.handlers.views import absences as absence_views
from cadence.handlers.views import action as action_views
from cadence.handlers.views import checkin as checkin_views
from cadence.handlers.views import feedback as feedback_views
from cadence.handlers.views import plans as plan_views
from cadence.handlers.views import reviews as review_views
from cadence.handlers.views import rights as rights_views
from cadence.services.deps import Deps
from cadence.storage.turns import step_aside

log = logging.getLogger(__name__)


def register_all(app: App, deps: Deps) -> None:
    # Bolt tries listeners in this order until one matches, each try costing a matcher call:
    # the weekly check-in's submission and its buttons, most of all requests, come first.
    for module in (
        checkin_views,
        checkin_actions,
        checkin_command,
        cadence_command,
        home_events,
        review_actions,
        review_views,
        feedback_command,
        kudos_command,
        feedback_actions,
        feedback_views,
    ):
        module.register(app, deps)
    for module in (
        digest_actions,
        action_views,
        absence_actions,
        absence_views,
        plan_actions,
        plan_views,
        rights_views,
        settings_handlers,
    ):
        module.register(app, deps)

    @app.error
    def on_error(error: Exception, body: dict[str, Any]) -> None:
        # Never log the body: it carries people's answers.
        kind = body.get("type") or body.get("command") or (body.get("event") or {}).get("type")
        log.error("listener failed on %s: %s", kind, type(error).__name__, exc_info=error)


class StepAsideForSlack(Middleware):
    """The Web API calls listeners make through Bolt's client (views.open, views.publish…)
    give up the request's turn first (storage/turns.py), as delivery's gateway does. Bolt
    builds that client anew for each request, so it is wrapped here, for each request."""

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse:
        client = req.context.client
        if client is not None:
            call = client.api_call

            def api_call(*args: Any, **kwargs: Any) -> Any:
                step_aside()
                return call(*args, **kwargs)

            client.api_call = api_call  # type: ignore[method-assign]
        return next()


def build_app(deps: Deps) -> App:
    """The Bolt app with every listener. It checks no signatures: in HTTP mode web.CadenceWSGI
    verifies each request once before dispatching it; Socket Mode needs none (the socket
    itself is authenticated).

    Listeners run on the thread that received the request (process_before_response): ack()
    decides the response, which goes out when the listener returns. Every listener finishes
    well inside Slack's 3 seconds (one Web API call at most after ack), and this spares each
    request a hop to Bolt's listener pool and its 10 ms ack polling."""
    settings = deps.settings
    client = WebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url, timeout=10)
    app = App(
        client=client,
        request_verification_enabled=False,
        process_before_response=True,
        logger=logging.getLogger("slack_bolt"),
    )
    app.use(StepAsideForSlack())
    register_all(app, deps)
    return app
