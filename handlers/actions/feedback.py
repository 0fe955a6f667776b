"""Buttons of feedback rounds: answer/decline from the reviewer's DM, nominate, approve,
release results, and the HR App Home section (new round, extend, close)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from cadence.handlers.actions.checkin import _tell, open_or_tell
from cadence.prompts import ids
from cadence.services import calibration, home, rights, rounds
from cadence.services.common import Outcome
from cadence.services.deps import Deps


def _number(action: dict[str, Any]) -> int:
    value = str(action.get("value") or "")
    return int(value) if value.isdigit() else 0


def register(app: App, deps: Deps) -> None:
    def opener(open_view: Callable[[Deps, str, dict[str, Any]], Outcome]) -> Any:
        def listener(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
        ) -> None:
            ack()
            outcome = open_view(deps, body["user"]["id"], action)
            open_or_tell(deps, client, body, outcome)

        return listener

    app.action(ids.ROUND_ANSWER_OPEN)(opener(lambda d, u, a: rounds.open_answer(d, u, _number(a))))
    app.action(ids.ROUND_DECLINE_OPEN)(
        opener(lambda d, u, a: rounds.open_decline(d, u, _number(a)))
    )
    app.action(ids.ROUND_NOMINATE_OPEN)(
        opener(lambda d, u, a: rounds.open_nominate(d, u, _number(a)))
    )
    app.action(ids.ROUND_REPLACE_OPEN)(
        opener(lambda d, u, a: rounds.open_replace(d, u, _number(a)))
    )
    app.action(ids.HOME_CALIBRATION_OPEN)(
        opener(lambda d, u, a: calibration.open_calibration(d, u, str(a.get("value") or "")))
    )
    app.action(ids.HOME_ROUND_NEW)(opener(lambda d, u, a: rounds.open_round_modal(d, u)))
    app.action(ids.HOME_ERASE_OPEN)(opener(lambda d, u, a: rights.open_erase(d, u)))

    def teller(run: Callable[[Deps, str, dict[str, Any]], str], *, refresh_home: bool) -> Any:
        def listener(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient
        ) -> None:
            ack()
            user = body["user"]["id"]
            _tell(deps, client, body, run(deps, user, action))
            if refresh_home:
                client.views_publish(user_id=user, view=home.home_view(deps, user))

        return listener

    app.action(ids.ROUND_APPROVE)(
        teller(
            lambda d, u, a: rounds.approve_nominations(d, u, str(a.get("value"))),
            refresh_home=False,
        )
    )
    app.action(ids.ROUND_RELEASE)(
        teller(
            lambda d, u, a: rounds.release_results(d, u, str(a.get("value"))), refresh_home=False
        )
    )
    app.action(ids.ROUND_EXTEND)(
        teller(lambda d, u, a: rounds.extend_round(d, u, _number(a)), refresh_home=True)
    )
    app.action(ids.ROUND_CLOSE)(
        teller(lambda d, u, a: rounds.close_early(d, u, _number(a)), refresh_home=True)
    )
