"""Quarterly goals: the goal modal (objective + key results, refused until it pairs quality
with output), the 'Update progress' modal for described key results, and goal progress for
the App Home, the evidence pack and the manager digest (services.evidence.goal_lines)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cadence.domain.digests import team_role
from cadence.domain.goals import GoalForm, measure_options, validate_goal
from cadence.domain.periods import local_now
from cadence.domain.quarters import (
    is_quarter,
    quarter_end,
    quarter_label,
    quarter_of,
    shift_quarter,
)
from cadence.domain.roles import fmt
from cadence.prompts import ids
from cadence.services.common import Outcome, caller
from cadence.services.deps import Deps
from cadence.services.evidence import goal_lines
from cadence.services.pairs import reads_by_team
from cadence.services.people import timezone_of
from cadence.storage import review_repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Person

NOT_REGISTERED = (
    "You're not in Cadence's org chart yet, so you can't set goals here. "
    "Ask your HR team to add you."
)
KR_FIELDS = ("measure", "description", "baseline", "target", "due")
PROGRESS_LIMIT = 40  # key results in one 'Update progress' modal (2 blocks each)


def kr_block(slot: int, field: str) -> str:
    return ids.B_KR.format(slot=slot, field=field)


def kr_action(field: str) -> str:
    return ids.A_KR.format(field=field)


def goal_quarters(deps: Deps, person: Person, now: datetime) -> tuple[str, str]:
    """This quarter and the next, in the person's own time zone."""
    today = local_now(now, timezone_of(person)).date()
    this = quarter_of(today)
    return this, shift_quarter(this, 1)


def _quarter(deps: Deps, person: Person, now: datetime, wanted: str) -> str | None:
    """`wanted` as typed or as a button's value: "", "this", "next" or a quarter such as
    2026-Q4 (any case), when goals can be set for it now."""
    this, following = goal_quarters(deps, person, now)
    key = wanted.strip().lower()
    if key in {"", "this"}:
        return this
    if key == "next":
        return following
    quarter = key.upper()
    return quarter if is_quarter(quarter) and quarter in {this, following} else None


def open_goal(deps: Deps, slack_id: str, wanted: str = "") -> Outcome:
    """The goal modal for this quarter (or `next`)."""
    person = caller(deps, slack_id, with_role=True)
    if person is None or person.id is None:
        return Outcome(message=NOT_REGISTERED)
    now = deps.clock.now()
    quarter = _quarter(deps, person, now, wanted.strip().lower())
    if quarter is None:
        return Outcome(
            message="Goals can be set for this quarter or the next: `/cadence goals next`."
        )
    by_team = reads_by_team(deps, person)  # key results on the pair are on the team's
    role = team_role(deps.roles[person.role]) if by_team else deps.roles[person.role]
    today = local_now(now, person.timezone or "UTC").date()
    with read_scope(deps.engine) as session:
        existing = goal_lines(deps, [person], quarter, today, session=session).get(person.id, [])
        team = (
            review_repo.goals_for([person.manager_id], quarter, session=session)
            if person.manager_id
            else []
        )
    view = deps.renderer.view(
        "goals_modal.json.j2",
        quarter=quarter,
        quarter_label=quarter_label(quarter),
        role=role,
        existing=existing,
        team_goals=[{"value": str(g.id), "text": g.objective} for g, _ in team][:100],
        measures=measure_options(role, by_team),
        team=by_team,
        slots=3,
        default_due=quarter_end(quarter).isoformat(),
    )
    return Outcome(view=view)


def submit_goal(deps: Deps, slack_id: str, quarter: str, form: GoalForm) -> dict[str, str]:
    """Validate and store a goal; errors (keyed by block id) name whatever is missing."""
    person = caller(deps, slack_id, with_role=True)
    if person is None or person.id is None:
        return {ids.B_GOAL_OBJECTIVE: NOT_REGISTERED}
    now = deps.clock.now()
    if _quarter(deps, person, now, quarter) != quarter:
        return {ids.B_GOAL_OBJECTIVE: f"Goals for {quarter} can no longer be added."}
    role = deps.roles[person.role]
    slot_blocks = [{f: kr_block(slot, f) for f in KR_FIELDS} for slot in range(ids.KR_SLOTS)]
    with read_scope(deps.engine) as session:
        team = (
            review_repo.goals_for([person.manager_id], quarter, session=session)
            if person.manager_id
            else []
        )
    goal, errors = validate_goal(
        role,
        quarter,
        form.objective,
        form.key_results,
        form.align,
        {g.id for g, _ in team if g.id is not None},
        {"objective": ids.B_GOAL_OBJECTIVE, "align": ids.B_GOAL_ALIGN},
        slot_blocks,
        team=reads_by_team(deps, person),
    )
    if goal is None:
        return errors
    with session_scope(deps.engine) as session:
        review_repo.add_goal(person.id, quarter, goal, now, session=session)
    return {}


def _described(deps: Deps, person: Person, quarter: str) -> list[dict[str, Any]]:
    assert person.id is not None  # noqa: S101
    with read_scope(deps.engine) as session:
        goals = review_repo.goals_for([person.id], quarter, session=session)
    out = []
    for goal, krs in goals:
        for kr in krs:
            if kr.metric:
                continue  # read from check-ins
            out.append(
                {
                    "id": kr.id,
                    "label": f"{kr.description} ({goal.objective})",
                    "hint": f"{fmt(kr.baseline)} → {fmt(kr.target)} by {kr.due:%d %b}",
                    "current": fmt(kr.current_value) if kr.current_value is not None else "",
                }
            )
    return out[:PROGRESS_LIMIT]


def open_progress(deps: Deps, slack_id: str, wanted: str = "") -> Outcome:
    person = caller(deps, slack_id, with_role=True)
    if person is None:
        return Outcome(message=NOT_REGISTERED)
    quarter = _quarter(deps, person, deps.clock.now(), wanted.strip().lower())
    if quarter is None:
        return Outcome(message="Progress can be updated for this quarter's goals.")
    results = _described(deps, person, quarter)
    if not results:
        return Outcome(
            message=f"None of your {quarter} key results needs a manual update: the ones on "
            "your role's metrics follow your check-ins."
        )
    view = deps.renderer.view(
        "goals_progress_modal.json.j2",
        quarter=quarter,
        quarter_label=quarter_label(quarter),
        results=results,
    )
    return Outcome(view=view)


def submit_progress(
    deps: Deps, slack_id: str, quarter: str, entered: Mapping[str, str]
) -> dict[str, str]:
    """Store the values typed for key results (`entered`: key result id → text as typed)."""
    person = caller(deps, slack_id, with_role=True)
    blocks = [ids.B_KR_VALUE + kr_id for kr_id in entered]
    if person is None or person.id is None:
        return dict.fromkeys(blocks[:1], NOT_REGISTERED)
    updates: list[tuple[int, float]] = []
    errors: dict[str, str] = {}
    for kr_id, typed in entered.items():
        block_id = ids.B_KR_VALUE + kr_id
        raw = typed.strip()
        if not raw or not kr_id.isdigit():
            continue
        try:
            value = float(raw.replace(",", "."))
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            errors[block_id] = "Enter a number."
            continue
        updates.append((int(kr_id), value))
    if errors:
        return errors
    with session_scope(deps.engine) as session:
        changed = review_repo.set_key_result_values(
            person.id, updates, deps.clock.now(), session=session
        )
        if len(changed) < len(updates):
            # Someone else's key results (a forwarded or forged form): nothing is saved.
            session.rollback()
            return {
                f"{ids.B_KR_VALUE}{kr}": "Only the goal's owner can update this key result."
                for kr, _ in updates
                if kr not in changed
            }
    return {}


def home_context(deps: Deps, person: Person, now: datetime) -> dict[str, Any]:
    """The goals part of the App Home section: this quarter's goals with progress."""
    assert person.id is not None  # noqa: S101
    this, _ = goal_quarters(deps, person, now)
    today = local_now(now, person.timezone or "UTC").date()
    with read_scope(deps.engine) as session:
        lines = goal_lines(deps, [person], this, today, session=session).get(person.id, [])
        goals = review_repo.goals_for([person.id], this, session=session)
    return {
        "goals_quarter": this,
        "goals_label": quarter_label(this),
        "goals": lines,
        "can_update_progress": any(not kr.metric for _, krs in goals for kr in krs),
    }
