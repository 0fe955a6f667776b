"""The dependencies every use case receives (passed in, never imported as globals)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.engine import Engine

from cadence.config import Settings
from cadence.delivery.gateway import SlackGateway
from cadence.delivery.pacing import Foreground
from cadence.domain.clock import Clock
from cadence.domain.roles import Role
from cadence.domain.schedule import DEFAULT_SCHEDULE, Schedule
from cadence.prompts.render import Renderer
from cadence.storage.db import GroupCommit
from cadence.storage.sealing import Sealer, load_sealer


def _nothing() -> None:
    return None


@dataclass
class Deps:
    settings: Settings
    engine: Engine
    clock: Clock
    roles: dict[str, Role]
    renderer: Renderer
    slack: SlackGateway
    schedule: Schedule = DEFAULT_SCHEDULE
    wake_sender: Callable[[], None] = field(default=_nothing)
    writes: GroupCommit = field(init=False)  # interactive writes, committed together
    foreground: Foreground = field(default_factory=Foreground)  # requests the sender yields to
    rng: random.Random = field(default_factory=random.SystemRandom)  # shuffles opened answers

    def __post_init__(self) -> None:
        self.writes = GroupCommit(self.engine)

    @cached_property
    def sealer(self) -> Sealer:
        """Seals anonymous answers with the key from CADENCE_SECRET_KEY or the key file."""
        return load_sealer(self.settings.cadence_secret_key, self.settings.database_url)
