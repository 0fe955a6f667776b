"""Calibration for HR admins: `/cadence calibration [QUARTER]` and the chart. HR's view of
individual reviews is audited (DESIGN.md section 6)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from cadence.delivery.charts import CALIBRATION_CHART
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
from cadence.services.digests import UPLOAD_METHOD
from cadence.services.evidence import measured_pair, quarter_weeks_for, week_data
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
            # A manager read by their team is measured by the team's pair, as in the digest.
            role, series, by_team = measured_pair(deps, person, series, session=session)
            answers = Assessment.from_json(json.loads(r.manager_answers or "{}"))
            manager = people.get(r.manager_id or 0)
            rated.append(
                RatedReview(
                    person=person.name,
                    manager_key=r.manager_id or 0,
                    manager=manager.name if manager else "unknown manager",
                    ratings=list(answers.ratings.values()),
                    pair=summarise_pair(role, series),
                    by_team=by_team,
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


def open_calibration(deps: Deps, slack_id: str, text: str = "", *, chart_to: str = "") -> Outcome:
    """The calibration modal for HR admins. Audited. With `chart_to` (the HR admin's DM with
    Cadence, never a shared channel) the distribution chart is queued there too: the sender
    draws and uploads it after the request has been answered."""
    person = caller(deps, slack_id)
    if person is None or not may_administer(person):
        return Outcome(message=HR_ONLY)
    now = deps.clock.now()
    quarter = _quarter(deps, text, now, person.timezone or "UTC")
    if quarter is None:
        return Outcome(message="Use `/cadence calibration` or `/cadence calibration 2026-Q4`.")
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
        if chart_to and cal.organisation.n:
            chart = repo.OutgoingMessage(
                key=f"calibration-chart:{slack_id}:{quarter}:{now.isoformat()}",
                kind="calibration-chart",
                recipient=chart_to,
                payload=chart_payload(deps, cal, quarter),
                method=UPLOAD_METHOD,
            )
            repo.enqueue([chart], now, session=session)
    if chart_to and cal.organisation.n:
        deps.wake_sender()
    view = deps.renderer.view(
        "calibration_modal.json.j2",
        quarter_label=quarter_label(quarter),
        cal=cal,
    )
    return Outcome(view=view)


def chart_payload(deps: Deps, cal: Calibration, quarter: str) -> dict[str, Any]:
    """The rating-distribution chart's outbox payload: the shares (drawn at send time) and a
    text fallback."""
    title = f"Rating distribution {quarter}"
    groups = [("Organisation", cal.organisation)] + [
        (row.manager, row.distribution) for row in cal.managers[:8]
    ]
    table = "\n".join(f"{name}: {dist.line()}" for name, dist in groups)
    return {
        "chart": CALIBRATION_CHART,
        "filename": f"calibration-{quarter}.png",
        "title": title,
        "alt_text": "Share of each rating 1-5, per manager beside the organisation",
        "groups": [
            {
                "name": name,
                "shares": [100 * dist.counts[r] / dist.n if dist.n else 0 for r in range(1, 6)],
            }
            for name, dist in groups
        ],
        "fallback": deps.renderer.message(
            "digest_chart_fallback.json.j2",
            title=title,
            table=table,
            columns="share of each rating",
        ),
    }
