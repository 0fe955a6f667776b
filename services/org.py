"""Loading the org chart from CSV: all or nothing."""

from __future__ import annotations

from pathlib import Path

from cadence.domain.org import parse_org_csv
from cadence.services import rounds
from cadence.services.deps import Deps
from cadence.services.files import read_csv_text
from cadence.storage import repo
from cadence.storage.db import session_scope


def import_org(deps: Deps, path: Path) -> repo.ImportResult:
    """Validate the whole file, then upsert it in one transaction. Raises InputProblems
    listing every problem by line; nothing is written then. The reviewers of open rounds
    asked about someone who left or came back read it in their DMs (services.rounds)."""
    rows = parse_org_csv(read_csv_text(path), set(deps.roles))
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        result = repo.upsert_people(rows, now, session=session)
        rounds.refresh_dms_about(deps, result.came_or_went, now, open_only=True, session=session)
        repo.audit(
            "cli",
            "import.org",
            path.name,
            f"{result.created} new, {result.updated} changed, {result.deactivated} deactivated",
            now,
            session=session,
        )
    deps.wake_sender()
    return result
