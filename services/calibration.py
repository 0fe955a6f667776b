"""Calibration for HR admins: `/cadence calibration [QUARTER]` and the chart. HR's view of
individual reviews is audited (DESIGN.md section 6)."""

from __future__ import annotations

import io
import json
from datetime import datetime

from cadence.delivery.gateway import SlackCallError, Upload
from cadence.domain.authz import may_administer
from cadence.domain.calibration import Calibration, RatedReview, calibrate
from cadence.domain.periods import local_now
from cadence.domain.quarters import (
    is_quarter,
    quarter_end,
    quarter_label,
    quarter_of,
    shift_quarter,
)
from cadence.domain.reviews import Assessment, summarise_pair
from cadence.services.common import Outcome, caller
from cadence.services.deps import Deps
from cadence.services.evidence import quarter_weeks_for, week_data
from cadence.storage import repo, review_repo
from cadence.storage.db import read_scope, session_scope

HR_ONLY = "Calibration is for HR admins (hr_admin in the org chart)."


def calibration_for(deps: Deps, quarter: str) -> Calibration:
    """Released manager assessments of `quarter`, with each person's measured pair."""
    with read_scope(deps.engine) as session:
        released = [r for r in review_repo.reviews_in(quarter, session=session) if r.released_at]
        people = repo.people_by_ids(
            {r.person_id for r in released} | {r.manager_id for r in released if r.manager_id},
            session=session,
        )
        rated = []
        for r in released:
            person = people.get(r.person_id)
            if person is None or person.id is None or person.role not in deps.roles:
                continue
            weeks = quarter_weeks_for(person, quarter, quarter_end(quarter))
            series = week_data(deps, [person.id], weeks, session=session)[person.id]
            answers = Assessment.from_json(json.loads(r.manager_answers or "{}"))
            manager = people.get(r.manager_id or 0)
            rated.append(
                RatedReview(
                    person=person.name,
                    manager_key=r.manager_id or 0,
                    manager=manager.name if manager else "unknown manager",
                    ratings=list(answers.ratings.values()),
                    pair=summarise_pair(deps.roles[person.role], series),
                )
            )
    return calibrate(rated)


def _quarter(deps: Deps, text: str, now: datetime, tz: str) -> str | None:
    text = text.strip().upper()
    if text:
        return text if is_quarter(text) else None
    this = quarter_of(local_now(now, tz).date())
    with read_scope(deps.engine) as session:
        if any(r.released_at for r in review_repo.reviews_in(this, session=session)):
            return this
    return shift_quarter(this, -1)


def open_calibration(deps: Deps, slack_id: str, text: str = "") -> tuple[Outcome, str | None]:
    """The calibration modal for HR admins, and the quarter it shows. Audited."""
    person = caller(deps, slack_id)
    if person is None or not may_administer(person):
        return Outcome(message=HR_ONLY), None
    now = deps.clock.now()
    quarter = _quarter(deps, text, now, person.timezone or "UTC")
    if quarter is None:
        return Outcome(
            message="Use `/cadence calibration` or `/cadence calibration 2026-Q4`."
        ), None
    cal = calibration_for(deps, quarter)
    with session_scope(deps.engine) as session:
        repo.audit(
            slack_id,
            "calibration.view",
            quarter,
            f"{cal.organisation.n} ratings, {len(cal.mismatches)} people flagged",
            now,
            session=session,
        )
    view = deps.renderer.view(
        "calibration_modal.json.j2",
        quarter_label=quarter_label(quarter),
        cal=cal,
    )
    return Outcome(view=view), quarter


def chart_png(cal: Calibration, title: str) -> bytes:
    """Share of each rating, per manager beside the organisation (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    groups = [("Organisation", cal.organisation)] + [
        (row.manager, row.distribution) for row in cal.managers[:8]
    ]
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    width = 0.8 / len(groups)
    for i, (name, dist) in enumerate(groups):
        shares = [100 * dist.counts[r] / dist.n if dist.n else 0 for r in range(1, 6)]
        ax.bar([r + (i - len(groups) / 2) * width for r in range(1, 6)], shares, width, label=name)
    ax.set_xticks(range(1, 6))
    ax.set_xlabel("rating")
    ax.set_ylabel("% of ratings")
    ax.set_title(title)
    ax.legend(fontsize="small")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def share_chart(deps: Deps, channel: str, quarter: str) -> bool:
    """Upload the distribution chart into `channel` (the HR admin's DM with Cadence). The
    modal's text is complete without it."""
    cal = calibration_for(deps, quarter)
    if not cal.organisation.n:
        return False
    title = f"Rating distribution {quarter}"
    try:
        deps.slack.upload_file(
            channel,
            Upload(
                f"calibration-{quarter}.png",
                chart_png(cal, title),
                title=title,
                alt_text="Share of each rating 1-5, per manager beside the organisation",
            ),
        )
    except SlackCallError:
        return False
    return True
