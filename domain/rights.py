"""People's rights over their data (pure rules): what erasing a person leaves behind, how a
confirmation is checked, which stored text counts as theirs."""

from __future__ import annotations

import html
import json
import re
import secrets
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from cadence.domain.text import map_strings

REMOVED = "(removed)"
ERASED_PREFIX = "erased-"
SNIPPET_MIN = 8  # shorter answers ("ok", "none") are too common to recognise someone by


def erased_token() -> str:
    """A random stand-in for an erased person's Slack ID: unique, and saying nothing."""
    return ERASED_PREFIX + secrets.token_hex(8)


def is_erased_token(slack_id: str) -> bool:
    return slack_id.startswith(ERASED_PREFIX)


def removed(text: str) -> str:
    """Free text after erasure: empty stays empty, anything else reads "(removed)"."""
    return REMOVED if text.strip() else text


def scrub_json(raw: str) -> str:
    """A JSON document of answers with every non-empty text replaced by "(removed)"; numbers
    (ratings) and keys (competencies, questions) stay. Unreadable JSON is removed whole."""
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return json.dumps({"text": REMOVED})
    return json.dumps(map_strings(data, removed), ensure_ascii=False, separators=(",", ":"))


def json_texts(raw: str) -> list[str]:
    """The text values of a JSON document of answers (for recognising them elsewhere)."""
    try:
        data = json.loads(raw or "{}")
    except ValueError:
        return [raw]
    found: list[str] = []
    map_strings(data, found.append)
    return found


def snippets(texts: Iterable[str]) -> set[str]:
    """The forms in which someone's texts may appear inside a stored message: as typed, as
    JSON escapes it, as mrkdwn escapes it, and their first line (messages clip long text)."""
    out: set[str] = set()
    for text in texts:
        text = text.strip()
        if len(text) < SNIPPET_MIN or text == REMOVED:
            continue
        head = text.splitlines()[0][:60].strip()
        for form in {text, head}:
            if len(form) < SNIPPET_MIN:
                continue
            out.add(form)
            out.add(json.dumps(form, ensure_ascii=False)[1:-1])
            escaped = html.escape(form, quote=False)
            out.add(escaped)
            out.add(json.dumps(escaped, ensure_ascii=False)[1:-1])
    return out


def mentions(text: str, needles: Iterable[str]) -> bool:
    """Whether any of `needles` (someone's texts) occurs in `text`."""
    return any(n and n in text for n in needles)


def scrub_message(payload: str, identity: Iterable[str], texts: Iterable[str]) -> dict[str, Any]:
    """A delivered message (its stored JSON) as Slack should show it once someone is erased:
    a string quoting one of their texts (`texts`: `snippets`) reads "(removed)" whole, since a
    clipped or quoted copy may hold more of it than any snippet; their Slack ID (mentions
    too), name and email (`identity`) read "(removed)" wherever they stand. The rest, other
    people's figures and buttons, stays. Unreadable JSON is removed whole."""
    try:
        data = json.loads(payload)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return {"text": REMOVED}
    values = {v for v in identity if v}
    values |= {html.escape(v, quote=False) for v in values}
    named = identity_pattern(values)
    mention = (
        re.compile(r"<@(?:" + "|".join(re.escape(v) for v in values) + r")(?:\|[^>]*)?>")
        if values
        else None
    )
    needles = sorted({t for t in texts if t}, key=len, reverse=True)

    def clean(text: str) -> str:
        if mentions(text, needles):
            return REMOVED
        if mention is not None:
            text = mention.sub(REMOVED, text)
        return named.sub(REMOVED, text) if named is not None else text

    scrubbed: dict[str, Any] = map_strings(data, clean)
    return scrubbed


def identity_pattern(values: Iterable[str]) -> re.Pattern[str] | None:
    """Matches a Slack ID, name or email as a whole (U0AN is not inside U0ANA), or None."""
    words = sorted({v for v in values if v}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in words) + r")(?!\w)")


def confirmation_matches(typed: str, name: str) -> bool:
    """HR confirms an erasure by typing the person's name (case and spacing aside)."""
    return (
        bool(name.strip())
        and " ".join(typed.split()).casefold() == " ".join(name.split()).casefold()
    )


def retention_cutoff(today: date, months: int) -> date | None:
    """The first day whose free text is kept when texts are kept `months` months (None: off)."""
    if months <= 0:
        return None
    year, month = today.year, today.month - months
    while month <= 0:
        month += 12
        year -= 1
    day = min(today.day, _days_in(year, month))
    return date(year, month, day)


def _days_in(year: int, month: int) -> int:
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    return (nxt - date(year, month, 1)).days


def json_default(value: Any) -> Any:
    """json.dumps for the my-data file: dates and times as ISO-8601."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)
