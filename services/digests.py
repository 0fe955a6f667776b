"""Manager digests: the Monday job, `/cadence team`, and the data they read in bulk.

Every digest reads the same WINDOW weeks for everyone it concerns with one query per kind of
data (check-in numbers, imported metrics, this week's blockers), whatever the length of the
history; signals are read once per person and shared by the manager's digest and the roll-ups
of the managers above."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from typing import Any

from cadence.domain.actions import due_phrase
from cadence.domain.authz import may_see_team
from cadence.domain.digests import (
    TRAIL_WEEKS,
    WINDOW,
    ActionInput,
    Digest,
    ReportInput,
    ReportRow,
    Week,
    build_digest,
    owner_label,
    pair_table,
    read_report,
    reads_team,
    rollup,
    team_role,
    team_week,
)
from cadence.domain.periods import (
    at_local,
    local_now,
    shift_week,
    two_weeks_label,
    week_day,
    week_label,
    weeks_back,
)
from cadence.domain.pulse import OUTCOME_WEEKS, ActionFact, action_outcome, outcome_sentence
from cadence.domain.signals import LABELS, SignalKind
from cadence.domain.status import CheckinStatus
from cadence.prompts.render import VIEW_BLOCKS
from cadence.services import plans, settings, weeks
from cadence.services.common import JobReport, Outcome
from cadence.services.deps import Deps
from cadence.services.people import resolve_timezones, timezone_of
from cadence.storage import digest_repo, feedback_repo, repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Action, Person

log = logging.getLogger(__name__)

DIGEST_KIND = "digest"
CHART_KIND = "digest-chart"
UPLOAD_METHOD = "files.upload"


def kudos_counts(deps: Deps, person_ids: Sequence[int], period: str) -> Mapping[int, int]:
    """How many kudos each person received in `period` (the ISO week, Monday to Monday UTC)."""
    start = at_local(week_day(period, 1), time(0, 0), "UTC")
    with read_scope(deps.engine) as session:
        found = feedback_repo.kudos_received(
            person_ids, start, start + timedelta(weeks=1), session=session
        )
    return {pid: len(items) for pid, items in found.items()}


def digest_key(slack_id: str, period: str, part: int) -> str:
    return f"{_parts_of(slack_id, period)}{part}"


def _parts_of(slack_id: str, period: str) -> str:
    """What the keys of every part of one digest start with."""
    return f"digest:{slack_id}:{period}:"


def chart_key(slack_id: str, period: str) -> str:
    return f"digest-chart:{slack_id}:{period}"


# ---------------------------------------------------------------- the org chart, in memory


@dataclass
class Org:
    people: dict[int, Person]
    reports: dict[int, list[Person]]  # manager id → active direct reports with a known role
    by_slack: dict[str, Person] = field(default_factory=dict)
    _below: dict[int, list[Person]] = field(default_factory=dict)

    def below(self, person_id: int) -> list[Person]:
        """Everyone under `person_id`, at any depth (memoised; the chart has no cycles)."""
        if person_id not in self._below:
            found: list[Person] = []
            stack = list(self.reports.get(person_id, []))
            while stack:
                p = stack.pop()
                found.append(p)
                stack.extend(self.reports.get(p.id or 0, []))
            self._below[person_id] = found
        return self._below[person_id]


def load_org(deps: Deps) -> Org:
    with read_scope(deps.engine) as session:
        people = repo.active_people(session=session)
    reports: dict[int, list[Person]] = {}
    for p in people:
        if p.manager_id is not None and p.role in deps.roles:
            reports.setdefault(p.manager_id, []).append(p)
    for members in reports.values():
        members.sort(key=lambda p: (p.name.casefold(), p.slack_id))
    return Org(
        people={p.id: p for p in people if p.id is not None},
        reports=reports,
        by_slack={p.slack_id: p for p in people},
    )


# ---------------------------------------------------------------- reading the weeks


def person_weeks(
    deps: Deps,
    people: Sequence[Person],
    periods: Sequence[str],
    now: datetime,
    *,
    everyone: bool = False,
    blockers_of: str = "",
) -> dict[int, list[Week]]:
    """Each person's weeks in `periods` (oldest first) as stored: state, effective values (an
    imported value wins over the self-reported one), mood; the blockers of `blockers_of`.
    `everyone` reads the weeks for the whole organisation (cheaper than long IN lists when
    most people are concerned, as in the Monday job)."""
    ids = [p.id for p in people if p.id is not None]
    scope = None if everyone else ids
    last = periods[-1]
    with read_scope(deps.engine) as session:
        checkins = digest_repo.week_rows(periods, scope, session=session)
        imported = digest_repo.imported_values(periods, scope, session=session)
        blockers = (
            digest_repo.blockers_in(blockers_of, scope, session=session) if blockers_of else {}
        )
        declared = weeks.covered(ids, periods, session=session)
        chosen = settings.resolved(deps, session=session)
    wanted = set(ids)
    by_key = {(c[0], c[1]): c for c in checkins if c[0] in wanted}
    out: dict[int, list[Week]] = {}
    for person in people:
        pid = person.id
        if pid is None:
            continue
        # Only the last week can still be open: earlier deadlines have all passed.
        tz = person.timezone or "UTC"
        open_now = not deps.schedule.deadline_passed(last, now, tz)
        series = []
        for p in periods:
            schedule = chosen.schedule(person, p)  # the one in force when the week closed
            c = by_key.get((pid, p))
            answered = c is not None and c[2] == CheckinStatus.ANSWERED
            q = c[3] if c is not None and answered else None
            o = c[4] if c is not None and answered else None
            q_source = "self" if q is not None else ""
            o_source = "self" if o is not None else ""
            if imported:
                q_imp = imported.get((pid, p, "quality"))
                o_imp = imported.get((pid, p, "output"))
                if q_imp:
                    q, q_source = q_imp
                if o_imp:
                    o, o_source = o_imp
            if c is not None:
                status = c[2]
            elif (pid, p) in declared:
                status = "away"
            elif schedule.off_week(p):
                status = "off-week"
            elif schedule.holiday_week(p, tz, person.country):
                status = "holiday"
            elif q is not None and o is not None:
                status = "answered"  # imported from a system of record
            else:
                status = "open" if open_now and p == last else "missing"
            series.append(
                Week(
                    status=status,
                    quality=q,
                    output=o,
                    quality_source=q_source,
                    output_source=o_source,
                    mood=c[5] if c is not None and answered else None,
                    blockers=blockers.get(pid, "") if answered and p == blockers_of else "",
                    weeks=weeks.weeks_covered(chosen, person, p, c[6] if c is not None else None),
                )
            )
        out[pid] = series
    return out


def read_rows(
    deps: Deps,
    people: Sequence[Person],
    period: str,
    now: datetime,
    *,
    everyone: bool = False,
) -> dict[int, ReportRow]:
    """Each person's signal and display lines for `period`, from WINDOW weeks read in bulk."""
    known = [p for p in people if p.role in deps.roles]
    series = person_weeks(
        deps, known, weeks_back(period, WINDOW), now, everyone=everyone, blockers_of=period
    )
    return {
        pid: read_report(
            ReportInput(pid, person.slack_id, person.name, deps.roles[person.role], series[pid])
        )
        for person in known
        if (pid := person.id) is not None
    }


def read_teams(org: Org, rows: dict[int, ReportRow]) -> None:
    """Managers among `rows` are read by their team's pair (domain.digests.reads_team): their
    weeks' numbers come from their direct reports' own weeks, read from `rows` before any
    manager is replaced."""
    own = dict(rows)
    for pid, row in own.items():
        role = row.report.role
        reports = [own[p.id] for p in org.reports.get(pid, []) if p.id in own]
        if not reads_team(role, manages=bool(reports)):
            continue
        weeks = [
            team_week(week, [(r.report.role, r.report.weeks[i]) for r in reports])
            for i, week in enumerate(row.report.weeks)
        ]
        rows[pid] = read_report(replace(row.report, role=team_role(role), weeks=weeks))


def _action_inputs(
    org: Org, actions: Iterable[Action], now: datetime
) -> dict[int, list[ActionInput]]:
    by_manager: dict[int, list[ActionInput]] = {}
    for a in actions:
        assert a.id is not None  # noqa: S101
        manager = org.people.get(a.manager_id)
        today = local_now(now, (manager.timezone if manager else None) or "UTC").date()
        report = org.people.get(a.report_id)
        owner = org.by_slack.get(a.owner_slack_id)
        try:
            signal = SignalKind(a.signal)
        except ValueError:
            signal = SignalKind.SUPPORT
        by_manager.setdefault(a.manager_id, []).append(
            ActionInput(
                id=a.id,
                report_name=report.name if report else "a former report",
                text=a.text,
                owner_label=owner_label(
                    a.owner_kind, owner.name if owner else None, a.owner_slack_id
                ),
                due=a.due,
                period=a.period,
                signal=signal,
                status=a.status,
                created_at=a.created_at,
                closed_at=a.closed_at,
                due_line=due_phrase(a.due, a.status, today),
            )
        )
    return by_manager


def _since(chosen: settings.Resolved, manager: Person, period: str) -> datetime:
    """When the manager's previous digest was due (their digest time then, in their zone):
    'last week's actions' are those open then."""
    before = shift_week(period, -1)
    digest = chosen.schedule(manager, before).digest
    return digest.for_period(before, manager.timezone or "UTC")


def _next_line(
    deps: Deps, manager: Person, team: Sequence[Person], period: str, chosen: settings.Resolved
) -> str:
    """When a team with nothing due in `period` (their off-week) checks in next, and when the
    digest that reads it comes."""
    schedules = [chosen.schedule(p) for p in team]
    nexts = {s.checkin_period(shift_week(period, 1)) for s in schedules}
    labels = {weeks.label(chosen, person, p) for person in team for p in nexts}
    if len(nexts) != 1 or len(labels) != 1:
        return ""
    tz = manager.timezone or "UTC"
    at = local_now(chosen.schedule(manager).digest.for_period(nexts.pop(), tz), tz)
    return (
        f"Their next check-ins cover the {labels.pop()}; the digest that reads them comes on "
        f"{at:%A} {at.day} {at:%b}."
    )


def build_digests(
    deps: Deps,
    org: Org,
    due: Sequence[tuple[Person, str]],
    now: datetime,
    *,
    everyone: bool = False,
    chosen: settings.Resolved | None = None,
) -> list[Digest]:
    """The digests of these (manager, period) pairs, reading every week they need in bulk.
    `chosen`: everyone's settings, when the caller has read them already."""
    chosen = chosen or settings.resolved(deps)
    digests: list[Digest] = []
    by_period: dict[str, list[Person]] = {}
    for manager, period in due:
        by_period.setdefault(period, []).append(manager)
    for period, managers in sorted(by_period.items()):
        concerned: dict[int, Person] = {}
        for m in managers:
            for p in org.below(m.id or 0):
                concerned[p.id or 0] = p
        rows = read_rows(deps, list(concerned.values()), period, now, everyone=everyone)
        read_teams(org, rows)
        since = min(_since(chosen, m, period) for m in managers)
        manager_ids = [m.id for m in managers if m.id is not None]
        with read_scope(deps.engine) as session:
            actions = digest_repo.actions_for_digests(manager_ids, since, session=session)
            judged = digest_repo.closed_actions_read_in(
                manager_ids, shift_week(period, -OUTCOME_WEEKS), session=session
            )
        action_inputs = _action_inputs(org, actions, deps.clock.now())
        direct_ids = [p.id for m in managers for p in org.reports.get(m.id or 0, []) if p.id]
        kudos = kudos_counts(deps, direct_ids, period)
        plan_lines = plans.digest_lines(
            deps, {i: org.people[i] for i in direct_ids}, week_day(period, 7) + timedelta(days=1)
        )
        outcomes = _outcomes(judged, rows, weeks_back(period, WINDOW))
        for m in managers:
            assert m.id is not None  # noqa: S101
            direct = [rows[p.id] for p in org.reports.get(m.id, []) if p.id in rows]
            team = [p for p in org.below(m.id) if p.id in rows]
            nothing_due = bool(team) and all(
                rows[p.id or 0].kind == SignalKind.OFF_WEEK for p in team
            )
            two_weeks = bool(direct) and all(r.week.weeks == 2 for r in direct)
            plans_of = [
                plan_lines[r.report.person_id] for r in direct if r.report.person_id in plan_lines
            ]
            rollups = [
                rollup(sub.name, [rows[p.id] for p in org.below(sub.id) if p.id in rows])
                for sub in org.reports.get(m.id, [])
                if sub.id is not None and org.reports.get(sub.id)
            ]
            digests.append(
                build_digest(
                    manager_slack_id=m.slack_id,
                    manager_name=m.name,
                    period=period,
                    period_label=two_weeks_label(period) if two_weeks else week_label(period),
                    rows=direct,
                    actions=action_inputs.get(m.id, []),
                    since=_since(chosen, m, period),
                    rollups=rollups,
                    recognised=[r.report.name for r in direct if kudos.get(r.report.person_id)],
                    open_until=chosen.schedule(m, period).answer_deadline.label,
                    plans=[line for line, _ in plans_of],
                    outcomes=outcomes.get(m.id, []),
                    plans_due=sum(soon for _, soon in plans_of),
                    nothing_due=nothing_due,
                    next_line=_next_line(deps, m, team, period, chosen) if nothing_due else "",
                    two_weeks=two_weeks,
                )
            )
    return digests


def _outcomes(
    judged: Iterable[Action], rows: dict[int, ReportRow], periods: Sequence[str]
) -> dict[int, list[str]]:
    """Per manager: how each action closed on a signal OUTCOME_WEEKS ago turned out."""
    out: dict[int, list[str]] = {}
    for a in judged:
        row = rows.get(a.report_id)
        try:
            kind = SignalKind(a.signal)
        except ValueError:
            continue
        if row is None:
            continue
        fact = ActionFact(a.report_id, kind, a.period, a.created_at, a.closed_at)
        outcome = action_outcome(row.report.role, row.report.weeks, periods, fact)
        out.setdefault(a.manager_id, []).append(
            f"{row.report.name} ({LABELS[kind].lower()}, {week_label(a.period)}): "
            + outcome_sentence(kind, outcome)
        )
    return out


# ---------------------------------------------------------------- rendering


def render_digest(deps: Deps, digest: Digest, *, plan: bool = True) -> list[dict[str, Any]]:
    """The digest as one or more messages within Slack's limits."""
    return deps.renderer.messages(
        "digest.json.j2", d=digest, labels=LABELS, plan=plan, picture=bool(digest.pairs)
    )


def chart_title(digest: Digest) -> str:
    return f"Your team's pair, {digest.period_label}"


def chart_payload(deps: Deps, digest: Digest) -> dict[str, Any]:
    """The team picture's outbox payload: each report's trail (drawn at send time) and the
    same figures as a text fallback."""
    title = chart_title(digest)
    fallback = deps.renderer.message(
        "digest_chart_fallback.json.j2", title=title, table=pair_table(digest.pairs)
    )
    units = {t.quality_unit for t in digest.pairs}
    return {
        "filename": f"team-pair-{digest.period}.png",
        "title": title,
        "alt_text": (
            f"{title}: each report's output against target and quality against floor, "
            f"with their last {TRAIL_WEEKS} weeks"
        ),
        "quality_unit": units.pop() if len(units) == 1 else "",
        "people": [
            {
                "name": t.name,
                "signal": t.signal.value,
                "points": [None if p is None else [p.output, p.quality] for p in t.points],
            }
            for t in digest.pairs
        ],
        "fallback": fallback,
    }


def _outgoing(deps: Deps, digest: Digest) -> list[repo.OutgoingMessage]:
    to = digest.manager_slack_id
    out = [
        repo.OutgoingMessage(
            key=digest_key(to, digest.period, i), kind=DIGEST_KIND, recipient=to, payload=payload
        )
        for i, payload in enumerate(render_digest(deps, digest), start=1)
    ]
    if digest.pairs:
        out.append(
            repo.OutgoingMessage(
                key=chart_key(to, digest.period),
                kind=CHART_KIND,
                recipient=to,
                payload=chart_payload(deps, digest),
                method=UPLOAD_METHOD,
                update_of=digest_key(to, digest.period, 1),  # posted in the digest's DM
            )
        )
    return out


# ---------------------------------------------------------------- the Monday job

NOTHING_DUE = "no check-ins were due (every two weeks, the off-week) and nothing to act on"


def _nothing_due(digest: Digest) -> repo.OutgoingMessage:
    """The record of a digest deliberately not sent (Digest.silent)."""
    to = digest.manager_slack_id
    return repo.OutgoingMessage(
        key=digest_key(to, digest.period, 1),
        kind=DIGEST_KIND,
        recipient=to,
        payload={"text": f"Team digest for the {digest.period_label}: {NOTHING_DUE}."},
    )


def send_digests(deps: Deps, now: datetime) -> JobReport:
    """Monday 09:00 in each manager's zone: one digest (maybe in several messages) for the
    week just ended, plus its team picture (chart). Idempotent by key; catches up missed ticks until
    the answer deadline, never at night."""
    report = JobReport("digests", now)
    org = load_org(deps)
    managers = [org.people[mid] for mid in org.reports if mid in org.people]
    managers = resolve_timezones(deps, managers, now)
    chosen = settings.resolved(deps)
    due = [(m, p) for m in managers for p in chosen.schedule(m).digest_due(now, m.timezone)]
    if not due:
        return report
    with read_scope(deps.engine) as session:
        done = repo.deliveries_by_keys(
            [digest_key(m.slack_id, p, 1) for m, p in due], session=session
        )
    todo = [(m, p) for m, p in due if digest_key(m.slack_id, p, 1) not in done]
    if not todo:
        return report
    everyone = len(todo) * 4 >= len(managers)  # most of the org: read the weeks for everyone
    digests = build_digests(deps, org, todo, now, everyone=everyone, chosen=chosen)
    sent = [d for d in digests if not d.silent]
    messages = [m for d in sent for m in _outgoing(deps, d)]
    with session_scope(deps.engine) as session:
        for d in digests:
            if d.silent:  # recorded under the digest's key: the next tick does not rebuild it
                repo.record_not_sent(_nothing_due(d), NOTHING_DUE, now, session=session)
        queued = repo.enqueue(messages, now, session=session)
    report.add("digests", len(sent))
    report.add("digests not needed (nothing due)", len(digests) - len(sent))
    report.add("messages queued", queued)
    deps.wake_sender()
    return report


RENDERED_AGAIN = "rendered again without someone erased: fewer parts"


def render_again(deps: Deps, keys: Iterable[str], now: datetime) -> int:
    """Digests queued but not sent yet, rendered again from stored data as they read now
    (after an erasure, once it committed: services.rights.forget). For each (manager, week)
    among these outbox keys (digest parts, team pictures) whose messages are all still
    waiting, they are replaced by the digest as it reads now (a part no longer needed is
    recorded not sent); otherwise, or when the manager has left or nothing would be said,
    they go as they are. How many digests were rendered again."""
    pairs: set[tuple[str, str]] = set()
    for key in keys:
        kind, _, rest = key.partition(":")
        slack_id, _, rest = rest.partition(":")
        if kind in (DIGEST_KIND, CHART_KIND) and rest:
            pairs.add((slack_id, rest.split(":")[0]))
    org = load_org(deps)
    due = [(org.by_slack[m], period) for m, period in sorted(pairs) if m in org.by_slack]
    if not due:
        return 0
    done = 0
    for digest in build_digests(deps, org, due, now):
        if digest.silent:
            continue
        to, period = digest.manager_slack_id, digest.period
        with session_scope(deps.engine) as session:
            old = repo.keys_starting(_parts_of(to, period), session=session)
            old.append(chart_key(to, period))
            done += repo.replace_unsent(
                old, _outgoing(deps, digest), RENDERED_AGAIN, now, session=session
            )
    if done:
        deps.wake_sender()
    return done


# ---------------------------------------------------------------- /cadence team

NOT_A_MANAGER = (
    "Nobody reports to you in Cadence's org chart, so there's no team digest for you. "
    "If that's wrong, ask your HR team to update the org chart. Your own check-ins are on "
    "Cadence's Home tab."
)


def team_view(deps: Deps, slack_id: str) -> Outcome:
    """The current digest (last check-in week) for a manager, as a private modal."""
    org = load_org(deps)
    manager = org.by_slack.get(slack_id)
    if manager is None or not may_see_team(
        manager, active_reports=len(org.reports.get(manager.id or 0, []))
    ):
        return Outcome(message=NOT_A_MANAGER)
    now = deps.clock.now()
    tz = timezone_of(manager)
    chosen = settings.resolved(deps)
    period = chosen.schedule(manager).candidate_periods(now, tz)[0]  # the week that ended last
    team = org.below(manager.id or 0)
    if all(chosen.schedule(p, period).off_week(period) for p in team):
        period = shift_week(period, -1)  # their off-week: the week their last check-in read
    [digest] = build_digests(deps, org, [(manager, period)], now, chosen=chosen)
    _, groups = deps.renderer.groups(
        "digest.json.j2",
        d=digest,
        labels=LABELS,
        plan=True,
        picture=False,  # no chart here
    )
    blocks: list[dict[str, Any]] = []
    shown = 0
    for group in groups:
        if len(blocks) + len(group) > VIEW_BLOCKS - 1:
            break
        blocks.extend(group)
        shown += 1
    view = deps.renderer.view(
        "team_modal.json.j2", blocks=blocks, hidden=len(groups) - shown, period=period
    )
    return Outcome(view=view)
