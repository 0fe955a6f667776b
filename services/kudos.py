"""Kudos: a public thank-you in the channel where /kudos was typed, DMs when the bot cannot
post there, a per-giver daily limit, and what the App Home and the manager digest show."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlmodel import Session

from cadence.domain.feedback import KudosError, local_day_bounds, parse_kudos
from cadence.domain.status import DeliveryStatus
from cadence.services.common import NOT_REGISTERED, caller
from cadence.services.deps import Deps
from cadence.services.people import timezone_of
from cadence.storage import feedback_repo, repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Person

HOME_KUDOS = 5
HOME_KUDOS_DAYS = 90

# Slack errors meaning "Cadence cannot post in that channel" (the kudos go by DM instead).
CANNOT_POST = {
    "not_in_channel": "I'm not a member of that channel",
    "channel_not_found": "I can't see that channel (a private channel or a DM I'm not in)",
    "is_archived": "that channel is archived",
    "restricted_action": "posting there is restricted",
    "cannot_dm_bot": "that is a conversation I can't post in",
}


OTHER_REASON = "Slack didn't let me post in that channel"

# Where kudos went, as the outbox recorded it (the only record of it: `where_they_went`).
IN_CHANNEL = "posted in the channel"
BY_DM = "sent by direct message (Cadence could not post in the channel)"
ON_ITS_WAY = "on its way"
NOT_DELIVERED = "not delivered (Slack refused it)"


def post_key(kudos_id: int) -> str:
    return f"kudos:{kudos_id}:post"


def note_key(kudos_id: int) -> str:
    """The giver's note, queued only when the channel refused the post and DMs went instead."""
    return f"kudos:{kudos_id}:note"


def where_they_went(kudos_ids: list[int], *, session: Session) -> dict[int, str]:
    """Where each kudos went: the outbox holds the post and, after a refusal, the DMs and the
    giver's note (no copy of this is kept on the kudos row)."""
    keys = [post_key(k) for k in kudos_ids] + [note_key(k) for k in kudos_ids]
    rows = repo.deliveries_by_keys(keys, session=session)
    out = {}
    for k in kudos_ids:
        post = rows.get(post_key(k))
        if note_key(k) in rows:
            out[k] = BY_DM
        elif post is not None and post.status == DeliveryStatus.SENT:
            out[k] = IN_CHANNEL
        elif post is not None and post.status in {DeliveryStatus.PENDING, DeliveryStatus.SENDING}:
            out[k] = ON_ITS_WAY
        else:
            out[k] = NOT_DELIVERED
    return out


def _payload(
    deps: Deps, giver: Person, recipients: list[Person], message: str, reason: str = ""
) -> dict[str, Any]:
    return deps.renderer.message(
        "kudos_post.json.j2",
        giver=giver.slack_id,
        recipients=[p.slack_id for p in recipients],
        message=message,
        reason=reason,
    )


def _by_dm(
    deps: Deps, kudos_id: int, giver: Person, receivers: list[Person], message: str, reason: str
) -> list[dict[str, Any]]:
    """What goes out instead when the channel refuses the post: a DM to each receiver saying
    why, and a note to the giver (outbox messages, as dicts)."""
    payload = _payload(deps, giver, receivers, message, reason)
    names = ", ".join(p.name for p in receivers)
    note = (
        f"I couldn't post your kudos in that channel ({reason}), so I sent them to {names} "
        "by direct message instead. Invite me to the channel to post kudos there."
    )
    dms = [
        {"key": f"kudos:{kudos_id}:{p.slack_id}", "recipient": p.slack_id, "payload": payload}
        for p in receivers
    ]
    dms.append({"key": note_key(kudos_id), "recipient": giver.slack_id, "payload": {"text": note}})
    return [{"kind": "kudos", **m} for m in dms]


def give(deps: Deps, giver_slack: str, channel_id: str, text: str) -> str:
    """Store the kudos and queue its post in the channel (DMs instead if Slack refuses it);
    returns what to tell the giver privately ("" when the post is on its way)."""
    giver = caller(deps, giver_slack)
    if giver is None or giver.id is None:
        return NOT_REGISTERED.replace("check-in", "kudos")
    try:
        request = parse_kudos(text, giver_slack)
    except KudosError as exc:
        return str(exc)
    recipients = [caller(deps, slack_id) for slack_id in request.recipients]
    unknown = [s for s, p in zip(request.recipients, recipients, strict=True) if p is None]
    if unknown:
        names = ", ".join(f"<@{s}>" for s in unknown)
        return f"{names} isn't in Cadence's org chart, so I can't record kudos for them."
    people = [p for p in recipients if p is not None]
    now = deps.clock.now()
    start, end = local_day_bounds(now, timezone_of(giver))
    limit = deps.settings.cadence_kudos_per_day
    with session_scope(deps.engine) as session:
        if feedback_repo.kudos_given_between(giver.id, start, end, session=session) >= limit:
            return (
                f"You've given {limit} kudos today, that's the daily limit, so they keep "
                "meaning something. Save this one for tomorrow!"
            )
        kudos = feedback_repo.add_kudos(
            giver.id,
            channel_id,
            request.message,
            [p.id for p in people if p.id is not None],
            now,
            session=session,
        )
        assert kudos.id is not None  # noqa: S101
        post = _payload(deps, giver, people, request.message)
        reasons = {**CANNOT_POST, "*": OTHER_REASON}
        post["instead"] = {
            error: _by_dm(deps, kudos.id, giver, people, request.message, reason)
            for error, reason in reasons.items()
        }
        message = repo.OutgoingMessage(
            key=post_key(kudos.id), kind="kudos-post", recipient=channel_id, payload=post
        )
        repo.enqueue([message], now, session=session)
    deps.wake_sender()
    return ""


def home_lines(deps: Deps, person: Person) -> list[dict[str, str]]:
    """The latest kudos a person received, for their App Home."""
    if person.id is None:
        return []
    now = deps.clock.now()
    with read_scope(deps.engine) as session:
        found = feedback_repo.kudos_received(
            [person.id],
            now - timedelta(days=HOME_KUDOS_DAYS),
            now + timedelta(seconds=1),  # up to and including now
            session=session,
        )
    return [
        {"giver": k.giver_name, "message": k.message, "date": k.created_at.strftime("%d %b")}
        for k in found.get(person.id, [])[:HOME_KUDOS]
    ]
