"""The development plan modal's submission: field errors back, or store it and refresh the
opener's Home."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from cadence.domain.plans import RawPlan
from cadence.handlers.views.common import answer, field, state_values
from cadence.prompts import ids
from cadence.services import home, plans
from cadence.services.deps import Deps


def _value(values: dict[str, Any], block: str, action: str) -> str | None:
    return field(values, block, action) or None


def parse(view: dict[str, Any]) -> plans.PlanForm:
    values = state_values(view)
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except ValueError:
        meta = {}
    person = str(meta.get("person") or "") if isinstance(meta, dict) else ""
    raw = RawPlan(
        kind=_value(values, ids.B_PLAN_KIND, ids.A_PLAN_KIND),
        quality_result=_value(values, ids.B_PLAN_QUALITY, ids.A_PLAN_QUALITY),
        output_result=_value(values, ids.B_PLAN_OUTPUT, ids.A_PLAN_OUTPUT),
        support=[
            (
                _value(values, ids.B_PLAN_SUPPORT.format(n=n), ids.A_PLAN_SUPPORT),
                _value(values, ids.B_PLAN_OWNER.format(n=n), ids.A_PLAN_OWNER),
            )
            for n in range(ids.PLAN_SUPPORT_SLOTS)
        ],
        checkins=[
            _value(values, ids.B_PLAN_CHECKIN.format(n=n), ids.A_PLAN_CHECKIN)
            for n in range(ids.PLAN_CHECKIN_SLOTS)
        ],
        end=_value(values, ids.B_PLAN_END, ids.A_PLAN_END_DATE),
    )
    return plans.PlanForm(person=person, raw=raw)


def register(app: App, deps: Deps) -> None:
    @app.view(ids.PLAN_MODAL)
    def submit(ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        user = body["user"]["id"]
        errors = plans.submit_plan(deps, user, parse(view))
        answer(ack, errors)
        if not errors:
            client.views_publish(user_id=user, view=home.home_view(deps, user))
