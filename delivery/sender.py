"""Drains the outbox: claim due rows, send each through the gateway, settle it.

Runs on its own threads (never Bolt's): `OutboxSender.start()`; `drain()` sends what is due on
the calling thread (run-job, tests, benchmarks).

What it promises (DESIGN.md section 7):
- Nothing is lost. A row leaves the queue only when it is settled (sent, failed or skipped).
  Claims name their sender, which beats while it lives (delivery/heartbeat.py): the rows of a
  sender that died (kill -9) are taken over by another one seconds later, and at once when it
  stopped or failed cleanly. A claim's lease (minutes) is only the last resort, for a sender
  that beats but is stuck.
- A database outage is ridden out: recording an outcome, claiming and releasing are retried
  with backoff for up to storage.db.OUTAGE_PATIENCE, with one log line when the outage starts
  and one when it ends; no send starts while the sender cannot beat (its claims could be given
  to another sender meanwhile), so the outage sends nothing twice.
- A crash repeats at most one message per sending thread. Each thread records a message's
  outcome (one short transaction, shared with whatever the other threads are recording at that
  moment) before it sends the next one, so at any instant a thread holds at most one message
  that Slack may have accepted without the database knowing. Rows claimed but not yet tried are
  not at risk: after a crash they are sent once, by whoever claims them next. The claim size
  therefore does not matter; the number of sending threads does (one worker: at most one
  repeated message per process).
- 429: everyone waits Retry-After (the Pacer, one per Web API method), then goes on at a pace
  just under what Slack sustained. 5xx and connection errors: retried later with backoff.
  Permanent errors (user_not_found, account_inactive, messages_tab_disabled, ...): failed with
  the reason, never retried.
- A chat.update row waits until the message it updates has been sent, and is skipped when that
  message never will be. A files.upload row (a chart) is drawn from its figures at send time
  and falls back to a text table when the upload fails for good; with `update_of` (a digest's
  team picture, HR's picture of the teams) it waits for that message and goes into its
  channel, without it (calibration's distribution) it goes to the row's recipient, a channel
  ID.
  One whose payload carries `content` (the `/cadence my-data` file) uploads that text as is.
"""

from __future__ import annotations

import collections
import json
import logging
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from cadence import telemetry
from cadence.delivery.charts import ChartError, render_png
from cadence.delivery.gateway import Posted, SlackCallError, SlackGateway, Upload
from cadence.delivery.heartbeat import BEAT, SenderLife
from cadence.delivery.pacing import Foreground, Pacer
from cadence.domain.clock import Clock
from cadence.domain.status import DeliveryStatus
from cadence.storage import repo
from cadence.storage.db import read_scope, ride_out
from cadence.storage.models import Delivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=5)
LEASE_MARGIN = timedelta(seconds=60)  # never start a send with less of the lease left
FOREGROUND_PATIENCE = 0.2  # longest wait per message for a moment without interactive requests
LONG_WAIT = 30.0  # a longer Retry-After gives the claimed rows back instead of holding them
UPDATE_WAIT = timedelta(seconds=5)  # a chat.update whose original is not sent yet looks again then
CLAIM_SECONDS = 2.0  # claim about this many seconds of sending at the current pace
UPLOAD = "files.upload"  # payload: a chart's series (or a file's content), and a text fallback
METHODS = ("chat.postMessage", "chat.update", UPLOAD)


def _backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(300, 2 ** min(attempt, 8)))


@contextmanager
def _write_scope(engine: Engine) -> Iterator[Session]:
    """storage.db.session_scope for the sender's writes (claims and settlements by id). The
    session holds no objects when they run, so the ORM need not mirror each UPDATE into them
    (synchronize_session=False): that bookkeeping cost more than the UPDATE itself."""
    options = {"synchronize_session": False}
    with Session(engine, expire_on_commit=False, execution_options=options) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@dataclass
class SendStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    reasons: collections.Counter[str] = field(default_factory=collections.Counter)  # failed
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, what: str, reason: str | None = None) -> None:
        with self.lock:
            setattr(self, what, getattr(self, what) + 1)
            if reason is not None:
                self.reasons[reason] += 1


class SettleError(Exception):
    """A message's outcome could not be recorded (the database kept failing)."""


@dataclass
class _Outcome:
    row: Delivery
    values: dict[str, Any]
    done: bool = False
    error: BaseException | None = None


class _Settler:
    """Records outcomes. Threads settling at the same moment share one transaction (group
    commit): the first one writes everything queued, the others wait for it. Every caller
    returns only once its own outcome is committed."""

    def __init__(self, engine: Engine, clock: Clock, stop: threading.Event) -> None:
        self.engine = engine
        self.clock = clock
        self._stop = stop
        self._cond = threading.Condition()
        self._queue: list[_Outcome] = []
        self._writing = False

    def settle(self, row: Delivery, values: dict[str, Any]) -> None:
        mine = _Outcome(row, values)
        with self._cond:
            self._queue.append(mine)
            while not mine.done and self._writing:
                self._cond.wait()
            if mine.done:
                batch: list[_Outcome] = []
            else:
                self._writing = True
                batch, self._queue = self._queue, []
        if batch:
            try:
                self._write(batch)
            except Exception as exc:
                for outcome in batch:
                    outcome.error = exc
            finally:
                with self._cond:
                    for outcome in batch:
                        outcome.done = True
                    self._writing = False
                    self._cond.notify_all()
        if mine.error is not None:
            raise SettleError(f"could not record the outcome of {row.key}") from mine.error

    def _write(self, batch: list[_Outcome]) -> None:
        def write() -> list[bool]:
            with _write_scope(self.engine) as session:
                now = self.clock.now()
                return [
                    repo.finish(
                        o.row.id or 0,
                        o.row.claim_token or "",
                        now=now,
                        session=session,
                        **o.values,
                    )
                    for o in batch
                ]

        # Not stopped by `stop`: an outcome Slack already has must be recorded if at all possible.
        settled = ride_out(f"recording {len(batch)} outbox outcome(s)", write)
        for outcome, ok in zip(batch, settled, strict=True):
            if not ok:
                log.warning(
                    "outbox row %s lost its claim before it was settled (taken over?)",
                    outcome.row.key,
                )


def _instead(payload: dict[str, Any], error: str) -> list[Any]:
    """The messages a payload asks to send when Slack refuses it with `error` ("*": any
    permanent error), or none."""
    instead = payload.get("instead")
    if not isinstance(instead, dict):
        return []
    found = instead.get(error) or instead.get("*") or []
    return found if isinstance(found, list) else []


class OutboxSender:
    def __init__(
        self,
        engine: Engine,
        gateway: SlackGateway,
        clock: Clock,
        *,
        rate: float,
        workers: int = 2,
        batch: int = 200,
        idle_poll: float = 1.0,
        foreground: Foreground | None = None,
        patience: float = FOREGROUND_PATIENCE,
        pacing: Callable[[float], Pacer] = Pacer,
    ) -> None:
        """`pacing` makes the pacer for a method from its ceiling (tests pass one on virtual
        time)."""
        self.engine = engine
        self.gateway = gateway
        self.clock = clock
        # Slack's limits are per method: a 429 on chat.update must not stall the DMs.
        self.pacers = {method: pacing(rate) for method in METHODS}
        self.pacer = self.pacers["chat.postMessage"]
        self.workers = max(1, workers)
        self.batch = max(1, batch)
        self.idle_poll = idle_poll
        self.foreground = foreground
        self.patience = patience
        self.stats = SendStats()
        self._stop = threading.Event()
        self._settler = _Settler(engine, clock, self._stop)
        self.life = SenderLife(engine)
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        # Rows claimed for the worker threads, taken one at a time.
        self._cond = threading.Condition()
        self._queue: collections.deque[Delivery] = collections.deque()
        self._claiming = False
        self._more_due = True

    # ------------------------------------------------------------ lifecycle
    def start(self) -> OutboxSender:
        self._stop.clear()
        if not self._threads:
            self.life.__enter__()
        for i in range(self.workers):
            t = threading.Thread(target=self._loop, name=f"outbox-sender-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        started = bool(self._threads)
        self._stop.set()
        self._wake.set()
        with self._cond:
            self._cond.notify_all()
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()
        with self._cond:
            left, self._queue = list(self._queue), collections.deque()
        try:
            if left:
                self._release(left, 0.0)
        finally:
            if started:  # whatever it still holds (a thread that did not finish) is free now
                self.life.__exit__()

    def wake(self) -> None:
        """New rows were enqueued: stop idling."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                row = self._take()
                if row is None:
                    self._wake.wait(self.idle_poll)
                    self._wake.clear()
                    continue
                delay = self._deliver(row)
                if delay is not None:
                    rest = self._take_all() if delay > 0 else []
                    self._release([row, *rest], delay)
            except Exception:
                log.exception("outbox sender failed; retrying shortly")
                self._stop.wait(1.0)

    # ------------------------------------------------------------ claiming
    def _claim_size(self, floor: int = 1) -> int:
        if self.foreground is not None and self.foreground.busy:
            # SQLite hands the GIL over for every row it reads, and while requests keep the
            # other threads busy each handover can wait out Python's switch interval (5 ms):
            # a 200-row claim then held the write lock, and every request behind it, for
            # tens of milliseconds. Small claims while requests are being served.
            return floor
        pace = min(p.rate for p in self.pacers.values())
        return max(floor, min(self.batch, math.ceil(pace * CLAIM_SECONDS)))

    def _claim(self, limit: int) -> list[Delivery]:
        def claim() -> list[Delivery]:
            with _write_scope(self.engine) as session:
                return repo.claim_due(
                    self.clock.now(),
                    limit,
                    LEASE,
                    sender=self.life.id,
                    dead=self.life.dead(),
                    session=session,
                )

        return ride_out("claiming outbox messages", claim, stop=self._stop)

    def _take(self) -> Delivery | None:
        """The next claimed row for a worker thread; claims more when the queue runs low."""
        with self._cond:
            while not self._queue and self._claiming and not self._stop.is_set():
                self._cond.wait(1.0)
            row = self._queue.popleft() if self._queue else None
            low = len(self._queue) < self.workers and (row is None or self._more_due)
            refill = low and not self._claiming and not self._stop.is_set()
            if refill:
                self._claiming = True
                want = self._claim_size(self.workers) - len(self._queue)
        if not refill:
            return row
        rows: list[Delivery] = []
        try:
            rows = self._claim(want)
        finally:
            with self._cond:
                self._queue.extend(rows)
                self._more_due = len(rows) >= want
                self._claiming = False
                if row is None and self._queue:
                    row = self._queue.popleft()
                self._cond.notify_all()
        return row

    def _take_all(self) -> list[Delivery]:
        with self._cond:
            rows, self._queue = list(self._queue), collections.deque()
        return rows

    # ------------------------------------------------------------ work
    def drain(self, wait: float = 0.0) -> int:
        """Send everything due now on this thread (run-job, tests, benchmarks). With `wait`,
        then wait up to that many seconds for messages other senders hold: those of a sender
        that died are taken over (seconds after it stopped beating) and sent; a live one's
        are left to it."""
        total = 0
        deadline = time.monotonic() + wait
        with self.life:
            while not self._stop.is_set():
                n = self.drain_once()
                total += n
                if n:
                    continue
                if time.monotonic() >= deadline or not self._others_hold():
                    break
                self._stop.wait(BEAT / 2)
        return total

    def _others_hold(self) -> bool:
        def look() -> bool:
            with read_scope(self.engine) as session:
                return any(
                    status == DeliveryStatus.SENDING for status, _ in repo.unsent(session=session)
                )

        return ride_out("looking at the outbox", look, stop=self._stop)

    def drain_once(self) -> int:
        """Claim one batch and send it on this thread. Returns how many rows were claimed."""
        rows = self._claim(self._claim_size())
        for i, row in enumerate(rows):
            delay = self._deliver(row)
            if delay is not None:
                self._release(rows[i:], delay)
                break
        return len(rows)

    def _release(self, rows: list[Delivery], delay: float) -> None:
        """Give claimed rows back unsent (after a long Retry-After, near the end of the lease,
        or on stop); they are due again after `delay` seconds. A row whose claim was lost
        meanwhile is left to its new holder."""
        if not rows:
            return
        now = self.clock.now()
        retry_at = now + timedelta(seconds=delay)

        def release() -> None:
            with _write_scope(self.engine) as session:
                for row in rows:
                    repo.finish(
                        row.id or 0,
                        row.claim_token or "",
                        status=DeliveryStatus.PENDING,
                        now=now,
                        retry_at=retry_at,
                        session=session,
                    )

        ride_out(f"giving back {len(rows)} outbox message(s)", release)

    def _settle(self, row: Delivery, **values: Any) -> None:
        self._settler.settle(row, values)
        row.status = str(values["status"])

    def _deliver(self, row: Delivery) -> float | None:
        """Send one claimed row and settle it. A number means: this row (and the rest of the
        batch) goes back to the queue unsent, due again in that many seconds."""
        if self._stop.is_set():
            return 0.0
        try:
            payload = json.loads(row.payload)
            text, blocks = str(payload.get("text", "")), list(payload.get("blocks") or [])
        except (ValueError, TypeError, AttributeError):
            log.error("outbox row %s has an unreadable payload; not sending it", row.key)
            self._settle(row, status=DeliveryStatus.FAILED, error="unreadable payload")
            self.stats.add("failed", "unreadable payload")
            return None
        channel, ts = row.recipient, None
        if row.method == "chat.update" or (row.method == UPLOAD and row.update_of):
            original = ride_out(
                "reading the message to update", lambda: self._original(row), stop=self._stop
            )
            if original is None or original.status in {
                DeliveryStatus.SKIPPED,
                DeliveryStatus.FAILED,
            }:
                self._settle(row, status=DeliveryStatus.SKIPPED, error="nothing to update")
                self.stats.add("skipped")
                return None
            if original.status != DeliveryStatus.SENT or not original.slack_ts:
                # Look again once the original can have gone out (each look is a claim, and
                # claims count as attempts).
                retry_at = max(self.clock.now() + UPDATE_WAIT, original.not_before)
                self._settle(row, status=DeliveryStatus.PENDING, retry_at=retry_at)
                return None
            channel = original.slack_channel or row.recipient
            ts = original.slack_ts if row.method == "chat.update" else None
        elif row.method not in {"chat.postMessage", UPLOAD}:
            self._settle(
                row, status=DeliveryStatus.FAILED, error=f"unsupported method {row.method}"
            )
            self.stats.add("failed", f"unsupported method {row.method}")
            return None
        pacer = self.pacers[row.method]
        if self.foreground is not None:
            self.foreground.wait_quiet(self.patience)
        while True:
            if not pacer.acquire(self._stop):
                return 0.0
            if not self.life.wait_fresh(self._stop):
                return 0.0
            if row.claimed_by != self.life.id or self._lease_ending(row):
                # Claimed before this sender was given up for dead (another may send it now), or
                # too little of the claim left to send safely: give it back.
                return 0.0
            started = time.perf_counter()
            try:
                if row.method == UPLOAD:
                    posted = self._upload(channel, payload)
                else:
                    posted = self._call(channel, ts, text, blocks)
            except SlackCallError as exc:
                telemetry.observe_send(row.method, time.perf_counter() - started)
                if exc.kind == "rate_limited":
                    telemetry.observe_rate_limit(row.method, exc.retry_after)
                    pacer.throttled(exc.retry_after)
                    if exc.retry_after > LONG_WAIT:
                        return exc.retry_after
                    continue
                if (
                    row.method == UPLOAD
                    and payload.get("fallback")
                    and not self._retrying(row, exc)
                ):
                    self._fallback(row, channel, payload["fallback"], exc.error)
                    return None
                instead = _instead(payload, exc.error)
                if instead and not self._retrying(row, exc):
                    self._send_instead(row, instead, exc.error)
                    return None
                self._failed(row, exc)
                return None
            telemetry.observe_send(row.method, time.perf_counter() - started)
            pacer.sent()
            self._settle(row, status=DeliveryStatus.SENT, channel=posted.channel, ts=posted.ts)
            self.stats.add("sent")
            return None

    def _original(self, row: Delivery) -> Delivery | None:
        with read_scope(self.engine) as session:
            return repo.delivery_by_key(row.update_of or "", session=session)

    def _lease_ending(self, row: Delivery) -> bool:
        until = row.claimed_until
        return until is not None and self.clock.now() > until - LEASE_MARGIN

    def _call(self, channel: str, ts: str | None, text: str, blocks: list[Any]) -> Posted:
        try:
            if ts is not None:
                return self.gateway.update_message(channel, ts, text, blocks)
            return self.gateway.post_message(channel, text, blocks)
        except SlackCallError:
            raise
        except Exception as exc:
            # Not one of the gateway's sorted errors: whether Slack got it is unknown, so treat
            # it like a dropped connection (retried, a bounded number of times).
            log.warning("send failed unexpectedly: %s", type(exc).__name__)
            raise SlackCallError("transient", f"unexpected: {type(exc).__name__}") from None

    @staticmethod
    def _retrying(row: Delivery, exc: SlackCallError) -> bool:
        return exc.kind == "transient" and row.attempts < MAX_ATTEMPTS

    def _failed(self, row: Delivery, exc: SlackCallError) -> None:
        if self._retrying(row, exc):
            log.warning(
                "send of %s failed (%s), attempt %d; will retry", row.key, exc.error, row.attempts
            )
            self._settle(
                row,
                status=DeliveryStatus.PENDING,
                error=exc.error,
                retry_at=self.clock.now() + _backoff(row.attempts),
            )
            self.stats.add("retried")
            return
        log.warning("send of %s failed permanently: %s", row.key, exc.error)
        self._settle(row, status=DeliveryStatus.FAILED, error=exc.error)
        self.stats.add("failed", exc.error)

    def _upload(self, channel: str, payload: dict[str, Any]) -> Posted:
        if isinstance(payload.get("content"), str):  # a file given whole (/cadence my-data)
            content = str(payload["content"]).encode("utf-8")
        else:
            try:
                content = render_png(payload)
            except ChartError as exc:
                raise SlackCallError("permanent", f"chart: {exc}") from None
        upload = Upload(
            filename=str(payload.get("filename") or "chart.png"),
            content=content,
            title=str(payload.get("title") or ""),
            alt_text=str(payload.get("alt_text") or ""),
        )
        self.gateway.upload_file(channel, upload)
        return Posted(channel=channel, ts="")

    def _send_instead(self, row: Delivery, messages: list[Any], error: str) -> None:
        """Slack refused the message for good: queue what its payload says to send instead
        (idempotent by key), then record the refusal."""
        try:
            outgoing = [repo.OutgoingMessage(**m) for m in messages]
        except TypeError:
            self._settle(row, status=DeliveryStatus.FAILED, error=f"{error}; unreadable instead")
            self.stats.add("failed", error)
            return
        with _write_scope(self.engine) as session:
            repo.enqueue(outgoing, self.clock.now(), session=session)
        self._settle(
            row,
            status=DeliveryStatus.FAILED,
            error=f"{error}; sent instead to {len(outgoing)} recipients",
        )
        self.stats.add("failed", error)

    def _fallback(self, row: Delivery, channel: str, message: dict[str, Any], why: str) -> None:
        """The picture could not be uploaded: post its figures as text instead (once)."""
        log.warning("chart upload %s failed (%s); sending the text fallback", row.key, why)
        try:
            posted = self._call(
                channel, None, str(message.get("text", "")), list(message.get("blocks") or [])
            )
        except SlackCallError as exc:
            self._settle(
                row, status=DeliveryStatus.FAILED, error=f"chart: {why}; text fallback: {exc.error}"
            )
            self.stats.add("failed", exc.error)
            return
        self._settle(
            row,
            status=DeliveryStatus.SENT,
            channel=posted.channel,
            ts=posted.ts,
            error=f"chart not uploaded ({why}); sent as text",
        )
        self.stats.add("sent")
