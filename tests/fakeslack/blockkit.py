"""Block Kit validation the way Slack refuses payloads (DESIGN.md section 8).

Two layers: slack_sdk's own models (unknown block types, its JSON validators) and an explicit
walk of the JSON for the limits slack_sdk does not enforce everywhere. Every function returns a
list of human-readable problems; an empty list means Slack would accept the payload.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_MESSAGE_TEXT = 40_000
VIEW_TYPES = ("modal", "home")

_ID_KEYS = ("block_id", "action_id", "callback_id")
_MAX_ID = 255
_OPTION_TYPES = (
    "static_select",
    "multi_static_select",
    "overflow",
    "radio_buttons",
    "checkboxes",
)


def _text_of(obj: Any) -> str | None:
    """The string inside a text object (or a bare string), else None."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, dict):
        text = obj.get("text")
        if isinstance(text, str):
            return text
    return None


def _check_len(problems: list[str], where: str, value: Any, limit: int) -> None:
    text = _text_of(value)
    if text is not None and len(text) > limit:
        problems.append(f"{where}: {len(text)} characters, more than {limit}")


def _check_options(problems: list[str], where: str, element: dict[str, Any]) -> None:
    options = element.get("options")
    groups = element.get("option_groups")
    all_options: list[tuple[str, Any]] = []
    if isinstance(options, list):
        all_options += [(f"{where}.options[{i}]", o) for i, o in enumerate(options)]
        if len(options) > 100:
            problems.append(f"{where}.options: {len(options)} options, more than 100")
    if isinstance(groups, list):
        if len(groups) > 100:
            problems.append(f"{where}.option_groups: {len(groups)} groups, more than 100")
        for g, group in enumerate(groups):
            group_options = group.get("options") if isinstance(group, dict) else None
            if isinstance(group_options, list):
                if len(group_options) > 100:
                    problems.append(
                        f"{where}.option_groups[{g}].options: {len(group_options)} options, "
                        "more than 100"
                    )
                all_options += [
                    (f"{where}.option_groups[{g}].options[{i}]", o)
                    for i, o in enumerate(group_options)
                ]
    for path, option in all_options:
        if not isinstance(option, dict):
            problems.append(f"{path}: not an object")
            continue
        _check_len(problems, f"{path}.text", option.get("text"), 75)
        _check_len(problems, f"{path}.value", option.get("value"), 150)


def _check_element(problems: list[str], where: str, element: dict[str, Any]) -> None:
    kind = element.get("type")
    if kind in _OPTION_TYPES:
        _check_options(problems, where, element)
    if kind == "button":
        _check_len(problems, f"{where}.text", element.get("text"), 75)
        _check_len(problems, f"{where}.value", element.get("value"), 2000)
        _check_len(problems, f"{where}.url", element.get("url"), 3000)
    if kind == "plain_text_input":
        max_length = element.get("max_length")
        if isinstance(max_length, int) and max_length > 3000:
            problems.append(f"{where}.max_length: {max_length}, more than 3000")
        _check_len(problems, f"{where}.initial_value", element.get("initial_value"), 3000)
    if "placeholder" in element:
        _check_len(problems, f"{where}.placeholder", element.get("placeholder"), 150)


def _check_block(problems: list[str], where: str, block: dict[str, Any]) -> None:
    kind = block.get("type")
    if kind == "section":
        _check_len(problems, f"{where}.text", block.get("text"), 3000)
        fields = block.get("fields")
        if isinstance(fields, list):
            if len(fields) > 10:
                problems.append(f"{where}.fields: {len(fields)} fields, more than 10")
            for i, field in enumerate(fields):
                _check_len(problems, f"{where}.fields[{i}]", field, 2000)
    elif kind == "header":
        _check_len(problems, f"{where}.text", block.get("text"), 150)
    elif kind == "actions":
        elements = block.get("elements")
        if isinstance(elements, list) and len(elements) > 25:
            problems.append(f"{where}.elements: {len(elements)} elements, more than 25")
    elif kind == "context":
        elements = block.get("elements")
        if isinstance(elements, list) and len(elements) > 10:
            problems.append(f"{where}.elements: {len(elements)} elements, more than 10")
    elif kind == "input":
        _check_len(problems, f"{where}.label", block.get("label"), 2000)
        _check_len(problems, f"{where}.hint", block.get("hint"), 2000)


def _walk(problems: list[str], where: str, node: Any, *, is_block: bool) -> None:
    """Visit every dict below `node`, checking ids everywhere and limits by type."""
    if isinstance(node, list):
        for i, item in enumerate(node):
            _walk(problems, f"{where}[{i}]", item, is_block=is_block)
        return
    if not isinstance(node, dict):
        return
    for key in _ID_KEYS:
        value = node.get(key)
        if isinstance(value, str) and len(value) > _MAX_ID:
            problems.append(f"{where}.{key}: {len(value)} characters, more than {_MAX_ID}")
    if is_block:
        _check_block(problems, where, node)
    elif isinstance(node.get("type"), str):
        _check_element(problems, where, node)
    for key, value in node.items():
        if isinstance(value, dict | list):
            # Only the top level of a blocks list holds blocks; nested objects are elements
            # (or text objects, which _check_element ignores).
            _walk(problems, f"{where}.{key}", value, is_block=False)


def validate_blocks(blocks: Any, *, limit: int, where: str = "blocks") -> list[str]:
    """Problems in a list of blocks (for a message when limit=50, a view when 100)."""
    if not isinstance(blocks, list):
        return [f"{where}: must be a list of blocks, got {type(blocks).__name__}"]
    problems: list[str] = []
    if len(blocks) > limit:
        problems.append(f"{where}: {len(blocks)} blocks, more than {limit}")
    for i, raw in enumerate(blocks):
        path = f"{where}[{i}]"
        if not isinstance(raw, dict):
            problems.append(f"{path}: not an object")
            continue
        parsed = Block.parse(raw)
        if parsed is None:
            problems.append(f"{path}: unknown block type {raw.get('type')!r}")
            continue
        try:
            parsed.to_dict()
        except SlackObjectFormationError as exc:
            problems.append(f"{path}: {exc}")
        _walk(problems, path, raw, is_block=True)
    return problems


def validate_message(args: dict[str, Any]) -> list[str]:
    """Problems in the arguments of chat.postMessage / chat.update / chat.postEphemeral."""
    problems: list[str] = []
    text = args.get("text")
    if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
        problems.append(f"text: {len(text)} characters, more than {MAX_MESSAGE_TEXT}")
    if "blocks" in args and args["blocks"] is not None:
        problems += validate_blocks(args["blocks"], limit=MAX_MESSAGE_BLOCKS)
    return problems


def validate_view(view: Any) -> list[str]:
    """Problems in the `view` argument of views.open / update / push / publish."""
    if not isinstance(view, dict):
        return [f"view: must be an object, got {type(view).__name__}"]
    problems: list[str] = []
    kind = view.get("type")
    if kind not in VIEW_TYPES:
        problems.append(f"view.type: must be one of {VIEW_TYPES}, got {kind!r}")
    for key in ("title", "submit", "close"):
        _check_len(problems, f"view.{key}", view.get(key), 24)
    _check_len(problems, "view.private_metadata", view.get("private_metadata"), 3000)
    _check_len(problems, "view.callback_id", view.get("callback_id"), 255)
    if kind == "modal" and view.get("title") is None:
        problems.append("view.title: a modal needs a title")
    blocks = view.get("blocks", [])
    problems += validate_blocks(blocks, limit=MAX_VIEW_BLOCKS, where="view.blocks")
    if not problems:
        # slack_sdk's own validators (e.g. home views without submit/close).
        try:
            View(**view).to_dict()
        except (SlackObjectFormationError, TypeError, AttributeError) as exc:
            problems.append(f"view: {exc}")
    return problems


# String values slack_sdk's validators read beyond their length; every other string only
# matters through its length, so payloads that differ only there share one verdict.
_CONTENT_KEYS = frozenset(
    {"type", "style", "initial_time", "initial_date", "status", "level", "width", "timezone"}
)


def _shape(node: Any, key: str | None = None) -> Any:
    """A hashable digest of `node` that keeps everything validation depends on."""
    kind = type(node)
    if kind is str:
        return node if key in _CONTENT_KEYS else ("s", len(node))
    if kind is dict:
        return ("{", tuple([(k, _shape(v, k)) for k, v in node.items()]))
    if kind is list:
        return ("[", tuple([_shape(v) for v in node]))
    return (kind, node)


class Validator:
    """validate_message / validate_view with a bounded memo of verdicts.

    slack_sdk's validation costs ~0.1-1 ms per message; a fake that must answer ~1,000
    requests/s cannot pay that for every copy of the same template.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self._max = max_entries
        self._memo: dict[Any, list[str]] = {}

    def _cached(self, kind: str, payload: Any, check: Callable[[Any], list[str]]) -> list[str]:
        try:
            key = (kind, _shape(payload))
            hash(key)
        except TypeError:  # an unhashable scalar: validate without the memo
            return check(payload)
        verdict = self._memo.get(key)
        if verdict is None:
            if len(self._memo) >= self._max:
                self._memo.clear()
            verdict = self._memo[key] = check(payload)
        return list(verdict)

    def message(self, args: dict[str, Any]) -> list[str]:
        payload = {"text": args.get("text"), "blocks": args.get("blocks")}
        return self._cached("message", payload, validate_message)

    def view(self, view: Any) -> list[str]:
        return self._cached("view", view, validate_view)
