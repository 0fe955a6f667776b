"""Validating an org chart CSV: every problem, with its line number, before anything is written."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from cadence.domain.holidays import is_country
from cadence.domain.periods import is_valid_timezone
from cadence.domain.problems import InputProblems
from cadence.domain.text import field_problem

HEADER = ["slack_id", "email", "name", "manager_slack_id", "role", "timezone", "hr_admin"]
OPTIONAL = ["country"]  # ISO 3166 alpha-2: the person's public holidays
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
# The longest each field may be: the columns' sizes (storage/models.py Person).
LIMITS = {"slack_id": 32, "email": 320, "name": 200, "role": 64, "timezone": 64}
_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n", ""}


@dataclass(frozen=True, slots=True)
class OrgRow:
    line: int
    slack_id: str
    email: str
    name: str
    manager_slack_id: str | None
    role: str
    timezone: str  # "" = unknown, filled from Slack when first needed
    hr_admin: bool
    country: str | None = None  # ISO 3166 alpha-2; "" = none; None: no such column (keep)


class OrgFileError(InputProblems):
    """Bad org chart rows."""


def parse_org_csv(text: str, roles: set[str]) -> list[OrgRow]:
    """All rows, or OrgFileError listing every problem as 'line N: ...'."""
    if text.startswith("\ufeff"):
        text = text[1:]
    reader = csv.reader(io.StringIO(text))
    problems: list[str] = []
    try:
        header = next(reader)
    except StopIteration:
        raise OrgFileError(
            ["line 1: the file is empty; expected the header " + ",".join(HEADER)]
        ) from None
    header = [h.strip().lower() for h in header]
    if header not in (HEADER, HEADER + OPTIONAL):
        raise OrgFileError(
            [
                f"line 1: wrong header {','.join(header)!r}; expected {','.join(HEADER)} "
                f"(and optionally ,{','.join(OPTIONAL)})"
            ]
        )
    rows: list[OrgRow] = []
    first_line: dict[str, int] = {}
    try:
        records = list(reader)
    except csv.Error as exc:
        raise OrgFileError([f"line {reader.line_num}: unreadable CSV ({exc})"]) from None
    for offset, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            problems.append(f"line {offset}: expected {len(header)} columns, found {len(record)}")
            continue
        cells = [cell.strip() for cell in record] + [""] * (len(HEADER) + len(OPTIONAL))
        slack_id, email, name, manager, role, tz, hr, country = cells[: len(HEADER) + 1]
        country = country.upper()
        fields = {"slack_id": slack_id, "email": email, "name": name, "role": role, "timezone": tz}
        bad = [
            problem
            for label, value in fields.items()
            if (problem := field_problem(label, value, LIMITS[label])) is not None
        ]
        if bad:  # the other checks would quote the unstorable value back
            problems.extend(f"line {offset}: {b}" for b in bad)
            continue
        if not _SLACK_ID.match(slack_id):
            bad.append(f"slack_id {slack_id!r} is not a Slack user ID (like U012AB3CD)")
        elif slack_id in first_line:
            bad.append(f"duplicate slack_id {slack_id} (first on line {first_line[slack_id]})")
        else:
            first_line[slack_id] = offset
        if not _EMAIL.match(email):
            bad.append(f"malformed email {email!r}")
        if not name:
            bad.append("name is empty")
        if role not in roles:
            bad.append(f"unknown role {role!r} (known: {', '.join(sorted(roles))})")
        if tz and not is_valid_timezone(tz):
            bad.append(f"invalid time zone {tz!r} (use an IANA name like Europe/Paris)")
        if country and not is_country(country):
            bad.append(
                f"unknown country {country!r} (use an ISO 3166 alpha-2 code like FR, or leave "
                "it empty)"
            )
        if hr.lower() not in _TRUE | _FALSE:
            bad.append(f"hr_admin must be true or false, not {hr!r}")
        if manager and manager == slack_id:
            bad.append("a person cannot be their own manager")
        problems.extend(f"line {offset}: {b}" for b in bad)
        rows.append(
            OrgRow(
                line=offset,
                slack_id=slack_id,
                email=email,
                name=name,
                manager_slack_id=manager or None,
                role=role,
                timezone=tz,
                hr_admin=hr.lower() in _TRUE,
                country=country if len(header) > len(HEADER) else None,
            )
        )
    known = set(first_line)
    for row in rows:
        if row.manager_slack_id and row.manager_slack_id not in known:
            problems.append(
                f"line {row.line}: unknown manager {row.manager_slack_id} (not in this file)"
            )
    problems.extend(_cycles([r for r in rows if first_line.get(r.slack_id) == r.line]))
    if not rows and not problems:
        problems.append("the file has a header but no people")
    if problems:
        problems.sort(
            key=lambda p: int(p.split(":", 1)[0].split()[1]) if p.startswith("line ") else 0
        )
        raise OrgFileError(problems)
    return rows


def _cycles(rows: list[OrgRow]) -> list[str]:
    manager_of = {r.slack_id: r.manager_slack_id for r in rows}
    line_of = {r.slack_id: r.line for r in rows}
    reported: set[str] = set()
    problems = []
    for start in manager_of:
        seen: list[str] = []
        node: str | None = start
        while node is not None and node in manager_of and node not in seen:
            seen.append(node)
            node = manager_of[node]
        if node is not None and node in seen:
            cycle = seen[seen.index(node) :]
            key = min(cycle)
            if key in reported:
                continue
            reported.add(key)
            first = min(cycle, key=lambda s: line_of[s])
            path = " → ".join([*cycle, cycle[0]])
            problems.append(f"line {line_of[first]}: management cycle {path}")
    return problems
