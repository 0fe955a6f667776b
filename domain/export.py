"""Rules for the CSV exports."""

from __future__ import annotations

import re

# What a spreadsheet may run as a formula at the start of a cell: = + - @ and their full-width
# forms, possibly behind spaces or invisible characters (zero-width space/joiners, word joiner,
# BOM, no-break space).
_INVISIBLE = " \u00a0\u200b\u200c\u200d\u2060\ufeff"
_TRIGGER = "=+\\-@\uff1d\uff0b\uff0d\uff20"
# Where a cell may start: the start of the text, or after any separator a spreadsheet may be
# told to split on (comma, semicolon, tab, pipe) — `ok;=cmd|...` opened with `;` as the
# separator is two cells, the second a formula.
_FORMULA_START = re.compile(rf"(?:^|(?<=[,;\t|]))(?=[{_INVISIBLE}]*[{_TRIGGER}])")


def csv_safe(value: object) -> str:
    """Text a spreadsheet will not run as a formula, whatever separator it splits on: a `'`
    goes before every place a cell could start with a formula (the text is otherwise kept)."""
    text = _FORMULA_START.sub("'", str(value))
    return "'" + text if text[:1] in {"\t", "\r"} else text
