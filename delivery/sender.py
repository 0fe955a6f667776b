"""Drains the outbox: claim due rows, send through the gateway, settle each row.

Runs on its own threads (never Bolt's): `OutboxSender.start()`. A crash between a send and its
settlement leaves the row claimed; once the claim's lease expires another sender sends it
again, so a crash repeats at most the messages in flight, never drops one."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine

from delivery.charts import ChartError, render_png
from delivery.gateway import Posted, SlackCallError, SlackGateway, Upload
from delivery.pacing import Pacer
from domain.clock import Clock
from storage import repo
from storage.db import session_scope
from storage.models import Delivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
LEASE = timedelta(minutes=5)
LONG_WAIT = 30.0  # a Retry-After longer than this releases the batch instead of holding it
UPLOAD = "files.upload"  # payload: a chart's series, drawn at send time, and a text fallback


def _backoff(attempt: int) -> timedelta:
    return timedelta(seconds=min(300, 2 ** min(attempt, 8)))


@dataclass
class SendStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, what: str) -> None:
        with self.lock:
            setattr(self, what, getattr(self, what) + 1)


class OutboxSender:
    def __init__(
        self,
        engine: Engine,
        gateway: SlackGateway,
        clock: Clock,
        *,
        rate: float,
        workers: int = 2,
        batch: int = 20,
        idle_poll: float = 1.0,
    ) -> None:
        self.engine = engine
        self.gateway = gateway
        self.clock = clock
        self.pacer = Pacer(rate)
        self.workers = workers
        self.batch = batch
        self.idle_poll = idle_poll
        self.stats = SendStats()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------ lifecycle
    def start(self) -> OutboxSender:
        for i in range(self.workers):
            t = threading.Thread(target=self._loop, name=f"outbox-sender-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()

    def wake(self) -> None:
        """New rows were enqueued: stop idling."""
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                worked = self.drain_once()
            except Exception:
                log.exception("outbox sender pass failed; retrying shortly")
                worked = False
            if not worked:
                self._wake.wait(self.idle_poll)
                self._wake.clear()

    # ------------------------------------------------------------ work
    def drain(self) -> int:
        """Send everything due now on this thread (run-job, tests, benchmarks)."""
        total = 0
        while not self._stop.is_set():
            n = self.drain_once()
            if not n:
                return total
            total += n
        return total

    def drain_once(self) -> int:
        now = self.clock.now()
        with session_scope(self.engine) as session:
            rows = repo.claim_due(now, self.batch, LEASE, session=session)
        for i, row in enumerate(rows):
            delay = 0.0 if self._stop.is_set() else self._send(row)
            if delay is not None:
                self._release(rows[i:], delay)
                break
        return len(rows)

    def _release(self, rows: list[Delivery], delay: float) -> None:
        """Give unsent claimed rows back (after a long Retry-After, or on stop)."""
        retry_at = self.clock.now() + timedelta(seconds=delay)
        with session_scope(self.engine) as session:
            for row in rows:
                if row.status == "sending" and row.claim_token:
                    assert row.id is not None  # noqa: S101
                    repo.finish(
                        row.id,
                        row.claim_token,
                        status="pending",
                        now=self.clock.now(),
                        retry_at=retry_at,
                        session=session,
                    )

    def _settle(self, row: Delivery, **kwargs: Any) -> None:
        assert row.id is not None and row.claim_token is not None  # noqa: S101
        with session_scope(self.engine) as session:
            repo.finish(row.id, row.claim_token, now=self.clock.now(), session=session, **kwargs)
        row.status = str(kwargs["status"])

    def _send(self, row: Delivery) -> float | None:
        """Send one claimed row. A number means: stop this batch and give the rest back to the
        queue for that many seconds."""
        payload = json.loads(row.payload)
        text, blocks = str(payload.get("text", "")), list(payload.get("blocks") or [])
        target_channel = row.recipient
        target_ts: str | None = None
        if row.method in {"chat.update", UPLOAD}:
            with session_scope(self.engine) as session:
                original = repo.delivery_by_key(row.update_of or "", session=session)
            if original is None or original.status in {"skipped", "failed"}:
                self._settle(row, status="skipped", error="nothing to update")
                self.stats.add("skipped")
                return None
            if original.status != "sent" or not original.slack_ts:
                self._settle(
                    row, status="pending", retry_at=self.clock.now() + timedelta(seconds=5)
                )
                return None
            target_channel = original.slack_channel or row.recipient
            target_ts = original.slack_ts if row.method == "chat.update" else None
        while True:
            if not self.pacer.acquire(self._stop):
                return 0.0
            try:
                if row.method == UPLOAD:
                    posted = self._upload(target_channel, payload)
                elif target_ts is not None:
                    posted = self.gateway.update_message(target_channel, target_ts, text, blocks)
                else:
                    posted = self.gateway.post_message(target_channel, text, blocks)
            except SlackCallError as exc:
                if exc.kind == "rate_limited":
                    self.pacer.throttled(exc.retry_after)
                    if exc.retry_after > LONG_WAIT:
                        return exc.retry_after
                    continue
                if exc.kind == "transient" and row.attempts < MAX_ATTEMPTS:
                    log.warning(
                        "send of %s failed (%s), attempt %d; will retry",
                        row.key,
                        exc.error,
                        row.attempts,
                    )
                    self._settle(
                        row,
                        status="pending",
                        error=exc.error,
                        retry_at=self.clock.now() + _backoff(row.attempts),
                    )
                    self.stats.add("retried")
                    return None
                if row.method == UPLOAD and payload.get("fallback"):
                    self._fallback(row, target_channel, payload["fallback"], exc.error)
                    return None
                log.warning("send of %s failed permanently: %s", row.key, exc.error)
                self._settle(row, status="failed", error=exc.error)
                self.stats.add("failed")
                return None
            self.pacer.sent()
            self._settle(row, status="sent", channel=posted.channel, ts=posted.ts)
            self.stats.add("sent")
            return None

    def _upload(self, channel: str, payload: dict[str, Any]) -> Posted:
        try:
            png = render_png(payload)
        except ChartError as exc:
            raise SlackCallError("permanent", f"chart: {exc}") from None
        upload = Upload(
            filename=str(payload.get("filename") or "chart.png"),
            content=png,
            title=str(payload.get("title") or ""),
            alt_text=str(payload.get("alt_text") or ""),
        )
        self.gateway.upload_file(channel, upload)
        return Posted(channel=channel, ts="")

    def _fallback(self, row: Delivery, channel: str, message: dict[str, Any], why: str) -> None:
        """The picture could not be uploaded: post its figures as text instead (once)."""
        log.warning("chart upload %s failed (%s); sending the text fallback", row.key, why)
        try:
            posted = self.gateway.post_message(
                channel, str(message.get("text", "")), list(message.get("blocks") or [])
            )
        except SlackCallError as exc:
            self._settle(row, status="failed", error=f"chart: {why}; text fallback: {exc.error}")
            self.stats.add("failed")
            return
        self._settle(
            row,
            status="sent",
            channel=posted.channel,
            ts=posted.ts,
            error=f"chart not uploaded ({why}); sent as text",
        )
        self.stats.add("sent")
