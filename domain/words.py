"""Words as people read them: counts with the right plural, and who can see a person's
check-in answers (DESIGN.md section 6), said the same way on every screen."""

from __future__ import annotations

IRREGULAR = {"person": "people"}


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 person', '2 people', '0 weeks'."""
    return f"{n} {one if n == 1 else (many or IRREGULAR.get(one) or one + 's')}"


def who_sees_checkins(has_manager: bool) -> str:
    """Who reads a person's check-in answers: their manager chain, and HR only through audited
    exports (nobody above someone who has no manager)."""
    if has_manager:
        return (
            "Your manager and the managers above them see your answers; HR only through "
            "audited exports."
        )
    return (
        "You have no manager in Cadence, so nobody above you reads your answers; HR only "
        "through audited exports."
    )


def blockers_hint(has_manager: bool) -> str:
    """The check-in's Blockers placeholder: who reads what is typed there, in short (as
    who_sees_checkins says it)."""
    if has_manager:
        return "Anything in your way? Your manager sees this."
    return "Anything in your way? Nobody above you sees this; HR only through audited exports."


NO_MANAGER = "You have no manager in Cadence"


def who_sees_away(has_manager: bool) -> str:
    """Who sees a declared absence's weeks as *away* (as who_sees_checkins says it)."""
    if has_manager:
        return "Your manager sees *away* for those weeks, not a missing check-in."
    return f"{NO_MANAGER}, so nobody above you sees those weeks; HR only through audited exports."


def who_reads_self_assessment(has_manager: bool) -> str:
    """Who reads a submitted self-assessment (DESIGN.md section 6)."""
    if has_manager:
        return "once submitted, your manager and their managers read it"
    return (
        "once submitted, nobody above you reads it (you have no manager in Cadence); HR only "
        "through audited exports"
    )


def after_self_assessment(has_manager: bool) -> str:
    """What follows a submitted self-assessment: a manager's assessment, or nothing."""
    if has_manager:
        return "Your manager writes theirs next; you'll get a DM when it is released."
    return (
        f"{NO_MANAGER}, so no manager's assessment follows; HR reads it only through "
        "audited exports."
    )


def who_sees_plan(has_manager: bool) -> str:
    """Who sees a development plan or PIP (the person, their manager chain and HR)."""
    return "You, your manager chain and HR" if has_manager else "You and HR"
