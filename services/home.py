"""The App Home tab: the weekly check-in part (services.checkins, with kudos and HR rounds from
services.feedback) followed by the quarterly review and goals part (services.reviews,
services.goals), within Slack's 100 blocks."""

from __future__ import annotations

from typing import Any

from cadence.prompts.render import VIEW_BLOCKS
from cadence.services import absences, actions, checkins, feedback, goals, reviews
from cadence.services.common import caller
from cadence.services.deps import Deps


def home_view(deps: Deps, slack_id: str) -> dict[str, Any]:
    sections = {
        **feedback.home_context(deps, slack_id),
        "absences": absences.home_context(deps, slack_id),
    }
    view = checkins.home_view(deps, slack_id, extra=sections)
    person = caller(deps, slack_id, with_role=True)
    if person is None:
        return view
    now = deps.clock.now()
    owned = actions.home_lines(deps, person)
    if owned:
        view["blocks"] += deps.renderer.message("home_actions.json.j2", lines=owned)["blocks"]
    section = deps.renderer.message(
        "review_home.json.j2",
        **reviews.home_context(deps, person, now),
        **goals.home_context(deps, person, now),
    )
    blocks: list[dict[str, Any]] = view["blocks"]
    room = VIEW_BLOCKS - len(blocks)
    extra: list[dict[str, Any]] = section["blocks"]
    if len(extra) > room:
        # Keep the review status and the goal buttons; drop goal detail sections first.
        extra = extra[: max(0, room - 1)] + extra[-1:] if room > 1 else []
    view["blocks"] = blocks + extra
    return view
