"""The App Home tab: for HR admins their HR work first (rounds, calibration,
recurring blockers across teams), then the weekly
check-in part (services.checkins, with kudos from services.feedback), the actions the person
owns, and the quarterly review and goals part (services.reviews, services.goals), within
Slack's 100 blocks."""

from __future__ import annotations

from typing import Any

from cadence.domain.periods import local_now, quarter_of
from cadence.prompts.render import VIEW_BLOCKS
from cadence.services import (
    absences,
    actions,
    checkins,
    feedback,
    goals,
    lens,
    plans,
    reviews,
    rounds,
    settings,
)
from cadence.services.common import caller
from cadence.services.deps import Deps
from cadence.storage.models import Person


def home_view(deps: Deps, slack_id: str) -> dict[str, Any]:
    """The App Home tab, however it is refreshed (opened, or after an HR button)."""
    sections = {
        **feedback.home_context(deps, slack_id),
        "absences": absences.home_context(deps, slack_id),
    }
    view = checkins.home_checkin_part(deps, slack_id, extra=sections)
    hr = caller(deps, slack_id, hr_admin=True)
    if hr is not None:
        view["blocks"] = _hr_blocks(deps, hr) + view["blocks"]
    person = caller(deps, slack_id, with_role=True)
    if person is None:
        return view
    now = deps.clock.now()
    owned = actions.home_lines(deps, person)
    if owned:
        view["blocks"] += deps.renderer.message("home_actions.json.j2", lines=owned)["blocks"]
    shown = plans.home_context(deps, person)
    if shown["own"] or shown["followed"] or shown["hr"]:
        view["blocks"] += deps.renderer.message("home_plans.json.j2", **shown)["blocks"]
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


def _hr_blocks(deps: Deps, hr: Person) -> list[dict[str, Any]]:
    now = deps.clock.now()
    section = rounds.home_section(deps, hr) or {"rounds": []}
    quarter = quarter_of(local_now(now, hr.timezone or "UTC").date())
    blocks: list[dict[str, Any]] = deps.renderer.message(
        "home_hr.json.j2", rounds=section["rounds"], calibration_quarter=quarter
    )["blocks"]
    blocks += deps.renderer.message("hr_lens.json.j2", **lens.home_context(deps))["blocks"]
    blocks += deps.renderer.message("hr_erase.json.j2")["blocks"]
    blocks += deps.renderer.message("hr_settings.json.j2", **settings.home_context(deps))["blocks"]
    return blocks
