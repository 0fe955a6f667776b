"""Quarter edges: a week spanning two quarters, ISO week 53, the review window."""

from __future__ import annotations

from datetime import date

import pytest

from cadence.domain.quarters import (
    quarter_of_week,
    quarter_weeks,
    review_quarter_on,
    shift_quarter,
    weeks_until,
)


@pytest.mark.parametrize(
    ("week", "quarter"),
    [
        ("2026-W40", "2026-Q4"),  # Mon 28 Sep – Sun 4 Oct: Thursday 1 Oct decides
        ("2026-W39", "2026-Q3"),
        ("2026-W27", "2026-Q3"),  # Mon 29 Jun – Sun 5 Jul: Thursday 2 Jul
        ("2026-W53", "2026-Q4"),  # 28 Dec 2026 – 3 Jan 2027: Thursday 31 Dec
        ("2026-W01", "2026-Q1"),  # 29 Dec 2025 – 4 Jan 2026: Thursday 1 Jan
        ("2020-W53", "2020-Q4"),  # 28 Dec 2020 – 3 Jan 2021: Thursday 31 Dec
        ("2027-W01", "2027-Q1"),  # 4 – 10 Jan 2027 (1–3 Jan belong to 2026-W53)
    ],
)
def test_a_week_counts_in_the_quarter_of_its_thursday(week: str, quarter: str) -> None:
    assert quarter_of_week(week) == quarter
    assert week in quarter_weeks(quarter)


def test_every_week_belongs_to_exactly_one_quarter() -> None:
    weeks = [
        w for y in (2025, 2026, 2027) for q in (1, 2, 3, 4) for w in quarter_weeks(f"{y}-Q{q}")
    ]
    assert len(weeks) == len(set(weeks)) == 52 + 53 + 52
    assert quarter_weeks("2026-Q4")[-1] == "2026-W53"
    assert len(quarter_weeks("2026-Q4")) == 14
    assert len(quarter_weeks("2027-Q1")) == 12  # 1 Jan 2027 is a Friday


def test_review_window_is_the_last_two_weeks_of_the_quarter() -> None:
    assert review_quarter_on(date(2026, 12, 17)) is None
    assert review_quarter_on(date(2026, 12, 18)) == "2026-Q4"
    assert review_quarter_on(date(2026, 12, 31)) == "2026-Q4"
    assert review_quarter_on(date(2027, 1, 1)) is None
    assert review_quarter_on(date(2026, 9, 17)) == "2026-Q3"
    assert shift_quarter("2026-Q4", 1) == "2027-Q1"
    assert shift_quarter("2026-Q1", -1) == "2025-Q4"


def test_weeks_so_far() -> None:
    assert weeks_until("2026-Q4", date(2026, 9, 28)) == ["2026-W40"]  # W40 starts in Q3
    assert weeks_until("2026-Q4", date(2026, 12, 18))[-1] == "2026-W51"
