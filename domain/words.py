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
