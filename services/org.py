"""Loading the org chart from CSV: all or nothing."""

from __future__ import annotations

from pathlib import Path

from domain.org import OrgFileError, parse_org_csv
from services.deps import Deps
from storage import repo
from storage.db import session_scope


def import_org(deps: Deps, path: Path) -> repo.ImportResult:
    """Validate the whole file, then upsert it in one transaction. Raises OrgFileError listing
    every problem by line; nothing is written then."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise OrgFileError([f"{path}: cannot be read ({exc.strerror})"]) from None
    except UnicodeDecodeError:
        raise OrgFileError([f"{path}: not UTF-8 text (save the CSV as UTF-8)"]) from None
    rows = parse_org_csv(text, set(deps.roles))
    now = deps.clock.now()
    with session_scope(deps.engine) as session:
        result = repo.upsert_people(rows, now, session=session)
        repo.audit(
            "cli",
            "import.org",
            path.name,
            f"{result.created} new, {result.updated} changed, {result.deactivated} deactivated",
            now,
            session=session,
        )
    return result
