"""Development plans (and performance improvement plans): after a review, or at any time, a
manager opens a plan for a report — at least one quality and one output key result (the
role's pair, as SMART-OKR goals pair them), the support the company gives with an owner each,
check-in dates, and an end date. A plan ends with an outcome (completed, extended, closed).

Who may: a plan is opened by someone in the person's management line or by an HR admin; a
performance improvement plan only with HR (an HR admin opens it). Only the person, their
manager chain and HR ever see a plan (DESIGN.md section 6); a PIP's existence never reaches a
peer.

Pure: input in, a validated plan or field problems out. No SQL, no clock, no Slack."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from cadence.domain.authz import Someone, may_administer
from cadence.domain.reviews import manager_chain
from cadence.domain.text import clean_text

KINDS = {"development": "development plan", "pip": "performance improvement plan"}
OUTCOMES = {"completed": "completed", "extended": "extended", "closed": "closed"}
RESULT_LIMIT = 300
SUPPORT_LIMIT = 200
MAX_SPAN = timedelta(days=366)
EXTENSION = timedelta(weeks=4)


@dataclass(frozen=True, slots=True)
class Support:
    what: str
    owner: str  # a Slack user id


@dataclass(frozen=True, slots=True)
class PlanInput:
    kind: str
    quality_result: str
    output_result: str
    support: tuple[Support, ...]
    checkins: tuple[date, ...]
    end: date


@dataclass(frozen=True, slots=True)
class RawPlan:
    """The modal's fields as strings (None when empty)."""

    kind: str | None
    quality_result: str | None
    output_result: str | None
    support: Sequence[tuple[str | None, str | None]]  # (what, owner slack id)
    checkins: Sequence[str | None]  # ISO dates
    end: str | None


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def validate_plan(
    raw: RawPlan, today: date, *, may_pip: bool, fields: Mapping[str, str]
) -> PlanInput | dict[str, str]:
    """A plan, or problems keyed by the modal's block ids (`fields` maps "kind", "quality",
    "output", "support0".., "checkin0".., "end" to block ids)."""
    errors: dict[str, str] = {}
    kind = raw.kind or "development"
    if kind not in KINDS:
        errors[fields["kind"]] = "Choose a development plan or a performance improvement plan."
    elif kind == "pip" and not may_pip:
        errors[fields["kind"]] = (
            "A performance improvement plan is opened with HR: ask your HR admin to open it."
        )
    results = {}
    for key, label in (("quality", "quality"), ("output", "output")):
        text = clean_text(getattr(raw, f"{key}_result") or "").strip()
        if not text:
            errors[fields[key]] = (
                f"Say what {label} result this plan aims for, and by when (a number helps)."
            )
        elif len(text) > RESULT_LIMIT:
            errors[fields[key]] = f"Keep it under {RESULT_LIMIT} characters."
        results[key] = text
    support: list[Support] = []
    for i, (what, owner) in enumerate(raw.support):
        what_text = clean_text(what or "").strip()
        if not what_text and not owner:
            continue
        if not what_text:
            errors[fields[f"support{i}"]] = "Say what support this is (training, mentoring…)."
        elif not owner:
            errors[fields[f"support{i}"]] = "Every support has an owner: pick who gives it."
        elif len(what_text) > SUPPORT_LIMIT:
            errors[fields[f"support{i}"]] = f"Keep it under {SUPPORT_LIMIT} characters."
        else:
            support.append(Support(what_text, owner))
    if not support and fields["support0"] not in errors:
        errors[fields["support0"]] = (
            "Name at least one support the company gives (training, mentoring, tooling) and "
            "who owns it."
        )
    end = _date(raw.end)
    end_ok = end is not None and today < end <= today + MAX_SPAN
    if end is None:
        errors[fields["end"]] = "Pick the day the plan ends."
    elif end <= today:
        errors[fields["end"]] = "The end date is in the future."
    elif end > today + MAX_SPAN:
        errors[fields["end"]] = "A plan runs a year at most: pick an earlier end."
    checkins: list[date] = []
    for i, value in enumerate(raw.checkins):
        day = _date(value)
        if day is None:
            if i == 0:
                errors[fields["checkin0"]] = "Pick the first check-in date."
            continue
        if day < today:
            errors[fields[f"checkin{i}"]] = "Check-in dates are today or later."
        elif end_ok and end is not None and day > end:
            errors[fields[f"checkin{i}"]] = "Check-ins happen before the plan ends."
        else:
            checkins.append(day)
    if errors or end is None:
        return errors
    return PlanInput(
        kind=kind,
        quality_result=results["quality"],
        output_result=results["output"],
        support=tuple(support),
        checkins=tuple(sorted(set(checkins))),
        end=end,
    )


def may_open_plan(
    actor: Someone | None, *, person: Someone, manager_of: Mapping[int, int | None]
) -> bool:
    """Someone in the person's management line, or HR; never for oneself."""
    if actor is None or actor.id is None or not actor.active or not person.active:
        return False
    if actor.id == person.id:
        return False
    return may_administer(actor) or actor.id in manager_chain(person.id or 0, manager_of)


def may_see_plan(
    viewer: Someone | None, *, person_id: int, manager_of: Mapping[int, int | None]
) -> bool:
    """The person, their manager chain and HR (DESIGN.md section 6)."""
    if viewer is None or viewer.id is None or not viewer.active:
        return False
    return (
        viewer.id == person_id
        or may_administer(viewer)
        or viewer.id in manager_chain(person_id, manager_of)
    )


def next_checkin(checkins: Sequence[date], today: date) -> date | None:
    upcoming = [d for d in checkins if d >= today]
    return min(upcoming) if upcoming else None
