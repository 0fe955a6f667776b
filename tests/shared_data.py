"""Where Slack's request shapes and Web API index come from: the workplace's ../shared when it
is there (the authoritative copy), otherwise the copy vendored in tests/data so a fresh clone
anywhere can run the suite."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_SIBLING = ROOT.parent / "shared"
SHARED = _SIBLING if (_SIBLING / "payloads").is_dir() else ROOT / "tests" / "data"
PAYLOADS = SHARED / "payloads"
METHODS_INDEX = SHARED / "slack" / "slack_methods_index.json"
