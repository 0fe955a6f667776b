"""Text people type or import, made storable the same way on every engine: PostgreSQL refuses
NUL, neither engine can store a lone UTF-16 surrogate, and other control characters only hide
text from the reader."""

from __future__ import annotations

import re
from typing import Any

# C0 controls except tab and newline, DEL, C1 controls, and lone surrogates.
_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_text(value: str) -> str:
    """The text with NUL, other control characters and lone surrogates removed; line breaks
    become `\\n` and tabs stay."""
    return _UNSTORABLE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def clean_strings(node: Any) -> Any:
    """`clean_text` applied to every string in a JSON-like tree (a modal's state)."""
    if isinstance(node, str):
        return clean_text(node)
    if isinstance(node, dict):
        return {key: clean_strings(value) for key, value in node.items()}
    if isinstance(node, list):
        return [clean_strings(value) for value in node]
    return node


def field_problem(label: str, value: str, limit: int) -> str | None:
    """Why an imported field cannot be stored as is: a control character, or too long for its
    column. None when it can."""
    if _UNSTORABLE.search(value.replace("\t", " ").replace("\n", " ")):
        return f"{label} contains a control character (such as NUL); remove it"
    if len(value) > limit:
        return f"{label} is {len(value)} characters; at most {limit}"
    return None
