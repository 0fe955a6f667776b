"""Feedback and kudos rules: reading what Slack sends, validating, who may see what."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from cadence.domain.periods import local_now
from cadence.domain.text import clean_text

TEXT_LIMIT = 2000  # per free-text answer (rendered sections stay under Slack's 3000)
KUDOS_LIMIT = 1500
VISIBILITIES: dict[str, str] = {
    "manager": "Only their manager",
    "shared": "Them and their manager",
}

# What a slash command with should_escape: true carries for a mention, a channel, a user
# group or a broadcast; literal "<" ">" "&" typed by a person arrive as HTML entities.
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#([CG][A-Z0-9]+)(?:\|([^>]*))?>")
_SPECIAL = re.compile(r"<!(subteam\^[A-Z0-9]+|here|channel|everyone)(?:\|([^>]*))?>")
_LINK = re.compile(r"<((?:https?|mailto):[^|>]+)(?:\|([^>]*))?>")
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_BETWEEN = re.compile(r"^(?:\s|,|&amp;|\band\b)*")


def mentioned_user(text: str) -> str | None:
    """The user named in `/feedback @someone` (an escaped mention, or a bare user ID)."""
    match = _MENTION.search(text or "")
    if match:
        return match.group(1)
    word = (text or "").strip()
    return word if _SLACK_ID.match(word) else None


def plain_text(text: str) -> str:
    """Slack's escaped command text as the words the person typed: mentions become '@name',
    broadcasts '@here' and the like, entities unescaped. Nothing in the result is markup; it
    still has to go through mrkdwn escaping before it is shown."""

    def user(m: re.Match[str]) -> str:
        return "@" + (m.group(2) or m.group(1))

    def special(m: re.Match[str]) -> str:
        label = m.group(2) or m.group(1)
        return label if label.startswith("@") else "@" + label.split("^")[0]

    text = _MENTION.sub(user, text)
    text = _CHANNEL.sub(lambda m: "#" + (m.group(2) or m.group(1)), text)
    text = _SPECIAL.sub(special, text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    return html.unescape(text).strip()


@dataclass(frozen=True, slots=True)
class KudosRequest:
    recipients: tuple[str, ...]  # Slack user IDs, in the order named, without repeats
    message: str  # plain text (see plain_text)


class KudosError(ValueError):
    """Why a /kudos cannot be given, in words for the giver."""


KUDOS_USAGE = "Name someone first, then say thanks: `/kudos @ana @ben for the launch checklist`."


def parse_kudos(text: str, giver: str) -> KudosRequest:
    """`@a @b message`: the mentions before the message are the recipients; a mention inside
    the message is shown as a name and pings nobody."""
    rest = clean_text(text or "").strip()
    recipients: list[str] = []
    while True:
        match = _MENTION.match(rest)
        if not match:
            break
        if match.group(1) not in recipients:
            recipients.append(match.group(1))
        rest = _BETWEEN.sub("", rest[match.end() :], count=1)
    if not recipients:
        raise KudosError("Who is it for? " + KUDOS_USAGE)
    if giver in recipients:
        raise KudosError(
            "Kudos are for recognising others, so you can't give them to yourself. "
            "Ask a teammate to share what you did!"
        )
    message = plain_text(rest)
    if not message:
        raise KudosError("Say what they did, so everyone knows. " + KUDOS_USAGE)
    if len(message) > KUDOS_LIMIT:
        raise KudosError(f"Please keep kudos under {KUDOS_LIMIT} characters.")
    return KudosRequest(tuple(recipients), message)


def local_day_bounds(now: datetime, tz: str) -> tuple[datetime, datetime]:
    """Start and end (aware UTC) of the local calendar day containing `now`."""
    day: date = local_now(now, tz).date()
    start = datetime.combine(day, time(0), tzinfo=local_now(now, tz).tzinfo)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class FeedbackDraft:
    receiver: str | None  # Slack user ID
    strengths: str
    improvements: str
    visibility: str | None


def validate_feedback(
    draft: FeedbackDraft,
    giver: str,
    *,
    receiver_known: bool,
    receiver_has_manager: bool,
    block_ids: dict[str, str],
) -> dict[str, str]:
    """Field errors keyed by the modal's block ids (empty when the feedback can be saved).
    `block_ids` maps who, strengths, improvements and visibility to block ids."""
    errors: dict[str, str] = {}
    if not draft.receiver:
        errors[block_ids["who"]] = "Pick the person this feedback is about."
    elif draft.receiver == giver:
        errors[block_ids["who"]] = (
            "Feedback is about someone else. For your own reflections, use your check-in."
        )
    elif not receiver_known:
        errors[block_ids["who"]] = (
            "That person isn't in Cadence's org chart (or has left), so there is nobody to "
            "deliver this to. Pick someone else."
        )
    if not draft.strengths.strip() and not draft.improvements.strip():
        errors[block_ids["strengths"]] = (
            "Write at least one: what went well, or what could be better."
        )
    for name in ("strengths", "improvements"):
        value = getattr(draft, name)
        if len(value) > TEXT_LIMIT:
            errors[block_ids[name]] = f"Please keep this under {TEXT_LIMIT} characters."
    if draft.visibility not in VISIBILITIES:
        errors[block_ids["visibility"]] = "Choose who will see this feedback."
    elif draft.visibility == "manager" and receiver_known and not receiver_has_manager:
        errors[block_ids["visibility"]] = (
            'They have no manager in the org chart; choose "Them and their manager" to '
            "share it with them directly."
        )
    return errors


def feedback_audience(visibility: str, receiver: str, manager: str | None) -> list[str]:
    """Who receives a feedback DM (DESIGN.md section 6): the receiver's manager always, the
    receiver only when shared. The giver gets a confirmation, not the text again."""
    audience = [manager] if manager else []
    if visibility == "shared":
        audience.insert(0, receiver)
    return audience


def permalink(team_domain: str, channel: str, message_ts: str) -> str:
    """A message's permalink, built the way Slack builds it."""
    if not (team_domain and channel and message_ts):
        return ""
    return f"https://{team_domain}.slack.com/archives/{channel}/p{message_ts.replace('.', '')}"
