"""The dependencies every use case receives (passed in, never imported as globals)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from config import Settings
from delivery.gateway import SlackGateway
from delivery.pacing import Foreground
from domain.clock import Clock
from domain.roles import Role
from domain.schedule import DEFAULT_SCHEDULE, Schedule
from prompts.render import Renderer
from storage.db import GroupCommit


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

    def __post_init__(self) -> None:
        self.writes = GroupCommit(self.engine)
