"""CADENCE_HTTP_REUSE_PORT: several `serve` processes on one port (SO_REUSEPORT). Without it a
second server on a taken port fails to start; with it both listen, and when one stops the
other still answers on that port."""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from cadence.web import make_server, run_until

pytestmark = pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="Linux only")


def named(name: str) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [name.encode()]

    return app


def get(port: int) -> str:
    url = f"http://127.0.0.1:{port}/"
    with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - loopback
        return str(resp.read().decode())


def test_a_taken_port_is_refused_without_the_option() -> None:
    first = make_server(named("a"), 0, host="127.0.0.1")
    try:
        with pytest.raises(OSError):
            make_server(named("b"), first.effective_port, host="127.0.0.1")
    finally:
        first.close()


def test_two_servers_share_a_port_and_one_stopping_leaves_the_other_answering() -> None:
    first = make_server(named("a"), 0, host="127.0.0.1", reuse_port=True)
    port = first.effective_port
    second = make_server(named("b"), port, host="127.0.0.1", reuse_port=True)
    stops = [threading.Event(), threading.Event()]
    threads = [
        threading.Thread(target=run_until, args=(server, stop, 1.0), daemon=True)
        for server, stop in zip((first, second), stops, strict=True)
    ]
    for thread in threads:
        thread.start()
    try:
        seen = {get(port) for _ in range(40)}
        assert seen <= {"a", "b"} and seen  # whichever the kernel chose answered
        stops[0].set()
        threads[0].join(10)
        assert {get(port) for _ in range(5)} == {"b"}
    finally:
        for stop in stops:
            stop.set()
        for thread in threads:
            thread.join(10)
