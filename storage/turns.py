"""Request threads take turns on SQLite, and step aside before they wait on Slack.

SQLite runs inside the process, and Python's sqlite3 lets go of the GIL around every call
into it (each statement, each row, BEGIN, COMMIT), as hashlib does while it signs a large
body. With several request threads in flight, each of those moments hands the GIL to another
request thread and back again: a check-in submission made about 12 such hand-overs, and with
16 threads it cost 1.1 ms of CPU against 0.7 ms one after another. Nothing is gained by the
interleaving, because the work on either side is CPU in this process. So on SQLite,
web.CadenceWSGI serves Slack's requests one at a time (`Turns.turn`); waitress still reads
and writes every connection meanwhile.

A request gives its turn up, for the rest of the request (`step_aside`):
- before a Slack Web API call (delivery's gateway, and the Bolt client handlers use), so a
  slow Slack never holds up anyone else;
- at its next statement once it has held the turn for `LONG` (storage.db runs
  `step_aside_if_long` before each statement through SQLAlchemy), so a long request (a big HR
  screen) delays the others by about that much, not by all of its time.
Giving the turn up for good is what keeps this free of deadlock: a request that holds the turn
waits only on threads that never ask for it again (those that stepped aside, the sender, the
scheduler) or on another process.

Not on PostgreSQL: there each statement is a round trip on the network, during which other
requests should run. And a request waits at most `patience` for its turn, then goes ahead
without it, so a turn held too long by mistake delays others but never stops them."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

PATIENCE = 3.0  # seconds a request waits for its turn: Slack's own limit for an answer
LONG = 0.025  # seconds of turn after which a request gives it up at its next statement

log = logging.getLogger(__name__)

_held = threading.local()  # .lock: the turn this thread holds, if any; .since: when taken


class Turns:
    def __init__(self, patience: float = PATIENCE) -> None:
        self._lock = threading.Lock()
        self._patience = patience

    @contextmanager
    def turn(self) -> Iterator[bool]:
        """Serve one request in turn: whether it got one (False after `patience`)."""
        got = self._lock.acquire(timeout=self._patience)
        if not got:  # a turn held this long is a fault to see: a request stuck, not a slow one
            log.warning(
                "a request waited %g s for its turn and went ahead without one", self._patience
            )
        _held.lock = self._lock if got else None
        _held.since = time.monotonic()
        try:
            yield got
        finally:
            step_aside()


def step_aside() -> None:
    """Give up this thread's turn, if it holds one, for the rest of its request: call it
    before waiting on anything outside the process."""
    lock = getattr(_held, "lock", None)
    if lock is not None:
        _held.lock = None
        lock.release()


def step_aside_if_long(long: float = LONG) -> None:
    """Give up this thread's turn if it has held it for `long` seconds or more."""
    if getattr(_held, "lock", None) is not None and time.monotonic() - _held.since >= long:
        step_aside()
