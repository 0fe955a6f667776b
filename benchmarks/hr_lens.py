"""HR's system lens for a large organisation: 10,000 people in 1,000 teams with 52 weeks of
check-ins (about 500,000 rows, a tenth of them with the same blocker).

    python -m benchmarks.hr_lens [--weeks 52] [--backend sqlite|postgresql --pg-url URL]

Prints: the weekly `lens` job (recurring blockers over 12 weeks, the pulse of every team and of
the organisation, outcomes of the quarter's closed actions; computed once a week and stored),
HR's view (App Home's lens section read from what the job stored, rendered and validated), the
monthly HR digest job (one DM per HR admin, queued), the digest's teams picture (drawn by the
outbox sender when it uploads it), and peak RSS. Targets: the view and the
digest <= 5 s, <= 300 MB. A script, not a test: it prints numbers and asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime

from sqlalchemy import text

from benchmarks.digests import bench_deps, bench_engine, load_checkins, load_people, rss_mb
from cadence.config import PROJECT_ROOT
from cadence.delivery.charts import render_png
from cadence.domain.periods import weeks_back
from cadence.domain.roles import load_roles
from cadence.services import lens

NOW = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # first Monday of December, 09:00 in Paris
LAST = "2026-W48"  # the last closed week then (this week is W50's Monday: W49 still open)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--managers", type=int, default=1_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with bench_engine(args.backend, args.pg_url) as (url, engine):
        roles = load_roles(PROJECT_ROOT / "roles.toml")
        t0 = time.perf_counter()
        ids = load_people(engine, args.people, args.managers, sorted(roles))
        rows = load_checkins(engine, ids, weeks_back(LAST, args.weeks))
        with engine.begin() as conn:
            conn.execute(text("UPDATE person SET hr_admin = true WHERE id IN (1, 2, 3)"))
            if args.backend == "postgresql":
                conn.execute(text("ANALYZE"))
        print(
            f"{args.people:,} people, {args.managers:,} managers, {rows:,} check-ins "
            f"({args.weeks} weeks), loaded in {time.perf_counter() - t0:.1f} s ({args.backend})"
        )
        deps = bench_deps(url, engine, roles, NOW)
        t1 = time.perf_counter()
        report = lens.run_lens(deps, NOW)
        print(f"lens job (weekly, stored): {time.perf_counter() - t1:.2f} s, {report.summary()}")
        t2 = time.perf_counter()
        view = deps.renderer.message("hr_lens.json.j2", **lens.home_context(deps))
        print(
            f"HR view (read + render + validate): {(time.perf_counter() - t2) * 1000:.0f} ms, "
            f"{len(view['blocks'])} blocks"
        )
        t3 = time.perf_counter()
        digest = lens.send_hr_digests(deps, NOW)
        print(
            f"monthly HR digest job: {(time.perf_counter() - t3) * 1000:.0f} ms, {digest.summary()}"
        )
        with engine.connect() as conn:
            payload = conn.execute(
                text("SELECT payload FROM delivery WHERE key LIKE :k LIMIT 1"),
                {"k": lens.HR_CHART_KIND + ":%"},
            ).scalar_one_or_none()
        if payload is not None:  # drawn by the sender at send time: the same for each HR admin
            t4 = time.perf_counter()
            png = render_png(json.loads(payload))
            print(
                f"its teams picture (drawn at send time, once per HR admin): "
                f"{(time.perf_counter() - t4) * 1000:.0f} ms, {len(png) // 1024} KB PNG"
            )
        print(f"peak RSS {rss_mb():.0f} MB (targets: view and digest <= 5 s, <= 300 MB)")


if __name__ == "__main__":
    main()
