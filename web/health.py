"""GET /healthz: 200 only when a request would succeed (storage.db.health_problem), answered
within a second whatever the database does: the check runs on its own thread, one at a time
(a check stuck behind a lock is not started again by every caller), and a caller that has
waited HEALTH_BUDGET seconds gets 503."""

from __future__ import annotations

import threading

from sqlalchemy.engine import Engine

from cadence.storage.db import health_problem

HEALTH_BUDGET = 0.9  # seconds a caller waits for the check


class HealthCheck:
    def __init__(self, engine: Engine, budget: float = HEALTH_BUDGET) -> None:
        self.engine = engine
        self.budget = budget
        self._lock = threading.Lock()
        self._running: _Check | None = None

    def __call__(self) -> str | None:
        """None when healthy, else what is wrong in one sentence."""
        with self._lock:
            check = self._running
            if check is None:
                check = self._running = _Check()
                threading.Thread(target=self._check, args=(check,), daemon=True).start()
        if not check.done.wait(self.budget):
            return f"the database did not answer within {self.budget:g} s"
        return check.result

    def _check(self, check: _Check) -> None:
        try:
            check.result = health_problem(self.engine)
        except Exception as exc:  # health_problem catches database errors; anything else too
            check.result = f"health check failed ({type(exc).__name__})"
        with self._lock:
            self._running = None
        check.done.set()


class _Check:
    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: str | None = None
