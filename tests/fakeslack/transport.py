"""A small, fast HTTP/1.1 server on loopback that knows nothing about Slack.

slack_sdk's WebClient opens a new connection per request, and the fake shares the GIL with
the clients under test, so every microsecond per connection counts. http.server parses headers
with the email package and ThreadingHTTPServer hands each connection from a selector loop to a
new thread. Here instead a few daemon threads block in accept() themselves and serve the
connection they got (keep-alive with Content-Length); whenever the last waiting thread takes a
connection it starts another one, so slow or idle keep-alive connections never starve others.
"""

from __future__ import annotations

import http
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

_MAX_HEAD = 65_536
_MAX_HEADERS = 100
_RECV = 65_536
_LISTEN_BACKLOG = 512
_ACCEPTORS = 4  # threads waiting in accept() from the start
_IDLE_TIMEOUT = 60.0  # seconds an idle keep-alive connection is kept


@dataclass
class Request:
    method: str  # HTTP verb
    target: str  # path and query string
    headers: dict[str, str]  # names lower-cased
    body: bytes


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    disconnect: bool = False  # close the socket without answering


Route = Callable[[Request], Reply]


class _BadRequest(Exception):
    pass


class _Reader:
    """Buffered reads from a socket (bytes past one request stay for the next)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()

    def _more(self) -> bool:
        data = self.sock.recv(_RECV)
        self.buf += data
        return bool(data)

    def until(self, sep: bytes, limit: int) -> bytes | None:
        """Bytes before `sep` (consumed with it); None if the peer closed first."""
        start = 0
        while (i := self.buf.find(sep, start)) < 0:
            if len(self.buf) > limit:
                raise _BadRequest("line too long")
            start = max(0, len(self.buf) - len(sep) + 1)
            if not self._more():
                return None
        out = bytes(self.buf[:i])
        del self.buf[: i + len(sep)]
        return out

    def exactly(self, n: int) -> bytes:
        while len(self.buf) < n:
            if not self._more():
                raise _BadRequest("truncated body")
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out


class LoopbackServer:
    """Binds 127.0.0.1 on an ephemeral port; answers every request with `route`."""

    def __init__(self, route: Route) -> None:
        self.route = route
        self._lock = threading.Lock()
        self._idle = 0  # threads waiting in accept()
        self._closing = False
        self._open: set[socket.socket] = set()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(_LISTEN_BACKLOG)
        self.port: int = self._listener.getsockname()[1]

    def start(self) -> None:
        for _ in range(_ACCEPTORS):
            self._spawn()

    def stop(self) -> None:
        """Stop accepting, drop open connections; the daemon threads then end."""
        with self._lock:
            self._closing = True
            connections = list(self._open)
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes every blocked accept()
        except OSError:
            pass
        self._listener.close()
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _spawn(self) -> None:
        with self._lock:
            self._idle += 1
        threading.Thread(target=self._accept_loop, name="fakeslack-http", daemon=True).start()

    def _accept_loop(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:  # the listener was shut down
                with self._lock:
                    self._idle -= 1
                return
            with self._lock:
                self._idle -= 1
                if self._closing:
                    conn.close()
                    return
                self._open.add(conn)
                last = self._idle == 0
            if last:
                self._spawn()
            try:
                self._serve(conn)
            except (OSError, _BadRequest):
                pass  # the client went away or spoke nonsense: drop the connection
            finally:
                with self._lock:
                    self._open.discard(conn)
                    self._idle += 1
                conn.close()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(_IDLE_TIMEOUT)
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = _Reader(conn)
        while True:
            head = reader.until(b"\r\n\r\n", _MAX_HEAD)
            if head is None:
                return
            lines = head.decode("latin-1").lstrip("\r\n").split("\r\n")
            parts = lines[0].split()
            if len(parts) != 3 or not parts[2].startswith("HTTP/"):
                conn.sendall(_render(Reply(400, b"bad request", "text/plain"), keep_alive=False))
                return
            verb, target, version = parts
            headers = _parse_headers(lines[1:])
            connection = headers.get("connection", "").lower()
            if version == "HTTP/1.1":
                keep_alive = connection != "close"
            else:
                keep_alive = connection == "keep-alive"
            if headers.get("expect", "").lower() == "100-continue":
                conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            body = _read_body(reader, headers)
            reply = self.route(Request(verb, target, headers, body))
            if reply.disconnect:
                return
            conn.sendall(_render(reply, keep_alive=keep_alive))
            if not keep_alive:
                return


def _parse_headers(lines: list[str]) -> dict[str, str]:
    if len(lines) > _MAX_HEADERS:
        raise _BadRequest("too many headers")
    headers: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadRequest(f"bad header line {line!r}")
        headers[name.strip().lower()] = value.strip()
    return headers


def _read_body(reader: _Reader, headers: dict[str, str]) -> bytes:
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size_line = reader.until(b"\r\n", _MAX_HEAD)
            if size_line is None:
                raise _BadRequest("truncated chunked body")
            try:
                size = int(size_line.split(b";")[0].strip() or b"0", 16)
            except ValueError as exc:
                raise _BadRequest("bad chunk size") from exc
            if size == 0:
                while reader.until(b"\r\n", _MAX_HEAD):
                    pass  # trailers, up to the empty line
                return b"".join(chunks)
            chunks.append(reader.exactly(size))
            reader.exactly(2)  # CRLF after the chunk
    try:
        length = int(headers.get("content-length") or 0)
    except ValueError as exc:
        raise _BadRequest("bad Content-Length") from exc
    return reader.exactly(length) if length > 0 else b""


def _render(reply: Reply, *, keep_alive: bool) -> bytes:
    try:
        phrase = http.HTTPStatus(reply.status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [
        f"HTTP/1.1 {reply.status} {phrase}",
        f"Content-Type: {reply.content_type}",
        f"Content-Length: {len(reply.body)}",
    ]
    lines += [f"{name}: {value}" for name, value in reply.headers.items()]
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + reply.body
