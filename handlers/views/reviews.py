"""Review and goal modals: submissions (field errors back to the modal) and closings (a
self or manager assessment closed without saving is kept as a draft)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from cadence.domain.goals import GoalForm, RawKeyResult
from cadence.handlers.views.common import answer as _answer
from cadence.handlers.views.common import field
from cadence.handlers.views.common import metadata as _meta
from cadence.handlers.views.common import state_values as _values
from cadence.prompts import ids
from cadence.services import goals, reviews
from cadence.services.deps import Deps


def parse_assessment(view: dict[str, Any], *, final: bool) -> reviews.ModalAnswers:
    """A self or manager assessment modal. Ratings come back in competency order (block ids
    end with the competency's index). `final`: the modal's submit button (Submit / Release);
    False for Save draft and for closing it."""
    values = _values(view)
    indices = [
        int(k.removeprefix(ids.B_RV_RATE))
        for k in values
        if k.startswith(ids.B_RV_RATE) and k.removeprefix(ids.B_RV_RATE).isdigit()
    ]
    count = max(indices) + 1 if indices else 0
    return reviews.ModalAnswers(
        ratings=[field(values, f"{ids.B_RV_RATE}{i}", ids.A_RV_RATE) for i in range(count)],
        texts={
            "achievements": field(values, ids.B_RV_ACHIEVEMENTS, ids.A_RV_ACHIEVEMENTS),
            "grow": field(values, ids.B_RV_GROW, ids.A_RV_GROW),
            "goals": field(values, ids.B_RV_GOALS, ids.A_RV_GOALS),
            "narrative": field(values, ids.B_RV_NARRATIVE, ids.A_RV_NARRATIVE),
        },
        final=final,
    )


def parse_acknowledgement(view: dict[str, Any]) -> reviews.Acknowledgement:
    return reviews.Acknowledgement(
        quarter=_meta(view).get("quarter", ""),
        comment=field(_values(view), ids.B_RV_ACK, ids.A_RV_ACK),
    )


def register(app: App, deps: Deps) -> None:
    @app.view(ids.REVIEW_SELF_MODAL)
    def submit_self(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        answers = parse_assessment(view, final=True)
        quarter = _meta(view).get("quarter", "")
        _answer(ack, reviews.save_self_assessment(deps, body["user"]["id"], quarter, answers))

    @app.view_closed(ids.REVIEW_SELF_MODAL)
    def close_self(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        # Saved before the ack (one short write): the draft is stored when Slack hears back.
        answers = parse_assessment(view, final=False)
        quarter = _meta(view).get("quarter", "")
        reviews.save_self_assessment(deps, body["user"]["id"], quarter, answers)
        ack()

    @app.view(ids.REVIEW_MANAGER_MODAL)
    def submit_manager(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = _meta(view)
        answers = parse_assessment(view, final=True)
        errors = reviews.save_manager_assessment(
            deps, body["user"]["id"], meta.get("report", ""), meta.get("quarter", ""), answers
        )
        _answer(ack, errors)

    @app.view_closed(ids.REVIEW_MANAGER_MODAL)
    def close_manager(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        meta = _meta(view)
        answers = parse_assessment(view, final=False)
        reviews.save_manager_assessment(
            deps, body["user"]["id"], meta.get("report", ""), meta.get("quarter", ""), answers
        )
        ack()

    @app.view(ids.REVIEW_ACK_MODAL)
    def submit_ack(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        _answer(ack, reviews.acknowledge(deps, body["user"]["id"], parse_acknowledgement(view)))

    @app.view(ids.GOALS_MODAL)
    def submit_goal(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        quarter = _meta(view).get("quarter", "")
        _answer(ack, goals.submit_goal(deps, body["user"]["id"], quarter, _goal_form(view)))

    @app.view(ids.GOALS_PROGRESS_MODAL)
    def submit_progress(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        quarter = _meta(view).get("quarter", "")
        values = _values(view)
        entered = {
            block_id.removeprefix(ids.B_KR_VALUE): field(values, block_id, ids.A_KR_VALUE) or ""
            for block_id in values
            if block_id.startswith(ids.B_KR_VALUE)
        }
        _answer(ack, goals.submit_progress(deps, body["user"]["id"], quarter, entered))


def _goal_form(view: dict[str, Any]) -> GoalForm:
    values = _values(view)
    slots = [
        RawKeyResult(
            *(field(values, goals.kr_block(slot, f), goals.kr_action(f)) for f in goals.KR_FIELDS)
        )
        for slot in range(ids.KR_SLOTS)
    ]
    return GoalForm(
        objective=field(values, ids.B_GOAL_OBJECTIVE, ids.A_GOAL_OBJECTIVE),
        align=field(values, ids.B_GOAL_ALIGN, ids.A_GOAL_ALIGN),
        key_results=slots,
    )
