"""One frozen Settings object built from the environment (and `.env`), validated at start."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TextIO
from urllib.parse import unquote

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from cadence.storage.sealing import missing_key

PROJECT_ROOT = Path(__file__).resolve().parent


def packaged(*parts: str) -> Path:
    """A file shipped inside the installed `cadence` package (found with importlib.resources)."""
    return Path(str(resources.files("cadence").joinpath(*parts)))


def _operator_path(value: Any) -> Any:
    """Empty means "the shipped file"; a relative path is relative to the working directory."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else Path.cwd() / path


def _userinfo(url: str) -> tuple[str, str, str, str] | None:
    """(scheme://, user, password, rest) of a URL with credentials, read without parsing the
    rest (a bad port or driver must not stop the password from being found)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    at = rest.rfind("@")
    if at < 0:
        return None
    user, _, password = rest[:at].partition(":")
    return scheme + sep, user, password, rest[at + 1 :]


def redacted_url(url: str) -> str:
    """A database URL fit to print: its password replaced by ***, even when it cannot be
    parsed."""
    parts = _userinfo(url)
    if parts is None or not parts[2]:
        return url
    head, user, _, rest = parts
    return f"{head}{user}:***@{rest}"


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Libraries whose DEBUG and INFO records carry Slack request and response bodies (people's
# text): they log at WARNING and above only, whatever CADENCE_LOG_LEVEL says.
BODY_LOGGERS = ("slack_sdk", "slack_bolt")


class Settings(BaseSettings):
    """Operator contract: see DESIGN.md section 3 and `.env.example`."""

    model_config = SettingsConfigDict(frozen=True, extra="ignore", case_sensitive=False)

    slack_bot_token: str = ""
    slack_signing_secret: str = ""
    slack_app_token: str = ""
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite:///cadence.db"
    port: int = Field(default=3000, ge=1, le=65535)
    roles_file: Path = Field(default_factory=lambda: packaged("roles.toml"))
    """Roles and their paired metrics; empty: the roles.toml shipped with Cadence."""
    question_sets_file: Path = Field(
        default_factory=lambda: packaged("prompts", "question_sets.toml")
    )
    """Question sets for feedback rounds; empty: the question_sets.toml shipped with Cadence."""

    # Tuning knobs (all optional).
    cadence_send_rate: float = Field(default=5.0, gt=0)
    """Upper bound on chat.postMessage calls per second; the sender adapts below it on 429s."""
    cadence_send_workers: int = Field(default=2, ge=1, le=16)
    cadence_tick_seconds: int = Field(default=60, ge=5)
    cadence_http_threads: int = Field(default=16, ge=2, le=256)
    cadence_log_level: str = "INFO"
    cadence_log_format: Literal["text", "json"] = "text"
    """`json`: one JSON object per line (time, level, logger, message, request_id)."""
    cadence_metrics: bool = False
    """Serve Prometheus metrics at GET /metrics (on PORT)."""
    cadence_kudos_per_day: int = Field(default=5, ge=1, le=100)
    """Kudos one person may give per local day."""
    cadence_retention_months: int = Field(default=0, ge=0, le=1200)
    """Free text older than this many months is removed by the `retention` job; 0: kept."""
    cadence_metrics_api_token: str = ""
    """Bearer token for POST /api/metrics; empty turns the endpoint off."""
    cadence_http_read_timeout: float = Field(default=10.0, gt=0, le=300)
    """Seconds a client has to send a whole HTTP request, from its first byte (slow clients)."""
    cadence_http_reuse_port: bool = False
    """Let several `serve` processes listen on the same PORT (SO_REUSEPORT, Linux): the kernel
    spreads connections across them."""
    cadence_migration_wait: float = Field(default=60.0, gt=0, le=3600)
    """Seconds start-up waits for another process's migration (or lock) before giving up."""
    cadence_secret_key: str = Field(default="", repr=False)
    """Seals anonymous round answers until their group closes (never stored in the database).
    Unset with SQLite: generated once into a file beside the database file."""

    @field_validator("roles_file", mode="before")
    @classmethod
    def _roles_path(cls, value: Any) -> Any:
        return _operator_path(value) or packaged("roles.toml")

    @field_validator("question_sets_file", mode="before")
    @classmethod
    def _question_sets_path(cls, value: Any) -> Any:
        return _operator_path(value) or packaged("prompts", "question_sets.toml")

    @field_validator("cadence_log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.strip().upper() not in LOG_LEVELS:
            raise ValueError(f"use one of {', '.join(LOG_LEVELS)}")
        return value.strip().upper()

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a log line or an error message."""
        parts = _userinfo(self.database_url)
        password = parts[2] if parts else ""
        found = (
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
            self.cadence_metrics_api_token,
            self.cadence_secret_key,
            password,
            unquote(password),
        )
        return tuple(sorted({v for v in found if len(v) >= 4}, key=len, reverse=True))

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    def missing_for(self, command: str) -> str | None:
        """One sentence naming what `command` still needs, or None when it can start."""
        needs_slack = command in {"run", "serve", "scheduler", "run-job"}
        if needs_slack and not self.slack_bot_token:
            return (
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-...) from your "
                "Slack app's OAuth & Permissions page into .env (see .env.example)."
            )
        if needs_slack and not self.slack_bot_token.startswith("xoxb-"):
            return (
                "SLACK_BOT_TOKEN must be a bot token starting with xoxb- "
                "(OAuth & Permissions page)."
            )
        if command in {"run", "serve", "scheduler", "run-job"}:
            problem = missing_key(self.cadence_secret_key, self.database_url)
            if problem:
                return problem
        if command in {"run", "serve"}:
            if self.slack_app_token and not self.slack_app_token.startswith("xapp-"):
                return (
                    "SLACK_APP_TOKEN must be an app-level token starting with xapp- "
                    "(Basic Information > App-Level Tokens, scope connections:write)."
                )
            if not self.slack_app_token and not self.slack_signing_secret:
                return (
                    "Neither SLACK_APP_TOKEN (Socket Mode) nor SLACK_SIGNING_SECRET (HTTP mode) is "
                    "set: add one of them to .env from your Slack app's Basic Information page."
                )
        return None


class _Redact(logging.Filter):
    """Replaces every secret in a record's message by ***."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.settings.redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


def configure_logging(settings: Settings, stream: TextIO | None = None) -> None:
    """Root logging at CADENCE_LOG_LEVEL in CADENCE_LOG_FORMAT (see telemetry), with no secret
    and no Slack body in any record: the body-carrying libraries stay at WARNING, and every
    handler redacts secrets."""
    from cadence.telemetry import log_to

    log_to(settings.cadence_log_level, settings.cadence_log_format, stream)
    redact = _Redact(settings)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
    for name in BODY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    # A tick a minute is not news; the jobs log what they did.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
