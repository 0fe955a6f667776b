"""HR's system lens: what recurs across people and teams, read from stored check-ins.

Figures only: a theme is a phrase with counts of people, teams and weeks; a team with fewer
people behind a figure than the anonymity minimum shows no figure (DESIGN.md section 6)."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from cadence.delivery.charts import TEAMS_CHART
from cadence.domain.digests import QUADRANTS, PairPoint, pair_line
from cadence.domain.periods import (
    at_local,
    current_week,
    local_now,
    shift_week,
    week_day,
    week_label,
    weeks_back,
)
from cadence.domain.pulse import (
    HISTORY,
    SPAN,
    ActionFact,
    Outcome,
    OutcomeLine,
    PersonSeries,
    TeamPulse,
    action_outcome,
    outcome_lines,
    person_figures,
    pulse,
)
from cadence.domain.quarters import quarter_of, quarter_of_week, quarter_start
from cadence.domain.roles import Role
from cadence.domain.rounds import MIN_RESPONSES
from cadence.domain.signals import SignalKind
from cadence.domain.themes import BlockerNote, Theme, find_themes
from cadence.domain.words import plural
from cadence.services import settings
from cadence.services.common import JobReport
from cadence.services.deps import Deps
from cadence.services.digests import UPLOAD_METHOD, load_org, person_weeks
from cadence.storage import lens_repo, repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Person

log = logging.getLogger(__name__)

WINDOW_WEEKS = 12
OUTCOME_SPAN = 26  # weeks read for action outcomes (a quarter's actions and 4 weeks around)
THEMES = "themes"
PULSE = "pulse"
TEAMS_SHOWN = 8
LOWEST_SHOWN = 3  # teams named for their participation, below the organisation's
HR_DIGEST_AT = time(9, 0)  # first Monday of the month, HR admin's zone
HR_DIGEST_KIND = "hr-digest"
HR_CHART_KIND = "hr-digest-chart"
SHORT = {"themes": 3, "flagged": 5}  # the monthly digest is the Home section in short
ALT_TEXT_LIMIT = 1000  # characters Slack keeps of a file's alt text


@dataclass(frozen=True, slots=True)
class ThemeLine:
    """One recurring blocker as HR reads it."""

    name: str
    people: int
    teams: int
    weeks: int
    window: int
    trend: str
    where: str  # "Maya Lead's team 4 · 2 teams with fewer than 3": plain text
    first_week: str
    last_week: str


def last_closed_week(now: datetime) -> str:
    """The newest week whose answers are all in: a week stays open until Tuesday 12:00 in each
    person's zone (as late as Tuesday 22:00 UTC), so from Wednesday (UTC) on it is last week."""
    this_week = current_week(now, "UTC")
    return shift_week(this_week, -1 if now.isoweekday() >= 3 else -2)


def window(last: str) -> list[str]:
    """WINDOW_WEEKS weeks ending with `last`, oldest first."""
    return weeks_back(last, WINDOW_WEEKS)


def run_lens(deps: Deps, now: datetime) -> JobReport:
    """The weekly figures of HR's system lens, computed once per closed week (the scheduler's
    tick asks every minute; only the first ask of a week computes)."""
    report = JobReport("lens", now)
    last = last_closed_week(now)
    with read_scope(deps.engine) as session:
        if lens_repo.has_snapshot(THEMES, last, session=session):
            return report
    lines = recurring_blockers(deps, last)
    figures = organisation_pulse(deps, last, now)
    try:
        with session_scope(deps.engine) as session:
            themes = json.dumps([asdict(line) for line in lines])
            lens_repo.save_snapshot(THEMES, last, themes, now, session=session)
            lens_repo.save_snapshot(PULSE, last, json.dumps(figures), now, session=session)
    except IntegrityError:  # another scheduler stored the same week first
        return report
    teams = len(figures["teams"])
    log.info("lens: %d recurring blockers, %d teams up to %s", len(lines), teams, last)
    report.add("themes", len(lines))
    report.add("teams read", teams)
    return report


def home_context(deps: Deps) -> dict[str, Any]:
    """HR's system lens as stored by the last `lens` run: pulse, teams to look at, action
    outcomes, recurring blockers (HR's App Home and the monthly HR digest)."""
    with read_scope(deps.engine) as session:
        themes_row = lens_repo.latest_snapshot(THEMES, session=session)
        pulse_row = lens_repo.latest_snapshot(PULSE, session=session)
    themes = [ThemeLine(**item) for item in json.loads(themes_row.payload)] if themes_row else []
    figures = json.loads(pulse_row.payload) if pulse_row else None
    org = TeamPulse(**figures["org"]) if figures else None
    teams = [TeamPulse(**t) for t in figures["teams"]] if figures else []
    flagged = [t for t in teams if t.reading]
    return {
        "window": WINDOW_WEEKS,
        "as_of": week_label(themes_row.period) if themes_row else "",
        "themes": themes,
        "org": org,
        "teams": teams,
        "teams_read": len(teams),
        "flagged": flagged[:TEAMS_SHOWN],
        "more_flagged": max(0, len(flagged) - TEAMS_SHOWN),
        "lowest": lowest_participation(org, teams),
        "outcomes": [OutcomeLine(**o) for o in figures["outcomes"]] if figures else [],
        "quarter": figures["quarter"] if figures else "",
    }


def lowest_participation(org: TeamPulse | None, teams: list[TeamPulse]) -> list[TeamPulse]:
    """Up to LOWEST_SHOWN teams (with figures) whose check-in participation is below the
    organisation's, lowest first."""
    if org is None or org.participation is None:
        return []
    below = [
        t
        for t in teams
        if t.shown and t.participation is not None and t.participation < org.participation
    ]
    below.sort(key=lambda t: (t.participation or 0, t.label))
    return below[:LOWEST_SHOWN]


def organisation_pulse(deps: Deps, last: str, now: datetime) -> dict[str, Any]:
    """The pulse of the whole organisation and of each manager's team (direct reports) over
    the window ending with `last`, and the outcomes of actions closed this quarter."""
    org = load_org(deps)
    people = [p for p in org.people.values() if p.role in deps.roles]
    span = WINDOW_WEEKS + HISTORY
    periods = weeks_back(last, span)
    weeks = person_weeks(deps, people, periods, now, everyone=True)
    series = {
        p.id: PersonSeries(p.id, deps.roles[p.role], weeks[p.id])
        for p in people
        if p.id is not None
    }
    figures = {pid: person_figures(s, WINDOW_WEEKS) for pid, s in series.items()}
    window_start = week_day(periods[-WINDOW_WEEKS], 1)
    quarter = quarter_of_week(last)
    since = min(
        datetime.combine(window_start, datetime.min.time(), tzinfo=now.tzinfo),
        datetime.combine(quarter_start(quarter), datetime.min.time(), tzinfo=now.tzinfo),
    )
    with read_scope(deps.engine) as session:
        actions = lens_repo.actions_since(since, session=session)
    window = set(periods[-WINDOW_WEEKS:])
    facts: dict[int, list[ActionFact]] = {}
    closed: list[tuple[Role, ActionFact]] = []
    for a in actions:
        try:
            kind = SignalKind(a.signal)
        except ValueError:
            continue
        fact = ActionFact(a.report_id, kind, a.period, a.created_at, a.closed_at)
        if a.period in window:
            facts.setdefault(a.report_id, []).append(fact)
        person = org.people.get(a.report_id)
        if (
            a.closed_at is not None
            and quarter_of(a.closed_at.date()) == quarter
            and person is not None
            and person.role in deps.roles
        ):
            closed.append((deps.roles[person.role], fact))
    # Outcomes read further back (a quarter's actions and the weeks around them), for the
    # few people concerned only.
    outcome_periods = weeks_back(last, OUTCOME_SPAN)
    concerned = [org.people[f.report_id] for _, f in closed]
    long_weeks = person_weeks(deps, concerned, outcome_periods, now) if concerned else {}
    outcomes: list[tuple[SignalKind, Outcome]] = [
        (f.signal, action_outcome(role, long_weeks[f.report_id], outcome_periods, f))
        for role, f in closed
    ]

    def group(label: str, ids: list[int]) -> TeamPulse:
        members = [series[i] for i in ids if i in series]
        acts = [f for i in ids for f in facts.get(i, [])]
        return pulse(label, members, WINDOW_WEEKS, acts, figures)

    teams = [
        group(f"{org.people[mid].name}'s team", [p.id for p in reports if p.id is not None])
        for mid, reports in sorted(org.reports.items())
        if mid in org.people
    ]
    return {
        "org": asdict(group("Whole organisation", list(series))),
        "teams": [asdict(t) for t in teams],
        "outcomes": [asdict(o) for o in outcome_lines(outcomes)],
        "quarter": quarter,
    }


def recurring_blockers(deps: Deps, last: str) -> list[ThemeLine]:
    periods = window(last)
    with read_scope(deps.engine) as session:
        rows = lens_repo.blocker_notes(periods, session=session)
    team_names = {team: name for _, team, name, _, _ in rows}
    themes = find_themes([BlockerNote(p, team, period, text) for p, team, _, period, text in rows])
    return [_line(theme, team_names, len(periods)) for theme in themes]


def _line(theme: Theme, team_names: dict[str, str], weeks_in_window: int) -> ThemeLine:
    minimum = MIN_RESPONSES
    named = sorted(
        (
            (_team_label(team_names.get(team, "")), n)
            for team, n in theme.teams.items()
            if n >= minimum
        ),
        key=lambda item: (-item[1], item[0]),
    )
    small = sum(1 for n in theme.teams.values() if n < minimum)
    parts = [f"{label} {n}" for label, n in named]
    if small:
        parts.append(f"{small} {'team' if small == 1 else 'teams'} with fewer than {minimum}")
    weeks = sorted(theme.weeks)
    return ThemeLine(
        name=theme.name,
        people=theme.people,
        teams=theme.team_count(),
        weeks=len(weeks),
        window=weeks_in_window,
        trend=theme.trend,
        where=" · ".join(parts),
        first_week=week_label(weeks[0]),
        last_week=week_label(weeks[-1]),
    )


def _team_label(manager_name: str) -> str:
    return f"{manager_name}'s team" if manager_name else "Top level"


# ---------------------------------------------------------------- the monthly HR digest


def first_monday(day: date) -> date:
    first = day.replace(day=1)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def hr_digest_key(slack_id: str, month: date) -> str:
    return f"hr-digest:{slack_id}:{month:%Y-%m}"


def send_hr_digests(deps: Deps, now: datetime) -> JobReport:
    """The first Monday of each month, 09:00 in each HR admin's zone: the system lens in short
    (one DM). Idempotent by key; a missed tick catches up that week, never at night."""
    report = JobReport(HR_DIGEST_KIND, now)
    with read_scope(deps.engine) as session:
        admins = [p for p in repo.active_people(session=session) if p.hr_admin]
    window: list[tuple[Person, date]] = []
    for admin in admins:
        tz = admin.timezone or "UTC"
        monday = first_monday(local_now(now, tz).date())
        # Due from 09:00 that Monday; a missed tick catches up that week, never at night.
        catch_up_until = at_local(monday + timedelta(days=7), time(0, 0), tz)
        if at_local(monday, HR_DIGEST_AT, tz) <= now < catch_up_until:
            window.append((admin, monday))
    chosen = settings.resolved(deps, only=[a.id for a, _ in window if a.id]) if window else None
    due = [  # never in the admin's own quiet hours
        (a.slack_id, monday)
        for a, monday in window
        if chosen is not None and not chosen.schedule(a).is_quiet(now, a.timezone or "UTC")
    ]
    if not due:
        return report
    with read_scope(deps.engine) as session:
        done = repo.deliveries_by_keys([hr_digest_key(s, m) for s, m in due], session=session)
    todo = [(s, m) for s, m in due if hr_digest_key(s, m) not in done]
    if not todo:
        return report
    _with_trails(deps, now)
    context = home_context(deps)
    flagged_total = len(context["flagged"]) + context["more_flagged"]
    context.update(
        themes=context["themes"][: SHORT["themes"]],
        flagged=context["flagged"][: SHORT["flagged"]],
        more_flagged=flagged_total - min(flagged_total, SHORT["flagged"]),
    )
    lens_blocks = deps.renderer.message("hr_lens.json.j2", **context)["blocks"][1:]
    messages = []
    charts = {m: chart_payload(deps, context, m) for m in {m for _, m in todo}}  # drawn at send
    for slack_id, monday in todo:
        chart = charts[monday]
        opening = deps.renderer.message(
            "hr_digest.json.j2", month=f"{monday:%B %Y}", picture=chart is not None
        )
        payload = {"text": opening["text"], "blocks": opening["blocks"] + lens_blocks}
        messages.append(
            repo.OutgoingMessage(
                key=hr_digest_key(slack_id, monday),
                kind=HR_DIGEST_KIND,
                recipient=slack_id,
                payload=payload,
            )
        )
        if chart is not None:
            messages.append(
                repo.OutgoingMessage(
                    key=hr_chart_key(slack_id, monday),
                    kind=HR_CHART_KIND,
                    recipient=slack_id,
                    payload=chart,
                    method=UPLOAD_METHOD,
                    update_of=hr_digest_key(slack_id, monday),  # into the digest's DM, after it
                )
            )
    with session_scope(deps.engine) as session:
        queued = repo.enqueue(messages, now, session=session)
    report.add("messages queued", queued)
    deps.wake_sender()
    return report


# ---------------------------------------------------------------- HR's picture of the teams


def _with_trails(deps: Deps, now: datetime) -> None:
    """A pulse stored before the teams had trails (a team without one: the weekly run before
    HR's picture existed) is computed again for the same week, as of `now`, and stored in its
    place: the monthly digest then has its picture, and its text and HR's Home read the same
    figures as the picture. Computed once: the next digests find the trails."""
    with read_scope(deps.engine) as session:
        row = lens_repo.latest_snapshot(PULSE, session=session)
    if row is None or all("trail" in t for t in json.loads(row.payload)["teams"]):
        return
    figures = organisation_pulse(deps, row.period, now)
    with session_scope(deps.engine) as session:
        lens_repo.replace_snapshot(PULSE, row.period, json.dumps(figures), now, session=session)
    log.info("lens: the pulse up to %s computed again with the teams' trails", row.period)


def hr_chart_key(slack_id: str, month: date) -> str:
    return f"hr-digest-chart:{slack_id}:{month:%Y-%m}"


def chart_title(context: dict[str, Any]) -> str:
    return f"Teams' pair, {context['window']} weeks up to the {context['as_of']}"


def chart_payload(deps: Deps, context: dict[str, Any], month: date) -> dict[str, Any] | None:
    """HR's picture of the teams (the monthly digest's chart, drawn at send time): every team
    with figures (never one below the anonymity minimum) at its output against target and its
    quality against the floor over the last SPAN weeks, with a trail per SPAN weeks; the teams
    the digest names (strain, stall, lowest participation) named, the rest unlabelled. None
    when no team has a pair to place. Its text fallback gives the named teams' figures."""
    points = {
        id(t): [None if p is None else PairPoint(p[0], p[1]) for p in t.trail]
        for t in context["teams"]
        if t.shown and t.trail and t.trail[-1] is not None
    }
    drawn: list[TeamPulse] = [t for t in context["teams"] if id(t) in points]
    if not drawn:
        return None
    why: dict[int, list[str]] = {}
    for t in context["flagged"]:
        why.setdefault(id(t), []).append(f"reads as {t.reading}")
    for t in context["lowest"]:
        why.setdefault(id(t), []).append(f"lowest participation, {t.participation} % checked in")
    lowest = {id(t) for t in context["lowest"]}
    named = list({id(t): t for t in [*context["flagged"], *context["lowest"]]}.values())
    named = [t for t in named if id(t) in points]  # once each, in the digest's order
    order = named + [t for t in drawn if id(t) not in why]
    title = chart_title(context)
    where = dict.fromkeys(QUADRANTS, 0)
    for t in drawn:
        now = points[id(t)][-1]
        assert now is not None  # noqa: S101 - drawn teams have a pair now
        where[now.quadrant] += 1
    table = [
        pair_line(t.label, ", ".join(why[id(t)]), points[id(t)], "%", f"spans of {SPAN} weeks")
        for t in named
    ]
    table.append(
        f"All {plural(len(drawn), 'team')} with figures, by their last {SPAN} weeks: "
        + ", ".join(f"{n} {q}" for q, n in where.items())
    )
    alt = (
        f"{title}: {plural(len(drawn), 'team')} of {MIN_RESPONSES} or more people, each a dot at "
        f"its output against target (across) and its quality against the floor (up) over the "
        f"last {SPAN} weeks, with a trail per {SPAN} weeks. "
        + " ".join(f"{t.label}: {', '.join(why[id(t)])}." for t in named)
    )
    return {
        "chart": TEAMS_CHART,
        "filename": f"teams-pair-{month:%Y-%m}.png",
        "title": title,
        "alt_text": alt[:ALT_TEXT_LIMIT],
        "quality_unit": "% of the floor",
        "teams": [
            {
                "name": t.label,
                "signal": t.reading,
                "points": t.trail,
                "named": id(t) in why,
                "note": f"{t.participation} % checked in" if id(t) in lowest else "",
            }
            for t in order
        ],
        "fallback": deps.renderer.message(
            "digest_chart_fallback.json.j2",
            title=title,
            table="\n".join(table),
            columns=(
                "per team this digest names: where its last 4 weeks sit, why it is named, output "
                "as % of target, quality in % above or below the floor, then its trail (output % "
                "/ quality)"
            ),
        ),
    }
