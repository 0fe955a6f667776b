"""Cadence: wiring only. `.env` → Settings → engine → Bolt app → scheduler → start; and the CLI.

python bot.py [run]            handlers and scheduler in one process
python bot.py serve            handlers only (HTTP mode: POST /slack/events, GET /healthz)
python bot.py scheduler        scheduler and outbox sender only
python bot.py import-org FILE  load the org chart (all or nothing)
python bot.py import-metrics FILE [--source NAME]  metrics from systems of record
python bot.py run-job JOB [--at ISO-8601]
python bot.py export KIND [--out FILE]
python bot.py migrate          apply database migrations (also done at every start)
python bot.py backup FILE      copy the SQLite database to FILE (consistent while running)
python bot.py doctor           check tokens, scopes, database revision, roles and question sets
python bot.py forget SLACK_ID  erase a person (their text, name, email and Slack ID), audited
"""

from __future__ import annotations

import argparse
import gc
import logging
import signal
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from dotenv import load_dotenv
from pydantic import ValidationError
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from cadence.config import Settings, configure_logging, redacted_url
from cadence.delivery.gateway import WebClientGateway
from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import Clock, FixedClock, SystemClock
from cadence.domain.problems import InputProblems
from cadence.domain.roles import RolesFileError, load_roles
from cadence.domain.rounds import QuestionSetError, load_question_sets
from cadence.prompts.render import Renderer
from cadence.services.deps import Deps
from cadence.services.jobs import JOBS
from cadence.storage.db import Checkpointer
from cadence.storage.sealing import SealError, missing_key

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

log = logging.getLogger("cadence")

EXPORTS = ("checkins", "feedback", "reviews")


class Fatal(Exception):
    """A problem the operator must fix; printed as one sentence, no traceback."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python bot.py", description="Cadence Slack bot")
    sub = p.add_subparsers(dest="command")
    sub.add_parser("run", help="handlers and scheduler in one process (default)")
    sub.add_parser("serve", help="handlers only")
    sub.add_parser("scheduler", help="scheduler and outbox sender only")
    sub.add_parser("migrate", help="apply database migrations")
    imp = sub.add_parser("import-org", help="load the org chart from CSV")
    imp.add_argument("file", type=Path)
    met = sub.add_parser("import-metrics", help="load metrics from a system of record (CSV)")
    met.add_argument("file", type=Path)
    met.add_argument("--source", default="csv", help="the system they come from (default: csv)")
    job = sub.add_parser("run-job", help="run one scheduled job as if the clock read --at")
    job.add_argument("job", choices=sorted(JOBS))
    job.add_argument("--at", help="ISO-8601 time (default: now); without a zone, UTC")
    exp = sub.add_parser("export", help="write CSV")
    exp.add_argument("kind", choices=EXPORTS)
    exp.add_argument("--out", type=Path, help="file to write (default: standard output)")
    sub.add_parser("doctor", help="check tokens, scopes, database and roles; say what is wrong")
    fgt = sub.add_parser("forget", help="erase a person: their text and identity, audited")
    fgt.add_argument("slack_id")
    bak = sub.add_parser("backup", help="copy the SQLite database to FILE, safely while running")
    bak.add_argument("file", type=Path)
    return p


def _settings() -> Settings:
    load_dotenv(Path.cwd() / ".env", override=False)
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "a setting"
        raise Fatal(f"{name} is invalid: {first['msg']} (see .env.example).") from None


def _parse_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise Fatal(
            f"--at {value!r} is not an ISO-8601 time like 2026-11-20T15:00:00+01:00."
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _first_line(exc: BaseException) -> str:
    """The driver's own sentence for a database error, without SQL or its parameters."""
    return (str(getattr(exc, "orig", None) or exc).splitlines() or ["unknown error"])[0]


def build_deps(settings: Settings, clock: Clock) -> Deps:
    """Everything a command needs, with the database migrated to the newest schema."""
    from cadence.storage.db import MigrationLockTimeout, make_engine, migrate

    try:
        roles = load_roles(settings.roles_file)
    except RolesFileError as exc:
        raise Fatal(f"Bad roles file: {exc}") from None
    try:
        load_question_sets(settings.question_sets_file)
    except QuestionSetError as exc:
        raise Fatal(f"Bad question sets file: {exc}") from None
    safe_url = redacted_url(settings.database_url)
    try:
        engine = make_engine(settings.database_url)
        migrate(engine, settings.cadence_migration_wait)
    except MigrationLockTimeout:
        raise Fatal(
            f"Another process kept the database at DATABASE_URL={safe_url} locked for "
            f"{settings.cadence_migration_wait:g} s (still migrating?); start again once it "
            "has finished, or raise CADENCE_MIGRATION_WAIT."
        ) from None
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise Fatal(
            f"Cannot use the database at DATABASE_URL={safe_url}: "
            + settings.redact(_first_line(exc))
        ) from None
    gateway = WebClientGateway.create(settings.slack_bot_token, settings.slack_api_url)
    deps = Deps(
        settings=settings,
        engine=engine,
        clock=clock,
        roles=roles,
        renderer=Renderer(),
        slack=gateway,
    )
    if missing_key(settings.cadence_secret_key, settings.database_url) is None:
        try:
            deps.sealer  # noqa: B018 - the key file is created (or checked) at start
        except (SealError, OSError) as exc:
            raise Fatal(f"Cannot load the key that seals anonymous answers: {exc}") from None
    return deps


def _sender(deps: Deps) -> OutboxSender:
    sender = OutboxSender(
        deps.engine,
        deps.slack,
        deps.clock,
        rate=deps.settings.cadence_send_rate,
        workers=deps.settings.cadence_send_workers,
        foreground=deps.foreground,
    )
    deps.wake_sender = sender.wake
    return sender


def freeze_startup_heap() -> None:
    """Take what starting built out of the garbage collector's reach. Modules, the Bolt app,
    SQLAlchemy's metadata and the templates are about 170,000 tracked objects that live as long
    as the process; a full collection walked them all (75 ms on this project's 2-core machine),
    and while it ran no request was answered. Frozen, a full collection walks only what was made
    since. Called once everything long-lived exists, just before serving."""
    gc.collect()
    gc.freeze()


def _serve(deps: Deps, stop: threading.Event) -> None:
    from cadence.handlers import build_app

    settings = deps.settings
    try:
        app = build_app(deps)  # Bolt checks the bot token with auth.test here
    except (OSError, SlackApiError, BoltError) as exc:
        cause = exc if isinstance(exc, SlackApiError) else exc.__cause__ or exc.__context__
        if isinstance(cause, SlackApiError):
            reason = str(cause.response.get("error") or "refused")
        else:
            reason = "no answer" if isinstance(exc, OSError) else "refused"
        raise Fatal(
            f"Slack did not accept the bot token at start ({reason} from {settings.slack_api_url}"
            "auth.test): check SLACK_BOT_TOKEN, SLACK_API_URL and the network; "
            "`python bot.py doctor` says more."
        ) from None
    freeze_startup_heap()
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        handler = SocketModeHandler(app, settings.slack_app_token)
        handler.connect()  # type: ignore[no-untyped-call]
        log.info("Cadence is connected to Slack in Socket Mode")
        if settings.cadence_metrics:
            _listen(deps, None, "metrics only", stop)
        else:
            stop.wait()
        handler.close()  # type: ignore[no-untyped-call]
        return
    from cadence.web import CadenceWSGI
    from cadence.web.metrics_api import metrics_routes

    wsgi = CadenceWSGI(
        app,
        deps.engine,
        settings.slack_signing_secret,
        routes=metrics_routes(deps),
        foreground=deps.foreground,
        writes=deps.writes,
    )
    _listen(deps, wsgi, "POST /slack/events, GET /healthz", stop)


def _listen(deps: Deps, wsgi: WSGIApplication | None, what: str, stop: threading.Event) -> None:
    """Serve `wsgi` (or only GET /metrics) on PORT until `stop`, with request ids and metrics."""
    from cadence.web import make_server, run_until
    from cadence.web.observe import Observed

    settings = deps.settings
    server = make_server(
        Observed(wsgi, deps.engine, metrics=settings.cadence_metrics),
        settings.port,
        threads=settings.cadence_http_threads,
        read_timeout=settings.cadence_http_read_timeout,
        reuse_port=settings.cadence_http_reuse_port,
    )
    metrics = ", GET /metrics" if settings.cadence_metrics else ""
    log.info("Cadence listens on port %d (%s%s)", settings.port, what, metrics)
    run_until(server, stop)


def _run(command: str, settings: Settings, clock: Clock | None = None) -> int:
    """serve, scheduler or run until SIGTERM/SIGINT; `clock` for benchmarks that replay a day."""
    deps = build_deps(settings, clock or SystemClock())
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    sender = scheduler = checkpointer = None
    if Checkpointer.applies(deps.engine):
        checkpointer = Checkpointer(deps.engine).start()
    if command in {"run", "scheduler"}:
        from cadence.scheduler import build_scheduler

        sender = _sender(deps).start()
        scheduler = build_scheduler(deps)
        scheduler.start()
        log.info("scheduler started: a tick every %ds", settings.cadence_tick_seconds)
    try:
        if command in {"run", "serve"}:
            _serve(deps, stop)
        else:
            freeze_startup_heap()
            if settings.cadence_metrics:  # the scheduler's sender is worth watching too
                _listen(deps, None, "metrics only", stop)
            else:
                stop.wait()
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        if sender is not None:
            sender.stop()
        if checkpointer is not None:
            checkpointer.stop()
    return 0


RUN_JOB_WAIT = 60.0  # seconds run-job waits for messages another sender holds


def _run_job(name: str, deps: Deps, out: TextIO) -> int:
    """Run one job, send what is due, and say what could not be sent: non-zero while messages
    are left unsent."""
    from cadence.delivery.sender import SettleError
    from cadence.services.jobs import unsent_messages
    from cadence.storage.db import outage_reason

    report = JOBS[name](deps, deps.clock.now())
    sender = _sender(deps)
    try:
        sender.drain(wait=RUN_JOB_WAIT)
        left = unsent_messages(deps)
    except (SettleError, SQLAlchemyError) as exc:
        cause = exc.__cause__ if isinstance(exc, SettleError) else exc
        raise Fatal(
            f"The database stayed unavailable ({outage_reason(cause or exc)}); "
            f"{sender.stats.sent} messages were sent, the rest go out at the next run.",
            code=1,
        ) from None
    stats = sender.stats
    why = ", ".join(f"{n} {reason}" for reason, n in stats.reasons.most_common())
    print(  # noqa: T201
        f"{report.summary()}; sent {stats.sent}, failed {stats.failed}"
        + (f" ({why})" if why else "")
        + f", retrying later {stats.retried}",
        file=out,
    )
    if left:
        print(left, file=sys.stderr)  # noqa: T201
        return 1
    return 0


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = _parser().parse_args(argv)
    command = args.command or "run"
    settings: Settings | None = None
    try:
        settings = _settings()
        configure_logging(settings)
        missing = settings.missing_for(command)
        if missing:
            raise Fatal(missing)
        if command in {"run", "serve", "scheduler"}:
            return _run(command, settings)
        if command == "doctor":
            from cadence.services.doctor import diagnose

            findings = diagnose(settings)
            for finding in findings:
                print(("ok    " if finding.ok else "FIX   ") + finding.text, file=out)  # noqa: T201
            problems = sum(1 for f in findings if not f.ok)
            verdict = f"{problems} problem(s) to fix." if problems else "Cadence is ready to run."
            print(verdict, file=out)  # noqa: T201
            return 1 if problems else 0
        if command == "backup":
            from cadence.storage.backup import BackupError, backup_sqlite

            try:
                done = backup_sqlite(settings.database_url, args.file)
            except BackupError as exc:
                raise Fatal(str(exc)) from None
            print(  # noqa: T201
                f"Backed up {done.source} to {done.dest} ({done.pages} pages, integrity ok).",
                file=out,
            )
            return 0
        if command == "migrate":
            build_deps(settings, SystemClock())
            print("Database is up to date.", file=out)  # noqa: T201
            return 0
        if command == "import-org":
            from cadence.services.org import import_org

            result = import_org(build_deps(settings, SystemClock()), args.file)
            print(  # noqa: T201
                f"Imported {args.file}: {result.created} new, {result.updated} changed, "
                f"{result.unchanged} unchanged, {result.reactivated} reactivated, "
                f"{result.deactivated} deactivated.",
                file=out,
            )
            return 0
        if command == "import-metrics":
            from cadence.services.metrics import import_metrics_file

            deps = build_deps(settings, SystemClock())
            imported = import_metrics_file(deps, args.file, args.source)
            print(  # noqa: T201
                f"Imported {args.file}: {imported.written} values for {imported.people} people "
                f"over {imported.periods} weeks (source {args.source}).",
                file=out,
            )
            return 0
        if command == "forget":
            from cadence.services.rights import UnknownPerson, forget

            try:
                erased = forget(build_deps(settings, SystemClock()), args.slack_id, actor="cli")
            except UnknownPerson:
                raise Fatal(
                    f"Nobody in Cadence has the Slack ID {args.slack_id!r}; nothing erased.",
                    code=1,
                ) from None
            print(erased.sentence(args.slack_id), file=out)  # noqa: T201
            return 0
        if command == "run-job":
            at = _parse_at(args.at)
            clock: Clock = FixedClock(at) if at else SystemClock()
            return _run_job(args.job, build_deps(settings, clock), out)
        if command == "export":
            from cadence.services.checkins import export_checkins
            from cadence.services.feedback import export_feedback
            from cadence.services.reviews import export_reviews

            exporter, label = {
                "checkins": (export_checkins, "check-in"),
                "feedback": (export_feedback, "feedback"),
                "reviews": (export_reviews, "review"),
            }[args.kind]
            deps = build_deps(settings, SystemClock())
            try:
                if args.out:
                    with args.out.open("w", newline="", encoding="utf-8") as fh:
                        rows = exporter(deps, fh)
                    print(f"Wrote {rows} {label} rows to {args.out}.", file=sys.stderr)  # noqa: T201
                else:
                    exporter(deps, out)
            except SQLAlchemyError as exc:
                if args.out:
                    args.out.unlink(missing_ok=True)  # no partial export left behind
                raise Fatal(
                    f"Nothing exported: the database failed ({_first_line(exc)}); the export "
                    "and its audit record go together, try again when it answers.",
                    code=1,
                ) from None
            return 0
    except InputProblems as exc:
        source = getattr(args, "file", "input")
        print(f"{source}: nothing imported, fix these lines:", file=sys.stderr)  # noqa: T201
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)  # noqa: T201
        return 1
    except Fatal as exc:
        message = settings.redact(str(exc)) if settings is not None else str(exc)
        print(message, file=sys.stderr)  # noqa: T201
        return exc.code
    raise AssertionError(f"unhandled command {command}")


if __name__ == "__main__":
    sys.exit(main())
