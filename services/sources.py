"""Where the evidence pack's data from other features comes from, passed in through Deps.

Kudos (issue 4) and imported metrics (issue 3) live in tables this branch does not have; the
evidence pack takes them through these two callables. Left unset, the pack says that kudos
are not collected, and the pair comes from check-ins alone: nothing is made up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session


class ImportedMetricsSource(Protocol):
    def __call__(
        self, person_ids: Sequence[int], periods: Sequence[str], *, session: Session
    ) -> Mapping[tuple[int, str], tuple[float | None, float | None]]:
        """Imported (quality, output) per (person id, ISO week); they take precedence over
        self-reported check-in values."""
        ...


@dataclass(frozen=True)
class EvidenceSources:
    imported_metrics: ImportedMetricsSource | None = None
