"""Open-loop load: check-in submissions arriving as a Poisson stream, the way people send them,
with the bare Bolt app measured beside Cadence in the same run.

    python -m benchmarks.open_loop                      # parts latency and capacity (SQLite)
    python -m benchmarks.open_loop --part latency --rounds 2
    python -m benchmarks.open_loop --part capacity --step-seconds 10
    python -m benchmarks.open_loop --part scale --postgres postgresql://postgres@127.0.0.1:5432/test

A request is sent at its scheduled time (exponential gaps at the given rate) whether or not the
earlier ones are answered, over a pool of keep-alive connections (a new one is opened when all
are busy, up to 256); its latency runs from the scheduled time to the last byte of the answer,
so time spent queued anywhere (in the generator, the kernel, waitress) counts. A request not
answered within 10 s after the stream ends counts as infinitely slow. The generator runs in its
own process (asyncio), the fake Slack Web API in another; all traffic is on 127.0.0.1.

Parts:
  latency   20/s and 100/s of signed view_submissions into waitress + the real app (handlers.
            build_app, SQLite), and the same into a bare Bolt app that only acks, while an
            OutboxSender in the server's process (as `python bot.py run` has it) sends a
            10,000-DM weekly fan-out to a fake that takes 50 chat.postMessage per second:
            p50/p99 of the answers; the fan-out's achieved rate against that cap.
            Targets: p99 <= 25 ms at 100/s; fan-out >= 0.95 x cap.
  capacity  the rate steps up (25, 50, 75, ..., 9-17 % apart) for --step-seconds each until
            p99 > 100 ms or an answer fails; the highest rate held, bare and Cadence. Target:
            Cadence >= 0.5 x bare.
  scale     PostgreSQL, a fresh schema: real `python bot.py serve` processes on one port
            (CADENCE_HTTP_REUSE_PORT): capacity with one, then with two; then two scheduler
            processes (bot.py's own scheduler wiring, with a clock set to Friday 15:00 and
            then Monday 09:00 Paris) run the weekly check-in fan-out and the Monday digests:
            duplicates and losses counted in the fake.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import math
import multiprocessing
import os
import random
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing.connection import Connection

from sqlalchemy.engine import Engine

from benchmarks.fanout import (
    FRIDAY_PARIS_15,
    POST,
    SENDER_CEILING,
    RemoteFake,
    RunningClock,
    database,
    fan_out,
    make_deps,
    outbox,
    populate,
)
from benchmarks.interactive_latency import (
    SIGNING_SECRET,
    Stamps,
    bare_app,
    read_answer,
    serve,
    signed_request,
    submissions,
)
from cadence.bot import freeze_startup_heap
from cadence.config import PROJECT_ROOT
from cadence.delivery.sender import OutboxSender
from cadence.domain.schedule import DEFAULT_SCHEDULE
from cadence.services.deps import Deps
from cadence.storage.db import Checkpointer
from cadence.web import CadenceWSGI

CAP = 50.0  # the fake's chat.postMessage limit during the fan-out
P99_LIMIT = 0.100  # capacity: the highest rate with p99 within this
MAX_CONNECTIONS = 256
ANSWER_WAIT = 10.0  # seconds after the stream ends for the last answers
SUBMITTERS = 1000  # distinct bodies; each use is signed with a fresh timestamp
# Steps 9-17 % apart from 100/s up: with 25-33 % between steps, where a rate fell between two
# steps moved the capacity ratio by up to 0.1.
STEPS: tuple[int, ...] = (25, 50, 75, 100, 125, 150, 175, 200, 225, 250, 275, 300, 350, 400)
STEPS += (450, 500, 550, 600, 700, 800, 900, 1000, 1100, 1200, 1400, 1600, 1800, 2000)
MONDAY_PARIS_09 = FRIDAY_PARIS_15 + timedelta(days=2, hours=18)


# ------------------------------------------------------------------ generator (own process)


async def _stream(
    port: int,
    bodies: list[bytes],
    rate: float,
    seconds: float,
    secret: bytes,
    stamps: Stamps,
    seed: int,
) -> tuple[list[float], int, list[float], float]:
    """Send a Poisson stream; returns latencies (inf: no answer), non-200 count, send lags,
    and the generator's own longest stall (how late its event loop woke, in seconds)."""
    rng = random.Random(seed)
    idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    slots = asyncio.Semaphore(MAX_CONNECTIONS)
    latencies: list[float] = []
    lags: list[float] = []
    bad = 0

    async def one(k: int, due: float) -> None:
        nonlocal bad
        async with slots:
            conn = idle.pop() if idle else await asyncio.open_connection("127.0.0.1", port)
            reader, writer = conn
            i = rng.randrange(len(bodies))
            lags.append(time.perf_counter() - due)
            try:
                writer.write(signed_request(bodies[i], stamps.fresh(i), secret))
                await writer.drain()
                status = await read_answer(reader)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
                writer.close()
                bad += 1
                latencies.append(math.inf)
                return
            latencies.append(time.perf_counter() - due)
            bad += status != 200
            idle.append(conn)

    stalled = 0.0
    running = True

    async def watch() -> None:  # a stall here delays sends and reads alike
        nonlocal stalled
        while running:
            before = time.perf_counter()
            await asyncio.sleep(0.002)
            stalled = max(stalled, time.perf_counter() - before - 0.002)

    watcher = asyncio.create_task(watch())
    tasks = []
    start = time.perf_counter() + 0.05
    due = start
    k = 0
    while True:
        due += rng.expovariate(rate)
        if due - start > seconds:
            break
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(k, due)))
        k += 1
    _, pending = await asyncio.wait(tasks, timeout=ANSWER_WAIT)
    for task in pending:
        task.cancel()
        latencies.append(math.inf)
    running = False
    await watcher
    for _, writer in idle:
        writer.close()
    return latencies, bad, lags, stalled


def _generator_child(conn: Connection) -> None:
    stamps = Stamps()
    seed = 0
    while True:
        job = conn.recv()
        if job is None:
            return
        seed += 1
        port, bodies, rate, seconds, secret = job
        # The generator's own garbage collector must not pause the stream: its full
        # collections took 85-105 ms once the heap held a step's tasks, and every answer in
        # flight then counted as that much slower (for the bare app and Cadence alike). The
        # heap so far is frozen out of collection, nothing is collected during a stream, and
        # what it left is collected before the next.
        gc.collect()
        gc.freeze()
        gc.disable()
        try:
            result = asyncio.run(_stream(port, bodies, rate, seconds, secret, stamps, seed))
        finally:
            gc.enable()
        conn.send(result)


@dataclass
class Step:
    name: str
    rate: float
    latencies: list[float]
    bad: int
    lags: list[float]
    stalled: float = 0.0
    note: str = ""

    def pct(self, p: float, values: list[float] | None = None) -> float:
        ordered = sorted(self.latencies if values is None else values)
        return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

    @property
    def held(self) -> bool:
        return self.bad == 0 and self.pct(99) <= P99_LIMIT * 1000

    def line(self) -> str:
        def ms(v: float) -> str:
            return "  no answer" if math.isinf(v) else f"{v:8.1f} ms"

        return (
            f"{self.name:<10} {self.rate:6.0f}/s  n={len(self.latencies):>6}  "
            f"p50 {ms(self.pct(50))}  p99 {ms(self.pct(99))}  max {ms(self.pct(100))}  "
            f"non-200/failed {self.bad}  generator late p99 {self.pct(99, self.lags):.1f} ms"
            f", stalled max {self.stalled * 1000:.0f} ms"
            f"{self.note}"
        )


class Stalls:
    """In the server's process: how late a thread that sleeps 5 ms at a time woke (the whole
    process held up: the GIL held long, the process not scheduled), and the longest garbage
    collection, since the last reset; with `engine` (SQLite), the frames in use in the
    write-ahead log and the replay store's rows at the end of the step (what grows from one step
    to the next)."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.engine = engine
        self.late = 0.0
        self.gc_longest = 0.0
        self.gc_gen2 = 0
        self._gc_start = 0.0
        self._cpu = time.process_time()
        self._stop = threading.Event()
        gc.callbacks.append(self._gc)
        threading.Thread(target=self._watch, name="stall-watch", daemon=True).start()

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_start = time.perf_counter()
            return
        self.gc_longest = max(self.gc_longest, time.perf_counter() - self._gc_start)
        self.gc_gen2 += info["generation"] == 2

    def _watch(self) -> None:
        while not self._stop.is_set():
            before = time.perf_counter()
            time.sleep(0.005)
            self.late = max(self.late, time.perf_counter() - before - 0.005)

    def reset(self) -> None:
        self.late = self.gc_longest = 0.0
        self.gc_gen2 = 0
        self._cpu = time.process_time()

    def note(self, requests: int) -> str:
        cpu = (time.process_time() - self._cpu) / max(1, requests)
        return (
            f"; server: CPU {cpu * 1000:.2f} ms/request, stalled max {self.late * 1000:.0f} ms, "
            f"longest GC {self.gc_longest * 1000:.0f} ms ({self.gc_gen2} of generation 2)"
            f"{self._store()}"
        )

    def _store(self) -> str:
        if self.engine is None or self.engine.dialect.name != "sqlite":
            return ""
        conn = sqlite3.connect(self.engine.url.database or "", timeout=5)
        try:  # outside any transaction, as the Checkpointer runs
            (seen,) = conn.execute("SELECT count(*) FROM seenrequest").fetchone()
            # (busy, frames in the log, frames copied): what the Checkpointer would see now
            _, frames, _ = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            conn.close()
        return f"; WAL {frames:,} frames in use, replay store {seen:,} rows"

    def stop(self) -> None:
        self._stop.set()
        gc.callbacks.remove(self._gc)


class Generator:
    """The open-loop generator in a child process (its work is not charged to the server)."""

    def __init__(self, stalls: Stalls | None = None) -> None:
        self.stalls = stalls  # when the server runs in this process
        ctx = multiprocessing.get_context("spawn")
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_generator_child, args=(child,), daemon=True)
        self._proc.start()

    def run(self, name: str, port: int, bodies: list[bytes], rate: float, seconds: float) -> Step:
        if self.stalls:
            self.stalls.reset()
        self._conn.send((port, bodies, rate, seconds, SIGNING_SECRET.encode()))
        latencies, bad, lags, stalled = self._conn.recv()
        step = Step(name, rate, latencies, bad, lags, stalled)
        if self.stalls:
            step.note = self.stalls.note(len(latencies))
        return step

    def stop(self) -> None:
        self._conn.send(None)
        self._proc.join(5)


def ramp(gen: Generator, name: str, port: int, bodies: list[bytes], seconds: float) -> float:
    """Step the rate up until a step is not held; the highest rate held (0: none)."""
    held = 0.0
    for rate in STEPS:
        step = gen.run(name, port, bodies, rate, seconds)
        print("  " + step.line() + ("" if step.held else "   <- not held"), flush=True)
        if not step.held:
            break
        held = rate
        time.sleep(1.0)  # let the last answers' aftermath settle
    return held


def span(values: list[float], unit: str = "") -> str:
    lo, hi = min(values), max(values)
    return f"{lo:g}{unit}" if lo == hi else f"{lo:g}-{hi:g}{unit}"


# ------------------------------------------------------------------ parts 1 and 2 (in process)


@dataclass
class Results:
    lines: list[str] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.lines.append(text)
        print(text, flush=True)


def in_process(args: argparse.Namespace, out: Results) -> None:
    from cadence.handlers import build_app

    logging.getLogger("slack_bolt").setLevel(logging.ERROR)
    fake = RemoteFake()
    gen = Generator()
    with database(None) as engine:  # SQLite in a temporary directory
        stalls = gen.stalls = Stalls(engine)
        deps = make_deps(engine, fake.url, RunningClock(FRIDAY_PARIS_15))
        populate(deps, fake, args.people)
        # support role; more distinct notes than render.VALID_BLOCKS_KEPT, as in a real week
        bodies = submissions(deps, range(0, min(3 * SUBMITTERS, args.people), 3), variants=8)
        if "latency" in args.part:
            fan_out(deps, args.people)  # before anyone answers: every DM is queued
        bare = CadenceWSGI(bare_app(deps), engine, SIGNING_SECRET)
        real = CadenceWSGI(
            build_app(deps), engine, SIGNING_SECRET, foreground=deps.foreground, writes=deps.writes
        )
        checkpointer = Checkpointer(engine).start()  # as bot.py's long-running commands do
        freeze_startup_heap()  # as bot.py does before serving (the setup's objects with it)
        with serve(bare) as bare_port, serve(real) as port:
            for name, p in (("bare", bare_port), ("cadence", port)):
                gen.run(name, p, bodies, 50, 3)  # warm-up: connections, caches
            if "latency" in args.part:
                latency_part(
                    args, out, deps, fake, gen, bodies, {"bare": bare_port, "cadence": port}
                )
            if "capacity" in args.part:
                capacity = {"bare": bare_port, "cadence": port}
                held: dict[str, list[float]] = {"bare": [], "cadence": []}
                out.say(f"\ncapacity: steps of {args.step_seconds:g} s, no fan-out, SQLite")
                for r in range(args.rounds):
                    for name, p in capacity.items():
                        print(f" round {r + 1}, {name}:", flush=True)
                        held[name].append(ramp(gen, name, p, bodies, args.step_seconds))
                pairs = zip(held["cadence"], held["bare"], strict=True)
                ratios = [round(c / b, 2) for c, b in pairs if b]
                out.say(
                    f"capacity (p99 <= 100 ms, no failures), {args.rounds} rounds: bare "
                    f"{span(held['bare'], '/s')}, Cadence {span(held['cadence'], '/s')}; "
                    f"Cadence / bare = {span(ratios) if ratios else 'n/a'} (target >= 0.5)"
                )
        checkpointer.stop()
    gen.stop()
    stalls.stop()
    fake.stop()


def latency_part(
    args: argparse.Namespace,
    out: Results,
    deps: Deps,
    fake: RemoteFake,
    gen: Generator,
    bodies: list[bytes],
    ports: dict[str, int],
) -> None:
    fake_cap = CAP
    sender = OutboxSender(
        deps.engine,
        deps.slack,
        deps.clock,
        rate=SENDER_CEILING,
        workers=deps.settings.cadence_send_workers,
        foreground=deps.foreground,
    )
    fake.rate_limit(POST, fake_cap)
    sender.start()
    time.sleep(5.0)  # the pacer meets the cap and settles
    out.say(
        f"\nopen-loop latency: {args.people} DMs queued, sender {sender_threads(deps)} threads "
        f"(ceiling {SENDER_CEILING:g}/s) against the fake's cap of {fake_cap:g}/s; "
        f"{args.seconds:g} s per run, SQLite"
    )
    rows: dict[tuple[str, int], list[Step]] = {}
    rates: list[float] = []
    for r in range(args.rounds):
        for rate in (20, 100):
            for name, port in ports.items():
                sent0, t0 = sender.stats.sent, time.monotonic()
                step = gen.run(name, port, bodies, rate, args.seconds)
                fan = (sender.stats.sent - sent0) / (time.monotonic() - t0)
                rates.append(fan)
                step.note += f"; fan-out meanwhile {fan:.1f}/s"
                rows.setdefault((name, rate), []).append(step)
                print(f" round {r + 1}: " + step.line(), flush=True)
    sender.stop()
    for (name, rate), steps in rows.items():
        out.say(
            f"{name:<8} {rate:4d}/s: p50 {span([round(s.pct(50), 1) for s in steps], ' ms')}, "
            f"p99 {span([round(s.pct(99), 1) for s in steps], ' ms')}, failed "
            f"{sum(s.bad for s in steps)} of {sum(len(s.latencies) for s in steps)}"
        )
    out.say(
        f"fan-out during the runs: {span([round(x, 1) for x in rates], '/s')} = "
        f"{span([round(x / fake_cap, 3) for x in rates])} x cap (target >= 0.95); "
        f"target p99 <= 25 ms at 100/s"
    )


def sender_threads(deps: Deps) -> int:
    return deps.settings.cadence_send_workers


# ------------------------------------------------------------------ part 3 (processes)


class Processes:
    """Real bot.py processes on the benchmark's database and fake Slack."""

    def __init__(self, env: dict[str, str], cwd: str) -> None:
        self.env = env
        self.cwd = cwd
        self.procs: list[subprocess.Popen[bytes]] = []

    def serve(self, port: int) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, str(PROJECT_ROOT / "bot.py"), "serve"],
            cwd=self.cwd,
            env={**self.env, "PORT": str(port)},
        )
        self.procs.append(proc)
        return proc

    def scheduler(self, start: datetime) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "benchmarks.open_loop", "--scheduler-at", start.isoformat()],
            cwd=PROJECT_ROOT,
            env=self.env,
        )
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen[bytes]) -> None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        self.procs.remove(proc)

    def stop_all(self) -> None:
        for proc in list(self.procs):
            self.stop(proc)


def _healthy(port: int) -> bool:
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback
            return int(resp.status) == 200
    except OSError:
        return False


def wait_healthy(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not _healthy(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("a serve process did not start")
        time.sleep(0.2)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settle(engine: Engine, before: int, seconds: float) -> dict[str, int]:
    """Wait until the job has queued more than `before` outbox rows in all and nothing is left to
    send (or `seconds`): the outbox's counts by status."""
    deadline = time.monotonic() + seconds
    quiet = 0
    while time.monotonic() < deadline:
        counts = outbox(engine)
        busy = sum(n for status, n in counts.items() if status not in {"sent", "failed", "skipped"})
        quiet = quiet + 1 if sum(counts.values()) > before and not busy else 0
        if quiet >= 3:  # and stays so for 3 looks: no later tick adds more
            return counts
        time.sleep(2.0)
    return outbox(engine)


def delivered(fake: RemoteFake) -> tuple[int, int]:
    """(distinct messages delivered, duplicates) across chat.postMessage and file uploads."""
    distinct = dups = 0
    for method in (POST, "files.completeUploadExternal"):
        per = fake.summary(method)["per_message"]
        distinct += len(per)
        dups += sum(per.values()) - len(per)
    return distinct, dups


def scale_part(args: argparse.Namespace, out: Results) -> None:
    fake = RemoteFake()
    gen = Generator()
    with database(args.postgres) as engine, tempfile.TemporaryDirectory() as tmp:
        now = datetime.now(UTC)
        deps = make_deps(engine, fake.url, RunningClock(now))
        populate(deps, fake, args.scale_people)
        period = DEFAULT_SCHEDULE.answer_week(now, "Europe/Paris")
        bodies = submissions(deps, range(0, min(3 * SUBMITTERS, args.scale_people), 3), period)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("SLACK_", "CADENCE_")) and k not in {"DATABASE_URL", "PORT"}
        }
        env.update(
            DATABASE_URL=engine.url.render_as_string(hide_password=False),
            SLACK_BOT_TOKEN="xoxb-bench-token",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=fake.url,
            CADENCE_SECRET_KEY=secrets.token_urlsafe(32),
            CADENCE_HTTP_REUSE_PORT="true",
            CADENCE_LOG_LEVEL="ERROR",
            CADENCE_TICK_SECONDS="5",
            CADENCE_SEND_RATE=str(SENDER_CEILING),
        )
        procs = Processes(env, tmp)
        try:
            port = _free_port()
            out.say(f"\nscale: PostgreSQL schema {engine.url.query}, {args.scale_people} people")
            held: dict[int, list[float]] = {1: [], 2: []}
            for n in (1, 2):  # a second process joins the first on the same port
                wait_healthy(port, procs.serve(port))
                gen.run("warm-up", port, bodies, 50, 3)
                for r in range(args.rounds):
                    print(f" round {r + 1}, {n} serve process(es):", flush=True)
                    held[n].append(ramp(gen, f"{n} serve", port, bodies, args.step_seconds))
            procs.stop_all()
            out.say(
                f"capacity on PostgreSQL (p99 <= 100 ms): one serve process {span(held[1], '/s')}, "
                f"two on one port (SO_REUSEPORT) {span(held[2], '/s')}"
            )
            fake.clear()
            fake.rate_limit(POST, CAP)
            for label, start in (
                ("weekly check-in fan-out", FRIDAY_PARIS_15),
                ("Monday digests", MONDAY_PARIS_09),
            ):
                before = outbox(engine)
                t0 = time.monotonic()
                pair = [procs.scheduler(start), procs.scheduler(start)]
                counts = settle(engine, sum(before.values()), args.scale_people / CAP * 3 + 120)
                wall = time.monotonic() - t0
                for proc in pair:
                    procs.stop(proc)
                queued = sum(counts.values()) - sum(before.values())
                distinct, dups = delivered(fake)
                out.say(
                    f"{label} by two scheduler processes: {queued} messages queued, "
                    f"{distinct} distinct delivered in the fake, duplicates {dups}, losses "
                    f"{queued - distinct}, outbox {counts}, {wall:.0f} s"
                )
                fake.clear()
        finally:
            procs.stop_all()
    gen.stop()
    fake.stop()


def scheduler_child(at: str) -> int:
    """`python bot.py scheduler` with its clock starting at `at` (bot.py's own wiring)."""
    from cadence import bot
    from cadence.config import configure_logging

    settings = bot._settings()
    configure_logging(settings)
    return bot._run("scheduler", settings, RunningClock(datetime.fromisoformat(at)))


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part",
        action="append",
        choices=["latency", "capacity", "scale"],
        help="default: latency and capacity (scale needs --postgres)",
    )
    parser.add_argument("--rounds", type=int, default=2, help="repeat each measurement")
    parser.add_argument("--seconds", type=float, default=15.0, help="per latency run")
    parser.add_argument("--step-seconds", type=float, default=10.0, help="per capacity step")
    parser.add_argument("--people", type=int, default=10_000, help="size of the fan-out")
    parser.add_argument("--scale-people", type=int, default=2_000, help="people in part scale")
    parser.add_argument("--postgres", metavar="URL")
    parser.add_argument("--scheduler-at", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scheduler_at:
        return scheduler_child(args.scheduler_at)
    args.part = args.part or ["latency", "capacity"]
    if "scale" in args.part and not args.postgres:
        parser.error("--part scale needs --postgres URL")
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    out = Results()
    print(f"open loop on 127.0.0.1, {os.cpu_count()} cores; parts {', '.join(args.part)}")
    if {"latency", "capacity"} & set(args.part):
        in_process(args, out)
    if "scale" in args.part:
        scale_part(args, out)
    print("\nsummary:\n" + "\n".join(out.lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
