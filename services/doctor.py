"""`python bot.py doctor`: checks an installation without changing anything (no migration, no
message) and says in sentences what is wrong: the Slack tokens (auth.test), the scopes the
token holds against the app manifest, the database and its schema revision, the roles and
question sets files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from cadence.config import Settings, packaged, redacted_url
from cadence.delivery.gateway import SlackCallError, WebClientGateway
from cadence.domain.roles import RolesFileError, load_roles
from cadence.domain.rounds import QuestionSetError, load_question_sets
from cadence.storage.db import make_engine, schema_revision


@dataclass(frozen=True, slots=True)
class Finding:
    ok: bool
    text: str


def manifest_bot_scopes(text: str) -> frozenset[str]:
    """The `oauth_config: scopes: bot:` list of a Slack app manifest (YAML, as manifest.yml
    writes it: block style, one scope per `- ` line)."""
    scopes: set[str] = set()
    path: list[tuple[int, str]] = []  # (indent, key) of the enclosing mappings
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        item = line.strip()
        while path and path[-1][0] >= indent and not item.startswith("- "):
            path.pop()
        keys = [k for _, k in path]
        if item.startswith("- "):
            if keys[-3:] == ["oauth_config", "scopes", "bot"]:
                scopes.add(item[2:].strip().strip("'\""))
            continue
        if item.endswith(":"):
            path.append((indent, item[:-1].strip()))
    return frozenset(scopes)


def diagnose(settings: Settings, manifest: Path | None = None) -> list[Finding]:
    return [
        *_roles(settings),
        *_database(settings),
        *_slack(settings, manifest or packaged("manifest.yml")),
    ]


def _roles(settings: Settings) -> list[Finding]:
    found = []
    try:
        roles = load_roles(settings.roles_file)
        found.append(Finding(True, f"Roles file {settings.roles_file}: {', '.join(roles)}."))
    except RolesFileError as exc:
        found.append(Finding(False, f"The roles file is not usable: {exc}."))
    try:
        sets = load_question_sets(settings.question_sets_file)
        found.append(
            Finding(True, f"Question sets file {settings.question_sets_file}: {', '.join(sets)}.")
        )
    except QuestionSetError as exc:
        found.append(Finding(False, f"The question sets file is not usable: {exc}."))
    return found


def _database(settings: Settings) -> list[Finding]:
    where = redacted_url(settings.database_url)
    try:
        engine = make_engine(settings.database_url)
        try:
            current, head, known = schema_revision(engine)
        finally:
            engine.dispose()
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        reason = settings.redact(str(getattr(exc, "orig", None) or exc).splitlines()[0])
        return [Finding(False, f"The database at DATABASE_URL={where} cannot be used: {reason}.")]
    if current is None:
        return [
            Finding(
                False,
                f"The database at {where} has no Cadence tables yet: run `python bot.py migrate` "
                "(Cadence also migrates when it starts).",
            )
        ]
    if not known:
        return [
            Finding(
                False,
                f"The database at {where} is at revision {current}, which this version of "
                f"Cadence does not know (it ships up to {head}): a newer Cadence migrated it; "
                "run that version.",
            )
        ]
    if current != head:
        return [
            Finding(
                False,
                f"The database at {where} is at revision {current}, this Cadence expects {head}: "
                "run `python bot.py migrate`.",
            )
        ]
    return [Finding(True, f"The database at {where} answers and is at the newest revision.")]


def _app_token(settings: Settings) -> list[Finding]:
    if not settings.slack_app_token.startswith("xapp-"):
        return []  # not set (HTTP mode), or malformed: missing_for said so
    gateway = WebClientGateway.create(settings.slack_app_token, settings.slack_api_url, timeout=10)
    try:
        gateway.check_app_token()
    except SlackCallError as exc:
        return [
            Finding(
                False,
                f"Slack refused SLACK_APP_TOKEN ({exc.error}): create an app-level token with the "
                "connections:write scope (Basic Information > App-Level Tokens) and turn Socket "
                "Mode on for the app.",
            )
        ]
    return [Finding(True, "SLACK_APP_TOKEN opens Socket Mode connections.")]


def _slack(settings: Settings, manifest: Path) -> list[Finding]:
    missing = settings.missing_for("serve")
    if missing and not settings.slack_bot_token.startswith("xoxb-"):
        return [Finding(False, missing)]
    found = [Finding(False, missing)] if missing else []
    gateway = WebClientGateway.create(settings.slack_bot_token, settings.slack_api_url, timeout=10)
    try:
        me = gateway.identify()
    except SlackCallError as exc:
        if exc.kind == "transient":
            text = (
                f"Slack's Web API at {settings.slack_api_url} could not be reached ({exc.error}): "
                "check the network, a proxy, or SLACK_API_URL."
            )
        else:
            text = (
                f"Slack refused SLACK_BOT_TOKEN ({exc.error}): copy the Bot User OAuth Token "
                "(xoxb-...) again from your Slack app's OAuth & Permissions page."
            )
        return [*found, Finding(False, text)]
    found.append(Finding(True, f"SLACK_BOT_TOKEN works: bot {me.user} in workspace {me.team}."))
    found += _app_token(settings)
    try:
        wanted = manifest_bot_scopes(manifest.read_text(encoding="utf-8"))
    except OSError as exc:
        return [*found, Finding(False, f"The app manifest {manifest} cannot be read: {exc}.")]
    lacking = sorted(wanted - me.scopes)
    if lacking:
        found.append(
            Finding(
                False,
                f"The bot token lacks the scope(s) {', '.join(lacking)} that manifest.yml asks "
                "for: add them on your Slack app's OAuth & Permissions page and reinstall the "
                "app to the workspace.",
            )
        )
    else:
        found.append(Finding(True, "The token holds every scope manifest.yml asks for."))
    return found
