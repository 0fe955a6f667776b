"""Submissions of the feedback and feedback-round modals: field errors back, or done."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App

from cadence.domain.feedback import FeedbackDraft
from cadence.domain.rounds import RoundForm
from cadence.handlers.views.common import answer as _answer
from cadence.handlers.views.common import field, metadata, picks
from cadence.handlers.views.common import state_values as _values
from cadence.prompts import ids
from cadence.services import feedback, rounds
from cadence.services.deps import Deps


def _meta(view: dict[str, Any], key: str) -> str:
    return metadata(view).get(key, "")


def _meta_id(view: dict[str, Any], key: str) -> int:
    value = _meta(view, key)
    return int(value) if value.isdigit() else 0


def parse_feedback(view: dict[str, Any]) -> FeedbackDraft:
    values = _values(view)
    return FeedbackDraft(
        receiver=field(values, ids.B_FB_WHO, ids.A_FB_WHO) or None,
        strengths=(field(values, ids.B_FB_STRENGTHS, ids.A_FB_STRENGTHS) or "").strip(),
        improvements=(field(values, ids.B_FB_IMPROVE, ids.A_FB_IMPROVE) or "").strip(),
        visibility=field(values, ids.B_FB_VISIBILITY, ids.A_FB_VISIBILITY),
    )


def parse_round(view: dict[str, Any]) -> RoundForm:
    values = _values(view)
    return RoundForm(
        name=field(values, ids.B_RD_NAME, ids.A_RD_NAME) or "",
        subjects=picks(values, ids.B_RD_SUBJECTS, ids.A_RD_SUBJECTS),
        team_of=field(values, ids.B_RD_TEAM, ids.A_RD_TEAM) or None,
        perspectives=picks(values, ids.B_RD_PERSPECTIVES, ids.A_RD_PERSPECTIVES),
        peer_mode=field(values, ids.B_RD_PEER_MODE, ids.A_RD_PEER_MODE),
        peers=picks(values, ids.B_RD_PEERS, ids.A_RD_PEERS),
        question_set=field(values, ids.B_RD_QUESTIONS, ids.A_RD_QUESTIONS),
        deadline=field(values, ids.B_RD_DEADLINE, ids.A_RD_DEADLINE),
        anonymous=bool(picks(values, ids.B_RD_ANONYMOUS, ids.A_RD_ANONYMOUS)),
        min_responses=field(values, ids.B_RD_MIN, ids.A_RD_MIN),
    )


def parse_answer(view: dict[str, Any]) -> rounds.RoundAnswer:
    """Ratings (blocks `rate_<i>`) and open answers (`open_<i>`) by question index."""
    values = _values(view)
    ratings: dict[int, str | None] = {}
    texts: dict[int, str | None] = {}
    for block_id in values:
        kind, _, index = block_id.partition("_")
        if not index.isdigit():
            continue
        if kind == "rate":
            ratings[int(index)] = field(values, block_id, ids.A_RD_RATING)
        elif kind == "open":
            texts[int(index)] = field(values, block_id, ids.A_RD_TEXT)
    return rounds.RoundAnswer(request=_meta_id(view, "request"), ratings=ratings, texts=texts)


def parse_decline(view: dict[str, Any]) -> rounds.Decline:
    reason = field(_values(view), ids.B_RD_REASON, ids.A_RD_REASON) or ""
    return rounds.Decline(request=_meta_id(view, "request"), reason=reason)


def parse_replace(view: dict[str, Any]) -> rounds.Replacement:
    reviewer = field(_values(view), ids.B_RD_REPLACE, ids.A_RD_REPLACE) or ""
    return rounds.Replacement(request=_meta_id(view, "request"), reviewer=reviewer)


def parse_nominations(view: dict[str, Any]) -> rounds.Nominations:
    nominees = picks(_values(view), ids.B_RD_NOMINEES, ids.A_RD_NOMINEES)
    return rounds.Nominations(round=_meta_id(view, "round"), nominees=nominees)


def register(app: App, deps: Deps) -> None:
    @app.view(ids.FEEDBACK_MODAL)
    def submit_feedback(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        view_id = str(view.get("id") or "")
        errors = feedback.submit_feedback(
            deps, body["user"]["id"], parse_feedback(view), _meta(view, "link"), view_id
        )
        _answer(ack, errors)

    @app.view(ids.ROUND_MODAL)
    def submit_round(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        _answer(ack, rounds.create_round(deps, body["user"]["id"], parse_round(view)))

    @app.view(ids.ROUND_ANSWER_MODAL)
    def submit_answer(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        _answer(ack, rounds.submit_answer(deps, body["user"]["id"], parse_answer(view)))

    @app.view(ids.ROUND_DECLINE_MODAL)
    def submit_decline(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        _answer(ack, rounds.submit_decline(deps, body["user"]["id"], parse_decline(view)))

    @app.view(ids.ROUND_REPLACE_MODAL)
    def submit_replace(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        _answer(ack, rounds.submit_replace(deps, body["user"]["id"], parse_replace(view)))

    @app.view(ids.ROUND_NOMINATE_MODAL)
    def submit_nominations(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        _answer(ack, rounds.submit_nominations(deps, body["user"]["id"], parse_nominations(view)))
