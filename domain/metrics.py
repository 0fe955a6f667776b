"""Validating metrics from systems of record (CSV file or API body): every problem, each with
its line or item, before anything is written."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cadence.domain.periods import is_week
from cadence.domain.problems import InputProblems
from cadence.domain.roles import Role

HEADER = ["slack_id", "period", "metric", "value"]
KINDS = ("quality", "output")
MAX_ROWS = 50_000  # per CSV file
MAX_API_ITEMS = 10_000  # per API request: the largest batch fits the 1 MB body limit
MAX_DIGITS = 30  # digits of a JSON integer: more is not a metric
MAX_NUMBER_CHARS = 40
_SOURCE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")


@dataclass(frozen=True, slots=True)
class MetricRow:
    where: str  # "line 4" or "metrics[2]"
    slack_id: str
    period: str
    kind: str
    value: float


class MetricsError(InputProblems):
    """Bad metric rows or API bodies."""


def check_source(source: str) -> str | None:
    if not _SOURCE.match(source):
        return (
            f"source {source[:70]!r} must be a short system name "
            "(letters, digits, space, . _ -; up to 64)"
        )
    return None


def _row(
    where: str,
    slack_id: object,
    period: object,
    kind: object,
    value: object,
    people: Mapping[str, Role],
    latest_period: str,
) -> tuple[MetricRow | None, list[str]]:
    bad: list[str] = []
    sid, per, knd = str(slack_id or "").strip(), str(period or "").strip(), str(kind or "").strip()
    role = people.get(sid)
    if role is None:
        bad.append(f"slack_id {sid[:40]!r} is not an active person in the org chart")
    if not is_week(per):
        bad.append(f"period {per[:20]!r} is not an ISO week like 2026-W47")
    elif per > latest_period:
        bad.append(f"period {per} is in the future")
    if knd not in KINDS:
        bad.append(f"metric {knd[:20]!r} must be quality or output")
    number: float | None = None
    if isinstance(value, bool):
        bad.append("value must be a number")
    elif isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            bad.append("value must be a finite number")
    elif isinstance(value, str) and value.strip():
        try:
            if len(value.strip()) > MAX_NUMBER_CHARS:
                raise ValueError(value)
            number = float(value.strip().replace(",", "."))
        except ValueError:
            bad.append(f"value {value.strip()[:20]!r} is not a number")
    else:
        bad.append("value is missing")
    if number is not None and not math.isfinite(number):
        bad.append("value must be a finite number")
        number = None
    if number is not None and role is not None and knd in KINDS:
        metric = role.quality if knd == "quality" else role.output
        problem = metric.check(number)
        if problem:
            bad.append(f"{problem} (role {role.key}, {knd})")
    if bad or number is None:
        return None, [f"{where}: {b}" for b in bad]
    return MetricRow(where, sid, per, knd, number), []


def _finish(rows: list[MetricRow], problems: list[str]) -> list[MetricRow]:
    seen: dict[tuple[str, str, str], str] = {}
    for r in rows:
        key = (r.slack_id, r.period, r.kind)
        if key in seen:
            problems.append(
                f"{r.where}: duplicate of {seen[key]} ({r.slack_id} {r.period} {r.kind})"
            )
        else:
            seen[key] = r.where
    if not rows and not problems:
        problems.append("no metrics given")
    if problems:
        raise MetricsError(problems)
    return rows


def parse_metrics_csv(text: str, people: Mapping[str, Role], latest_period: str) -> list[MetricRow]:
    """All rows, or MetricsError listing every problem as 'line N: ...'."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise MetricsError(
            [f"line 1: the file is empty; expected the header {','.join(HEADER)}"]
        ) from None
    except csv.Error as exc:
        raise MetricsError([f"line 1: unreadable CSV ({exc})"]) from None
    if header != HEADER:
        raise MetricsError(
            [f"line 1: wrong header {','.join(header)!r}; expected {','.join(HEADER)}"]
        )
    rows: list[MetricRow] = []
    problems: list[str] = []
    try:
        records = list(reader)
    except csv.Error as exc:
        raise MetricsError([f"line {reader.line_num}: unreadable CSV ({exc})"]) from None
    if len(records) > MAX_ROWS:
        raise MetricsError([f"{len(records)} rows: import at most {MAX_ROWS} per file"])
    for line, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(HEADER):
            problems.append(f"line {line}: expected {len(HEADER)} columns, found {len(record)}")
            continue
        slack_id, period, kind, value = record
        row, bad = _row(f"line {line}", slack_id, period, kind, value, people, latest_period)
        problems.extend(bad)
        if row is not None:
            rows.append(row)
    return _finish(rows, problems)


class BodyError(ValueError):
    """A request body that is not JSON we can read: the message says why, for a 400."""


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_DIGITS:
        raise BodyError(f"a number has more than {MAX_DIGITS} digits")
    return int(digits)


def _no_constant(name: str) -> float:
    raise BodyError(f"{name} is not a number JSON allows")


def decode_json_body(raw: bytes) -> Any:
    """The parsed body, or BodyError: not UTF-8 JSON, a number with too many digits,
    NaN/Infinity, or nesting deeper than Python can read."""
    try:
        return json.loads(raw.decode("utf-8"), parse_int=_bounded_int, parse_constant=_no_constant)
    except RecursionError:
        raise BodyError("the JSON is nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise BodyError("the body is not valid UTF-8 JSON") from None


def parse_metrics_json(
    body: Any, people: Mapping[str, Role], latest_period: str
) -> tuple[list[MetricRow], str]:
    """(rows, source) from {"source": "zendesk", "metrics": [{slack_id, period, metric,
    value}, ...]}, or MetricsError naming every bad item as 'metrics[i]: ...'."""
    if not isinstance(body, dict):
        raise MetricsError(['the body must be a JSON object like {"metrics": [...]}'])
    unknown = sorted(set(body) - {"metrics", "source"})
    if unknown:
        raise MetricsError([f"unknown field(s): {', '.join(k[:30] for k in unknown)}"])
    source = body.get("source", "api")
    if not isinstance(source, str) or check_source(source):
        raise MetricsError([check_source(str(source)) or "source must be a string"])
    items = body.get("metrics")
    if not isinstance(items, list):
        raise MetricsError(['"metrics" must be a list of {slack_id, period, metric, value}'])
    if len(items) > MAX_API_ITEMS:
        raise MetricsError([f"{len(items):,} metrics: send at most {MAX_API_ITEMS:,} per request"])
    rows: list[MetricRow] = []
    problems: list[str] = []
    for i, item in enumerate(items):
        where = f"metrics[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an object")
            continue
        extra = sorted(set(item) - set(HEADER))
        if extra:
            problems.append(f"{where}: unknown field(s) {', '.join(k[:30] for k in extra)}")
            continue
        row, bad = _row(
            where,
            item.get("slack_id"),
            item.get("period"),
            item.get("metric"),
            item.get("value"),
            people,
            latest_period,
        )
        problems.extend(bad)
        if row is not None:
            rows.append(row)
    return _finish(rows, problems), source
