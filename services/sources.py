"""Where the evidence pack's data from other features comes from, passed in through Deps.

Kudos (issue 4) and imported metrics (issue 3) live in tables this branch does not have; the
evidence pack takes them through these two callables. Left unset, the pack says that kudos
are not collected, and the pair comes from check-ins alone: nothing is made up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlmodel import Session

from domain.reviews import KudosItem


class KudosSource(Protocol):
    def __call__(
        self, person_ids: Sequence[int], period_start: date, period_end: date, *, session: Session
    ) -> Mapping[int, Sequence[KudosItem]]:
        """Kudos each person received between the two dates (inclusive), oldest first."""
        ...


class ImportedMetricsSource(Protocol):
    def __call__(
        self, person_ids: Sequence[int], periods: Sequence[str], *, session: Session
    ) -> Mapping[tuple[int, str], tuple[float | None, float | None]]:
        """Imported (quality, output) per (person id, ISO week); they take precedence over
        self-reported check-in values."""
        ...


@dataclass(frozen=True)
class EvidenceSources:
    kudos: KudosSource | None = None
    imported_metrics: ImportedMetricsSource | None = None
