"""Text people type or import, made storable the same way on every engine: PostgreSQL refuses
NUL, neither engine can store a lone UTF-16 surrogate, and other control characters only hide
text from the reader."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# C0 controls except tab and newline, DEL, C1 controls, and lone surrogates.
_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(value: str) -> str:
    """The text with NUL, other control characters and lone surrogates removed; line breaks
    become `\\n` and tabs stay."""
    return _UNSTORABLE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def map_strings(node: Any, fn: Callable[[str], Any]) -> Any:
    """`fn` applied to every string value in a JSON-like tree (keys stay as they are)."""
    if isinstance(node, str):
        return fn(node)
    if isinstance(node, dict):
        return {key: map_strings(value, fn) for key, value in node.items()}
    if isinstance(node, list):
        return [map_strings(value, fn) for value in node]
    return node


def clean_strings(node: Any) -> Any:
    """`clean_text` applied to every string in a JSON-like tree (a modal's state)."""
    return map_strings(node, clean_text)


def field_problem(label: str, value: str, limit: int) -> str | None:
    """Why an imported field cannot be stored as is: a control character, or too long for its
    column. None when it can."""
    if _UNSTORABLE.search(value.replace("\t", " ").replace("\n", " ")):
        return f"{label} contains a control character (such as NUL); remove it"
    if len(value) > limit:
        return f"{label} is {len(value)} characters; at most {limit}"
    return None
