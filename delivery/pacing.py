"""An adaptive pace shared by all sender threads for one Web API method (AIMD).

Never faster than the configured ceiling. Slack answers an overrun with 429 and an integer
Retry-After (at least one second), so every 429 costs a whole pause: the pacer's job is to
find the rate Slack sustains within a couple of 429s and then stay just under it.

- A 429 pauses everyone for Retry-After. Requests that were already in flight and come back
  429 during the pause only extend it.
- The first 429 after a pause measures what Slack let through since the previous 429: that
  window holds one pause and one refill, so it is the sustained rate (the burst a token bucket
  grants after the pause is paid for by the pause). The pace drops to just under that, and at
  least by a multiplicative factor.
- While no 429 comes, the pace creeps up (a small step every few seconds) to find out whether
  Slack allows more.
- After an idle stretch the measurement starts afresh (an idle sender says nothing about the
  limit).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Pacer:
    def __init__(
        self,
        max_rate: float,
        *,
        min_rate: float = 0.2,
        margin: float = 0.03,
        decrease: float = 0.9,
        probe_step: float = 0.01,
        probe_every: float = 2.0,
        idle_gap: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        """`monotonic` and `sleep` may be virtual (tests): every wait then goes through
        `sleep`; by default a wait ends early when acquire's `stop` is set."""
        if max_rate <= 0:
            raise ValueError("max_rate must be positive")
        self.max_rate = max_rate
        self.min_rate = min(min_rate, max_rate)
        self.margin = margin
        self.decrease = decrease
        self.probe_step = probe_step
        self.probe_every = probe_every
        self.idle_gap = idle_gap
        self.rate = max_rate
        self.rate_limited = 0  # 429 answers seen
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        now = monotonic()
        self._next_slot = now
        self._paused_until = now
        self._epoch = 0  # bumped by every new pause: slots taken before it are void
        self._window_start = now  # since the last 429 (or the start of this busy stretch)
        self._window_sent = 0
        self._probe_at = now + probe_every

    @property
    def paused_for(self) -> float:
        """Seconds left in the current Retry-After pause (0 when not paused)."""
        with self._lock:
            return max(0.0, self._paused_until - self._monotonic())

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for the next send slot. False when `stop` was set while waiting."""
        while True:
            with self._lock:
                now = self._monotonic()
                if now - max(self._next_slot, self._paused_until) > self.idle_gap:
                    # Nobody used the pace for a while: what follows is a new busy stretch.
                    self._window_start, self._window_sent = now, 0
                start = max(self._next_slot, self._paused_until, now)
                self._next_slot = start + 1.0 / self.rate
                epoch = self._epoch
                wait = start - now
            if wait > 0:
                if self._sleep is not None:
                    self._sleep(wait)
                elif stop is not None:
                    if stop.wait(wait):
                        return False
                else:
                    time.sleep(wait)
                with self._lock:
                    if self._epoch != epoch:
                        continue  # a 429 came while we waited: queue up after its pause
            return stop is None or not stop.is_set()

    def sent(self) -> None:
        """A call went through."""
        with self._lock:
            self._window_sent += 1
            now = self._monotonic()
            if now >= self._probe_at:
                self.rate = min(self.max_rate, self.rate * (1 + self.probe_step))
                self._probe_at = now + self.probe_every

    def throttled(self, retry_after: float) -> None:
        """Slack said 429: everyone waits `retry_after`, and the pace drops."""
        retry_after = max(retry_after, 0.0)
        with self._lock:
            now = self._monotonic()
            self.rate_limited += 1
            if now < self._paused_until:
                # In flight when the pause began: no new information about the rate.
                self._paused_until = max(self._paused_until, now + retry_after)
                self._next_slot = max(self._next_slot, self._paused_until)
                return
            elapsed = now - self._window_start
            target = self.rate * self.decrease
            if self._window_sent and elapsed > 0:
                target = min(target, self._window_sent / elapsed * (1 - self.margin))
            self.rate = max(self.min_rate, min(self.max_rate, target))
            self._paused_until = now + retry_after
            self._next_slot = self._paused_until
            self._epoch += 1
            self._window_start, self._window_sent = now, 0
            self._probe_at = self._paused_until + self.probe_every


class Foreground:
    """Interactive requests being served right now (web.CadenceWSGI counts them). The outbox
    sender gives way: before each Slack call it waits up to its `patience` for a moment with
    none in progress. Someone clicking in Slack has 3 seconds; a fan-out can finish a little
    later. The wait is bounded, so a stream of requests slows the sender but never stops it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._serving = 0
        self._waiting = 0
        self._quiet = threading.Event()
        self._quiet.set()

    @contextmanager
    def serving(self) -> Iterator[None]:
        with self._lock:
            self._serving += 1
            self._quiet.clear()
        try:
            yield
        finally:
            with self._lock:
                self._serving -= 1
                if self._serving == 0:
                    self._quiet.set()

    @property
    def busy(self) -> bool:
        return not self._quiet.is_set()

    @property
    def waiting(self) -> int:
        """Threads waiting in wait_quiet right now."""
        with self._lock:
            return self._waiting

    def wait_quiet(self, patience: float) -> bool:
        """True at once, or as soon as no request is in progress; False after `patience`."""
        with self._lock:
            self._waiting += 1
        try:
            return self._quiet.wait(patience)
        finally:
            with self._lock:
                self._waiting -= 1
