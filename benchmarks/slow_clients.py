"""Slow clients against `python bot.py serve`: how many connections that trickle one header
line every 4 s it takes before GET /healthz needs more than a second.

    python -m benchmarks.slow_clients                    # 250 ... 4,000 slow connections
    python -m benchmarks.slow_clients --steps 500,1100 --trickle 4

A real `serve` process (SQLite in a temporary directory, the fake Slack Web API in this
process) on 127.0.0.1. Slow connections are opened in steps; each sends a request line, then
one header line every --trickle seconds (from one thread, so they cost this process little).
At each step, once every slow connection has sent a line, /healthz is asked 5 times on fresh
connections: printed are the median and worst latencies (a request that is not answered within
10 s counts as 10 s) and how many slow connections the server still holds open.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from cadence.config import PROJECT_ROOT
from tests.fakeslack import FakeSlack

LIMIT = 10.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthz(port: int) -> float:
    started = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=LIMIT) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            if not s.recv(100).startswith(b"HTTP/1.1 200"):
                return LIMIT
    except OSError:
        return LIMIT
    return time.perf_counter() - started


class Trickle:
    """Slow connections sending one header line every `every` seconds."""

    def __init__(self, port: int, every: float) -> None:
        self.port = port
        self.every = every
        self.socks: list[socket.socket] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.rounds = 0
        threading.Thread(target=self._run, daemon=True).start()

    def open(self, n: int) -> None:
        for _ in range(n):
            try:
                s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                s.setblocking(False)
            except OSError:
                continue
            with self.lock:
                self.socks.append(s)

    def alive(self) -> int:
        with self.lock:
            return len(self.socks)

    def _run(self) -> None:
        while not self.stop.wait(self.every):
            with self.lock:
                socks = list(self.socks)
            dead = []
            for s in socks:
                try:
                    s.send(b"X-Slow: 1\r\n")
                except OSError:
                    dead.append(s)
            with self.lock:
                for s in dead:
                    self.socks.remove(s)
                    s.close()
            self.rounds += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="250,500,1000,1100,2000,4000")
    parser.add_argument("--trickle", type=float, default=4.0)
    args = parser.parse_args()
    steps = [int(x) for x in args.steps.split(",")]
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CADENCE_"))}
        env.update(
            DATABASE_URL=f"sqlite:///{Path(tmp) / 'cadence.db'}",
            SLACK_BOT_TOKEN="xoxb-bench",
            SLACK_SIGNING_SECRET="s",
            SLACK_API_URL=fake.url,
            PORT=str(port),
            CADENCE_LOG_LEVEL="ERROR",
        )
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, str(PROJECT_ROOT / "bot.py"), "serve"], cwd=tmp, env=env
        )
        try:
            while _healthz(port) >= LIMIT:
                time.sleep(0.2)
            trickle = Trickle(port, args.trickle)
            print(f"slow connections trickling a header line every {args.trickle:g} s")  # noqa: T201
            print("opened  held  healthz p50  worst")  # noqa: T201
            opened = 0
            first_over = None
            for step in steps:
                trickle.open(step - opened)
                opened = step
                seen = trickle.rounds
                while trickle.rounds < seen + 1:
                    time.sleep(0.1)
                times = [_healthz(port) for _ in range(5)]
                worst = max(times)
                print(  # noqa: T201
                    f"{opened:6d} {trickle.alive():5d} {statistics.median(times) * 1000:9.1f} ms"
                    f" {worst * 1000:7.1f} ms"
                )
                if worst > 1.0 and first_over is None:
                    first_over = opened
            trickle.stop.set()
            verdict = (
                f"/healthz first exceeded 1 s at {first_over} slow connections"
                if first_over
                else f"/healthz stayed under 1 s up to {opened} slow connections"
            )
            print(verdict)  # noqa: T201
        finally:
            proc.terminate()
            proc.wait(20)


if __name__ == "__main__":
    main()
