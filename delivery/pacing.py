"""An adaptive pace shared by all sender threads: never faster than the configured ceiling,
and after a 429 settle near the rate Slack actually allowed, then probe upward slowly."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pacer:
    def __init__(
        self,
        max_rate: float,
        *,
        min_rate: float = 0.2,
        probe_step: float = 0.01,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.max_rate = max_rate
        self.min_rate = min_rate
        self.rate = max_rate
        self.probe_step = probe_step
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_slot = monotonic()
        self._paused_until = 0.0
        self._window_start = monotonic()
        self._window_sent = 0
        self._last_probe = monotonic()
        self.rate_limited = 0

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for the next send slot. False when `stop` was set while waiting."""
        with self._lock:
            now = self._monotonic()
            start = max(self._next_slot, self._paused_until, now)
            self._next_slot = start + 1.0 / self.rate
            wait = start - now
        if wait > 0:
            if stop is not None:
                if stop.wait(wait):
                    return False
            else:
                self._sleep(wait)
        return stop is None or not stop.is_set()

    def sent(self) -> None:
        with self._lock:
            self._window_sent += 1
            now = self._monotonic()
            # Additive probe: a clean second lets the pace grow by `probe_step` of itself.
            if now - self._last_probe >= 1.0:
                self.rate = min(self.max_rate, self.rate * (1 + self.probe_step))
                self._last_probe = now

    def throttled(self, retry_after: float) -> None:
        """Slack said 429: everyone waits `retry_after`, and the pace drops to what got through
        since the previous 429 (the rate Slack sustained over that stretch)."""
        with self._lock:
            now = self._monotonic()
            self.rate_limited += 1
            elapsed = now - self._window_start
            if elapsed >= 1.0 and self._window_sent:
                observed = self._window_sent / (elapsed + max(retry_after, 0.0))
                self.rate = max(self.min_rate, min(self.max_rate, observed))
            self._paused_until = max(self._paused_until, now + max(retry_after, 0.0))
            self._next_slot = self._paused_until
            self._window_start = now
            self._window_sent = 0
            self._last_probe = self._paused_until
