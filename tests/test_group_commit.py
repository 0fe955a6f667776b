"""Check-in submissions that arrive together are committed together (storage.db.GroupCommit):
every one is stored and acknowledged, each DM is updated once, the later answer wins, and one
failing write fails only its own request. The interactive path runs its statements on the
driver's cursor (storage.db.Prepared): they write and read what SQLAlchemy would."""

from __future__ import annotations

import threading
import time
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from cadence.delivery.sender import OutboxSender
from cadence.domain.checkins import CheckinAnswers
from cadence.domain.status import CheckinStatus
from cadence.prompts import ids
from cadence.services.checkins import send_weekly_checkins
from cadence.services.deps import Deps
from cadence.storage import repo
from cadence.storage.db import GroupCommit, is_outage, read_scope, session_scope
from cadence.storage.models import Person
from tests.conftest import ORG_HEADER, HttpApp, load_org, view_submission
from tests.fakeslack import FakeSlack
from tests.test_checkin_flow import FRIDAY_PARIS_15, checkins, open_modal, values

PEOPLE = [f"U0P{i:03d}" for i in range(20)]


def test_twenty_simultaneous_submissions_are_all_stored_and_each_dm_updated_once(
    deps: Deps, fake: FakeSlack, sender: OutboxSender, http_app: HttpApp
) -> None:
    load_org(
        deps,
        ORG_HEADER
        + "".join(
            f"{p},{p.lower()}@example.com,Person {p},,support,Europe/Paris,false\n" for p in PEOPLE
        ),
    )
    send_weekly_checkins(deps, FRIDAY_PARIS_15)
    sender.drain()
    posts = fake.calls("chat.postMessage")
    assert sorted(c.args["channel"] for c in posts) == PEOPLE
    dms = sorted((c.response["channel"], c.response["ts"]) for c in posts if c.response)
    assert len(dms) == len(PEOPLE)
    views = {p: open_modal(http_app, fake, p, "2026-W47") for p in PEOPLE}

    start = threading.Barrier(len(PEOPLE))
    answers: dict[str, Any] = {}

    def submit(person: str, quality: str) -> None:
        start.wait()
        resp = http_app.interactive(view_submission(person, views[person], values(quality)))
        answers[person] = (resp.status, resp.body)

    threads = [threading.Thread(target=submit, args=(p, str(80 + i))) for i, p in enumerate(PEOPLE)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # Every modal closed (an empty 200), and every answer is stored as its own person gave it.
    assert answers == {p: (200, b"") for p in PEOPLE}
    for i, p in enumerate(PEOPLE):
        [stored] = checkins(deps, p)
        assert stored.quality_value == 80 + i

    fake.clear()
    sender.drain()
    updates = fake.calls("chat.update")
    assert sorted((u.args["channel"], u.args["ts"]) for u in updates) == dms
    assert all("done" in u.args["text"] for u in updates)
    assert {b["action_id"] for u in updates for b in _buttons(u.args["blocks"])} == {
        ids.CHECKIN_OPEN
    }


def _buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def _queued_together(
    writes: GroupCommit, jobs: list[tuple[str, list[repo.Write]]]
) -> dict[str, object]:
    """Queue `jobs` in this order while the turn is held, so that one transaction takes them
    all; what each request got back ("stored" or its exception)."""
    outcomes: dict[str, object] = {}

    def run(name: str, job: list[repo.Write]) -> None:
        try:
            writes.execute(job)
            outcomes[name] = "stored"
        except Exception as exc:  # the database's own error for a bad request
            outcomes[name] = exc

    threads = []
    with writes._turn:  # as a request committing an earlier batch would
        for name, job in jobs:
            threads.append(threading.Thread(target=run, args=(name, job)))
            threads[-1].start()
            deadline = time.monotonic() + 10
            while len(writes._queue) < len(threads) and time.monotonic() < deadline:
                time.sleep(0.002)
        assert len(writes._queue) == len(jobs)
    for t in threads:
        t.join(10)
    return outcomes


def _answer(deps: Deps, slack_id: str | None, quality: float) -> list[repo.Write]:
    person_id = 999_999  # nobody: the foreign key refuses it
    if slack_id is not None:
        with read_scope(deps.engine) as session:
            person = repo.person_by_slack_id(slack_id, session=session)
        assert person is not None and person.id is not None
        person_id = person.id
    answers = CheckinAnswers(quality, 40, 4, f"win {quality}", "", "")
    now, dialect = deps.clock.now(), deps.engine.dialect.name
    return [repo.answers_write(person_id, "2026-W47", answers, now, dialect=dialect)]


def test_writes_committed_together_keep_each_request_and_the_later_answer(org: Deps) -> None:
    outcomes = _queued_together(
        GroupCommit(org.engine),
        [
            ("ana first", _answer(org, "U0ANA", 81)),
            ("lea", _answer(org, "U0LEAD", 90)),
            ("ana again", _answer(org, "U0ANA", 88)),
        ],
    )
    assert outcomes == {"ana first": "stored", "lea": "stored", "ana again": "stored"}
    assert [(c.quality_value, c.wins) for c in checkins(org, "U0ANA")] == [(88, "win 88")]
    assert [c.quality_value for c in checkins(org, "U0LEAD")] == [90]
    # Written on the driver's cursor with the columns' own conversions: the time reads back
    # as the same aware UTC instant, and the status as the stored word.
    stored = checkins(org, "U0ANA")[0]
    assert (stored.submitted_at, stored.status) == (org.clock.now(), CheckinStatus.ANSWERED)


def test_a_bad_write_committed_with_others_fails_only_its_own_request(org: Deps) -> None:
    outcomes = _queued_together(
        GroupCommit(org.engine),
        [
            ("ana", _answer(org, "U0ANA", 81)),
            ("nobody", _answer(org, None, 70)),
            ("lea", _answer(org, "U0LEAD", 90)),
        ],
    )
    # SQLAlchemy's kind of error, as from Connection.execute: a constraint, not an outage
    # (storage.db.is_outage), so the person is not told to try again later.
    refused = outcomes.pop("nobody")
    assert isinstance(refused, IntegrityError) and not is_outage(refused)
    assert outcomes == {"ana": "stored", "lea": "stored"}
    assert [c.quality_value for c in checkins(org, "U0ANA")] == [81]
    assert [c.quality_value for c in checkins(org, "U0LEAD")] == [90]


def test_who_is_asking_reads_the_same_on_the_drivers_cursor_as_in_a_session(org: Deps) -> None:
    """Every interactive request reads who is asking on the driver's cursor (storage.db.
    Prepared, with the columns' own conversions): it must see what a session sees, the flags
    as booleans and the times as aware UTC, for a manager, HR, a leaver and an erased person."""
    with session_scope(org.engine) as session:
        cat = repo.person_by_slack_id("U0CAT", session=session)
        assert cat is not None and cat.id is not None
        session.execute(update(Person).where(col(Person.slack_id) == "U0DAN").values(active=False))
        session.execute(
            update(Person).where(col(Person.id) == cat.id).values(erased_at=org.clock.now())
        )
    for slack_id in ("U0LEAD", "U0ANA", "U0BEN", "U0CAT", "U0DAN", "U0NOBODY"):
        with read_scope(org.engine) as session:
            in_session = repo.person_managing(slack_id, org.roles, session=session)
        lone = repo.person_managing(slack_id, org.roles, session=org.engine)
        assert _fields(lone[0]) == _fields(in_session[0]) and lone[1] == in_session[1], slack_id
        if lone[0] is not None and lone[0].id is not None:  # App Home, goals: who they manage
            with read_scope(org.engine) as session:
                managing = repo.manages_role(lone[0].id, org.roles, session=session)
            assert repo.manages_role(lone[0].id, org.roles, session=org.engine) is lone[1]
            assert managing is lone[1], slack_id
    lea, lea_manages = repo.person_managing("U0LEAD", org.roles, session=org.engine)
    assert lea is not None and lea.hr_admin is True and lea.active is True and lea_manages
    assert lea.created_at == org.clock.now()
    dan = repo.person_by_slack_id("U0DAN", session=org.engine)
    assert dan is not None and dan.active is False
    cat = repo.person_by_slack_id("U0CAT", session=org.engine)
    assert cat is not None and cat.erased_at == org.clock.now()


def _fields(person: Person | None) -> dict[str, Any] | None:
    if person is None:
        return None
    return {name: getattr(person, name) for name in Person.model_fields}
