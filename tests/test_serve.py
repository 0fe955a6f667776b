"""`python bot.py serve` as a real process: slow clients cannot starve it, and SIGTERM stops it
within seconds while finishing the requests in flight."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from cadence.config import PROJECT_ROOT
from tests.conftest import PG_SECRET_KEY
from tests.fakeslack import FakeSlack


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Served:
    def __init__(self, proc: subprocess.Popen[str], port: int) -> None:
        self.proc = proc
        self.port = port

    def healthz(self, timeout: float = 10) -> int:
        url = f"http://127.0.0.1:{self.port}/healthz"
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 - loopback
            return int(resp.status)

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)


def start_serve(tmp_path: Path, db_url: str, fake: FakeSlack, **extra: str) -> Served:
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SLACK_", "CADENCE_")) and k not in {"DATABASE_URL", "PORT"}
    }
    env.update(
        DATABASE_URL=db_url,
        SLACK_BOT_TOKEN="xoxb-serve-test",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=fake.url,
        PORT=str(port),
        **extra,
    )
    if not db_url.startswith("sqlite"):
        env["CADENCE_SECRET_KEY"] = PG_SECRET_KEY
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, str(PROJECT_ROOT / "bot.py"), "serve"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    served = Served(proc, port)
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, proc.communicate()
        try:
            if served.healthz(timeout=2) == 200:
                return served
        except OSError:
            pass
        assert time.monotonic() < deadline, "serve did not come up"
        time.sleep(0.2)


@pytest.fixture
def served(tmp_path: Path, db_url: str, fake: FakeSlack) -> Iterator[Served]:
    s = start_serve(tmp_path, db_url, fake, CADENCE_HTTP_READ_TIMEOUT="2")
    yield s
    if s.proc.poll() is None:
        s.proc.kill()
        s.proc.wait(10)


def test_sigterm_stops_serve_within_seconds_despite_an_idle_keep_alive_connection(
    served: Served,
) -> None:
    idle = served.connect()
    idle.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert idle.recv(1000).startswith(b"HTTP/1.1 200")  # and the connection stays open
    served.proc.send_signal(signal.SIGTERM)
    served.proc.communicate(timeout=10)  # "a few seconds", not 45
    assert served.proc.returncode == 0
    idle.close()


def test_sigterm_finishes_the_request_in_flight(served: Served) -> None:
    # A request whose body is still arriving when SIGTERM comes is answered, then serve exits.
    body = b'{"type": "url_verification"}'
    conn = served.connect()
    conn.sendall(
        b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:5]
    )
    time.sleep(0.3)
    served.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    conn.sendall(body[5:])
    answer = conn.recv(1000)
    assert answer.startswith(b"HTTP/1.1 401")  # unsigned: refused, but answered
    served.proc.communicate(timeout=10)
    assert served.proc.returncode == 0


def test_many_slow_clients_do_not_starve_healthz(served: Served) -> None:
    slow = []
    try:
        for _ in range(1100):
            s = served.connect()
            s.sendall(b"GET /healthz HTTP/1.1\r\n")  # and then a header line now and then
            slow.append(s)
        for s in slow[:50]:
            s.sendall(b"X-Slow: 1\r\n")
        assert served.healthz(timeout=10) == 200
        # A trickle does not keep a connection: the request must arrive within the read
        # timeout (2 s here), however often a line comes.
        trickler = slow[-1]
        trickler.settimeout(10)
        closed = False
        for _ in range(20):
            try:
                trickler.sendall(b"X-Slow: 1\r\n")
                if trickler.recv(1000, socket.MSG_DONTWAIT) == b"":
                    closed = True
                    break
            except BlockingIOError:
                pass
            except OSError:
                closed = True
                break
            time.sleep(0.5)
        assert closed
        assert served.healthz(timeout=10) == 200
    finally:
        for s in slow:
            s.close()
