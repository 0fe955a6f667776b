"""Render `templates/*.json.j2` into Block Kit dicts and validate them with slack_sdk models.

Every value goes through `|tojson`; user text additionally through `|esc` (mrkdwn escaping:
`<!channel>` or `<@U…>` typed by a person never pings anyone)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from cadence.domain.roles import fmt
from cadence.domain.words import plural
from cadence.prompts import ids

TEMPLATES = Path(str(resources.files("cadence.prompts").joinpath("templates")))

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
SECTION_TEXT = 3000


class RenderError(Exception):
    """A template produced something Slack would reject."""


def escape_mrkdwn(value: object) -> str:
    """Slack's three control characters, escaped as Slack documents."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(value: object, limit: int) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def split_mrkdwn(text: str, limit: int = SECTION_TEXT) -> list[str]:
    """Escaped mrkdwn in pieces of at most `limit` characters, so that long text is spread over
    several sections and never cut: pieces end between lines where they can, else between
    words, and never inside an escape (`&lt;`) or a `<link|label>`. A quoted line cut in two
    stays quoted. Joined with line breaks, the pieces give the text back."""
    pieces: list[str] = []
    current: str | None = None
    for line in text.split("\n"):
        for part in _fit_line(line, limit):
            if current is not None and len(current) + 1 + len(part) <= limit:
                current += "\n" + part
            else:
                if current is not None:
                    pieces.append(current)
                current = part
    if current is not None:
        pieces.append(current)
    return [p for p in pieces if p.strip()] or [text[:limit]]


def _fit_line(line: str, limit: int) -> list[str]:
    prefix = "> " if line.startswith("> ") else ""
    body, room = line[len(prefix) :], limit - len(prefix)
    parts: list[str] = []
    while len(body) > room:
        cut = _cut_at(body, room)
        parts.append(prefix + body[:cut])
        body = body[cut:]
    return [*parts, prefix + body]


def _cut_at(text: str, room: int) -> int:
    """Where to end a piece of at most `room` characters: after the last space, else before
    an escape or a <...> it would split, else at `room`."""
    space = text.rfind(" ", 0, room)
    cut = space + 1 if space >= room // 2 else room
    amp = text.rfind("&", max(0, cut - 5), cut)
    if amp != -1 and ";" not in text[amp:cut]:
        cut = amp
    opening = text.rfind("<", 0, cut)
    if opening > 0 and ">" not in text[opening:cut]:
        cut = opening
    return cut if cut > 0 else room


def _sections(text: str) -> str:
    """Section blocks (as JSON, comma-separated) holding the escaped mrkdwn `text` whole."""
    return ", ".join(
        json.dumps(
            {"type": "section", "text": {"type": "mrkdwn", "text": piece}}, ensure_ascii=False
        )
        for piece in split_mrkdwn(text)
    )


def _tojson(value: Any) -> str:
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()  # StrictUndefined: name the missing variable
    return json.dumps(value, ensure_ascii=False)


def _quote(value: object) -> str:
    """Escaped user text as a mrkdwn block quote (each line prefixed with '>')."""
    lines = escape_mrkdwn(value).splitlines() or [""]
    return "\n".join("> " + line for line in lines)


class Renderer:
    def __init__(self, templates: Path = TEMPLATES) -> None:
        self.env = Environment(
            loader=FileSystemLoader(str(templates)),
            undefined=StrictUndefined,
            autoescape=False,  # noqa: S701 - output is JSON; every value passes through |tojson
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,  # templates ship with the code: no stat() per render
        )
        self.env.filters["tojson"] = _tojson
        self.env.filters["esc"] = escape_mrkdwn
        self.env.filters["clip"] = clip
        self.env.filters["quote"] = _quote
        self.env.filters["sections"] = _sections
        self.env.globals["ids"] = ids.namespace()
        self.env.globals["fmt"] = fmt
        self.env.filters["plural"] = plural

    def render(self, name: str, **context: Any) -> Any:
        raw = self.env.get_template(name).render(**context)
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise RenderError(f"{name} rendered invalid JSON: {exc}") from None

    def message(self, name: str, **context: Any) -> dict[str, Any]:
        """{"text": fallback, "blocks": [...]} for chat.postMessage / chat.update."""
        data = self.render(name, **context)
        if not isinstance(data, dict) or "text" not in data or "blocks" not in data:
            raise RenderError(f"{name} must render an object with text and blocks")
        validate_blocks(data["blocks"], MESSAGE_BLOCKS, name)
        if not data["text"] or len(data["text"]) > 4000:
            raise RenderError(f"{name}: fallback text must be 1–4000 characters")
        return data

    def groups(self, name: str, **context: Any) -> tuple[str, list[list[dict[str, Any]]]]:
        """A long message as its fallback text and groups of blocks that stay together
        (template output: {"text": ..., "groups": [[block, ...], ...]}), each validated."""
        data = self.render(name, **context)
        if not isinstance(data, dict) or not isinstance(data.get("groups"), list):
            raise RenderError(f"{name} must render an object with text and groups")
        text = str(data.get("text") or "")
        if not text or len(text) > 3900:
            raise RenderError(f"{name}: fallback text must be 1–3900 characters")
        groups = [g for g in data["groups"] if g]
        for group in groups:
            validate_blocks(group, MESSAGE_BLOCKS, name)
        return text, groups

    def messages(self, name: str, **context: Any) -> list[dict[str, Any]]:
        """A message too long for one post split into several, each within Slack's limits
        (blocks and size); a group of blocks is never split across two messages."""
        text, groups = self.groups(name, **context)
        parts = pack(groups, MESSAGE_BLOCKS)
        if len(parts) == 1:
            return [{"text": text, "blocks": parts[0]}]
        return [
            {"text": f"{text} (part {i} of {len(parts)})", "blocks": blocks}
            for i, blocks in enumerate(parts, start=1)
        ]

    def view(self, name: str, **context: Any) -> dict[str, Any]:
        """A modal or home tab view, validated as a whole by slack_sdk's View model."""
        data = self.render(name, **context)
        if not isinstance(data, dict):
            raise RenderError(f"{name} must render an object")
        validate_blocks(data.get("blocks", []), VIEW_BLOCKS, name)
        try:
            View(**data).validate_json()
        except Exception as exc:
            raise RenderError(f"{name}: {exc}") from None
        meta = data.get("private_metadata", "")
        if len(meta) > 3000:
            raise RenderError(f"{name}: private_metadata over 3000 characters")
        return data


MESSAGE_CHARS = 30_000  # JSON characters per message: far below what Slack accepts


def pack(
    groups: list[list[dict[str, Any]]], limit: int, max_chars: int = MESSAGE_CHARS
) -> list[list[dict[str, Any]]]:
    """Fill messages with whole groups, in order, up to `limit` blocks and `max_chars`."""
    parts: list[list[dict[str, Any]]] = [[]]
    size = 0
    for group in groups:
        group_size = len(json.dumps(group, ensure_ascii=False))
        if parts[-1] and (len(parts[-1]) + len(group) > limit or size + group_size > max_chars):
            parts.append([])
            size = 0
        parts[-1].extend(group)
        size += group_size
    return parts


def validate_blocks(blocks: Any, limit: int, name: str) -> None:
    if not isinstance(blocks, list):
        raise RenderError(f"{name}: blocks must be a list")
    if len(blocks) > limit:
        raise RenderError(f"{name}: {len(blocks)} blocks (Slack allows {limit})")
    for raw in blocks:
        seen = json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
        if seen in _VALID_BLOCKS:
            continue
        block = Block.parse(raw)
        if block is None:
            raise RenderError(f"{name}: unknown block {raw.get('type')!r}")
        try:
            block.to_dict()  # validates the block and every object in it (validate_json: itself)
        except Exception as exc:
            raise RenderError(f"{name}: {exc}") from None
        text = raw.get("text")
        if raw.get("type") == "section" and isinstance(text, dict):
            if len(text.get("text", "")) > SECTION_TEXT:
                raise RenderError(f"{name}: section text over {SECTION_TEXT} characters")
        if len(_VALID_BLOCKS) >= VALID_BLOCKS_KEPT:
            _VALID_BLOCKS.clear()
        _VALID_BLOCKS.add(seen)


# Blocks that passed validate_blocks, as JSON. A block's validity depends on nothing but its
# content, and messages share many blocks (a week's check-in buttons are the same for
# everyone), while building slack_sdk's models of an actions block walks every element class
# each time: about half of what validating a check-in's status note cost. Bounded: a few MB.
VALID_BLOCKS_KEPT = 2048
_VALID_BLOCKS: set[str] = set()
