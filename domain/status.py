"""The states stored in status columns. StrEnum: each member is its stored string."""

from __future__ import annotations

from enum import StrEnum


class CheckinStatus(StrEnum):
    ANSWERED = "answered"
    SKIPPED = "skipped"
    AWAY = "away"  # Slack's status said away when the week's prompt was due


class DeliveryStatus(StrEnum):
    """An outbox row: waiting, claimed by a sender, done, given up, or not to be sent."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SKIPPED = "skipped"


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class RequestStatus(StrEnum):
    """A feedback-round request: proposed by the subject, awaiting the reviewer, or settled."""

    NOMINATED = "nominated"
    PENDING = "pending"
    ANSWERED = "answered"
    DECLINED = "declined"
    REPLACED = "replaced"  # declined, and HR asked someone else instead
    WITHDRAWN = "withdrawn"  # no longer asked: the person it was about (or asked) was erased


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
