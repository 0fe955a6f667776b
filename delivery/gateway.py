"""The narrow slice of the Slack Web API Cadence's background work uses, behind a protocol.

Errors are sorted into three kinds the sender acts on: rate limited (wait Retry-After),
transient (retry with backoff) and permanent (record the reason, never retry)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from cadence.storage.turns import step_aside

log = logging.getLogger(__name__)

ErrorKind = Literal["rate_limited", "transient", "permanent"]

# The one table of Slack's answers: HTTP 429 is rate limited (wait Retry-After); any HTTP 5xx,
# a lost connection and these error codes are transient (retry with backoff); every other error
# is permanent (record it, never retry).
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)


class SlackCallError(Exception):
    def __init__(self, kind: ErrorKind, error: str, retry_after: float = 0.0) -> None:
        super().__init__(f"{kind}: {error}")
        self.kind = kind
        self.error = error
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Posted:
    channel: str
    ts: str


@dataclass(frozen=True, slots=True)
class SlackUser:
    id: str
    tz: str | None
    deleted: bool
    status_text: str = ""
    status_emoji: str = ""
    status_expiration: int = 0
    email: str = ""
    name: str = ""


@dataclass(frozen=True, slots=True)
class Identity:
    """What auth.test says about the token: whose it is and the scopes Slack granted it."""

    team: str
    user: str
    scopes: frozenset[str]


@dataclass(frozen=True, slots=True)
class Upload:
    filename: str
    content: bytes
    title: str = ""
    alt_text: str = ""


class SlackGateway(Protocol):
    def post_message(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> Posted: ...

    def update_message(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> Posted: ...

    def upload_file(self, channel: str, upload: Upload, comment: str = "") -> None: ...

    def user_info(self, user_id: str) -> SlackUser: ...

    def iter_users(self) -> Iterator[SlackUser]: ...


def _user(raw: dict[str, Any]) -> SlackUser:
    profile = raw.get("profile") or {}
    return SlackUser(
        id=str(raw.get("id", "")),
        tz=raw.get("tz") or None,
        deleted=bool(raw.get("deleted", False)),
        status_text=str(profile.get("status_text") or ""),
        status_emoji=str(profile.get("status_emoji") or ""),
        status_expiration=int(profile.get("status_expiration") or 0),
        email=str(profile.get("email") or ""),
        name=str(profile.get("real_name") or raw.get("name") or ""),
    )


def error_kind(status: int, error: str) -> ErrorKind:
    """How the sender treats a failed call, from its HTTP status and Slack error code."""
    if status == 429:
        return "rate_limited"
    if status >= 500 or error in TRANSIENT_ERRORS:
        return "transient"
    return "permanent"


@contextmanager
def _sorted_errors() -> Iterator[None]:
    """Turn slack_sdk's errors and connection failures into SlackCallError. Every Slack call
    runs inside: a request thread first gives up its turn (storage.turns)."""
    step_aside()
    try:
        yield
    except SlackApiError as exc:
        status = exc.response.status_code
        error = str(exc.response.get("error", "") or f"http_{status}")
        kind = error_kind(status, error)
        if kind == "rate_limited":
            retry_after = float(exc.response.headers.get("Retry-After", "1") or 1)
            raise SlackCallError(kind, "ratelimited", retry_after) from None
        raise SlackCallError(kind, error) from None
    except (OSError, TimeoutError) as exc:
        raise SlackCallError("transient", f"connection: {type(exc).__name__}") from None


def _body(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise SlackCallError("transient", "unexpected response body")
    return data


@dataclass
class WebClientGateway:
    """SlackGateway over slack_sdk's WebClient. The client must have no retry handlers: the
    sender owns retries, pacing and Retry-After."""

    client: WebClient

    @classmethod
    def create(cls, token: str, base_url: str, timeout: int = 15) -> WebClientGateway:
        client = WebClient(token=token, base_url=base_url, timeout=timeout)
        client.retry_handlers = []
        return cls(client)

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        with _sorted_errors():
            response = self.client.api_call(method, json=kwargs)
        return _body(response.data)

    def _form(self, method: str, **kwargs: Any) -> dict[str, Any]:
        with _sorted_errors():
            response = self.client.api_call(method, params=kwargs)
        return _body(response.data)

    def post_message(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> Posted:
        data = self._call("chat.postMessage", channel=channel, text=text, blocks=blocks)
        return Posted(channel=str(data.get("channel", channel)), ts=str(data.get("ts", "")))

    def update_message(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> Posted:
        data = self._call("chat.update", channel=channel, ts=ts, text=text, blocks=blocks)
        return Posted(channel=str(data.get("channel", channel)), ts=str(data.get("ts", ts)))

    def upload_file(self, channel: str, upload: Upload, comment: str = "") -> None:
        with _sorted_errors():
            self.client.files_upload_v2(
                channel=channel,
                content=upload.content,
                filename=upload.filename,
                title=upload.title or upload.filename,
                alt_txt=upload.alt_text or None,
                initial_comment=comment or None,
            )

    def _check(self, method: str) -> SlackResponse:
        """One call for `doctor`: any refusal is permanent, a connection error transient."""
        try:
            return self.client.api_call(method)
        except SlackApiError as exc:
            status = exc.response.status_code
            raise SlackCallError(
                "permanent", str(exc.response.get("error", "") or f"http_{status}")
            ) from None
        except (OSError, TimeoutError) as exc:
            raise SlackCallError("transient", f"connection: {type(exc).__name__}") from None

    def identify(self) -> Identity:
        """auth.test; Slack lists the granted scopes in the x-oauth-scopes response header.
        Raises SlackCallError (invalid_auth, a connection error, ...)."""
        response = self._check("auth.test")
        header = str(response.headers.get("x-oauth-scopes") or "")
        return Identity(
            team=str(response.get("team") or ""),
            user=str(response.get("user") or ""),
            scopes=frozenset(s.strip() for s in header.split(",") if s.strip()),
        )

    def check_app_token(self) -> None:
        """With an app-level token: apps.connections.open, Socket Mode's first call (the URL it
        returns is not used). Raises SlackCallError."""
        self._check("apps.connections.open")

    def user_info(self, user_id: str) -> SlackUser:
        data = self._form("users.info", user=user_id)
        return _user(data.get("user") or {})

    def iter_users(self) -> Iterator[SlackUser]:
        cursor = ""
        while True:
            args: dict[str, Any] = {"limit": 200}
            if cursor:
                args["cursor"] = cursor
            data = self._form("users.list", **args)
            for raw in data.get("members") or []:
                yield _user(raw)
            cursor = str((data.get("response_metadata") or {}).get("next_cursor") or "")
            if not cursor:
                return
