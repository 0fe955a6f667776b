"""Check-ins (every week, or every two weeks: domain.schedule): the DM, the modal, skipping,
reminders, the App Home and the export. A person's copy names what their check-in covers
(services.weeks.weeks_covered): a week, or the off-week and the due week together."""

from __future__ import annotations

import csv
import logging
from datetime import datetime
from typing import Any, TextIO

from sqlmodel import Session

from cadence.domain.checkins import (
    MOODS,
    TEXT_LIMIT,
    RawAnswers,
    metric_sparkline,
    validate_answers,
)
from cadence.domain.digests import reads_team, team_role
from cadence.domain.export import csv_safe
from cadence.domain.periods import (
    current_week,
    local_now,
    shift_week,
    week_day,
    week_label,
    week_of,
    weeks_back,
)
from cadence.domain.roles import Metric, Role, fmt
from cadence.domain.schedule import DAY_NAMES, WEEKLY, Schedule, span_label
from cadence.domain.status import CheckinStatus, DeliveryStatus
from cadence.domain.weeks import ICONS, WORDS, WeekState, covers_week
from cadence.domain.weeks import Absence as AbsenceSpan
from cadence.domain.words import blockers_hint, who_sees_checkins
from cadence.prompts import ids
from cadence.services import nudges, plans, settings, weeks
from cadence.services.common import NOT_REGISTERED, JobReport, Outcome, audit_export, caller
from cadence.services.deps import Deps
from cadence.services.evidence import by_team, week_data
from cadence.services.pairs import caller_read_by_team, reads_by_team
from cadence.services.people import away_ids, first_name, resolve_timezones, timezone_of
from cadence.storage import repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Checkin, Person

log = logging.getLogger(__name__)

HISTORY_WEEKS = 8


def prompt_key(slack_id: str, period: str) -> str:
    return f"checkin:{slack_id}:{period}"


def reminder_key(slack_id: str, period: str) -> str:
    return f"reminder:{slack_id}:{period}"


def deadline_label(deps: Deps, period: str, tz: str) -> str:
    at = deps.schedule.answer_deadline.for_period(period, tz)
    return local_now(at, tz).strftime("%A %d %b, %H:%M")


def next_prompt_label(schedule: Schedule, period: str, person: Person) -> str:
    """When the check-in after `period`'s comes: 'next Friday' every week, 'Friday 18 Dec'
    every two weeks (the Friday after next) or when a public holiday moved it."""
    tz = person.timezone or "UTC"
    at = local_now(schedule.next_prompt(period, tz, person.country), tz)
    weekly = schedule.checkin_period(shift_week(period, 1)) == shift_week(period, 1)
    if weekly and at.isoweekday() == schedule.checkin.weekday:
        return f"next {at:%A}"
    return f"{at:%A} {at.day} {at:%b}"


# ------------------------------------------------------------------ /cadence help

ANY_RHYTHM = (
    "Check-ins come by DM, every week or every two weeks, on the day and at the time your "
    "organisation set; if you miss one, one reminder follows."
)


def rhythm(deps: Deps, slack_id: str) -> tuple[str, str]:
    """What `/checkin` answers, and when check-ins come and who reads them, for the person
    asking: their own cadence, day and times (services.settings), as `/cadence help` says
    them."""
    person = caller(deps, slack_id, with_role=True)
    if person is None:
        return "answer your check-in", f"{ANY_RHYTHM} {who_sees_checkins(True)}"
    who = who_sees_checkins(person.manager_id is not None)
    chosen = settings.resolved_for(deps, person)
    schedule = chosen.schedule(person)
    tz = timezone_of(person)
    day, at = DAY_NAMES[schedule.checkin.weekday - 1], f"{schedule.checkin.at:%H:%M}"
    reminder = f"{DAY_NAMES[schedule.reminder.weekday - 1]} at {schedule.reminder.at:%H:%M}"
    until = schedule.answer_deadline.label.replace(" 12:00", " noon")
    if schedule.cadence == WEEKLY:
        return (
            f"answer this week's check-in (or last week's until {until})",
            f"Every {day} at {at} (your time) you get a DM with a button for your weekly "
            f"check-in; if you miss it, one reminder follows on {reminder}. {who}",
        )
    now = deps.clock.now()
    due = schedule.checkin_period(current_week(now, tz))
    asked = schedule.prompt_at(due, tz, person.country)
    if asked is None or asked <= now:
        asked = schedule.next_prompt(due, tz, person.country)
    next_at = local_now(asked, tz)
    parity = schedule.cadence.removeprefix("fortnightly-")
    span = "two weeks" if weeks.weeks_covered(chosen, person, due) == 2 else "its own week"
    return (
        f"answer your current check-in, which covers {span} (or the one before until {until})",
        f"Every two weeks, on the {day} of {parity} ISO weeks at {at} (your time; next on "
        f"{next_at:%A} {next_at.day} {next_at:%b}), you get a DM with a button for your "
        "check-in: it covers two weeks, the week before (not due on its own) and the week it "
        f"is asked in. If you miss it, one reminder follows on the {reminder} after. {who}",
    )


# ------------------------------------------------------------------ scheduled jobs


def _prompt_message(
    deps: Deps,
    person: Person,
    period: str,
    *,
    reminder: bool,
    leads: set[int],
    chosen: settings.Resolved,
) -> repo.OutgoingMessage:
    """`leads`: the ids of people with active reports (a team-read manager is asked about
    the team, not for numbers); `chosen`: everyone's settings (what the check-in covers)."""
    role = deps.roles[person.role]
    span = weeks.weeks_covered(chosen, person, period)
    payload = deps.renderer.message(
        "checkin_prompt.json.j2",
        first_name=first_name(person),
        period=period,
        period_label=span_label(period, span),
        two_weeks=span == 2,
        next_prompt=next_prompt_label(chosen.schedule(person, period), period, person),
        role=role,
        reminder=reminder,
        deadline_label=deadline_label(deps, period, person.timezone),
        who_sees=who_sees_checkins(person.manager_id is not None),
        team=reads_team(role, manages=person.id in leads),
    )
    kind = "reminder" if reminder else "checkin"
    key = reminder_key(person.slack_id, period) if reminder else prompt_key(person.slack_id, period)
    return repo.OutgoingMessage(key=key, kind=kind, recipient=person.slack_id, payload=payload)


def _due_people(
    deps: Deps, now: datetime, reminder: bool
) -> tuple[list[tuple[Person, str]], set[int], settings.Resolved]:
    """Who is due a prompt for which week, the ids of everyone with active reports, and
    everyone's settings."""
    with read_scope(deps.engine) as session:
        people = [p for p in repo.active_people(session=session) if p.role in deps.roles]
    leads = {p.manager_id for p in people if p.manager_id is not None}
    people = resolve_timezones(deps, people, now)
    chosen = settings.resolved(deps)
    due = []
    for p in people:
        schedule = chosen.schedule(p)
        slot = schedule.reminder_due if reminder else schedule.checkin_due
        due += [(p, period) for period in slot(now, p.timezone, p.country)]
    return due, leads, chosen


def _checkins_of(
    due: list[tuple[Person, str]], *, session: Session
) -> dict[tuple[int, str], Checkin]:
    """The check-ins (answered or skipped) already stored for these (person, period) pairs."""
    return repo.checkins_in(
        [p.id for p, _ in due if p.id is not None], [period for _, period in due], session=session
    )


DECLARED_AWAY = "away (declared absence)"


def _declared_away(due: list[tuple[Person, str]], *, session: Session) -> set[tuple[int, str]]:
    return weeks.covered(
        [p.id for p, _ in due if p.id is not None],
        sorted({period for _, period in due}),
        session=session,
    )


def send_weekly_checkins(deps: Deps, now: datetime) -> JobReport:
    """Record the check-in DM for everyone whose Friday 15:00 has come (catching up missed
    ticks until the answer deadline, never at night). Idempotent by key."""
    report = JobReport("checkins", now)
    due, leads, chosen = _due_people(deps, now, reminder=False)
    if not due:
        return report
    with read_scope(deps.engine) as session:
        done = repo.deliveries_by_keys(
            [prompt_key(p.slack_id, period) for p, period in due], session=session
        )
        answered = _checkins_of(due, session=session)
        declared = _declared_away(due, session=session)
    todo = [(p, period) for p, period in due if prompt_key(p.slack_id, period) not in done]
    if not todo:
        return report
    away = away_ids(deps, {p.slack_id for p, period in todo if (p.id, period) not in declared}, now)
    messages = []
    with session_scope(deps.engine) as session:
        for person, period in todo:
            assert person.id is not None  # noqa: S101
            message = _prompt_message(
                deps, person, period, reminder=False, leads=leads, chosen=chosen
            )
            if (person.id, period) in answered:
                repo.record_not_sent(message, "answered before the prompt", now, session=session)
                report.add("already answered")
            elif (person.id, period) in declared:
                repo.record_not_sent(message, DECLARED_AWAY, now, session=session)
                report.add("away")
            elif person.slack_id in away:
                repo.record_not_sent(message, "away (Slack status)", now, session=session)
                span = weeks.weeks_covered(chosen, person, period)
                repo.mark_away(person.id, period, now, session=session, weeks=span)
                report.add("away")
            else:
                messages.append(message)
        report.add("queued", repo.enqueue(messages, now, session=session))
    deps.wake_sender()
    return report


def send_reminders(deps: Deps, now: datetime) -> JobReport:
    """One reminder, Monday 10:00 local, to people who were prompted and have neither answered
    nor skipped. Idempotent by key."""
    report = JobReport("reminders", now)
    due, leads, chosen = _due_people(deps, now, reminder=True)
    if not due:
        return report
    with read_scope(deps.engine) as session:
        prompts = repo.deliveries_by_keys(
            [prompt_key(p.slack_id, period) for p, period in due], session=session
        )
        reminders = repo.deliveries_by_keys(
            [reminder_key(p.slack_id, period) for p, period in due], session=session
        )
        answered = _checkins_of(due, session=session)
        declared = _declared_away(due, session=session)
    todo = []
    for person, period in due:
        prompt = prompts.get(prompt_key(person.slack_id, period))
        if reminder_key(person.slack_id, period) in reminders:
            continue
        if (
            prompt is None
            or prompt.status != DeliveryStatus.SENT
            or (person.id, period) in answered
        ):
            continue  # never prompted (away, joined later), not delivered, or already done
        if (person.id, period) in declared:
            continue  # declared an absence after the prompt went out
        todo.append((person, period))
    if not todo:
        return report
    away = away_ids(deps, {p.slack_id for p, _ in todo}, now)
    messages = []
    with session_scope(deps.engine) as session:
        for person, period in todo:
            message = _prompt_message(
                deps, person, period, reminder=True, leads=leads, chosen=chosen
            )
            if person.slack_id in away:
                repo.record_not_sent(message, "away (Slack status)", now, session=session)
                report.add("away")
            elif nudges.over_budget(
                person, now, session=session, budget=chosen.nudge_budget(person)
            ):
                repo.record_not_sent(message, nudges.BUDGET_REASON, now, session=session)
                report.add("over budget")
            else:
                messages.append(message)
        report.add("queued", repo.enqueue(messages, now, session=session))
    deps.wake_sender()
    return report


# ------------------------------------------------------------------ interactive


def _modal(
    deps: Deps,
    person: Person,
    role: Role,
    period: str,
    existing: Checkin | None,
    chosen: settings.Resolved,
    team: bool,
    goals: list[str],
) -> dict[str, Any]:
    """The check-in modal from what open_checkin read: `team`, whether the person is read by
    their team's pair; `goals`, their open plan's key results."""
    current: dict[str, str] = {}
    editing = existing is not None and existing.status == CheckinStatus.ANSWERED
    if existing is not None and editing:
        current = {
            "quality": fmt(existing.quality_value),
            "output": fmt(existing.output_value),
            "mood": str(existing.mood or ""),
            "wins": existing.wins,
            "blockers": existing.blockers,
            "priorities": existing.priorities,
        }
    span = weeks.weeks_covered(chosen, person, period, existing.weeks if existing else None)
    return deps.renderer.view(
        "checkin_modal.json.j2",
        period=period,
        period_label=span_label(period, span),
        two_weeks=span == 2,
        role=role,
        current=current,
        moods=MOODS,
        text_limit=TEXT_LIMIT,
        editing=editing,
        who_sees=who_sees_checkins(person.manager_id is not None),
        blockers_hint=blockers_hint(person.manager_id is not None),
        team=team,
        plan=goals,
    )


def open_checkin(deps: Deps, slack_id: str, period: str | None = None) -> Outcome:
    """The modal for `period` (from a button) or, for /checkin, the week to answer now
    (Schedule.answer_week: last week's until its Tuesday 12:00 deadline, then this week's).
    Everything it shows is read in one read transaction."""
    now = deps.clock.now()
    with read_scope(deps.engine) as session:
        person, team = caller_read_by_team(deps, slack_id, session=session)
        if person is None:
            return Outcome(message=NOT_REGISTERED)
        assert person.id is not None  # noqa: S101
        tz = timezone_of(person)
        chosen = settings.resolved_for(deps, person, session=session)
        schedule = chosen.schedule(person)
        answerable = schedule.answerable_periods(now, tz)
        existing = repo.checkins_in([person.id], answerable, session=session)
        goals = plans.checkin_goals(person, session=session)
    role = deps.roles[person.role]
    if period is None:
        period = schedule.answer_week(now, tz)
    elif period not in answerable:
        return Outcome(message=_closed(chosen, person, period, now))
    found = existing.get((person.id, period))
    return Outcome(view=_modal(deps, person, role, period, found, chosen, team, goals))


def _closed(chosen: settings.Resolved, person: Person, period: str, now: datetime) -> str:
    """Why a check-in cannot be opened: it closed, or (every two weeks) the off-week has none."""
    schedule, tz = chosen.schedule(person), timezone_of(person)
    current = schedule.answer_week(now, tz)
    if schedule.off_week(period):
        covering = weeks.label(chosen, person, schedule.checkin_period(period))
        return (
            f"The {week_label(period)} is an off-week: check-ins are every two weeks, and it is "
            f"part of the check-in for the {covering}. You can answer the "
            f"{weeks.label(chosen, person, current)} any time with /checkin."
        )
    return (
        f"The check-in for the {weeks.label(chosen, person, period)} has closed. You can "
        f"answer {_current(chosen, person, now)} any time with /checkin."
    )


def _current(chosen: settings.Resolved, person: Person, now: datetime) -> str:
    """The check-in open now, as a person names it: "this week's", or "the two weeks of …"."""
    current = chosen.schedule(person).answer_week(now, timezone_of(person))
    span = weeks.weeks_covered(chosen, person, current)
    return f"the {span_label(current, span)}" if span == 2 else "this week's"


def _summary(role: Role, quality: float | None, output: float | None, mood: int | None) -> str:
    if quality is None and output is None:
        return f"Your team's numbers come from their check-ins · mood {mood}/5"
    return (
        f"{role.quality.name}: {fmt(quality)} {role.quality.unit} · "
        f"{role.output.name}: {fmt(output)} {role.output.unit} · mood {mood}/5"
    )


def _status_message(
    deps: Deps, period: str, status: str, summary: str, span: int
) -> dict[str, Any]:
    """The done/skipped note that replaces the week's DM, for a week still open (both callers
    return before this when it is closed), so with a button to edit or check in anyway;
    `span`: what the check-in covers (services.weeks.weeks_covered)."""
    return deps.renderer.message(
        "checkin_status.json.j2",
        period=period,
        period_label=span_label(period, span),
        status=status,
        summary=summary,
    )


def _status_update(
    person: Person, period: str, status: str, message: dict[str, Any]
) -> repo.DmUpdate:
    """Turn the DM (and the reminder, if one went out) into `message` through the outbox, in
    the transaction that stores the check-in; a DM not sent yet is withdrawn instead."""
    return repo.DmUpdate(
        [prompt_key(person.slack_id, period), reminder_key(person.slack_id, period)],
        kind="checkin-status",
        recipient=person.slack_id,
        payload=message,
        reason=f"{status} before it was sent",
    )


def submit_checkin(deps: Deps, slack_id: str, period: str, raw: RawAnswers) -> dict[str, str]:
    """Validate and store (one row per person and week); field errors keyed by block_id."""
    person, by_team = caller_read_by_team(deps, slack_id)
    if person is None:
        return {ids.B_QUALITY: NOT_REGISTERED}
    role = deps.roles[person.role]
    now = deps.clock.now()
    tz = timezone_of(person)
    chosen = settings.resolved_for(deps, person)
    schedule = chosen.schedule(person)
    if period not in schedule.answerable_periods(now, tz):
        if schedule.off_week(period):
            return {ids.B_QUALITY: _closed(chosen, person, period, now)}
        return {
            ids.B_QUALITY: f"The check-in for the {weeks.label(chosen, person, period)} closed "
            f"on {deadline_label(deps, period, tz)}; run /checkin for "
            f"{_current(chosen, person, now)}."
        }
    span = weeks.weeks_covered(chosen, person, period)
    answers, errors = validate_answers(
        role,
        raw,
        ids.CHECKIN_BLOCK_IDS,
        numbers=not by_team,
        two_weeks=span == 2,
    )
    if answers is None:
        return errors
    assert person.id is not None  # noqa: S101
    # Rendered before the write transaction: other writers wait only for the two statements.
    summary = _summary(role, answers.quality, answers.output, answers.mood)
    status = CheckinStatus.ANSWERED
    message = _status_message(deps, period, status, summary, span)
    dm = _status_update(person, period, status, message)
    repo.submit_answers(deps.writes, person.id, period, answers, dm, now, weeks=span)
    deps.wake_sender()
    return {}


def skip_week(deps: Deps, slack_id: str, period: str) -> str:
    """Skip a week from the DM's button; returns what to tell the person."""
    person = caller(deps, slack_id, with_role=True)
    if person is None:
        return NOT_REGISTERED
    role = deps.roles[person.role]
    now = deps.clock.now()
    tz = timezone_of(person)
    chosen = settings.resolved_for(deps, person)
    schedule = chosen.schedule(person)
    if period not in schedule.answerable_periods(now, tz):
        if schedule.off_week(period):
            return _closed(chosen, person, period, now)
        return f"The check-in for the {weeks.label(chosen, person, period)} has already closed."
    assert person.id is not None  # noqa: S101
    span = weeks.weeks_covered(chosen, person, period)
    with session_scope(deps.engine) as session:
        checkin = repo.mark_skipped(person.id, period, now, session=session, weeks=span)
        span = checkin.weeks or span  # an answer already there keeps what it covered
        summary = ""
        if checkin.status == CheckinStatus.ANSWERED:
            summary = _summary(role, checkin.quality_value, checkin.output_value, checkin.mood)
        message = _status_message(deps, period, checkin.status, summary, span)
        dm = _status_update(person, period, checkin.status, message)
        repo.update_dms(dm, now, session=session)
    deps.wake_sender()
    label = span_label(period, span)
    if checkin.status == CheckinStatus.ANSWERED:
        return f"You already answered the {label}, so nothing was skipped."
    then = next_prompt_label(schedule, period, person)
    if span == 2:
        return f"Skipped the {label}. No reminder for them; see you on {then}."
    return f"Skipped the {label}. No reminder this week; see you {then}."


# ------------------------------------------------------------------ App Home


def _metric_values(history: list[Checkin | None], metric: Metric) -> list[float | None]:
    attr = "quality_value" if metric.kind == "quality" else "output_value"
    return [
        getattr(c, attr) if c is not None and c.status == CheckinStatus.ANSWERED else None
        for c in history
    ]


def _metric_line(metric: Metric, values: list[float | None]) -> str:
    latest = next((v for v in reversed(values) if v is not None), None)
    bound = (
        f"floor {fmt(metric.floor)}" if metric.floor is not None else f"target {fmt(metric.target)}"
    )
    kind = "Quality" if metric.kind == "quality" else "Output"
    return f"{kind} · {metric.name}: latest {fmt(latest)} {metric.unit} ({bound})"


def _week_line(
    role: Role, period: str, label: str, state: WeekState, c: Checkin | None, due: str, by: str
) -> str:
    """One week of the Home history. `label`: what the check-in under `period` covers; `by`:
    for an off-week, what the check-in that covers it covers ("" when none did)."""
    if state == WeekState.OFF_WEEK:
        line = f"{ICONS[state]} {week_label(period)} · {WORDS[state]}"
        return f"{line}: the check-in for the {by} covers it" if by else line
    head = f"{ICONS[state]} {label}"
    if state == WeekState.ANSWERED and c is not None and c.quality_value is None:
        return f"{head} · {WORDS[state]} about the team · mood {c.mood}/5"
    if state == WeekState.ANSWERED and c is not None:
        return (
            f"{head} · {role.quality.name} {fmt(c.quality_value)} {role.quality.unit} · "
            f"{role.output.name} {fmt(c.output_value)} {role.output.unit} · mood {c.mood}/5"
        )
    if state == WeekState.OPEN:
        return f"{head} · open until {due}"
    return f"{head} · {WORDS[state]}"


def _history_labels(
    chosen: settings.Resolved,
    person: Person,
    periods: list[str],
    rows: dict[tuple[int, str], Checkin],
) -> tuple[dict[str, str], dict[str, str]]:
    """For a person's weeks: what the check-in under each covers ('week of 16 Nov', 'two
    weeks of 16 Nov – 29 Nov'), as stored on it or as the cadence then made it; and for each
    week an off-week then, what the check-in after it covers when that covers it too ("" when
    it covered only its own week: the cadence changed in between)."""
    pid = person.id or 0

    def span(p: str) -> int:
        c = rows.get((pid, p))
        return weeks.weeks_covered(chosen, person, p, c.weeks if c else None)

    labels = {p: span_label(p, span(p)) for p in periods}
    covering = {}
    for p in periods:
        after = shift_week(p, 1)
        covering[p] = span_label(after, 2) if span(after) == 2 else ""
    return labels, covering


def team_completion(
    deps: Deps, manager: Person, reports: list[Person], now: datetime, chosen: settings.Resolved
) -> tuple[str, str, list[dict[str, str]]]:
    """The manager's completion panel: (label, summary, one line per report). It shows the
    week the team should answer now (last week's until its Tuesday 12:00 deadline); when
    that is an off-week for every report (check-ins every two weeks), their check-in instead.
    `chosen`: the settings of the manager and the reports."""
    period = chosen.schedule(manager).answer_week(now, manager.timezone or "UTC")
    schedules = [chosen.schedule(r) for r in reports]
    if schedules and all(s.off_week(period) for s in schedules):
        theirs = {
            s.answer_week(now, r.timezone or "UTC") for s, r in zip(schedules, reports, strict=True)
        }
        period = theirs.pop() if len(theirs) == 1 else period
    labels = {weeks.label(chosen, r, period) for r in reports}
    label = labels.pop() if len(labels) == 1 else week_label(period)
    ids_ = [r.id for r in reports if r.id is not None]
    with read_scope(deps.engine) as session:
        rows = repo.checkins_in(ids_, [period], session=session)
        away = weeks.covered(ids_, [period], session=session)
    stored = {k: c.status for k, c in rows.items()}
    state = weeks.states(chosen.schedule, reports, [period], stored, away, now)
    counts = {s: 0 for s in WeekState}
    lines = []
    for r in reports:
        st = state[(r.id or 0, period)]
        counts[st] += 1
        lines.append({"line": f"{ICONS[st]} {r.name} · {WORDS[st]}"})
    parts = [f"{counts[WeekState.ANSWERED]} of {len(reports)} checked in"]
    parts += [
        f"{counts[st]} {WORDS[st]}"
        for st in (WeekState.SKIPPED, WeekState.AWAY, WeekState.HOLIDAY, WeekState.OFF_WEEK)
        if counts[st]
    ]
    if counts[WeekState.OPEN]:
        due = deadline_label(deps, period, manager.timezone or "UTC")
        parts.append(f"{counts[WeekState.OPEN]} still to answer before {due}")
    if counts[WeekState.MISSING]:
        parts.append(f"{counts[WeekState.MISSING]} missing")
    return label, " · ".join(parts), lines


def home_checkin_part(
    deps: Deps, slack_id: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The check-in part of the App Home (home.json.j2); `extra` adds optional sections other
    features render. Only services.home, the one App Home builder, calls this."""
    now = deps.clock.now()
    person = caller(deps, slack_id, with_role=True)
    if person is None:
        period = current_week(now, "UTC")
        return deps.renderer.view(
            "home.json.j2",
            registered=False,
            period=period,
            period_label=week_label(period),
        )
    role = deps.roles[person.role]
    tz = timezone_of(person)
    assert person.id is not None  # noqa: S101
    with read_scope(deps.engine) as session:
        reports = repo.direct_reports(person.id, session=session)
        only = [person.id, *(r.id for r in reports if r.id is not None)]
        chosen = settings.resolved(deps, session=session, only=only)
        schedule = chosen.schedule(person)
        period = schedule.answer_week(now, tz)
        periods = weeks_back(period, HISTORY_WEEKS)
        own = repo.checkins_in([person.id], periods, session=session)
        away = weeks.covered([person.id], periods, session=session)
        team_read = reads_by_team(deps, person, session=session)
    stored = {k: c.status for k, c in own.items()}
    state = weeks.states(chosen.schedule, [person], periods, stored, away, now)
    history = [own.get((person.id, p)) for p in periods]
    labels, covering = _history_labels(chosen, person, periods, own)
    due = deadline_label(deps, period, tz)
    q_values, o_values = _metric_values(history, role.quality), _metric_values(history, role.output)
    pair = role
    if team_read:  # a manager's pair is their team's
        pair = team_role(role)
        with read_scope(deps.engine) as session:
            mine = week_data(deps, [person.id], periods, session=session)[person.id]
            read = by_team(deps, mine, reports, session=session)
        q_values, o_values = [w.quality for w in read], [w.output for w in read]
    lines = [
        {"line": _week_line(role, p, labels[p], state[(person.id, p)], c, due, covering[p])}
        for p, c in reversed(list(zip(periods, history, strict=True)))
    ]
    team = None
    team_label = team_summary = ""
    if reports:
        team_label, team_summary, team = team_completion(deps, person, reports, now, chosen)
    return deps.renderer.view(
        "home.json.j2",
        registered=True,
        period=period,
        period_label=labels[period],
        status=state[(person.id, period)].value,
        deadline=due,
        weeks=lines,
        role=role,
        quality_spark=metric_sparkline(q_values, pair.quality),
        output_spark=metric_sparkline(o_values, pair.output),
        quality_line=_metric_line(pair.quality, q_values),
        output_line=_metric_line(pair.output, o_values),
        team=team,
        team_label=team_label,
        team_summary=team_summary,
        who_sees=who_sees_checkins(person.manager_id is not None),
        **(extra or {}),
    )


# ------------------------------------------------------------------ export

EXPORT_HEADER = [
    "slack_id",
    "name",
    "period",
    "state",
    "role",
    "quality_metric",
    "quality_value",
    "quality_unit",
    "output_metric",
    "output_value",
    "output_unit",
    "mood",
    "wins",
    "blockers",
    "priorities",
    "source",
    "submitted_at",
    "updated_at",
    "weeks_covered",
]


def export_checkins(deps: Deps, out: TextIO, actor: str = "cli") -> int:
    """CSV of every check-in, one row per person and week (state answered, skipped or away),
    and one row per week a declared absence covers without a check-in (state away). Each row
    says what it covers (`weeks_covered`: 1, or 2 for an every-two-weeks check-in, the
    off-week before `period` too), as stored on the check-in or, for rows from before that
    was stored, as the cadence in force when the week closed made it. Audited."""
    audit_export(deps, "checkins", actor)
    writer = csv.writer(out)
    writer.writerow(EXPORT_HEADER)
    rows = 0
    seen: set[tuple[str, str]] = set()
    with read_scope(deps.engine) as session:
        chosen = settings.resolved(deps, session=session)
        for c, p in repo.iter_checkins_for_export(session=session):
            seen.add((p.slack_id, c.period))
            role = deps.roles.get(p.role)
            writer.writerow(
                [
                    p.slack_id,
                    csv_safe(p.name),
                    c.period,
                    c.status,
                    p.role,
                    role.quality.name if role else "",
                    fmt(c.quality_value) if c.quality_value is not None else "",
                    role.quality.unit if role else "",
                    role.output.name if role else "",
                    fmt(c.output_value) if c.output_value is not None else "",
                    role.output.unit if role else "",
                    c.mood or "",
                    csv_safe(c.wins),
                    csv_safe(c.blockers),
                    csv_safe(c.priorities),
                    c.source,
                    c.submitted_at.isoformat(),
                    c.updated_at.isoformat(),
                    weeks.weeks_covered(chosen, p, c.period, c.weeks),
                ]
            )
            rows += 1
        for a, p in repo.iter_absences_for_export(session=session):
            period = week_of(a.start)
            while week_day(period, 1) <= a.end:
                if (p.slack_id, period) not in seen and covers_week(
                    [AbsenceSpan(a.start, a.end)], period
                ):
                    seen.add((p.slack_id, period))
                    writer.writerow(
                        [p.slack_id, csv_safe(p.name), period, "away", p.role] + [""] * 13 + [1]
                    )
                    rows += 1
                period = shift_week(period, 1)
    return rows
