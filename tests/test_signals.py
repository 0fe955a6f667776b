"""The paired-metric reading rules (DESIGN.md section 5), table-driven, edges included."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cadence.domain.roles import Metric, Role
from cadence.domain.signals import SignalKind as K
from cadence.domain.signals import baseline, read_pair

# CSAT moves in a narrow band: roles.toml gives it a 3 % noise band instead of the default 10 %.
QUALITY = Metric("quality", "CSAT", "%", True, 0, 100, True, 0.03, floor=85)
OUTPUT = Metric("output", "Tickets", "tickets/week", True, 0, 1000, False, 0.10, target=60)
SUPPORT = Role("support", "Support", QUALITY, OUTPUT, ())
# Lower is better: "reopened %" must stay under a ceiling of 10; "minutes per ticket" as output.
REOPEN = replace(QUALITY, name="Reopened", higher_is_better=False, floor=10)
MINUTES = replace(OUTPUT, name="Minutes per ticket", higher_is_better=False, target=20)
LOWER = Role("lower", "Lower", REOPEN, MINUTES, ())

H4 = [90.0, 90.0, 90.0, 90.0]  # quality history
O4 = [50.0, 50.0, 50.0, 50.0]  # output history


@pytest.mark.parametrize(
    ("role", "quality", "output", "prev_q", "prev_o", "expected"),
    [
        # no check-in this week
        (SUPPORT, None, None, H4, O4, K.MISSING),
        (SUPPORT, 91, None, H4, O4, K.MISSING),
        # below the floor wins over everything, even without history; exactly on it is fine
        (SUPPORT, 80, 70, [], [], K.QUALITY_BELOW_FLOOR),
        (SUPPORT, 84.9, 50, H4, O4, K.QUALITY_BELOW_FLOOR),
        (SUPPORT, 85, 50, [85, 85, 85, 85], O4, K.HEALTHY),
        # no history, or one answered week only
        (SUPPORT, 90, 50, [], [], K.NOT_ENOUGH_HISTORY),
        (SUPPORT, 90, 50, [None, None, 90], [None, None, 50], K.NOT_ENOUGH_HISTORY),
        # two answered weeks are enough; missing weeks in between are skipped
        (SUPPORT, 90, 50, [90, None, None, 90], [50, None, None, 50], K.HEALTHY),
        # output up, quality down → strain
        (SUPPORT, 86, 70, H4, O4, K.STRAIN),
        # quality up, output down or flat → stall
        (SUPPORT, 99.5, 40, H4, O4, K.STALL),
        (SUPPORT, 99.5, 52, H4, O4, K.STALL),
        # both down → support; one down, the other flat → support
        (SUPPORT, 86, 40, H4, O4, K.SUPPORT),
        (SUPPORT, 90, 40, H4, O4, K.SUPPORT),
        # both up, or steady → healthy; within the band (3 % quality, 10 % output) is steady
        (SUPPORT, 99.5, 70, H4, O4, K.HEALTHY),
        (SUPPORT, 90, 50, H4, O4, K.HEALTHY),
        (SUPPORT, 90, 54.9, H4, O4, K.HEALTHY),
        (SUPPORT, 90, 55.1, H4, O4, K.HEALTHY),  # output up, quality flat
        # zero baseline: the band falls back to 1 % of the range (10 tickets × 10 % = 1)
        (SUPPORT, 87.5, 52, H4, O4, K.HEALTHY),
        (SUPPORT, 90, 0.5, H4, [0, 0, 0, 0], K.HEALTHY),
        (SUPPORT, 90, 5, H4, [0, 0, 0, 0], K.HEALTHY),
        (SUPPORT, 86, 5, H4, [0, 0, 0, 0], K.STRAIN),
        # lower is better: reopened % rising past the ceiling is a floor breach
        (LOWER, 12, 20, [5, 5, 5, 5], [20, 20, 20, 20], K.QUALITY_BELOW_FLOOR),
        (LOWER, 10, 20, [10, 10, 10, 10], [20, 20, 20, 20], K.HEALTHY),
        # fewer minutes per ticket (more output) while reopens rise → strain
        (LOWER, 8, 15, [5, 5, 5, 5], [20, 20, 20, 20], K.STRAIN),
        # reopens fall (quality up) while minutes per ticket rise (output down) → stall
        (LOWER, 3, 25, [5, 5, 5, 5], [20, 20, 20, 20], K.STALL),
    ],
)
def test_signal_table(role: Role, quality, output, prev_q, prev_o, expected: K) -> None:  # type: ignore[no-untyped-def]
    assert read_pair(role, quality, output, prev_q, prev_o).kind == expected


def test_baseline_is_the_mean_of_the_last_four_answered_weeks() -> None:
    assert baseline([10, 100, 100, None, 100, 100]) == 100
    assert baseline([None, 5]) is None
    assert baseline([4, None, 6]) == 5


def test_reading_reports_change_against_baseline() -> None:
    signal = read_pair(SUPPORT, 86, 70, H4, O4)
    assert signal.quality.baseline == 90 and signal.quality.change == -4
    assert signal.output.change_pct == pytest.approx(0.4)
    assert signal.flagged and signal.action.startswith("Check process strain")
    zero = read_pair(SUPPORT, 90, 5, H4, [0, 0, 0, 0])
    assert zero.output.change_pct is None  # no percentage of a zero baseline
