"""A sender's life, as other senders can see it: registered in the outbox_sender table, beating
about every second while it lives, and given up for dead by the others once they have watched
its beat stand still for STALE seconds. Its claims are then taken over at once (a kill -9
costs seconds, not a lease of minutes).

Why watching, and not comparing the beat with a clock: after a database outage every sender's
last beat is old, and the first to reconnect would take over the claims of a sender that is
alive and about to record what it sent (a message sent twice). A sender only counts the time
it watched while it could reach the database itself, so a live sender has BEAT seconds to
beat again after an outage before anyone may give it up.

A sender must not send while it cannot beat: `fresh()` says whether it beat recently enough
that nobody can have taken its claims, and a sender given up for dead comes back under a new `id`
(claims made under the old one may belong to others: it must not send them)."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from cadence.storage import repo
from cadence.storage.db import outage_reason, ride_out

log = logging.getLogger(__name__)

BEAT = 1.0  # seconds between beats
STALE = 5.0  # a beat watched standing still this long: the sender is dead
FRESH = 2.5  # a sender whose own last beat is older than this does not start a send


def _wall_ms() -> int:
    return int(time.time() * 1000)


class SenderLife:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.id = str(uuid.uuid4())
        self._users = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._beat_ok = 0.0  # monotonic time of the last beat the database took
        self._watched = 0.0  # monotonic time of the last look at the others' beats
        self._seen: dict[str, tuple[int, float]] = {}  # other sender -> (beat, watched since)
        self._dead: dict[str, int] = {}
        self._failing = False

    # ------------------------------------------------------------ lifecycle
    def __enter__(self) -> SenderLife:
        with self._lock:
            self._users += 1
            if self._users > 1:
                return self
        try:
            ride_out("registering the outbox sender", self._register, stop=self._stop)
        except BaseException:
            with self._lock:
                self._users -= 1
            raise
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="outbox-heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            self._users -= 1
            if self._users > 0:
                return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        try:
            with Session(self.engine) as session:
                repo.unregister_sender(self.id, session=session)
                session.commit()
        except Exception as exc:  # the others give it up in STALE seconds anyway
            log.warning("could not unregister the outbox sender (%s)", outage_reason(exc))

    def _register(self) -> None:
        with Session(self.engine) as session:
            repo.register_sender(
                self.id,
                socket.gethostname()[:255],
                os.getpid(),
                _wall_ms(),
                datetime.now(UTC),
                session=session,
            )
            session.commit()
        self._beat_ok = time.monotonic()

    # ------------------------------------------------------------ beating
    def _run(self) -> None:
        while not self._stop.wait(BEAT):
            self.beat()

    def beat(self) -> None:
        """Beat once and look at the others' beats (one short transaction)."""
        try:
            with Session(self.engine) as session:
                alive = repo.beat_sender(self.id, _wall_ms(), session=session)
                beats = repo.sender_beats(session=session)
                session.commit()
            if not alive:
                log.warning(
                    "this outbox sender was given up for dead by another one (no beat for %.0f s);"
                    " the messages it held are theirs now",
                    time.monotonic() - self._beat_ok,
                )
                # A new name: claims made under the old one are not this sender's to send.
                self.id = str(uuid.uuid4())
                self._register()
        except Exception as exc:
            if not self._failing:
                log.warning(
                    "database unavailable for the outbox sender's heartbeat (%s);"
                    " no new sends until it answers",
                    outage_reason(exc),
                )
            self._failing = True
            return
        if self._failing:
            log.warning("database is back: the outbox sender's heartbeat works again")
            self._failing = False
        now = time.monotonic()
        self._beat_ok = now
        self._watch(beats, now)

    def _watch(self, beats: dict[str, int], now: float) -> None:
        # Time watched only counts while this sender could reach the database itself.
        restart = now - self._watched > 2 * BEAT + 1
        self._watched = now
        seen: dict[str, tuple[int, float]] = {}
        dead: dict[str, int] = {}
        for sender_id, beat in beats.items():
            if sender_id == self.id:
                continue
            before = self._seen.get(sender_id)
            if before is None or before[0] != beat or restart:
                seen[sender_id] = (beat, now)
                continue
            seen[sender_id] = before
            if now - before[1] >= STALE:
                dead[sender_id] = beat
        with self._lock:
            self._seen, self._dead = seen, dead

    # ------------------------------------------------------------ questions
    def dead(self) -> dict[str, int]:
        """Senders watched standing still for STALE seconds (id -> the beat they stopped at)."""
        with self._lock:
            return dict(self._dead)

    def fresh(self) -> bool:
        return time.monotonic() - self._beat_ok <= FRESH

    def wait_fresh(self, stop: threading.Event) -> bool:
        """Wait until this sender beats again (the database is back). False if stopped."""
        if self.fresh():
            return True
        log.warning("sends paused: the outbox sender cannot reach the database")
        started = time.monotonic()
        while not self.fresh():
            if stop.wait(0.2):
                return False
        log.warning("sends resume after %.1f s", time.monotonic() - started)
        return True
