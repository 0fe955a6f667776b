"""Metrics from systems of record: `python bot.py import-metrics FILE.csv` and
`POST /api/metrics`. Same validation for both; all or nothing; audited."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cadence.domain.metrics import (
    BodyError,
    MetricRow,
    MetricsError,
    check_source,
    decode_json_body,
    parse_metrics_csv,
    parse_metrics_json,
)
from cadence.domain.periods import current_week, shift_week
from cadence.domain.roles import Role
from cadence.services.deps import Deps
from cadence.services.files import read_csv_text
from cadence.storage import digest_repo, repo
from cadence.storage.db import read_scope, session_scope


@dataclass(frozen=True, slots=True)
class MetricsImported:
    written: int
    people: int
    periods: int


def _context(deps: Deps) -> tuple[dict[str, tuple[int, Role]], str]:
    """Active people with a known role, and the latest acceptable period (this week, with a
    day's slack for zones ahead of UTC)."""
    with read_scope(deps.engine) as session:
        people = repo.active_people(session=session)
    known = {
        p.slack_id: (p.id, deps.roles[p.role])
        for p in people
        if p.id is not None and p.role in deps.roles
    }
    latest = shift_week(current_week(deps.clock.now(), "UTC"), 1)
    return known, latest


def _write(
    deps: Deps,
    rows: list[MetricRow],
    ids: dict[str, tuple[int, Role]],
    source: str,
    actor: str,
    what: str,
) -> MetricsImported:
    now = deps.clock.now()
    values = [
        digest_repo.ImportedMetric(ids[r.slack_id][0], r.period, r.kind, r.value) for r in rows
    ]
    with session_scope(deps.engine) as session:
        written = digest_repo.upsert_metric_values(values, source, now, session=session)
        repo.audit(
            actor, "import.metrics", what, f"{written} values from {source}", now, session=session
        )
    return MetricsImported(written, len({r.slack_id for r in rows}), len({r.period for r in rows}))


def import_metrics_file(deps: Deps, path: Path, source: str = "csv") -> MetricsImported:
    """Validate the whole file, then write it in one transaction. Raises MetricsError listing
    every problem by line; nothing is written then."""
    problem = check_source(source)
    if problem:
        raise MetricsError([problem])
    text = read_csv_text(path)
    known, latest = _context(deps)
    roles = {sid: role for sid, (_, role) in known.items()}
    rows = parse_metrics_csv(text, roles, latest)
    return _write(deps, rows, known, source, "cli", path.name)


def import_metrics_body(deps: Deps, raw: bytes) -> tuple[int, dict[str, Any]]:
    """The API's answer to a JSON body: (HTTP status, JSON object). Nothing is written unless
    every item is valid."""
    try:
        body = decode_json_body(raw)
    except BodyError as exc:
        return 400, {"ok": False, "error": f"Nothing was written: {exc}."}
    known, latest = _context(deps)
    roles = {sid: role for sid, (_, role) in known.items()}
    try:
        rows, source = parse_metrics_json(body, roles, latest)
    except MetricsError as exc:
        return 422, {
            "ok": False,
            "error": "Nothing was written: fix these problems and send the whole batch again.",
            "problems": exc.problems[:200],
        }
    result = _write(deps, rows, known, source, "api", source)
    return 200, {"ok": True, "written": result.written}
