"""On SQLite, Slack's requests are served one at a time (storage/turns.py): a request that
waits on Slack steps aside, and nobody waits longer than the patience for a turn."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import text

from cadence.prompts import ids
from cadence.services.deps import Deps
from cadence.storage.db import read_scope
from cadence.storage.turns import LONG, Turns, step_aside
from tests.conftest import HttpApp, button_click, serve_http, view_submission
from tests.fakeslack import FakeSlack
from tests.test_checkin_flow import checkins, open_modal, values


@pytest.fixture
def patient_http(org: Deps) -> Iterator[HttpApp]:
    """The HTTP stack with a turn worth waiting a minute for: a request that kept its turn
    while it waited on Slack would hold up the next one past the client's 10 s timeout."""
    yield from serve_http(org, metrics=False, turn_patience=60.0)


def test_a_request_waiting_on_slack_does_not_hold_up_a_check_in(
    org: Deps, fake: FakeSlack, patient_http: HttpApp
) -> None:
    view = open_modal(patient_http, fake, "U0ANA", "2026-W47")
    release = fake.hold("views.open")
    ben_opens = threading.Thread(
        target=patient_http.interactive,
        args=(button_click("U0BEN", ids.CHECKIN_OPEN, "2026-W47"),),
    )
    ben_opens.start()
    try:
        fake.wait_held("views.open")  # Ben's request is inside views.open, waiting on Slack
        resp = patient_http.interactive(view_submission("U0ANA", view, values()))
        assert resp.status == 200 and not resp.body
        assert [c.period for c in checkins(org, "U0ANA")] == ["2026-W47"]
        assert ben_opens.is_alive()  # Ana's answer was stored while Ben's modal was opening
    finally:
        release.set()
        ben_opens.join(15)
    opened = fake.wait_for("views.open", 2)[-1]
    assert opened.args["trigger_id"] == "trig-U0BEN"


def test_a_turn_held_too_long_delays_others_only_for_the_patience(
    caplog: pytest.LogCaptureFixture,
) -> None:
    turns = Turns(patience=0.2)
    holding, done = threading.Event(), threading.Event()

    def stuck() -> None:
        with turns.turn():
            holding.set()
            done.wait(10)

    holder = threading.Thread(target=stuck)
    holder.start()
    assert holding.wait(5)
    # After 0.2 s it goes ahead without a turn (not waiting for ever); giving up the turn it
    # does not hold gives up nothing, so the stuck request still holds it for the next one.
    assert _ask(turns, then=step_aside) == [False]
    assert _ask(turns) == [False]
    assert caplog.text.count("went ahead without one") == 2  # operators see a stuck turn
    done.set()
    holder.join(5)
    assert _ask(turns) == [True]  # given back when the stuck request ended


def _ask(turns: Turns, then: Callable[[], None] | None = None) -> list[bool]:
    """Another request asks for a turn on its own thread (joined within 5 s): [whether it got
    one], or [] when it was still waiting."""
    got: list[bool] = []

    def ask() -> None:
        with turns.turn() as mine:
            if then is not None:
                then()
            got.append(mine)

    other = threading.Thread(target=ask, daemon=True)
    other.start()
    other.join(5)
    return got


def test_a_long_request_gives_its_turn_up_at_its_next_statement(deps: Deps) -> None:
    if deps.engine.dialect.name != "sqlite":
        pytest.skip("requests take turns on SQLite only")
    turns = Turns(patience=0.05)
    with turns.turn() as mine, read_scope(deps.engine) as session:
        assert mine
        session.execute(text("SELECT 1"))  # early on: it keeps its turn
        assert _ask(turns) == [False]
        time.sleep(LONG)  # stands for a long screen's work
        assert _ask(turns) == [False]  # nothing to give it up at yet
        session.execute(text("SELECT 1"))
        assert _ask(turns) == [True]
