"""Reading an operator's input file, with problems phrased for the person who made it."""

from __future__ import annotations

from pathlib import Path

from cadence.domain.problems import InputProblems


def read_csv_text(path: Path) -> str:
    """The file's text (a UTF-8 BOM from a spreadsheet is dropped), or InputProblems."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputProblems([f"{path}: cannot be read ({exc.strerror})"]) from None
    except UnicodeDecodeError:
        raise InputProblems([f"{path}: not UTF-8 text (save the CSV as UTF-8)"]) from None
