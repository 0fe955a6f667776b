"""Waitress, guarded against slow clients and stopped gracefully.

- A request must arrive in full (headers and body) within `read_timeout` seconds of its first
  byte, however slowly it trickles: waitress's own channel_timeout counts from the last byte,
  so one header line every few seconds held a connection forever.
- At the connection cap, the connection that has waited longest without a complete request
  (or, failing that, the longest idle keep-alive one) is closed to make room: a flood of slow
  clients evicts itself instead of locking out everyone else, /healthz included.
- `run_until` stops accepting when told, closes idle connections at once, lets requests in
  flight finish for up to `grace` seconds, then returns.
"""

from __future__ import annotations

import socket
import time
from typing import TYPE_CHECKING, Any, cast

from waitress import wasyncore
from waitress.adjustments import Adjustments
from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.task import ThreadedTaskDispatcher

if TYPE_CHECKING:
    import threading

    from _typeshed.wsgi import WSGIApplication

READ_TIMEOUT = 10.0  # seconds for a whole request to arrive, from its first byte
IDLE_TIMEOUT = 15.0  # seconds an idle keep-alive connection is kept
CONNECTION_LIMIT = 1000
GRACE = 5.0  # seconds requests in flight get to finish at shutdown
_ACCEPT_BATCH = 256
_TICK = 0.2  # seconds between looks at the clock and the stop flag


class GuardedChannel(HTTPChannel):
    request_started: float | None = None  # monotonic time of the pending request's first byte

    def received(self, data: bytes) -> Any:
        if data and self.request is None and self.request_started is None:
            self.request_started = time.monotonic()
        result = super().received(data)
        if self.request is None:  # nothing partial left: complete (queued) or none
            self.request_started = None
        return result

    def busy(self) -> bool:
        """A request is being served or its answer is still being written."""
        return bool(self.requests or self.total_outbufs_len)


class GuardedServer(TcpWSGIServer):
    channel_class = GuardedChannel
    read_timeout = READ_TIMEOUT
    draining = False
    adj_reuse_port = False  # set by create_guarded_server(reuse_port=True) before binding
    effective_port: int
    # waitress's stubs type these wrongly (a dict of channels, the socket map).
    active_channels: dict[int, Any]  # type: ignore[assignment]
    _map: dict[int, Any]

    def bind_server_socket(self) -> None:
        if self.adj_reuse_port and self.socket is not None:
            # Several processes listen on the same port; the kernel spreads connections.
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        super().bind_server_socket()

    def maintenance(self, now: Any) -> None:
        super().maintenance(now)
        cutoff = time.monotonic() - self.read_timeout
        for channel in list(self.active_channels.values()):
            started = getattr(channel, "request_started", None)
            if started is not None and started < cutoff and not channel.busy():
                channel.will_close = True

    def readable(self) -> bool:
        if self.accepting and len(self.active_channels) >= self.adj.connection_limit:
            self._evict(max(1, self.adj.connection_limit // 100))
        return bool(super().readable())

    def handle_accept(self) -> None:
        """Accept every connection waiting (up to a batch), not one per loop turn: a flood
        queued in the listen backlog must not keep a real client waiting behind it."""
        for _ in range(_ACCEPT_BATCH):
            if len(self.active_channels) >= self.adj.connection_limit:
                self._evict(max(1, self.adj.connection_limit // 100))
            try:
                accepted = self.accept()
                if accepted is None:
                    return
                conn, addr = accepted
                self.set_socket_options(conn)
            except OSError:
                return
            self.channel_class(self, conn, self.fix_addr(addr), self.adj, map=self._map)

    def _evict(self, n: int) -> None:
        """Close the n connections that hold a place for the least: those waiting longest for
        a complete request, then the longest idle."""
        idle = [c for c in self.active_channels.values() if not c.busy()]

        def rank(channel: Any) -> tuple[int, float]:
            started = getattr(channel, "request_started", None)
            return (0, started) if started is not None else (1, channel.last_activity)

        for channel in sorted(idle, key=rank)[:n]:
            channel.handle_close()

    def drain(self) -> None:
        """Stop accepting; close connections with nothing in progress."""
        if not self.draining:
            self.draining = True
            self.accepting = False
            wasyncore.dispatcher.close(self)  # the listening socket only; the trigger stays
        for channel in list(self.active_channels.values()):
            if not channel.busy() and channel.request is None:
                channel.handle_close()


class _ReusePortServer(GuardedServer):
    adj_reuse_port = True


def create_guarded_server(
    app: WSGIApplication,
    *,
    read_timeout: float = READ_TIMEOUT,
    reuse_port: bool = False,
    **adjustments: Any,
) -> GuardedServer:
    adjustments.setdefault("connection_limit", CONNECTION_LIMIT)
    adjustments.setdefault("channel_timeout", IDLE_TIMEOUT)
    adjustments.setdefault("cleanup_interval", 1)
    adjustments.setdefault("asyncore_use_poll", True)  # select() stops at 1,024 descriptors
    adjustments.setdefault("backlog", 4096)  # a burst of connections waits to be accepted
    adj = Adjustments(**adjustments)
    dispatcher = ThreadedTaskDispatcher()
    dispatcher.set_thread_count(adj.threads)
    server = (_ReusePortServer if reuse_port else GuardedServer)(
        app, {}, True, None, dispatcher=dispatcher, adj=adj, sockinfo=cast(Any, adj.listen[0])
    )
    server.read_timeout = read_timeout
    return server


def run_until(server: GuardedServer, stop: threading.Event, grace: float = GRACE) -> None:
    """Serve until `stop` is set; then finish what is in flight (up to `grace` s) and return."""
    deadline: float | None = None
    while True:
        if deadline is None and stop.is_set():
            deadline = time.monotonic() + grace
        if deadline is not None:
            server.drain()
            if not server.active_channels or time.monotonic() >= deadline:
                break
        wasyncore.loop(timeout=_TICK, map=server._map, use_poll=True, count=1)
    for channel in list(server.active_channels.values()):
        channel.handle_close()
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
    cast(Any, server.trigger).close()
