"""The quarter's evidence: each week's pair (check-ins, imported values first), goal progress,
kudos. Read inside the caller's session; authorization is the caller's job."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from sqlmodel import Session

from cadence.domain.digests import NO_WEEK, Week, team_role, team_week
from cadence.domain.goals import (
    NO_TEAM,
    NOT_READ_BY_TEAM,
    current_from_checkins,
    key_result_line,
    role_metric,
)
from cadence.domain.periods import at_local, local_now, shift_week, week_day, week_of
from cadence.domain.quarters import quarter_end, quarter_start, quarter_weeks, weeks_until
from cadence.domain.reviews import Evidence, KudosItem, WeekData, build_evidence
from cadence.domain.roles import Role
from cadence.domain.signals import BASELINE_WEEKS
from cadence.domain.status import CheckinStatus
from cadence.services import settings
from cadence.services import weeks as week_states
from cadence.services.deps import Deps
from cadence.services.pairs import reads_by_team
from cadence.storage import digest_repo, feedback_repo, repo, review_repo
from cadence.storage.models import Person


def week_data(
    deps: Deps, person_ids: Sequence[int], weeks: Sequence[str], *, session: Session
) -> dict[int, list[WeekData]]:
    """Each person's `weeks` in order. An imported (quality, output) takes precedence over the
    self-reported values of the same week."""
    rows = repo.checkins_in(person_ids, weeks, session=session)
    values = digest_repo.imported_values(weeks, person_ids, session=session)
    imported: dict[tuple[int, str], tuple[float | None, float | None]] = {}
    for (pid, week, kind), (value, _source) in values.items():
        q, o = imported.get((pid, week), (None, None))
        imported[(pid, week)] = (value, o) if kind == "quality" else (q, value)
    out: dict[int, list[WeekData]] = {}
    for pid in person_ids:
        series = []
        for w in weeks:
            c = rows.get((pid, w))
            quality = c.quality_value if c is not None else None
            output = c.output_value if c is not None else None
            status = c.status if c is not None else "missing"
            if (pid, w) in imported:
                iq, io = imported[(pid, w)]
                quality = iq if iq is not None else quality
                output = io if io is not None else output
                if quality is not None and output is not None:
                    status = CheckinStatus.ANSWERED
            wins, covered = (c.wins, c.weeks) if c is not None else ("", None)
            series.append(WeekData(w, status, quality, output, wins, covered))
        out[pid] = series
    return out


def with_states(
    person: Person,
    series: Sequence[WeekData],
    now: datetime,
    chosen: settings.Resolved,
    *,
    session: Session,
) -> list[WeekData]:
    """`series` with each week's state (domain.weeks) as of `now` in the person's zone, by the
    settings in force when it closed (`chosen`: the person's): a declared absence reads as
    away, and a week not answered whose deadline has not passed is open, not missing."""
    assert person.id is not None  # noqa: S101
    periods = [w.period for w in series]
    stored = {(person.id, w.period): w.status for w in series if w.status != "missing"}
    away = week_states.covered([person.id], periods, session=session)
    state = week_states.states(chosen.schedule, [person], periods, stored, away, now)
    return [replace(w, status=state[(person.id, w.period)]) for w in series]


def by_team(
    deps: Deps, series: Sequence[WeekData], reports: Sequence[Person], *, session: Session
) -> list[WeekData]:
    """A team-read manager's weeks (domain.digests.team_week): their own state, wins and
    check-ins, with the pair read from their direct reports' answered weeks (a report whose
    role roles.toml does not know is left out)."""
    reports = [r for r in reports if r.role in deps.roles]
    periods = [w.period for w in series]
    theirs = week_data(deps, [r.id for r in reports if r.id], periods, session=session)

    def as_week(w: WeekData) -> Week:
        answered = w.status == CheckinStatus.ANSWERED
        return Week(w.status, w.quality if answered else None, w.output if answered else None)

    out = []
    for i, own in enumerate(series):
        team = team_week(
            NO_WEEK, [(deps.roles[r.role], as_week(theirs[r.id][i])) for r in reports if r.id]
        )
        out.append(replace(own, quality=team.quality, output=team.output))
    return out


def measured_pair(
    deps: Deps, person: Person, series: Sequence[WeekData], *, session: Session
) -> tuple[Role, list[WeekData], bool]:
    """The pair `person` is measured by over `series` (their own weeks, oldest first): their
    role's, or for a manager read by their team (services.pairs.reads_by_team) the team's pair
    (team_role) read from their direct reports' weeks (by_team), as the digest reads them.
    The flag says whether it is the team's."""
    assert person.id is not None  # noqa: S101
    role = deps.roles[person.role]
    if not reads_by_team(deps, person, session=session):
        return role, list(series), False
    reports = repo.direct_reports(person.id, session=session)
    return team_role(role), by_team(deps, series, reports, session=session), True


def joined_week(person: Person, quarter: str) -> str | None:
    """The week a person joined Cadence, when that was during `quarter` (after its first week)."""
    tz = person.timezone or "UTC"
    joined = week_of(local_now(person.created_at, tz).date())
    weeks = quarter_weeks(quarter)
    return joined if joined in weeks and joined != weeks[0] else None


def quarter_weeks_for(person: Person, quarter: str, today: date) -> list[str]:
    """The quarter's weeks that have started by `today`, from the week the person joined."""
    weeks = weeks_until(quarter, today)
    joined = joined_week(person, quarter)
    return [w for w in weeks if joined is None or w >= joined]


def _from_checkins(side: str, series: Sequence[WeekData]) -> float | None:
    values = [
        (w.quality if side == "quality" else w.output)
        for w in series
        if w.status == CheckinStatus.ANSWERED
    ]
    return current_from_checkins(values)


def goal_lines(
    deps: Deps, people: Sequence[Person], quarter: str, today: date, *, session: Session
) -> dict[int, list[str]]:
    """Per person id: one text per goal (objective, then a line per key result with its
    progress). Key results on the pair read the quarter's check-ins so far: the person's own,
    or for a manager read by their team the team's pair (measured_pair). A key result on a pair
    the person is not measured by now (their own numbers while read by their team, or a team's
    once nobody reports to them) says so instead of a value."""
    ids = [p.id for p in people if p.id is not None]
    goals = review_repo.goals_for(ids, quarter, session=session)
    if not goals:
        return {}
    weeks = weeks_until(quarter, today)
    series = week_data(deps, ids, weeks, session=session)
    by_id = {p.id: p for p in people if p.id is not None and p.role in deps.roles}
    pairs: dict[int, tuple[Role, list[WeekData], bool]] = {}

    def pair_of(person: Person) -> tuple[Role, list[WeekData], bool]:
        """What `person` is measured by (only read for people with key results on the pair)."""
        assert person.id is not None  # noqa: S101
        if person.id not in pairs:
            pairs[person.id] = measured_pair(deps, person, series[person.id], session=session)
        return pairs[person.id]

    aligned = review_repo.goals_by_ids(
        [g.aligned_to_id for g, _ in goals if g.aligned_to_id], session=session
    )
    out: dict[int, list[str]] = {}
    for goal, krs in goals:
        person = by_id.get(goal.person_id)
        lines = [f"🎯 {goal.objective}"]
        if goal.aligned_to_id and goal.aligned_to_id in aligned:
            lines[0] += f" (supports: {aligned[goal.aligned_to_id].objective})"
        for kr in krs:
            unit, name, current, missing = "", kr.description, kr.current_value, "no value yet"
            side, on_team = role_metric(kr.metric)
            if person is not None and side in {"quality", "output"}:
                _, read, by_team = pair_of(person)
                own = deps.roles[person.role]
                role = team_role(own) if on_team else own
                metric = role.quality if side == "quality" else role.output
                unit, name = metric.unit, kr.description or metric.name
                current = _from_checkins(side, read) if on_team == by_team else None
                if on_team != by_team:
                    missing = NOT_READ_BY_TEAM if by_team else NO_TEAM
            kind = {"quality": "Quality", "output": "Output"}.get(kr.kind, "Other")
            lines.append(
                f"{kind} · "
                + key_result_line(name, unit, kr.baseline, kr.target, current, kr.due, missing)
            )
        out.setdefault(goal.person_id, []).append("\n".join(lines))
    return out


def evidence_for(
    deps: Deps, person: Person, quarter: str, now: datetime, *, session: Session
) -> Evidence:
    """The evidence pack for one person's quarter, as of `now` in their own time zone."""
    assert person.id is not None  # noqa: S101
    today = min(local_now(now, person.timezone or "UTC").date(), quarter_end(quarter))
    weeks = quarter_weeks_for(person, quarter, today)
    first = weeks[0] if weeks else quarter_weeks(quarter)[0]
    # Twice the baseline: with every-two-weeks check-ins half of those weeks are off-weeks.
    before = [shift_week(first, -i) for i in range(2 * BASELINE_WEEKS, 0, -1)]
    series = week_data(deps, [person.id], before + weeks, session=session)[person.id]
    chosen = settings.resolved(deps, session=session, only=[person.id])
    series = with_states(person, series, now, chosen, session=session)
    covers = {}  # what each week's check-in covered, as stored or as the cadence then made it
    for w in series:
        covers[w.period] = week_states.label(chosen, person, w.period, w.weeks)
    role, series, _ = measured_pair(deps, person, series, session=session)
    tz = person.timezone or "UTC"
    start = max(quarter_start(quarter), week_day(first, 1))
    received = feedback_repo.kudos_received(
        [person.id],
        at_local(start, time(0, 0), tz),
        at_local(today + timedelta(days=1), time(0, 0), tz),
        session=session,
    ).get(person.id, [])
    kudos = [
        KudosItem(giver=k.giver_name, message=k.message, on=local_now(k.created_at, tz).date())
        for k in reversed(received)  # oldest first
    ]
    goals = goal_lines(deps, [person], quarter, today, session=session).get(person.id, [])
    return build_evidence(
        role,
        series[len(before) :],
        series[: len(before)],
        kudos=kudos,
        goals=goals,
        joined=joined_week(person, quarter),
        label=covers.__getitem__,
    )
