"""The scheduler tick, job locks across replicas, and SQLite under concurrent use."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from sqlmodel import select

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.scheduler import build_scheduler, tick
from cadence.services.deps import Deps
from cadence.storage import repo
from cadence.storage.db import job_lock, read_scope, session_scope
from cadence.storage.models import Checkin
from tests.conftest import ORG_HEADER, HttpApp, load_org, view_submission
from tests.fakeslack import FakeSlack
from tests.test_checkin_flow import open_modal, values


def test_tick_runs_every_job_at_the_clock_time(
    org: Deps, fake: FakeSlack, sender: OutboxSender
) -> None:
    tick(org)  # the fixture clock reads Friday 15:00 in Paris
    sender.drain()
    assert sorted(c.args["channel"] for c in fake.calls("chat.postMessage")) == ["U0ANA", "U0LEAD"]
    tick(org)
    sender.drain()
    assert fake.count("chat.postMessage") == 2


def test_scheduler_has_one_coalescing_tick_job(deps: Deps) -> None:
    scheduler = build_scheduler(deps)
    [job] = scheduler.get_jobs()
    assert job.id == "cadence-tick"
    assert job.coalesce is True and job.max_instances == 1


def test_only_one_replica_holds_a_job_lock(deps: Deps) -> None:
    with job_lock(deps.engine, "checkins") as first:
        with job_lock(deps.engine, "checkins") as second:
            if deps.engine.dialect.name == "postgresql":
                assert (first, second) == (True, False)
            else:  # one scheduler process by design on SQLite
                assert (first, second) == (True, True)
    with job_lock(deps.engine, "checkins") as again:
        assert again is True


def test_deactivated_people_get_no_prompt(org: Deps, fake: FakeSlack, sender: OutboxSender) -> None:
    load_org(org, ORG_HEADER + "U0LEAD,lea@example.com,Lea Lead,,engineering,Europe/Paris,true\n")
    tick(org)
    sender.drain()
    assert [c.args["channel"] for c in fake.calls("chat.postMessage")] == ["U0LEAD"]


def test_submissions_while_the_sender_fans_out_all_succeed(
    org: Deps, fake: FakeSlack, http_app: HttpApp, clock: FixedClock
) -> None:
    """SQLite shared by HTTP handler threads and sender threads: no 'database is locked'
    reaches anyone, and every answer is stored."""
    people = [f"U9{i:04d}" for i in range(30)]
    load_org(
        org,
        ORG_HEADER
        + "".join(
            f"{p},{p.lower()}@example.com,P {p},,support,Europe/Paris,false\n" for p in people
        ),
    )
    now = clock.now()
    with session_scope(org.engine) as s:
        repo.enqueue(
            [
                repo.OutgoingMessage(
                    f"load:{i}", "load", f"U8{i:04d}", {"text": "hi", "blocks": []}
                )
                for i in range(600)
            ],
            now,
            session=s,
        )
    sender = OutboxSender(org.engine, org.slack, org.clock, rate=1000, workers=3).start()
    views = {p: open_modal(http_app, fake, p, "2026-W47") for p in people}

    def submit(p: str) -> int:
        return http_app.interactive(view_submission(p, views[p], values())).status

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(submit, people))
    fake.wait_for("chat.postMessage", 600, timeout=60)
    sender.stop()
    assert statuses == [200] * len(people)
    with read_scope(org.engine) as s:
        stored = s.execute(select(Checkin)).scalars().all()
    assert len(stored) == len(people)
    assert datetime(2026, 11, 20, tzinfo=UTC) < stored[0].submitted_at
