"""Development plans: `/cadence plan @person` opens the modal; the plan is stored, the person
told by DM, shown on the Home tabs of the person, the managers above them and HR (with its
next check-in), and ended from the Home with an outcome — each step audited (domain.plans)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session

from cadence.domain.authz import may_administer
from cadence.domain.periods import local_now
from cadence.domain.plans import (
    EXTENSION,
    KINDS,
    OUTCOMES,
    PlanInput,
    RawPlan,
    may_open_plan,
    may_see_plan,
    next_checkin,
    validate_plan,
)
from cadence.domain.reviews import manager_chain
from cadence.domain.weeks import day_label
from cadence.domain.words import who_sees_plan
from cadence.prompts import ids
from cadence.prompts.render import escape_mrkdwn
from cadence.services.common import NOT_REGISTERED, Outcome, caller
from cadence.services.deps import Deps
from cadence.services.people import timezone_of
from cadence.storage import plan_repo, repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Person, Plan

USAGE = "Open a development plan for someone you manage: `/cadence plan @person`."
NOT_YOURS = (
    "Only someone in their management line, or HR, can open a plan for this person in Cadence."
)
NOTICE_KIND = "plan-notice"
FOLLOWED_SHOWN = 10  # plans with buttons on a manager's Home (soonest end first)
HR_SHOWN = 30  # lines in HR's list of open plans
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
FIELDS = {
    "kind": ids.B_PLAN_KIND,
    "quality": ids.B_PLAN_QUALITY,
    "output": ids.B_PLAN_OUTPUT,
    "end": ids.B_PLAN_END,
    **{f"support{n}": ids.B_PLAN_SUPPORT.format(n=n) for n in range(ids.PLAN_SUPPORT_SLOTS)},
    **{f"checkin{n}": ids.B_PLAN_CHECKIN.format(n=n) for n in range(ids.PLAN_CHECKIN_SLOTS)},
}


@dataclass(frozen=True, slots=True)
class PlanView:
    """A plan as a screen shows it (plain text except `body`, which is escaped mrkdwn)."""

    id: int
    person_name: str
    kind_label: str
    opened_by: str
    end_label: str
    next_label: str
    body: str
    hr_line: str
    seen_by: str  # who sees it, as the person reads it (domain.words.who_sees_plan)


def _today(deps: Deps, person: Person) -> date:
    return local_now(deps.clock.now(), timezone_of(person)).date()


def _manager_of(deps: Deps, person_ids: Iterable[int]) -> dict[int, int | None]:
    """The stored org chart above these people: what manager_chain needs for them."""
    with read_scope(deps.engine) as session:
        return repo.managers_above(person_ids, session=session)


def _target(deps: Deps, text: str) -> Person | None:
    found = MENTION.search(text or "")
    if found is None:
        return None
    with read_scope(deps.engine) as session:
        return repo.person_by_slack_id(found.group(1), session=session)


def open_plan(deps: Deps, slack_id: str, text: str) -> Outcome:
    """`/cadence plan @person`: the modal, or why not."""
    actor = caller(deps, slack_id)
    if actor is None:
        return Outcome(message=NOT_REGISTERED)
    person = _target(deps, text)
    if person is None:
        return Outcome(message=USAGE)
    if person.role not in deps.roles or not may_open_plan(
        actor, person=person, manager_of=_manager_of(deps, [person.id or 0])
    ):
        return Outcome(message=NOT_YOURS)
    assert person.id is not None  # noqa: S101
    with read_scope(deps.engine) as session:
        existing = plan_repo.open_plan_of(person.id, session=session)
    if existing is not None:
        return Outcome(
            message=(
                f"{escape_mrkdwn(person.name)} already has an open "
                f"{KINDS[existing.kind]} until {day_label(existing.end_date)}: end it from "
                "your Home tab before opening another."
            )
        )
    role = deps.roles[person.role]
    today = _today(deps, actor)
    view = deps.renderer.view(
        "plan_modal.json.j2",
        person=person.slack_id,
        person_name=person.name,
        role_quality=role.quality.name,
        role_output=role.output.name,
        may_pip=may_administer(actor),
        today=today.isoformat(),
        end=date.fromordinal(today.toordinal() + 90).isoformat(),
        slots=ids.PLAN_SUPPORT_SLOTS,
        checkin_slots=ids.PLAN_CHECKIN_SLOTS,
    )
    return Outcome(view=view)


@dataclass(frozen=True, slots=True)
class PlanForm:
    """The plan modal's submission, parsed by the handler."""

    person: str  # the Slack id the modal was opened for (private_metadata)
    raw: RawPlan


def submit_plan(deps: Deps, slack_id: str, form: PlanForm) -> dict[str, str]:
    """Store the plan and tell the person; field errors keyed by block id instead. The
    clicker's right to open it is checked again here, from the stored org chart."""
    actor = caller(deps, slack_id)
    if actor is None or actor.id is None:
        return {ids.B_PLAN_KIND: NOT_REGISTERED}
    with read_scope(deps.engine) as session:
        person = repo.person_by_slack_id(form.person, session=session)
    if (
        person is None
        or person.id is None
        or person.role not in deps.roles
        or not may_open_plan(actor, person=person, manager_of=_manager_of(deps, [person.id]))
    ):
        return {ids.B_PLAN_KIND: NOT_YOURS}
    checked = validate_plan(
        form.raw, _today(deps, actor), may_pip=may_administer(actor), fields=FIELDS
    )
    if isinstance(checked, dict):
        return checked
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        if plan_repo.open_plan_of(person.id, session=session) is not None:
            return {ids.B_PLAN_KIND: f"{person.name} already has an open plan."}
        plan = plan_repo.add_plan(_row(checked, person.id, actor.id, now), session=session)
        repo.audit(actor.slack_id, "plan.open", person.slack_id, plan.kind, now, session=session)
        view = _view(plan, person, actor, _today(deps, person))
        payload = deps.renderer.message("plan_notice.json.j2", plan=view)
        repo.enqueue(
            [
                repo.OutgoingMessage(
                    key=f"plan:{plan.id}:opened",
                    kind=NOTICE_KIND,
                    recipient=person.slack_id,
                    payload=payload,
                )
            ],
            now,
            session=session,
        )
    deps.wake_sender()
    return {}


def _row(plan: PlanInput, person_id: int, actor_id: int, now: datetime) -> Plan:
    return Plan(
        person_id=person_id,
        opened_by_id=actor_id,
        kind=plan.kind,
        quality_result=plan.quality_result,
        output_result=plan.output_result,
        support=json.dumps([{"what": s.what, "owner": s.owner} for s in plan.support]),
        checkins=json.dumps([d.isoformat() for d in plan.checkins]),
        end_date=plan.end,
        created_at=now,
    )


def _view(plan: Plan, person: Person, opener: Person | None, today: date) -> PlanView:
    checkins = [date.fromisoformat(d) for d in json.loads(plan.checkins)]
    upcoming = next_checkin(checkins, today)
    support = json.loads(plan.support)
    lines = [
        f"• Quality: {escape_mrkdwn(plan.quality_result)}",
        f"• Output: {escape_mrkdwn(plan.output_result)}",
        *(f"• Support: {escape_mrkdwn(s['what'])} — <@{s['owner']}>" for s in support),
    ]
    end_label = day_label(plan.end_date)
    next_label = day_label(upcoming) if upcoming else ""
    opened_by = opener.name if opener is not None else "a former colleague"
    return PlanView(
        id=plan.id or 0,
        person_name=person.name,
        kind_label=KINDS.get(plan.kind, "plan"),
        opened_by=opened_by,
        end_label=end_label,
        next_label=next_label,
        body="\n".join(lines),
        hr_line=(
            f"{person.name} · {KINDS.get(plan.kind, 'plan')} · until {end_label}"
            + (f" · next check-in {next_label}" if next_label else " · no check-in left")
        ),
        seen_by=who_sees_plan(person.manager_id is not None),
    )


def end_plan(deps: Deps, slack_id: str, plan_id: int, outcome: str) -> str:
    """Record a plan's outcome (completed, closed) or extend it by four weeks: what to tell
    the clicker. Checked per plan at click time: the manager line or HR, active."""
    actor = caller(deps, slack_id)
    if actor is None or actor.id is None:
        return NOT_REGISTERED
    if outcome not in OUTCOMES:
        return "That button is not one Cadence knows."
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        plan = plan_repo.plan_by_id(plan_id, session=session)
        found = repo.people_by_ids([plan.person_id], session=session) if plan else {}
        person = found.get(plan.person_id) if plan else None
        if plan is None or person is None:
            return "That plan no longer exists."
        if not may_open_plan(actor, person=person, manager_of=_manager_of(deps, [plan.person_id])):
            return NOT_YOURS
        if plan.status != plan_repo.OPEN:
            return f"This plan already ended ({plan.status})."
        if outcome == "extended":
            plan.end_date = plan.end_date + EXTENSION
            detail = f"extended to {plan.end_date.isoformat()}"
            said = f"Extended to {day_label(plan.end_date)}."
        else:
            plan_repo.end_plan(plan.id or 0, outcome, actor.id, now, session=session)
            detail = outcome
            said = f"Recorded: the plan is {outcome}."
        repo.audit(actor.slack_id, "plan." + outcome, person.slack_id, detail, now, session=session)
    return said


def home_context(deps: Deps, viewer: Person) -> dict[str, Any]:
    """The plans this viewer may see: their own, those of people below them, and every open
    plan for HR (DESIGN.md section 6: nobody else). Every App Home asks: with no open plan
    it costs one query, and the org chart is read only above the plans' people."""
    with read_scope(deps.engine) as session:
        plans = plan_repo.open_plans(session=session)
        ids_ = {p.person_id for p in plans} | {p.opened_by_id for p in plans}
        people = repo.people_by_ids(ids_, session=session) if plans else {}
    manager_of = _manager_of(deps, {p.person_id for p in plans}) if plans else {}
    own: PlanView | None = None
    followed: list[PlanView] = []
    every: list[PlanView] = []
    for plan in plans:
        person = people.get(plan.person_id)
        if person is None or not may_see_plan(
            viewer, person_id=plan.person_id, manager_of=manager_of
        ):
            continue
        view = _view(plan, person, people.get(plan.opened_by_id), _today(deps, viewer))
        if plan.person_id == viewer.id:
            own = view
        elif viewer.id in manager_chain(plan.person_id, manager_of) or (
            may_administer(viewer) and plan.kind == "pip"
        ):
            followed.append(view)
        if may_administer(viewer):
            every.append(view)
    return {
        "own": own,
        "followed": followed[:FOLLOWED_SHOWN],
        "hr": every[:HR_SHOWN],
        "hr_total": len(every),
    }


def checkin_goals(person: Person, *, session: Session) -> list[str]:
    """The person's open plan's key results, for their check-in modal (plain text), read in
    the modal's read transaction."""
    if person.id is None:
        return []
    plan = plan_repo.open_plan_of(person.id, session=session)
    if plan is None:
        return []
    return [f"Quality: {plan.quality_result}", f"Output: {plan.output_result}"]


def digest_lines(deps: Deps, people: dict[int, Person], today: date) -> dict[int, tuple[str, bool]]:
    """Each of these people's open plan in one line, for their manager's digest, and whether
    it needs the manager before the next digest (a check-in or its end within a week)."""
    with read_scope(deps.engine) as session:
        found = plan_repo.open_plans(list(people), session=session)
    lines = {}
    for plan in found:
        person = people[plan.person_id]
        upcoming = next_checkin([date.fromisoformat(d) for d in json.loads(plan.checkins)], today)
        line = (
            f"📋 {person.name} · {KINDS.get(plan.kind, 'plan')} · "
            + (f"next check-in {day_label(upcoming)}" if upcoming else "no check-in left")
            + f" · ends {day_label(plan.end_date)}"
        )
        soon = today + timedelta(weeks=1)
        lines[plan.person_id] = (
            line,
            (upcoming is not None and upcoming < soon) or plan.end_date < soon,
        )
    return lines
