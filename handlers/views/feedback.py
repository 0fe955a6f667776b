"""Submissions of the feedback and feedback-round modals: field errors back, or done."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from cadence.handlers.views.common import answer as _answer
from cadence.handlers.views.common import metadata
from cadence.handlers.views.common import state_values as _values
from cadence.prompts import ids
from cadence.services import feedback, rounds
from cadence.services.deps import Deps


def _meta(view: dict[str, Any], key: str) -> str:
    return metadata(view).get(key, "")


def _meta_id(view: dict[str, Any], key: str) -> int:
    value = _meta(view, key)
    return int(value) if value.isdigit() else 0


def register(app: App, deps: Deps) -> None:
    @app.view(ids.FEEDBACK_MODAL)
    def submit_feedback(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        draft = feedback.read_modal_state(_values(view))
        view_id = str(view.get("id") or "")
        errors = feedback.submit_feedback(
            deps, body["user"]["id"], draft, _meta(view, "link"), view_id
        )
        _answer(ack, errors)

    @app.view(ids.ROUND_MODAL)
    def submit_round(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        form = rounds.read_round_form(_values(view))
        _answer(ack, rounds.create_round(deps, body["user"]["id"], form))

    @app.view(ids.ROUND_ANSWER_MODAL)
    def submit_answer(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        ratings, texts = rounds.read_answer_state(_values(view))
        request = _meta_id(view, "request")
        _answer(ack, rounds.submit_answer(deps, body["user"]["id"], request, ratings, texts))

    @app.view(ids.ROUND_DECLINE_MODAL)
    def submit_decline(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        reason = (_values(view).get(ids.B_RD_REASON) or {}).get(ids.A_RD_REASON) or {}
        request = _meta_id(view, "request")
        _answer(
            ack,
            rounds.submit_decline(
                deps, body["user"]["id"], request, str(reason.get("value") or "")
            ),
        )

    @app.view(ids.ROUND_REPLACE_MODAL)
    def submit_replace(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        picked = (_values(view).get(ids.B_RD_REPLACE) or {}).get(ids.A_RD_REPLACE) or {}
        request = _meta_id(view, "request")
        user = str(picked.get("selected_user") or "")
        _answer(ack, rounds.submit_replace(deps, body["user"]["id"], request, user))

    @app.view(ids.ROUND_NOMINATE_MODAL)
    def submit_nominations(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        picked = (_values(view).get(ids.B_RD_NOMINEES) or {}).get(ids.A_RD_NOMINEES) or {}
        nominees = [str(u) for u in picked.get("selected_users") or []]
        round_id = _meta_id(view, "round")
        _answer(ack, rounds.submit_nominations(deps, body["user"]["id"], round_id, nominees))
