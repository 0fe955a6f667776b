"""HR feedback rounds: question sets, the round form, who reviews whom, reminders, results.

Pure rules: the service layer brings the org chart, the stored requests and the clock."""

from __future__ import annotations

import tomllib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from cadence.domain.periods import at_local, local_now
from cadence.domain.status import RequestStatus

PERSPECTIVES: dict[str, str] = {
    "self": "Self",
    "manager": "Manager",
    "peer": "Peers",
    "report": "Direct reports",
}
PEER_MODES: dict[str, str] = {
    "hr": "HR picks the peers",
    "nominate": "Each subject nominates 3–5 peers, their manager approves",
}
RATINGS: dict[int, str] = {
    1: "1 · Rarely",
    2: "2 · Sometimes",
    3: "3 · Often",
    4: "4 · Usually",
    5: "5 · Always",
}
MIN_RESPONSES = 3  # never below: fewer answers could identify a reviewer
NOMINATE_MIN, NOMINATE_MAX = 3, 5
NOT_AGAIN_WITHIN = timedelta(days=30)
DEADLINE_TIME = time(18, 0)  # the deadline day ends at 18:00 in the HR admin's zone
ANSWER_LIMIT = 2000
NUDGES_PER_WEEK = 3  # reminders of any kind (check-in and rounds) per person and ISO week
NUDGE_KINDS = ("reminder", "round-reminder")


class QuestionSetError(Exception):
    """A bad question sets file: the message names the set and the problem."""


@dataclass(frozen=True, slots=True)
class QuestionSet:
    key: str
    title: str
    rate_competencies: bool
    open: tuple[str, ...]


def load_question_sets(path: Path) -> dict[str, QuestionSet]:
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise QuestionSetError(f"{path}: {exc}") from None
    sets: dict[str, QuestionSet] = {}
    for key, spec in raw.items():
        if not isinstance(spec, dict):
            raise QuestionSetError(f"{path}: [{key}] must be a table")
        title, open_q = spec.get("title"), spec.get("open", [])
        if not isinstance(title, str) or not 0 < len(title) <= 75:
            raise QuestionSetError(f"{path}: [{key}] needs a title of 1–75 characters")
        if not isinstance(open_q, list) or not all(
            isinstance(q, str) and 0 < len(q) <= 150 for q in open_q
        ):
            raise QuestionSetError(f"{path}: [{key}] open must be questions of 1–150 characters")
        rate = bool(spec.get("rate_competencies", False))
        if not rate and not open_q:
            raise QuestionSetError(f"{path}: [{key}] asks nothing")
        sets[key] = QuestionSet(key, title, rate, tuple(open_q))
    if not sets:
        raise QuestionSetError(f"{path}: no question sets")
    return sets


# ------------------------------------------------------------------ the round form


@dataclass(frozen=True, slots=True)
class RoundForm:
    """What the HR admin entered, as Slack sent it."""

    name: str
    subjects: tuple[str, ...]  # Slack IDs picked directly
    team_of: str | None  # a manager's Slack ID: everyone reporting to them
    perspectives: tuple[str, ...]
    peer_mode: str | None
    peers: tuple[str, ...]  # when HR picks
    question_set: str | None
    deadline: str | None  # YYYY-MM-DD
    anonymous: bool
    min_responses: str | None


@dataclass(frozen=True, slots=True)
class RoundSpec:
    name: str
    perspectives: tuple[str, ...]
    peer_mode: str
    question_set: str
    deadline_day: date
    anonymous: bool
    min_responses: int


def validate_round_form(
    form: RoundForm,
    *,
    today: date,
    question_sets: Iterable[str],
    block_ids: dict[str, str],
    floor: int = MIN_RESPONSES,
) -> tuple[RoundSpec | None, dict[str, str]]:
    """A round to create, or field errors keyed by block id. `block_ids` maps name, subjects,
    perspectives, peer_mode, peers, question_set, deadline and min_responses. `floor`: the
    organisation's anonymity minimum (never below MIN_RESPONSES), also the blank default.
    A subject whose team's or own minimum is higher gets theirs (`Minimums`)."""
    errors: dict[str, str] = {}
    name = form.name.strip()
    if not name:
        errors[block_ids["name"]] = "Give the round a name people will recognise."
    elif len(name) > 150:
        errors[block_ids["name"]] = "Please keep the name under 150 characters."
    if not form.subjects and not form.team_of:
        errors[block_ids["subjects"]] = "Pick the people to collect feedback about, or a team."
    perspectives = tuple(p for p in PERSPECTIVES if p in form.perspectives)
    if not perspectives:
        errors[block_ids["perspectives"]] = "Choose at least one perspective."
    peer_mode = form.peer_mode or "hr"
    if peer_mode not in PEER_MODES:
        errors[block_ids["peer_mode"]] = "Choose how peers are picked."
    if "peer" in perspectives and peer_mode == "hr" and not form.peers:
        errors[block_ids["peers"]] = "Pick the peers, or let each subject nominate theirs."
    if form.question_set not in set(question_sets):
        errors[block_ids["question_set"]] = "Choose a question set."
    deadline: date | None = None
    try:
        deadline = date.fromisoformat(form.deadline or "")
    except ValueError:
        errors[block_ids["deadline"]] = "Pick the last day to answer."
    if deadline is not None and deadline < today + timedelta(days=2):
        errors[block_ids["deadline"]] = "Give people at least two days: pick a later date."
    floor = max(floor, MIN_RESPONSES)
    minimum = floor
    try:
        minimum = int((form.min_responses or str(floor)).strip())
    except ValueError:
        errors[block_ids["min_responses"]] = f"A whole number, {floor} or more."
    if minimum < floor:
        errors[block_ids["min_responses"]] = (
            f"At least {floor}: fewer answers could tell a subject who wrote what."
        )
    if errors or deadline is None:
        return None, errors
    return (
        RoundSpec(
            name=name,
            perspectives=perspectives,
            peer_mode=peer_mode,
            question_set=str(form.question_set),
            deadline_day=deadline,
            anonymous=form.anonymous,
            min_responses=minimum,
        ),
        {},
    )


def deadline_at(day: date, tz: str) -> datetime:
    return at_local(day, DEADLINE_TIME, tz)


# ------------------------------------------------------------------ who reviews whom


@dataclass(frozen=True, slots=True)
class OrgNode:
    id: int
    manager_id: int | None


@dataclass(frozen=True, slots=True)
class Assignment:
    reviewer_id: int
    subject_id: int
    perspective: str


@dataclass
class Plan:
    assignments: list[Assignment] = field(default_factory=list)
    skipped_recent: int = 0  # pairs asked by another round within 30 days
    nominating: list[int] = field(default_factory=list)  # subjects asked to nominate peers


def plan_requests(
    subjects: Sequence[int],
    people: dict[int, OrgNode],
    perspectives: Sequence[str],
    *,
    peer_mode: str,
    peers: Sequence[int],
    recent_pairs: set[tuple[int, int]],
) -> Plan:
    """Every (reviewer, subject, perspective) to ask. A reviewer is asked once per subject (the
    first perspective that names them wins) and never about a subject they were asked about by
    another round within 30 days (`recent_pairs` holds (reviewer, subject))."""
    plan = Plan()
    reports: dict[int, list[int]] = defaultdict(list)
    for node in people.values():
        if node.manager_id is not None:
            reports[node.manager_id].append(node.id)
    for subject in subjects:
        found = people.get(subject)
        if found is None:
            continue
        node = found
        candidates: list[tuple[int, str]] = []
        for perspective in perspectives:
            if perspective == "self":
                candidates.append((subject, "self"))
            elif perspective == "manager" and node.manager_id in people:
                candidates.append((node.manager_id, "manager"))
            elif perspective == "report":
                candidates += [(r, "report") for r in sorted(reports[subject])]
            elif perspective == "peer" and peer_mode == "hr":
                candidates += [(p, "peer") for p in peers if p != subject and p in people]
            elif perspective == "peer" and peer_mode == "nominate":
                plan.nominating.append(subject)
        seen: set[int] = set()
        for reviewer, perspective in candidates:
            if reviewer in seen:
                continue
            seen.add(reviewer)
            if (reviewer, subject) in recent_pairs:
                plan.skipped_recent += 1
                continue
            plan.assignments.append(Assignment(reviewer, subject, perspective))
    return plan


def check_nominations(nominees: Sequence[str], subject: str, manager: str | None) -> str | None:
    """Why a subject's peer nominations cannot be accepted, or None."""
    unique = list(dict.fromkeys(nominees))
    if subject in unique:
        return "Nominate colleagues, not yourself: your own view is asked separately."
    if manager is not None and manager in unique:
        return "Your manager is asked separately; nominate peers."
    if not NOMINATE_MIN <= len(unique) <= NOMINATE_MAX:
        return f"Nominate between {NOMINATE_MIN} and {NOMINATE_MAX} peers."
    return None


REPLACEABLE = ("peer", "report")  # a manager or a self view has no stand-in


def check_replacement(
    perspective: str,
    reviewer: int,
    subject: int,
    manager_of: dict[int, int | None],
    already_asked: set[int],
) -> str | None:
    """Why `reviewer` cannot be asked instead of someone who declined, or None."""
    if perspective not in REPLACEABLE:
        return "Only a peer or a direct report can be replaced by someone else."
    if reviewer == subject:
        return "Pick someone other than the person the feedback is about."
    if reviewer in already_asked:
        return "They are already asked about this person in this round."
    if perspective == "report" and manager_of.get(reviewer) != subject:
        return "For the direct-report view, pick someone who reports to them."
    if perspective == "peer" and manager_of.get(subject) == reviewer:
        return "Their manager is asked separately; pick a peer."
    return None


# ------------------------------------------------------------------ reminders


def reminder_moments(created: datetime, deadline: datetime) -> dict[str, datetime]:
    """When the two reminders become due: halfway, and one day before the deadline."""
    half = created + (deadline - created) / 2
    last = deadline - timedelta(days=1)
    moments = {"half": half}
    if last > half:
        moments["last"] = last
    return moments


def is_weekday(now: datetime, tz: str) -> bool:
    """Monday to Friday in the reader's zone: round reminders wait for one (and for the
    end of the reader's own quiet hours: services.rounds)."""
    return local_now(now, tz).isoweekday() <= 5


def iso_week_bounds(now: datetime, tz: str) -> tuple[datetime, datetime]:
    """Start and end (aware UTC) of the person's local ISO week containing `now`."""
    local = local_now(now, tz)
    monday = local.date() - timedelta(days=local.isoweekday() - 1)
    start = at_local(monday, time(0), tz)
    return start, at_local(monday + timedelta(days=7), time(0), tz)


# ------------------------------------------------------------------ results


@dataclass(frozen=True, slots=True)
class Answer:
    perspective: str
    ratings: dict[str, int]
    comments: dict[str, str]


@dataclass(frozen=True, slots=True)
class PerspectiveResult:
    perspective: str
    label: str
    answers: int
    enough: bool
    averages: tuple[tuple[str, str], ...]  # (competency, "3.7") when enough
    comments: tuple[tuple[str, tuple[str, ...]], ...]  # (question, texts) when enough


def threshold_applies(perspective: str) -> bool:
    """Self and manager are one known person each; the minimum protects the perspectives
    with several reviewers (peers and direct reports)."""
    return perspective in {"peer", "report"}


GROUPS = {"peer": "peers", "report": "direct reports"}
AS_REVIEWER = {
    "self": "about yourself",
    "manager": "as their manager",
    "peer": "as a peer",
    "report": "as a direct report",
}


def attributed(perspective: str, anonymous: bool) -> bool:
    """Whether this reviewer's answer is read as theirs: self and manager always (one known
    person each); peers and direct reports unless the round is anonymous."""
    return not anonymous or not threshold_applies(perspective)


def promise(
    perspective: str, anonymous: bool, minimum: int, subject: str, *, to_hr: bool = False
) -> tuple[str, str]:
    """(short, full) sentences telling a reviewer what happens to *their* answer, matching
    what `aggregate` and the results do with it. `to_hr`: the subject has no active manager,
    so the results go to the HR admin who ran the round."""
    minimum = max(minimum, MIN_RESPONSES)
    if perspective == "self":
        to = (
            "the HR admin who ran the round (you have no manager in Cadence)"
            if to_hr
            else "your manager"
        )
        return (
            "with your name, as your own view",
            f"Not anonymous: this is your own view, shown with your name to {to}.",
        )
    if perspective == "manager":
        return (
            "with your name, as the manager view",
            f"Not anonymous: you are {subject}'s only manager, so your answers are shown as "
            f"the manager view, with your name, and {subject} reads them if the results are "
            "shared with them.",
        )
    group = GROUPS[perspective]
    if anonymous:
        return (
            f"anonymous, shown only combined once {minimum} {group} answered",
            f"Anonymous: stored without your name, and shown to {subject}'s manager only "
            f"combined with the other {group}' answers, once at least {minimum} of you have "
            "answered (otherwise not at all).",
        )
    return (
        "with your name",
        f"Not anonymous: your name is shown with your answers to {subject}'s manager, once at "
        f"least {minimum} {group} have answered.",
    )


@dataclass(frozen=True, slots=True)
class Minimums:
    """How many answers each subject's multi-reviewer groups (peers, direct reports) need in
    one round: the round's minimum, or the subject's own when that is higher — their team's
    or their own anonymity minimum as it stood when the round was created, stored with the
    round so that a later settings change neither opens nor hides a group already promised.
    Never below MIN_RESPONSES. A subject with nothing stored (a round created before
    per-subject minimums) has the round's."""

    round: int
    subjects: Mapping[int, int] = field(default_factory=dict)

    @property
    def base(self) -> int:
        """The round's own minimum: what a subject with nothing higher needs."""
        return max(self.round, MIN_RESPONSES)

    def of(self, subject_id: int) -> int:
        return max(self.base, self.subjects.get(subject_id, MIN_RESPONSES))

    def raised(self) -> dict[int, int]:
        """Subjects needing more than the round's minimum: minimum → how many subjects."""
        counts: dict[int, int] = defaultdict(int)
        for subject in self.subjects:
            if (n := self.of(subject)) > self.base:
                counts[n] += 1
        return dict(sorted(counts.items()))


def subject_minimum(round_minimum: int, own: int) -> int:
    """What a subject's groups need in a round being created: the round's minimum (HR typed
    it) or the subject's resolved anonymity minimum (domain.settings), whichever is higher."""
    return max(round_minimum, own, MIN_RESPONSES)


@dataclass(frozen=True, slots=True)
class SubjectProgress:
    """Where one subject of a round stands: requests by outcome, and the multi-reviewer
    perspectives with fewer answers than the subject's minimum (those stay unshown)."""

    subject_id: int
    answered: int
    declined: int
    waiting: int  # asked, no answer (overdue once the deadline has passed)
    withdrawn: int  # no longer asked (domain.rounds.standing)
    minimum: int  # answers each of their multi-reviewer groups needs (Minimums.of)
    below: tuple[tuple[str, int], ...]  # (perspective label, answers) under the minimum


def standing(status: str, both_here: bool) -> str:
    """A request as it reads now. One still owed while its reviewer or its subject is no
    longer active in the org chart (left, or deactivated by import-org) reads withdrawn:
    deactivated people may do nothing (domain.authz), and nobody is asked about someone who
    left (no results about them are sent either). Nobody is reminded of it, and it is neither
    owed nor overdue. `both_here`: whether reviewer and subject are both active, read from the
    org chart at the moment, so it reads pending again if they come back."""
    if status == RequestStatus.PENDING and not both_here:
        return RequestStatus.WITHDRAWN
    return status


def round_progress(
    requests: Iterable[tuple[int, str, str]], perspectives: Sequence[str], minimums: Minimums
) -> list[SubjectProgress]:
    """Per subject, from (subject id, perspective, status) of each request (as it stands:
    `standing`): the one reading behind every round summary (closing at the deadline or with
    Close now)."""
    by_subject: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for subject, perspective, status in requests:
        by_subject[subject].append((perspective, status))
    out = []
    for subject, rows in sorted(by_subject.items()):
        minimum = minimums.of(subject)
        statuses = [s for _, s in rows]
        answered = {
            p: sum(1 for q, s in rows if q == p and s == RequestStatus.ANSWERED)
            for p in perspectives
        }
        below = tuple(
            (PERSPECTIVES[p], n)
            for p, n in answered.items()
            if threshold_applies(p) and n < minimum
        )
        out.append(
            SubjectProgress(
                subject_id=subject,
                answered=statuses.count(RequestStatus.ANSWERED),
                declined=statuses.count(RequestStatus.DECLINED)
                + statuses.count(RequestStatus.REPLACED),
                waiting=statuses.count(RequestStatus.PENDING),
                withdrawn=statuses.count(RequestStatus.WITHDRAWN),
                minimum=minimum,
                below=below,
            )
        )
    return out


def group_opens(answers: int, minimum: int) -> bool:
    """Whether a pooled (subject, perspective) group is opened at close (`minimum`: the
    subject's, Minimums.of); a smaller group is deleted unread."""
    return answers >= max(minimum, MIN_RESPONSES)


JSON_CHAR_MAX = 6  # bytes one character can take in UTF-8 JSON (a control character: \u001f)


def sealed_size(competencies: Sequence[str], questions: Sequence[str]) -> int:
    """Bytes that hold any valid answer to these questions as JSON: every sealed answer of a
    group is padded to this length, so sizes say nothing about who wrote what."""
    per_rating = sum(JSON_CHAR_MAX * len(c) + 16 for c in competencies)
    per_text = sum(JSON_CHAR_MAX * (len(q) + ANSWER_LIMIT) + 16 for q in questions)
    return 64 + per_rating + per_text


def aggregate(
    answers: Sequence[Answer],
    perspectives: Sequence[str],
    minimum: int,
    competencies: Sequence[str],
    questions: Sequence[str],
    answered: dict[str, int] | None = None,
) -> list[PerspectiveResult]:
    """Ratings averaged and comments grouped, per perspective. A multi-reviewer perspective
    with fewer than `minimum` answers shows neither numbers nor comments. Comments are sorted
    so their order says nothing about who answered when. `answered` counts answers per
    perspective that are not in `answers` any more (a group below the minimum, deleted
    unread)."""
    minimum = max(minimum, MIN_RESPONSES)
    results = []
    for perspective in perspectives:
        mine = [a for a in answers if a.perspective == perspective]
        count = max(len(mine), (answered or {}).get(perspective, 0))
        enough = bool(mine) and (not threshold_applies(perspective) or len(mine) >= minimum)
        averages: list[tuple[str, str]] = []
        grouped: list[tuple[str, tuple[str, ...]]] = []
        if enough:
            for comp in competencies:
                scores = [a.ratings[comp] for a in mine if comp in a.ratings]
                if scores:
                    averages.append((comp, f"{sum(scores) / len(scores):.1f}"))
            for question in questions:
                texts = sorted(t for a in mine if (t := a.comments.get(question, "").strip()))
                if texts:
                    grouped.append((question, tuple(texts)))
        results.append(
            PerspectiveResult(
                perspective=perspective,
                label=PERSPECTIVES[perspective],
                answers=count,
                enough=enough,
                averages=tuple(averages),
                comments=tuple(grouped),
            )
        )
    return results


def validate_answer(
    ratings: dict[str, str | None],
    comments: dict[str, str | None],
    competencies: Sequence[str],
) -> tuple[dict[str, int], dict[str, str], dict[str, str]]:
    """(ratings, comments, errors) where errors are keyed by competency or question."""
    errors: dict[str, str] = {}
    good: dict[str, int] = {}
    for comp in competencies:
        raw = ratings.get(comp)
        try:
            value = int(raw or "")
        except ValueError:
            value = 0
        if value not in RATINGS:
            errors[comp] = "Pick a rating from 1 to 5."
        else:
            good[comp] = value
    texts: dict[str, str] = {}
    for question, raw_text in comments.items():
        text = (raw_text or "").strip()
        if len(text) > ANSWER_LIMIT:
            errors[question] = f"Please keep this under {ANSWER_LIMIT} characters."
        texts[question] = text
    return good, texts, errors
