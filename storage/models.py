"""SQLModel tables (DESIGN.md section 4). All timestamps are aware UTC via UTCDateTime."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Date, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from cadence.domain.status import (
    ActionStatus,
    CheckinStatus,
    DeliveryStatus,
    RequestStatus,
    RoundStatus,
)
from cadence.storage.db import UTCDateTime


def _ts(nullable: bool = False) -> Column[datetime]:
    return Column(UTCDateTime(), nullable=nullable)


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    slack_id: str = Field(unique=True, index=True, max_length=32)
    email: str = Field(max_length=320)
    name: str = Field(max_length=200)
    manager_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    role: str = Field(max_length=64)
    timezone: str = Field(default="", max_length=64)  # "" = not known yet
    country: str = Field(default="", max_length=2)  # ISO 3166 alpha-2, for public holidays
    hr_admin: bool = False
    active: bool = Field(default=True, index=True)
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())
    # Set when HR erased the person (`python bot.py forget`): the row stays for others'
    # records, with a random token for slack_id and no name or email.
    erased_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Checkin(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("person_id", "period", name="uq_checkin_person_period"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    period: str = Field(max_length=10, index=True)  # 2026-W42
    status: str = Field(default=CheckinStatus.ANSWERED, max_length=16)
    quality_value: float | None = None
    output_value: float | None = None
    mood: int | None = None
    wins: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    blockers: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    priorities: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source: str = Field(default="self", max_length=16)  # self | import
    # What the check-in covered when it was written (answered, skipped, or away at prompt
    # time): 1 = the week `period`, 2 = the off-week before it and `period` (every two weeks).
    # None on rows written before it was stored: read from the settings in force then.
    weeks: int | None = None
    submitted_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())


class Delivery(SQLModel, table=True):
    """The outbox: one row per intended message, unique by key (DESIGN.md section 7)."""

    __table_args__ = (Index("ix_delivery_due", "status", "not_before"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True, max_length=255)  # e.g. checkin:U123:2026-W42
    kind: str = Field(max_length=32, index=True)  # checkin | reminder | checkin-update | ...
    recipient: str = Field(max_length=32, index=True)  # Slack user ID
    method: str = Field(default="chat.postMessage", max_length=32)  # or chat.update
    payload: str = Field(sa_column=Column(Text, nullable=False))  # JSON: text + blocks
    update_of: str | None = Field(default=None, max_length=255)  # key of the message to update
    status: str = Field(default=DeliveryStatus.PENDING, max_length=16)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    not_before: datetime = Field(sa_column=_ts())
    claimed_until: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    claim_token: str | None = Field(default=None, max_length=36)
    claimed_by: str | None = Field(default=None, max_length=36)  # OutboxSender.id
    slack_channel: str | None = Field(default=None, max_length=32)
    slack_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(sa_column=_ts())
    sent_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class OutboxSender(SQLModel, table=True):
    """A running outbox sender. It bumps `beat` every second or so while it lives; the rows it
    claimed name it (Delivery.claimed_by), and another sender takes them over as soon as it has
    watched `beat` stand still for a few seconds (delivery/sender.py)."""

    id: str = Field(primary_key=True, max_length=36)
    host: str = Field(max_length=255)
    pid: int
    started_at: datetime = Field(sa_column=_ts())
    beat: int = Field(sa_column=Column(BigInteger, nullable=False))  # wall clock ms at last beat


class AuditEvent(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    actor: str = Field(max_length=64)  # a Slack user ID, or "cli"
    action: str = Field(max_length=64)  # export.checkins, ...
    subject: str = Field(default="", max_length=255)
    detail: str = Field(default="", max_length=1000)  # never answer text
    at: datetime = Field(sa_column=_ts())


class LensSnapshot(SQLModel, table=True):
    """HR's system lens computed once per week by the `lens` job (figures only, no one's text):
    App Home and the HR digest read the latest instead of recomputing on a request."""

    __table_args__ = (UniqueConstraint("kind", "period", name="uq_lens_kind_period"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)  # themes
    period: str = Field(max_length=10)  # the last week the figures cover
    payload: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    computed_at: datetime = Field(sa_column=_ts())


class Plan(SQLModel, table=True):
    """A development plan or a performance improvement plan (domain.plans): visible to the
    person, their manager chain and HR only."""

    __table_args__ = (Index("ix_plan_person_status", "person_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    opened_by_id: int = Field(foreign_key="person.id")
    kind: str = Field(max_length=16)  # development | pip
    quality_result: str = Field(sa_column=Column(Text, nullable=False))
    output_result: str = Field(sa_column=Column(Text, nullable=False))
    support: str = Field(sa_column=Column(Text, nullable=False))  # JSON [{"what", "owner"}]
    checkins: str = Field(sa_column=Column(Text, nullable=False))  # JSON ["2026-12-11", ...]
    end_date: date = Field(sa_column=Column(Date, nullable=False))
    status: str = Field(default="open", max_length=16)  # open | completed | extended | closed
    outcome_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(sa_column=_ts())
    ended_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    ended_by_id: int | None = Field(default=None, foreign_key="person.id")


class Review(SQLModel, table=True):
    """One quarterly review per person and quarter: the self-assessment (a draft until
    `self_submitted_at`), the manager assessment (a draft until `released_at`), and the
    employee's acknowledgement. Answers are JSON (domain.reviews.Assessment)."""

    __table_args__ = (UniqueConstraint("person_id", "quarter", name="uq_review_person_quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    quarter: str = Field(max_length=7, index=True)  # 2026-Q4
    self_answers: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    self_updated_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    self_submitted_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    manager_answers: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    manager_id: int | None = Field(default=None, foreign_key="person.id")  # who assessed
    manager_updated_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    released_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    acknowledged_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))
    ack_comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(sa_column=_ts())


class Goal(SQLModel, table=True):
    """A quarterly objective; it may align to a goal of the person's manager (a team goal)."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    quarter: str = Field(max_length=7, index=True)
    objective: str = Field(sa_column=Column(Text, nullable=False))
    aligned_to_id: int | None = Field(default=None, foreign_key="goal.id")
    created_at: datetime = Field(sa_column=_ts())


class KeyResult(SQLModel, table=True):
    """A measurable key result. `metric` "quality"/"output" ties it to the role's metric (its
    current value is read from check-ins), "team-quality"/"team-output" to the team's pair of a
    manager read by their team; "" means a described measure whose `current_value` the person
    updates."""

    id: int | None = Field(default=None, primary_key=True)
    goal_id: int = Field(foreign_key="goal.id", index=True)
    position: int = 0
    kind: str = Field(max_length=16)  # quality | output | other
    metric: str = Field(default="", max_length=16)
    description: str = Field(default="", max_length=300)
    baseline: float
    target: float
    due: date = Field(sa_column=Column(Date, nullable=False))
    current_value: float | None = None
    updated_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


# ---------------------------------------------------------------- feedback, kudos, rounds


class Feedback(SQLModel, table=True):
    """Feedback given at any time (/feedback). Visibility "manager" or "shared"."""

    id: int | None = Field(default=None, primary_key=True)
    giver_id: int = Field(foreign_key="person.id", index=True)
    receiver_id: int = Field(foreign_key="person.id", index=True)
    visibility: str = Field(max_length=16)  # manager | shared
    strengths: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    improvements: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    context_link: str = Field(default="", max_length=500)  # permalink of a message, or ""
    # Slack's view id of the submitted modal: a retried or double submission stores nothing new.
    submission_key: str | None = Field(default=None, max_length=64, unique=True)
    created_at: datetime = Field(sa_column=_ts())


class Kudos(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    giver_id: int = Field(foreign_key="person.id", index=True)
    channel_id: str = Field(max_length=32)
    message: str = Field(sa_column=Column(Text, nullable=False))  # plain text, unescaped
    created_at: datetime = Field(sa_column=_ts())


class KudosRecipient(SQLModel, table=True):
    kudos_id: int = Field(foreign_key="kudos.id", primary_key=True)
    person_id: int = Field(foreign_key="person.id", primary_key=True, index=True)


class FeedbackRound(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=150)
    created_by_id: int = Field(foreign_key="person.id")
    perspectives: str = Field(max_length=64)  # comma-separated: self,manager,peer,report
    peer_mode: str = Field(max_length=16)  # hr | nominate
    question_set: str = Field(max_length=64)
    anonymous: bool = True
    min_responses: int = 3
    deadline: datetime = Field(sa_column=_ts())
    status: str = Field(default=RoundStatus.OPEN, max_length=16)
    created_at: datetime = Field(sa_column=_ts())
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class RoundSubject(SQLModel, table=True):
    """How many answers a subject's peer and direct-report groups need in a round
    (domain.rounds.Minimums): the round's minimum, or their team's or own anonymity minimum
    when that was higher as the round was created. Fixed then, so a later settings change
    never opens or hides a group already promised to its reviewers. A round created before
    this table has no rows: its subjects need the round's minimum."""

    round_id: int = Field(foreign_key="feedbackround.id", primary_key=True)
    subject_id: int = Field(foreign_key="person.id", primary_key=True)
    min_responses: int


class RoundRequest(SQLModel, table=True):
    """Who is asked about whom. For anonymous rounds this row only says *whether* the reviewer
    answered (status), never what or when; the answer lives unlinked in RoundAnswer."""

    __table_args__ = (
        UniqueConstraint("round_id", "reviewer_id", "subject_id", name="uq_roundrequest"),
    )

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="feedbackround.id", index=True)
    reviewer_id: int = Field(foreign_key="person.id", index=True)
    subject_id: int = Field(foreign_key="person.id", index=True)
    perspective: str = Field(max_length=16)  # self | manager | peer | report
    status: str = Field(default=RequestStatus.PENDING, max_length=16)
    decline_reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(sa_column=_ts())


class RoundNomination(SQLModel, table=True):
    """A subject HR asked to nominate their peers in a round: one set per subject, editable
    until it is approved. `revision` counts the submitted sets; the approval button carries the
    revision it showed, so an approval approves exactly the set the approver saw."""

    __table_args__ = (UniqueConstraint("round_id", "subject_id", name="uq_roundnomination"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="feedbackround.id", index=True)
    subject_id: int = Field(foreign_key="person.id")
    revision: int = 0  # 0: nothing submitted yet
    approved_by_id: int | None = Field(default=None, foreign_key="person.id")
    approved_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class RoundAnswer(SQLModel, table=True):
    """One reviewer's answers about one subject. In anonymous rounds reviewer_id is NULL and
    there is no timestamp; the key is random and (on SQLite) the table has no rowid. Anonymous
    peer and report answers arrive here only from SealedAnswer at close, a whole group in one
    transaction in shuffled order, so neither ids, storage order nor transaction ids follow
    the order of completion."""

    __table_args__ = ({"sqlite_with_rowid": False},)

    id: str = Field(primary_key=True, max_length=36)  # uuid4
    round_id: int = Field(foreign_key="feedbackround.id", index=True)
    subject_id: int = Field(foreign_key="person.id", index=True)
    perspective: str = Field(max_length=16)
    reviewer_id: int | None = Field(default=None, foreign_key="person.id")  # NULL if anonymous
    ratings: str = Field(sa_column=Column(Text, nullable=False))  # JSON {competency: 1..5}
    comments: str = Field(sa_column=Column(Text, nullable=False))  # JSON {question: text}
    submitted_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class SealedAnswer(SQLModel, table=True):
    """An anonymous peer or report answer waiting for its (round, subject, perspective) group
    to close: encrypted with a key the database does not hold, padded to the group's length,
    naming no reviewer and carrying no time. The key is random and (on SQLite) the table has
    no rowid. `token` is a keyed digest of the request (a double submission stores nothing
    new) that only the key holder can compute. At close, a group with at least the round's
    minimum is opened into RoundAnswer in one transaction, in shuffled order, and deleted; a
    smaller group is deleted unread."""

    __table_args__ = ({"sqlite_with_rowid": False},)

    id: str = Field(primary_key=True, max_length=36)  # uuid4
    round_id: int = Field(foreign_key="feedbackround.id", index=True)
    subject_id: int = Field(foreign_key="person.id")
    perspective: str = Field(max_length=16)
    token: str = Field(unique=True, max_length=64)
    sealed: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class RoundRelease(SQLModel, table=True):
    """A subject's results: sent to the manager at the deadline, released to the subject."""

    __table_args__ = (UniqueConstraint("round_id", "subject_id", name="uq_roundrelease"),)

    id: int | None = Field(default=None, primary_key=True)
    round_id: int = Field(foreign_key="feedbackround.id", index=True)
    subject_id: int = Field(foreign_key="person.id")
    manager_id: int | None = Field(default=None, foreign_key="person.id")
    released_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class Action(SQLModel, table=True):
    """What a manager decided to do about a report's signal (DESIGN.md sections 1 and 5). It
    comes back in every digest until it is closed."""

    __table_args__ = (Index("ix_action_manager_status", "manager_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    manager_id: int = Field(foreign_key="person.id")
    report_id: int = Field(foreign_key="person.id", index=True)
    period: str = Field(max_length=10)  # the digest week the signal was read for
    signal: str = Field(max_length=32)  # SignalKind value
    text: str = Field(sa_column=Column(Text, nullable=False))
    owner_kind: str = Field(max_length=16)  # manager | report | other
    owner_slack_id: str = Field(max_length=32)
    due: date
    status: str = Field(default=ActionStatus.OPEN, max_length=16)
    idem_key: str | None = Field(default=None, unique=True, max_length=255)  # the modal's view id
    created_at: datetime = Field(sa_column=_ts())
    updated_at: datetime = Field(sa_column=_ts())
    closed_at: datetime | None = Field(default=None, sa_column=_ts(nullable=True))


class MetricValue(SQLModel, table=True):
    """A metric for one person and week from a system of record (CSV import or the API). It
    takes precedence over the self-reported value of that week."""

    __table_args__ = (
        UniqueConstraint("person_id", "period", "kind", name="uq_metricvalue_person_period_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    period: str = Field(max_length=10, index=True)
    kind: str = Field(max_length=16)  # quality | output
    value: float
    source: str = Field(max_length=64)  # the system it came from (csv, zendesk, ...)
    imported_at: datetime = Field(sa_column=_ts())


class Absence(SQLModel, table=True):
    """A declared absence (`/cadence away START END` or the App Home): no prompts, no reminders,
    and "away" in every view for the weeks it covers. `end` is inclusive."""

    __table_args__ = (Index("ix_absence_person_end", "person_id", "end"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id")
    start: date = Field(sa_column=Column(Date, nullable=False))
    end: date = Field(sa_column=Column(Date, nullable=False))
    created_at: datetime = Field(sa_column=_ts())


class SeenRequest(SQLModel, table=True):
    """Signatures of the signed Slack requests served in the last minutes: a second request
    with the same signature is a replay. Rows older than the signature window are deleted."""

    signature: str = Field(primary_key=True, max_length=80)
    request_ts: int = Field(index=True)  # the request's X-Slack-Request-Timestamp


class Setting(SQLModel, table=True):
    """One value HR set in Slack (domain.settings): for the organisation ("org"), a team
    ("team:<manager person id>") or a person ("person:<person id>"). No row: the wider one."""

    scope: str = Field(primary_key=True, max_length=32)
    key: str = Field(primary_key=True, max_length=32)
    value: str = Field(max_length=32)
    updated_by: str = Field(max_length=64)  # the HR admin's Slack ID
    updated_at: datetime = Field(sa_column=_ts())


class SettingChange(SQLModel, table=True):
    """Every change to a Setting, written with it (storage.settings_repo.put): the value a
    scope's key had before and after, and when. The settings in force at any past moment are
    today's with the later changes undone (domain.settings.stored_at), so a past week reads by
    the cadence it had. Who changed it is in the audit log."""

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=32)
    key: str = Field(max_length=32)
    old_value: str | None = Field(default=None, max_length=32)  # None: not set at this scope
    new_value: str | None = Field(default=None, max_length=32)  # None: removed (inherit)
    at: datetime = Field(sa_column=_ts())
