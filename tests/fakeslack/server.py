"""A fake Slack Web API server on loopback, for tests and benchmarks.

Clients talk real HTTP to it (``WebClient(token="xoxb-test", base_url=fake.url)``). Every call
is recorded; arguments are checked against the shared methods index (unknown methods and
arguments are refused); Block Kit is validated against Slack's limits; faults (rate limits,
HTTP errors, disconnects, permanent per-recipient errors, latency, holds, expired triggers) can be
injected per method.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import email.parser
import email.policy
import json
import math
import mimetypes
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tests.shared_data import METHODS_INDEX

from .blockkit import Validator
from .transport import LoopbackServer, Reply, Request

DEFAULT_METHODS_INDEX = METHODS_INDEX

TEAM_ID = "T111"
BOT_USER_ID = "UBOT"
BOT_ID = "BBOT"
APP_ID = "A111"
# Scopes the fake says the token holds (auth.test's x-oauth-scopes header), as Cadence's manifest.
DEFAULT_SCOPES = ("chat:write", "commands", "users:read", "users:read.email", "files:write")

# Arguments that clients may send as JSON strings inside form bodies.
_JSON_ARGS = frozenset(
    {"blocks", "view", "attachments", "metadata", "files", "unfurls", "user_auth_blocks"}
)
_MESSAGE_METHODS = frozenset({"chat.postMessage", "chat.update", "chat.postEphemeral"})
_USERS_LIST_DEFAULT = 200
_USERS_LIST_MAX = 1000


@dataclass
class Call:
    """One request to /api/<method>, in arrival order."""

    method: str
    args: dict[str, Any]
    token: str | None
    ok: bool
    error: str | None
    at: float  # time.monotonic() when the request arrived
    status: int = 200  # HTTP status sent (0 when the connection was dropped)
    response: dict[str, Any] | None = None  # JSON body sent (None when dropped)


@dataclass(frozen=True)
class _Spec:
    args: frozenset[str]  # every argument the method accepts (token included)
    required: tuple[str, ...]  # required arguments other than token


@dataclass
class _User:
    id: str
    name: str
    email: str
    tz: str | None
    status_text: str
    status_emoji: str
    status_expiration: int
    deleted: bool


@dataclass
class _Fault:
    status: int
    error: str | None
    disconnect: bool
    retry_after: int | None = None


@dataclass
class _Bucket:
    rate: float
    capacity: float
    tokens: float
    last: float
    clock: Callable[[], float] = time.monotonic

    def take(self, now: float) -> float:
        """Consume a token; 0.0 if one was available, else seconds until the next one."""
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate


def _json_reply(payload: dict[str, Any], status: int = 200, **headers: str) -> Reply:
    return Reply(status=status, body=json.dumps(payload).encode(), headers=dict(headers))


def _invalid_arguments(messages: list[str]) -> dict[str, Any]:
    return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": messages}}


def _dm_channel(channel: str) -> str:
    """Slack answers a post to a user id (U…/W…) in that user's DM channel (D…)."""
    if channel[:1] in ("U", "W") and len(channel) > 1:
        return "D" + channel[1:]
    return channel


def _reader(call: Call) -> str:
    args = call.args
    if call.method == "chat.postEphemeral":
        return str(args.get("user", ""))
    if call.method in {"views.open", "views.push"}:
        trigger = str(args.get("trigger_id", ""))
        return trigger.removeprefix("trig-") if trigger.startswith("trig-") else trigger
    to = str(args.get("channel") or args.get("channel_id") or args.get("user_id") or "")
    if to[:1] == "D" and len(to) > 1:  # a DM channel this fake gave out for a user (U…)
        return "U" + to[1:]
    return to


def _tz_offset(tz: str) -> int:
    try:
        offset = datetime.now(tz=UTC).astimezone(ZoneInfo(tz)).utcoffset()
    except (ZoneInfoNotFoundError, ValueError):
        return 0
    return int(offset.total_seconds()) if offset is not None else 0


def _decode_json_args(args: dict[str, Any]) -> None:
    for key in _JSON_ARGS & args.keys():
        value = args[key]
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                args[key] = json.loads(value)
            except ValueError:
                pass  # left as a string; validation reports it


def _parse_multipart(content_type: str, body: bytes) -> list[tuple[str | None, bytes]]:
    """(field name, payload) for each part of a multipart/form-data body."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    parts: list[tuple[str | None, bytes]] = []
    for part in message.iter_parts() if message.is_multipart() else []:
        payload = part.get_payload(decode=True)
        parts.append((part.get_param("name", header="content-disposition"), payload or b""))  # type: ignore[arg-type]
    return parts


def _int_arg(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class FakeSlack:
    """A loopback Slack Web API. Use as a context manager or call start()/stop()."""

    def __init__(self, *, methods_index: Path | None = None) -> None:
        path = methods_index if methods_index is not None else DEFAULT_METHODS_INDEX
        index: dict[str, dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))
        self._methods = {
            name: _Spec(
                args=frozenset(spec.get("args", [])),
                required=tuple(a for a in spec.get("required_args", []) if a != "token"),
            )
            for name, spec in index.items()
        }
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._server: LoopbackServer | None = None
        self._validator = Validator()
        self._seq = 100  # ids and timestamps
        # recorded
        self._calls: list[Call] = []
        self.violations: list[str] = []
        self.rate_limited_count: dict[str, int] = {}
        # state
        self._users: dict[str, _User] = {}
        self.uploads: dict[str, bytes] = {}  # file_id -> bytes posted to its upload_url
        self.files: dict[str, dict[str, Any]] = {}  # file_id -> file object, once completed
        self._pending_files: dict[str, dict[str, Any]] = {}
        self.views: dict[str, dict[str, Any]] = {}  # view id -> last view sent
        self.home_views: dict[str, dict[str, Any]] = {}  # user id -> last published home view
        # faults
        self._buckets: dict[str, _Bucket] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._fail_for: dict[str, str] = {}
        self._latency: dict[str, float] = {}
        self._holds: dict[str, threading.Event] = {}
        self._held: dict[str, int] = {}  # calls that arrived while their method was held
        self._expired_triggers = False
        self.scopes: tuple[str, ...] = DEFAULT_SCOPES
        self._handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.delete": self._chat_delete,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "users.lookupByEmail": self._users_lookup_by_email,
            "conversations.open": self._conversations_open,
            "files.getUploadURLExternal": self._files_get_upload_url,
            "files.completeUploadExternal": self._files_complete_upload,
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        """Bind 127.0.0.1 on an ephemeral port and serve from daemon threads."""
        if self._server is not None:
            raise RuntimeError("FakeSlack already started")
        self._server = LoopbackServer(self._route)
        self._server.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeSlack is not started")
        return self._server.port

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """Base URL for WebClient(base_url=...); ends with a slash."""
        return f"{self.origin}/api/"

    # ------------------------------------------------------------------ recorded calls

    def calls(self, method: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if method is None or c.method == method]

    def _calls_json(self, query: dict[str, str]) -> list[dict[str, Any]]:
        """Recorded calls (optionally of one ?method=) as JSON, for `python -m tests.fakeslack`."""
        return [
            {"method": c.method, "args": c.args, "ok": c.ok, "error": c.error}
            for c in self.calls(query.get("method"))
        ]

    def count(self, method: str, *, ok_only: bool = True) -> int:
        with self._lock:
            return sum(1 for c in self._calls if c.method == method and (c.ok or not ok_only))

    def clear(self) -> None:
        """Forget recorded calls, violations and 429 counts (not users, files or faults)."""
        with self._lock:
            self._calls.clear()
            self.violations.clear()
            self.rate_limited_count.clear()

    def wait_for(self, method: str, count: int, timeout: float = 5.0) -> list[Call]:
        """Block until at least `count` ok calls of `method` arrived; return them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                done = [c for c in self._calls if c.method == method and c.ok]
                if len(done) >= count:
                    return done
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    arrived = [
                        c.method + (" ok" if c.ok else f" {c.error} (HTTP {c.status})")
                        for c in self._calls[-50:]
                    ]
                    raise AssertionError(
                        f"expected {count} ok {method} call(s) within {timeout}s, "
                        f"got {len(done)}; last calls: {arrived}"
                    )
                self._changed.wait(remaining)

    def messages_to(self, channel_or_user: str) -> list[Call]:
        """Ok chat.postMessage calls to that channel, or to that user or their DM channel."""
        target = _dm_channel(channel_or_user)
        with self._lock:
            return [
                c
                for c in self._calls
                if c.method == "chat.postMessage"
                and c.ok
                and _dm_channel(str(c.args.get("channel", ""))) == target
            ]

    def readers(self, marker: str) -> set[str]:
        """Everyone who could read a call carrying `marker`: the user ID for a DM (sent to
        the user or to their DM channel), an ephemeral message (its one user), a published
        Home or a modal (the user whose click opened it); the channel ID otherwise."""
        return {
            _reader(c) for c in self.calls() if marker in json.dumps(c.args, ensure_ascii=False)
        }

    # ------------------------------------------------------------------ directory

    def add_user(
        self,
        user_id: str,
        *,
        name: str = "",
        email: str = "",
        tz: str | None = "UTC",
        status_text: str = "",
        status_emoji: str = "",
        status_expiration: int = 0,
        deleted: bool = False,
    ) -> None:
        with self._lock:
            self._users[user_id] = _User(
                user_id,
                name or user_id.lower(),
                email,
                tz,
                status_text,
                status_emoji,
                status_expiration,
                deleted,
            )

    # ------------------------------------------------------------------ fault injection

    def rate_limit(
        self,
        method: str,
        per_second: float | None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Token bucket for `method` (capacity max(1, per_second)); None removes it. `clock`
        (seconds) may be a test's virtual time, shared with the sender's pacer."""
        with self._lock:
            if per_second is None:
                self._buckets.pop(method, None)
                return
            if per_second <= 0:
                raise ValueError("per_second must be positive (or None to remove the limit)")
            capacity = max(1.0, float(per_second))
            self._buckets[method] = _Bucket(per_second, capacity, capacity, clock(), clock)

    def fail_next(
        self,
        method: str,
        n: int = 1,
        *,
        status: int = 500,
        error: str | None = None,
        disconnect: bool = False,
        retry_after: int | None = None,
    ) -> None:
        """The next n calls of `method` fail: HTTP `status`, or a dropped connection.

        With status=429 the answer is Slack's `ratelimited` with a `Retry-After` header of
        `retry_after` seconds (default 1), counted in `rate_limited_count`.

        Note: WebClient retries a dropped connection once by default.
        """
        with self._lock:
            self._faults.setdefault(method, []).extend(
                _Fault(status, error, disconnect, retry_after) for _ in range(n)
            )

    def fail_for(self, channel_or_user: str, error: str) -> None:
        """Posts to that channel/user (and DMs to that user) answer ok:false `error`.

        Applies to chat.postMessage, chat.postEphemeral and conversations.open.
        """
        with self._lock:
            self._fail_for[_dm_channel(channel_or_user)] = error

    def set_latency(self, method: str, seconds: float) -> None:
        with self._lock:
            self._latency[method] = seconds

    def hold(self, method: str) -> threading.Event:
        """Calls of `method` wait, once they have arrived, until the returned event is set
        (reset_faults sets it too); `wait_held` waits for them to arrive."""
        release = threading.Event()
        with self._lock:
            self._holds[method] = release
        return release

    def wait_held(self, method: str, count: int = 1, timeout: float = 5.0) -> None:
        """Block until `count` calls of `method` are waiting (or waited) on a hold."""
        with self._changed:
            if not self._changed.wait_for(lambda: self._held.get(method, 0) >= count, timeout):
                raise AssertionError(f"no {method} call waited on its hold within {timeout}s")

    def expire_triggers(self, flag: bool = True) -> None:
        """views.open / views.push answer expired_trigger_id while set."""
        with self._lock:
            self._expired_triggers = flag

    def reset_faults(self) -> None:
        """Remove every rate limit, pending failure, fail_for, latency and trigger expiry."""
        with self._lock:
            self._buckets.clear()
            self._faults.clear()
            self._fail_for.clear()
            self._latency.clear()
            for release in self._holds.values():
                release.set()
            self._holds.clear()
            self._held.clear()
            self._expired_triggers = False

    # ------------------------------------------------------------------ request handling

    def _next_seq(self) -> int:  # callers hold self._lock
        self._seq += 1
        return self._seq

    def _next_ts(self) -> str:
        n = self._next_seq()
        return f"{1_700_000_000 + n // 1_000_000}.{n % 1_000_000:06d}"

    def _record(self, call: Call) -> None:
        with self._changed:
            # In arrival order, even when latency made an earlier call finish later.
            bisect.insort(self._calls, call, key=lambda c: c.at)
            self._changed.notify_all()

    def _route(self, request: Request) -> Reply:
        try:
            split = urlsplit(request.target)
            if split.path.startswith("/upload/"):
                return self._handle_upload(
                    split.path[len("/upload/") :],
                    request.headers.get("content-type", ""),
                    request.body,
                )
            if split.path == "/_fake/calls":  # for a fake run as its own process
                return _json_reply({"calls": self._calls_json(dict(parse_qsl(split.query)))})
            if not split.path.startswith("/api/"):
                return Reply(404, b"not found", "text/plain")
            return self._route_api(split.path[len("/api/") :], split.query, request)
        except Exception:  # a bug in the fake must reach the test, not hang the client
            with self._lock:
                self.violations.append(f"fake error on {request.target}: {traceback.format_exc()}")
            return _json_reply({"ok": False, "error": "fake_internal_error"}, 500)

    def _route_api(self, method: str, query: str, request: Request) -> Reply:
        """Parse query string and body (JSON, form or multipart) into args, then answer."""
        content_type = request.headers.get("content-type", "")
        mime = content_type.split(";")[0].strip().lower()
        body = request.body
        args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        try:
            if mime == "application/json":
                decoded = json.loads(body) if body.strip() else {}
                if not isinstance(decoded, dict):
                    raise ValueError("JSON body is not an object")
                args.update(decoded)
            elif mime == "multipart/form-data":
                for name, part in _parse_multipart(content_type, body):
                    if name:
                        args[name] = part.decode("utf-8")
            elif body:
                args.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except ValueError:  # includes JSONDecodeError and UnicodeDecodeError
            error = "invalid_json" if mime == "application/json" else "invalid_form_data"
            payload = {"ok": False, "error": error}
            self._record(Call(method, {}, None, False, error, time.monotonic(), 200, payload))
            return _json_reply(payload)
        _decode_json_args(args)
        token = args.pop("token", None)
        auth = request.headers.get("authorization", "")
        if auth[:7].lower() == "bearer " and auth[7:].strip():
            token = auth[7:].strip()
        return self._handle_api(method, args, str(token) if token else None)

    def _handle_api(self, method: str, args: dict[str, Any], token: str | None) -> Reply:
        """Answer one Web API call (already parsed) and record it."""
        arrived = time.monotonic()
        with self._lock:
            delay = self._latency.get(method, 0.0)
            faults = self._faults.get(method)
            fault = faults.pop(0) if faults else None
            hold = self._holds.get(method)
        if hold is not None:
            with self._changed:
                self._held[method] = self._held.get(method, 0) + 1
                self._changed.notify_all()
            hold.wait(60)
        if delay > 0:
            time.sleep(delay)
        reply, payload = self._answer(method, args, token, fault)
        ok = bool(payload and payload.get("ok"))
        error = None if ok else ("disconnected" if payload is None else payload.get("error"))
        self._record(
            Call(
                method=method,
                args=args,
                token=token,
                ok=ok,
                error=error,
                at=arrived,
                status=0 if reply.disconnect else reply.status,
                response=payload,
            )
        )
        return reply

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None, fault: _Fault | None
    ) -> tuple[Reply, dict[str, Any] | None]:
        if fault is not None:
            if fault.disconnect:
                return Reply(disconnect=True), None
            if fault.status == 429:
                with self._lock:
                    self.rate_limited_count[method] = self.rate_limited_count.get(method, 0) + 1
                payload = {"ok": False, "error": fault.error or "ratelimited"}
                retry_after = str(fault.retry_after if fault.retry_after is not None else 1)
                return _json_reply(payload, 429, **{"Retry-After": retry_after}), payload
            payload = {"ok": False, "error": fault.error or "internal_error"}
            return _json_reply(payload, fault.status), payload

        with self._lock:
            bucket = self._buckets.get(method)
            wait = bucket.take(bucket.clock()) if bucket is not None else 0.0
            if wait > 0:
                self.rate_limited_count[method] = self.rate_limited_count.get(method, 0) + 1
        if wait > 0:
            payload = {"ok": False, "error": "ratelimited"}
            retry_after = str(max(1, math.ceil(wait)))
            return _json_reply(payload, 429, **{"Retry-After": retry_after}), payload

        spec = self._methods.get(method)
        if spec is None:
            payload = {"ok": False, "error": "unknown_method", "req_method": method}
        elif not token:
            payload = {"ok": False, "error": "not_authed"}
        else:
            payload = self._check_args(method, spec, args) or self._dispatch(method, args)
        if method == "auth.test" and payload.get("ok"):
            # Slack lists the token's granted scopes in this header.
            reply = _json_reply(payload)
            reply.headers["x-oauth-scopes"] = ",".join(self.scopes)
            return reply, payload
        return _json_reply(payload), payload

    def _check_args(self, method: str, spec: _Spec, args: dict[str, Any]) -> dict[str, Any] | None:
        messages = [
            f"[ERROR] missing required field: {name}"
            for name in spec.required
            if args.get(name) in (None, "")
        ]
        # team_id is accepted by every method (org-wide apps; Bolt adds it for Enterprise Grid).
        unknown = sorted(name for name in args if name not in spec.args and name != "team_id")
        if unknown:
            with self._lock:
                self.violations.append(f"{method}: unknown argument(s) {unknown}")
            messages += [f"[ERROR] unknown field: {name}" for name in unknown]
        if not messages:
            return None
        return _invalid_arguments(messages)

    def _dispatch(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method in _MESSAGE_METHODS:
            refused = self._refuse_blocks(method, self._validator.message(args))
            if refused is not None:
                return refused
        handler = self._handlers.get(method)
        return handler(args) if handler is not None else {"ok": True}

    def _refuse_blocks(self, method: str, problems: list[str]) -> dict[str, Any] | None:
        if not problems:
            return None
        with self._lock:
            self.violations += [f"{method}: {p}" for p in problems]
        return {"ok": False, "error": "invalid_blocks", "errors": problems}

    def _failure_for(self, *targets: Any) -> str | None:
        with self._lock:
            for target in targets:
                if isinstance(target, str) and target:
                    error = self._fail_for.get(_dm_channel(target))
                    if error is not None:
                        return error
        return None

    # ------------------------------------------------------------------ methods

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://test.slack.com/",
            "team": "Test",
            "user": "cadence",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "url": "wss://wss-primary.slack.com/link/?ticket=fake"}

    def _message(self, args: dict[str, Any], ts: str) -> dict[str, Any]:
        message: dict[str, Any] = {
            "type": "message",
            "text": args.get("text", ""),
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "team": TEAM_ID,
            "ts": ts,
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if args.get(key) is not None:
                message[key] = args[key]
        return message

    @staticmethod
    def _has_content(args: dict[str, Any]) -> bool:
        return any(args.get(k) for k in ("text", "blocks", "attachments", "markdown_text"))

    def _chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = str(args["channel"])
        error = self._failure_for(channel)
        if error is not None:
            return {"ok": False, "error": error}
        if not self._has_content(args):
            return {"ok": False, "error": "no_text"}
        with self._lock:
            ts = self._next_ts()
        return {
            "ok": True,
            "channel": _dm_channel(channel),
            "ts": ts,
            "message": self._message(args, ts),
        }

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if not self._has_content(args):
            return {"ok": False, "error": "no_text"}
        ts = str(args["ts"])
        return {
            "ok": True,
            "channel": _dm_channel(str(args["channel"])),
            "ts": ts,
            "text": args.get("text", ""),
            "message": self._message(args, ts),
        }

    def _chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        error = self._failure_for(args.get("user"), args.get("channel"))
        if error is not None:
            return {"ok": False, "error": error}
        if not self._has_content(args):
            return {"ok": False, "error": "no_text"}
        with self._lock:
            ts = self._next_ts()
        return {"ok": True, "message_ts": ts}

    def _chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "channel": args["channel"], "ts": args["ts"]}

    def _view_payload(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """Validate args['view']; return a refusal or {'view': ...} ready to store."""
        view = args.get("view")
        refused = self._refuse_blocks(method, self._validator.view(view))
        if refused is not None:
            return refused
        view = cast(dict[str, Any], view)
        with self._lock:
            view_id = str(args.get("view_id") or f"V{self._next_seq():08d}")
            stored = {
                "id": view_id,
                "team_id": TEAM_ID,
                "app_id": APP_ID,
                "bot_id": BOT_ID,
                "root_view_id": view_id,
                "previous_view_id": None,
                "state": {"values": {}},
                "hash": self._next_ts(),
                **view,
            }
            stored["id"] = view_id
            self.views[view_id] = stored
        return {"ok": True, "view": stored}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._views_with_trigger("views.open", args)

    def _views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        return self._views_with_trigger("views.push", args)

    def _views_with_trigger(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if not (args.get("trigger_id") or args.get("interactivity_pointer")):
            return _invalid_arguments(["[ERROR] missing required field: trigger_id"])
        with self._lock:
            expired = self._expired_triggers
        if expired:
            return {"ok": False, "error": "expired_trigger_id"}
        return self._view_payload(method, args)

    def _views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if not (args.get("view_id") or args.get("external_id")):
            return _invalid_arguments(["[ERROR] missing required field: view_id"])
        return self._view_payload("views.update", args)

    def _views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        payload = self._view_payload("views.publish", {"view": args.get("view")})
        if payload.get("ok"):
            with self._lock:
                self.home_views[str(args["user_id"])] = payload["view"]
        return payload

    def _user_json(self, user: _User) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "real_name": user.name,
            "display_name": user.name,
            "status_text": user.status_text,
            "status_emoji": user.status_emoji,
            "status_expiration": user.status_expiration,
        }
        if user.email:
            profile["email"] = user.email
        out: dict[str, Any] = {
            "id": user.id,
            "team_id": TEAM_ID,
            "name": user.name,
            "real_name": user.name,
            "deleted": user.deleted,
            "is_bot": False,
            "profile": profile,
        }
        if user.tz is not None:
            out.update(tz=user.tz, tz_label=user.tz, tz_offset=_tz_offset(user.tz))
        return out

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            user = self._users.get(str(args["user"]))
        if user is None:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": self._user_json(user)}

    def _users_lookup_by_email(self, args: dict[str, Any]) -> dict[str, Any]:
        wanted = str(args["email"]).lower()
        with self._lock:
            found = [u for u in self._users.values() if u.email and u.email.lower() == wanted]
        if not found:
            return {"ok": False, "error": "users_not_found"}
        return {"ok": True, "user": self._user_json(found[0])}

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        limit = _int_arg(args.get("limit")) or _USERS_LIST_DEFAULT
        limit = max(1, min(limit, _USERS_LIST_MAX))
        cursor = str(args.get("cursor") or "")
        offset = 0
        if cursor:
            try:
                kind, _, number = base64.b64decode(cursor, validate=True).decode().partition(":")
                offset = int(number)
            except (binascii.Error, UnicodeDecodeError, ValueError):
                kind = ""
            if kind != "users" or offset < 0:
                return {"ok": False, "error": "invalid_cursor"}
        with self._lock:
            users = list(self._users.values())
        page = users[offset : offset + limit]
        end = offset + len(page)
        next_cursor = base64.b64encode(f"users:{end}".encode()).decode() if end < len(users) else ""
        return {
            "ok": True,
            "members": [self._user_json(u) for u in page],
            "cache_ts": 1_700_000_000,
            "response_metadata": {"next_cursor": next_cursor},
        }

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        if args.get("channel"):
            return {"ok": True, "channel": {"id": str(args["channel"])}}
        raw = args.get("users")
        users = raw if isinstance(raw, list) else str(raw or "").split(",")
        users = [u.strip() for u in users if u and u.strip()]
        if not users:
            return {"ok": False, "error": "users_list_not_supplied"}
        error = self._failure_for(*users)
        if error is not None:
            return {"ok": False, "error": error}
        if len(users) == 1:
            return {"ok": True, "channel": {"id": _dm_channel(users[0]), "is_im": True}}
        with self._lock:
            group = f"G{self._next_seq():08d}"
        return {"ok": True, "channel": {"id": group, "is_mpim": True}}

    def _files_get_upload_url(self, args: dict[str, Any]) -> dict[str, Any]:
        length = _int_arg(args.get("length"))
        if length is None or length < 0:
            return _invalid_arguments(["[ERROR] length must be an integer"])
        with self._lock:
            file_id = f"F{self._next_seq():08d}"
            self._pending_files[file_id] = {"filename": str(args["filename"]), "length": length}
        return {"ok": True, "upload_url": f"{self.origin}/upload/{file_id}", "file_id": file_id}

    def _handle_upload(self, file_id: str, content_type: str, body: bytes) -> Reply:
        """POST <upload_url>: store the bytes (raw body or the multipart file part)."""
        if content_type.split(";")[0].strip().lower() == "multipart/form-data":
            parts = _parse_multipart(content_type, body)
            body = parts[0][1] if parts else b""
        with self._lock:
            pending = self._pending_files.get(file_id)
            if pending is None:
                return Reply(404, b"not found", "text/plain")
            if len(body) != pending["length"]:
                self.violations.append(
                    f"upload {file_id}: {len(body)} bytes, announced {pending['length']}"
                )
            self.uploads[file_id] = body
        return Reply(200, f"OK - {len(body)}".encode(), "text/plain; charset=utf-8")

    def _files_complete_upload(self, args: dict[str, Any]) -> dict[str, Any]:
        items = args.get("files")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            return _invalid_arguments(["[ERROR] files must be a JSON list of objects"])
        channels = [c for c in str(args.get("channels") or "").split(",") if c]
        if args.get("channel_id"):
            channels.insert(0, str(args["channel_id"]))
        done: list[dict[str, Any]] = []
        with self._lock:
            for item in items:
                file_id = str(item.get("id"))
                if file_id not in self.uploads:
                    return {"ok": False, "error": "file_not_found"}
                name = self._pending_files[file_id]["filename"]
                done.append(
                    {
                        "id": file_id,
                        "name": name,
                        "title": item.get("title") or name,
                        "mimetype": mimetypes.guess_type(name)[0] or "application/octet-stream",
                        "size": len(self.uploads[file_id]),
                        "channels": channels,
                        "initial_comment": args.get("initial_comment"),
                        "thread_ts": args.get("thread_ts"),
                    }
                )
            for f in done:
                self.files[f["id"]] = f
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in done]}
