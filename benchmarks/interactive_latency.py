"""Interactive latency in HTTP mode: how long a signed check-in modal submission
(view_submission) takes, end to end through waitress, the signature check and the real Bolt
app, at 20 concurrent clients.

    python -m benchmarks.interactive_latency
    python -m benchmarks.interactive_latency --requests 2000 --sender-workers 8

Three kinds of run, each with the same load (--rounds of each; bare and cadence alternate):
  bare      a slack_bolt App whose only listener acks, behind the same CadenceWSGI + waitress
  cadence   the real app (handlers.build_app): validate, upsert the check-in, queue the DM update
  fan-out   the real app while an OutboxSender in the same process sends a 10,000-DM fan-out
            (no rate limit on the fake: the sender goes as fast as it can)

The clients run in their own process (closed loop, keep-alive connections, asyncio), so their
work is not charged to the server; the fake Slack Web API runs in another. Printed: p50, p90,
p99 and max latency, throughput, and p99 against the bare app's. Targets: p99 <= 100 ms and
<= 1.5 x the bare app's p99.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import logging
import multiprocessing
import statistics
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from slack_bolt import Ack, App
from slack_sdk import WebClient
from sqlalchemy.engine import Engine

from benchmarks.fanout import (
    FRIDAY_PARIS_15,
    POST,
    SENDER_CEILING,
    RemoteFake,
    RunningClock,
    fan_out,
    make_deps,
    populate,
    slack_id,
)
from cadence.delivery.sender import OutboxSender
from cadence.prompts import ids
from cadence.services.checkins import open_checkin
from cadence.services.deps import Deps
from cadence.storage.db import make_engine, migrate
from cadence.web import CadenceWSGI, make_server, run_until
from tests.conftest import view_submission
from tests.test_checkin_flow import values

SIGNING_SECRET = "bench-signing-secret"  # make_deps uses the same one
PEOPLE = 10_000
SUBMITTERS = 300  # distinct people submitting, all in the support role
PERIOD = "2026-W47"


# ------------------------------------------------------------------ load (own process)


def signed_request(body: bytes, stamp: str, secret: bytes) -> bytes:
    """POST /slack/events carrying `body`, signed with `secret` at `stamp` as Slack signs."""
    digest = hmac.new(secret, b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    head = (
        "POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nX-Slack-Request-Timestamp: {stamp}\r\n"
        f"X-Slack-Signature: v0={digest.hexdigest()}\r\n\r\n"
    ).encode()
    return head + body


async def read_answer(reader: asyncio.StreamReader) -> int:
    """Read one HTTP answer off a keep-alive connection; its status."""
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status


class Stamps:
    """A fresh signing timestamp per use of a body: Cadence refuses a signature it has already
    served (a replay), so the same body is never sent twice with the same timestamp."""

    def __init__(self) -> None:
        self._used: set[tuple[Hashable, int]] = set()

    def fresh(self, body: Hashable) -> str:
        now = int(time.time())
        for back in range(280):  # within Slack's 5-minute window
            if (body, now - back) not in self._used:
                self._used.add((body, now - back))
                return str(now - back)
        raise RuntimeError("every timestamp of the window is used: add bodies")


_STAMPS = Stamps()  # the load generator's process: every run's signatures differ


async def _client(
    port: int, bodies: list[bytes], start: int, n: int, secret: bytes, out: list[tuple[float, int]]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for k in range(n):
            body = bodies[(start + k) % len(bodies)]
            stamp = _STAMPS.fresh(body)  # each delivery signed anew, as Slack does
            t0 = time.perf_counter()
            writer.write(signed_request(body, stamp, secret))
            await writer.drain()
            status = await read_answer(reader)
            out.append((time.perf_counter() - t0, status))
    finally:
        writer.close()


async def _load(
    port: int, bodies: list[bytes], clients: int, per_client: int, secret: bytes
) -> tuple[list[tuple[float, int]], float]:
    out: list[tuple[float, int]] = []
    t0 = time.perf_counter()
    await asyncio.gather(
        *(_client(port, bodies, i * per_client, per_client, secret, out) for i in range(clients))
    )
    return out, time.perf_counter() - t0


def _load_child(conn: Connection) -> None:
    while True:
        job = conn.recv()
        if job is None:
            return
        conn.send(asyncio.run(_load(*job)))


class LoadGenerator:
    """Closed-loop clients in a child process: each sends its next request when the previous
    answer is in."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_load_child, args=(child,), daemon=True)
        self._proc.start()

    def run(
        self, port: int, bodies: list[bytes], clients: int, requests: int
    ) -> tuple[list[tuple[float, int]], float]:
        self._conn.send(
            (port, bodies, clients, max(1, requests // clients), SIGNING_SECRET.encode())
        )
        result: tuple[list[tuple[float, int]], float] = self._conn.recv()
        return result

    def stop(self) -> None:
        self._conn.send(None)
        self._proc.join(5)


# ------------------------------------------------------------------ servers


@contextmanager
def serve(wsgi: CadenceWSGI) -> Iterator[int]:
    server = make_server(wsgi, 0, host="127.0.0.1")
    stop = threading.Event()
    thread = threading.Thread(target=run_until, args=(server, stop), daemon=True)
    thread.start()
    try:
        yield int(server.effective_port)
    finally:
        stop.set()
        thread.join(10)


def bare_app(deps: Deps) -> App:
    """The least a Bolt app can do with a view_submission: verify it and ack, configured as
    handlers.build_app configures Cadence's (listeners on the request thread)."""
    app = App(
        client=WebClient(token=deps.settings.slack_bot_token, base_url=deps.settings.slack_api_url),
        request_verification_enabled=False,  # CadenceWSGI checks the signature, as for Cadence
        process_before_response=True,
    )

    @app.view(ids.CHECKIN_MODAL)
    def ack_only(ack: Ack) -> None:
        ack()

    return app


def submissions(deps: Deps, people: range, period: str = PERIOD, variants: int = 1) -> list[bytes]:
    """Signed-request bodies: each person submits the check-in modal Cadence rendered for them,
    with their own numbers (`variants` sets of them each, all people's first set first). As
    in a real week, the status note that replaces each DM is then that person's own: every
    note is rendered and validated anew, not one message for all."""
    views = {}
    for i in people:
        view = open_checkin(deps, slack_id(i), period).view
        assert view is not None, f"no modal for {slack_id(i)}"
        views[i] = view
    bodies = []
    for k in range(variants):
        for i in people:
            quality, output = f"{80 + (i + 7 * k) % 200 / 10:.1f}", str(20 + (i + k) % 40)
            answers = values(quality=quality, output=output, wins="Shipped")
            data = view_submission(slack_id(i), views[i], answers)
            payload = json.dumps(data, separators=(",", ":"))
            bodies.append(urllib.parse.urlencode({"payload": payload}).encode())
    return bodies


# ------------------------------------------------------------------ report


@dataclass
class Run:
    name: str
    latencies: list[float]
    statuses: list[int]
    wall: float
    note: str = ""

    def pct(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

    def line(self, bare: Run | None) -> str:
        bad = sum(1 for s in self.statuses if s != 200)
        ratio = f"  p99 = {self.pct(99) / bare.pct(99):.2f} x bare" if bare else ""
        return (
            f"{self.name:<8} n={len(self.latencies):>5}  p50 {self.pct(50):6.1f} ms  "
            f"p90 {self.pct(90):6.1f}  p99 {self.pct(99):6.1f}  max {self.pct(100):6.1f}  "
            f"mean {statistics.fmean(self.latencies) * 1000:6.1f}  "
            f"{len(self.latencies) / self.wall:6.0f} req/s  non-200: {bad}{ratio}{self.note}"
        )


def measure(
    load: LoadGenerator, name: str, port: int, bodies: list[bytes], clients: int, requests: int
) -> Run:
    load.run(port, bodies, clients, min(requests, 200))  # warm-up: connections, caches
    out, wall = load.run(port, bodies, clients, requests)
    return Run(name, [lat for lat, _ in out], [status for _, status in out], wall)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="p50/p99 of a signed view_submission")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=1000, help="per run (default 1000)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="runs of each kind; bare and cadence alternate, so drift on a shared machine hits "
        "both (default 3)",
    )
    parser.add_argument("--sender-workers", type=int, default=4)
    parser.add_argument("--people", type=int, default=PEOPLE, help="size of the fan-out")
    parser.add_argument(
        "--fanout-limit",
        type=float,
        metavar="R",
        help="limit the fake to R chat.postMessage per second during the fan-out (default: none)",
    )
    args = parser.parse_args(argv)
    # Saturation is the point here: waitress's queue-depth warnings and Bolt's "didn't call
    # ack()" warnings would drown the figures (a late ack shows up as a non-200 below).
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    logging.getLogger("slack_bolt").setLevel(logging.ERROR)

    fake = RemoteFake()
    load = LoadGenerator()
    with tempfile.TemporaryDirectory() as tmp:
        engine: Engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        migrate(engine)
        clock = RunningClock(FRIDAY_PARIS_15)
        deps = make_deps(engine, fake.url, clock)
        populate(deps, fake, args.people)
        support = range(0, 3 * SUBMITTERS * 2, 3)  # populate() cycles roles; 0, 3, 6... support
        idle_bodies = submissions(deps, support[:SUBMITTERS])
        busy_bodies = submissions(deps, support[SUBMITTERS:])
        fan_out(deps, args.people)
        print(
            f"interactive latency: {args.clients} concurrent clients, {args.requests} signed "
            f"view_submissions per run, waitress {deps.settings.cadence_http_threads} threads, "
            f"SQLite; fan-out {args.people} DMs, {args.sender_workers} sender threads, "
            f"fake Slack limit {f'{args.fanout_limit:g}/s' if args.fanout_limit else 'none'}",
            flush=True,
        )
        from cadence.handlers import build_app

        bare_wsgi = CadenceWSGI(bare_app(deps), engine, SIGNING_SECRET)
        cadence_wsgi = CadenceWSGI(
            build_app(deps), engine, SIGNING_SECRET, foreground=deps.foreground, writes=deps.writes
        )
        bares: list[Run] = []
        idles: list[Run] = []
        busies: list[Run] = []
        with serve(bare_wsgi) as bare_port, serve(cadence_wsgi) as port:
            for _ in range(args.rounds):
                bares.append(
                    measure(load, "bare", bare_port, idle_bodies, args.clients, args.requests)
                )
                print(bares[-1].line(None), flush=True)
                idles.append(
                    measure(load, "cadence", port, idle_bodies, args.clients, args.requests)
                )
                print(idles[-1].line(bares[-1]), flush=True)
            fake.rate_limit(POST, args.fanout_limit)
            sender = OutboxSender(
                engine,
                deps.slack,
                clock,
                rate=SENDER_CEILING,
                workers=args.sender_workers,
                foreground=deps.foreground,  # as bot.py wires it: requests first
            ).start()
            time.sleep(1.0)  # the sender is in full flow
            for _ in range(args.rounds):
                sent_before, t0 = sender.stats.sent, time.monotonic()
                busy = measure(load, "fan-out", port, busy_bodies, args.clients, args.requests)
                rate = (sender.stats.sent - sent_before) / (time.monotonic() - t0)
                busy.note = f"  (sender meanwhile: {rate:.0f} DMs/s)"
                busies.append(busy)
                print(busy.line(bares[len(busies) - 1]), flush=True)
            sender.stop()
        bare_p99 = statistics.median(r.pct(99) for r in bares)
        for name, runs in (("cadence", idles), ("fan-out", busies)):
            p99 = statistics.median(r.pct(99) for r in runs)
            p50 = statistics.median(r.pct(50) for r in runs)
            print(
                f"median of {args.rounds}: {name} p50 {p50:.1f} ms, p99 {p99:.1f} ms = "
                f"{p99 / bare_p99:.2f} x bare p99 ({bare_p99:.1f} ms)"
            )
        summary = fake.summary(POST)
        engine.dispose()
    load.stop()
    fake.stop()
    errors = summary["errors"]
    if errors:
        print(f"fake Slack saw {errors} failed chat.postMessage calls")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
