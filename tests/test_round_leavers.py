"""A round's subject who leaves the company (a re-import of the org chart without them, not an
erasure): nobody is asked or reminded about them any more, their reviewers' DMs say so, and
at close nothing about them is opened or sent — HR's summary says "left: no results". Read
from the org chart at the moment: a re-import that lists them again brings their requests
back."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.prompts import ids
from cadence.services.deps import Deps
from cadence.services.org import import_org
from cadence.services.rounds import run_rounds
from cadence.storage.db import read_scope
from cadence.storage.models import RoundAnswer, SealedAnswer
from tests.conftest import HttpApp, button_click, view_submission
from tests.fakeslack import FakeSlack
from tests.test_erasure_in_slack import as_shown, blob, click, updates_since
from tests.test_round_minimums import (  # noqa: F401  (more_org: a fixture)
    CLOSE_AT,
    MORE_ORG,
    answer_about,
    hr_home,
    more_org,
    requests_in_dm,
)
from tests.test_rounds import round_values, start_round

HR = "U0LEAD"
PEERS = ["U0FIN", "U0GIA", "U0HAL"]  # all in Paris: reminded in the same working hours
HALFWAY = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)  # Monday 09:30 Paris
LAST_DAY = datetime(2026, 12, 4, 8, 30, tzinfo=UTC)  # Friday 09:30 Paris, the deadline's day
WITHDRAWN_ONE = "1 request withdrawn: the round no longer asks you about that person."


def reimport(deps: Deps, folder: Path, without: str = "") -> str:
    """`import-org` (the service the CLI calls) of the org chart, without `without`'s line."""
    lines = [line for line in MORE_ORG.splitlines() if not (without and line.startswith(without))]
    path = folder / "org.csv"
    path.write_text("".join(f"{line}\n" for line in lines))
    result = import_org(deps, path)
    return f"{result.deactivated} deactivated, {result.reactivated} back"


@pytest.fixture
def about_ana_and_eve(
    more_org: Deps,  # noqa: F811
    fake: FakeSlack,
    http_app: HttpApp,
    sender: OutboxSender,
) -> Deps:
    """A round about Ana and Eve, asking Fin, Gia and Hal as peers, its DMs delivered."""
    assert not start_round(http_app, fake, round_values(["U0ANA", "U0EVE"], ["peer"], PEERS)).body
    sender.drain()
    return more_org


def decline(http: HttpApp, fake: FakeSlack, user: str, subject: str) -> str:
    """The reviewer declines their request about `subject`; its id."""
    request, _ = requests_in_dm(fake, user)[subject]
    before = fake.count("views.open")
    http.interactive(button_click(user, ids.ROUND_DECLINE_OPEN, request))
    view = fake.wait_for("views.open", before + 1)[-1].args["view"]
    why = {ids.B_RD_REASON: {ids.A_RD_REASON: {"type": "plain_text_input", "value": "new here"}}}
    assert not http.interactive(view_submission(user, view, why)).body
    return request


def dm_now(fake: FakeSlack, user: str) -> str:
    """The reviewer's round DM as Slack shows it now (its latest update)."""
    [dm] = [m for m in as_shown(fake) if m["to"] == user and "HR asked" in m["text"]]
    return blob(dm)


def test_a_subject_who_left_is_asked_about_no_more_and_nothing_about_them_is_opened(
    about_ana_and_eve: Deps,
    fake: FakeSlack,
    http_app: HttpApp,
    sender: OutboxSender,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    deps = about_ana_and_eve
    old_eve_button, _ = requests_in_dm(fake, "U0GIA")["Eve Engineer"]
    # Eve's peer group reaches the minimum (3) before she leaves; Fin answers about Ana too.
    for i, peer in enumerate(PEERS):
        answer_about(http_app, fake, peer, "Eve Engineer", "4", f"ABOUT-EVE-{i}")
    answer_about(http_app, fake, "U0FIN", "Ana Agent", "5", "ABOUT-ANA-0")
    sender.drain()

    clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    assert reimport(deps, tmp_path, without="U0EVE") == "1 deactivated, 0 back"
    start, posts = len(fake.calls()), fake.count("chat.postMessage")
    sender.drain()
    # Each reviewer's DM says so at once (one update each, nothing new posted): Ana only, and
    # one request withdrawn.
    updated = updates_since(fake, start)
    assert len(updated) == len(set(updated)) == 3 and fake.count("chat.postMessage") == posts
    for peer in PEERS:
        assert list(requests_in_dm(fake, peer)) == ["Ana Agent"], peer
        assert WITHDRAWN_ONE in dm_now(fake, peer)
    # A click on the Eve button of Gia's DM as it first read: withdrawn, no modal.
    opened = fake.count("views.open")
    reply = click(http_app, fake, "U0GIA", ids.ROUND_ANSWER_OPEN, old_eve_button)
    assert reply.startswith("This request was withdrawn")
    assert fake.count("views.open") == opened

    # Halfway: Gia and Hal still owe Ana and are reminded of her only; Fin owes nothing.
    clock.set(HALFWAY)
    assert run_rounds(deps, clock.now()).counts == {"reminders queued": 2}
    sender.drain()
    reminders = [m for m in as_shown(fake) if "Friendly nudge" in m["text"]]
    assert sorted(m["to"] for m in reminders) == ["U0GIA", "U0HAL"]
    for reminder in reminders:
        assert "Ana Agent" in blob(reminder) and "Eve Engineer" not in blob(reminder)
    answer_about(http_app, fake, "U0GIA", "Ana Agent", "4", "ABOUT-ANA-1")
    answer_about(http_app, fake, "U0HAL", "Ana Agent", "3", "ABOUT-ANA-2")
    sender.drain()

    fake.clear()
    clock.set(CLOSE_AT)
    assert run_rounds(deps, clock.now()).counts == {"results queued": 1, "rounds closed": 1}
    sender.drain()
    # Lea gets Ana's results (she manages both) and the summary; nothing about Eve.
    results, summary = fake.messages_to(HR)
    assert "Ana Agent" in blob(results.args) and "ABOUT-ANA-0" in blob(results.args)
    told = json.dumps(summary.args["blocks"], ensure_ascii=False)
    assert "*Eve Engineer* · left: no results" in told
    # The summary's first line no longer promises results for everyone.
    assert "manager has their results, except for the person who left or was erased" in told
    assert "*Ana Agent* · answered 3 · declined 0 · overdue 0" in told
    everything = json.dumps([c.args for c in fake.calls()], ensure_ascii=False)
    assert "ABOUT-EVE" not in everything
    # Her sealed answers were deleted unread: nothing about her was opened or stored.
    with read_scope(deps.engine) as s:
        assert s.execute(select(SealedAnswer)).scalars().all() == []
        comments = [json.loads(c) for c in s.execute(select(RoundAnswer.comments)).scalars()]
    assert len(comments) == 3 and "ABOUT-EVE" not in json.dumps(comments)


def test_nobody_is_reminded_about_a_subject_who_left_and_a_reimport_brings_them_back(
    about_ana_and_eve: Deps,
    fake: FakeSlack,
    http_app: HttpApp,
    sender: OutboxSender,
    clock: FixedClock,
    tmp_path: Path,
) -> None:
    deps = about_ana_and_eve
    answer_about(http_app, fake, "U0GIA", "Ana Agent", "4", "GIA-ABOUT-ANA")  # owes only Eve
    fin_about_eve = decline(http_app, fake, "U0FIN", "Eve Engineer")
    sender.drain()
    declined = "🙅 *Fin Fixer* declined *Eve Engineer*"
    assert declined in hr_home(http_app, fake)
    clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=UTC))
    reimport(deps, tmp_path, without="U0EVE")
    sender.drain()
    # Nobody is asked about her any more: HR is not offered to ask someone else instead of Fin.
    assert declined not in hr_home(http_app, fake)
    reply = click(http_app, fake, HR, ids.ROUND_REPLACE_OPEN, fin_about_eve)
    assert reply == (
        "Eve Engineer is no longer active in Cadence (they left, or are not in the org chart "
        "any more): the round no longer asks about them."
    )

    # Halfway: Fin and Hal owe Ana and are reminded; Gia only owed Eve, so she is not.
    posts = fake.count("chat.postMessage")
    clock.set(HALFWAY)
    assert run_rounds(deps, clock.now()).counts == {"reminders queued": 2}
    sender.drain()
    reminded = [c.args["channel"] for c in fake.calls("chat.postMessage")[posts:]]
    assert sorted(reminded) == ["U0FIN", "U0HAL"]
    home = hr_home(http_app, fake)
    assert "requested 4 · answered 1 · declined 1 · overdue 0 · withdrawn 2" in home

    # Eve is back in the next import: her requests are asked again, in the same DMs.
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    assert reimport(deps, tmp_path) == "0 deactivated, 1 back"
    sender.drain()
    for peer in PEERS:
        assert "Eve Engineer" in requests_in_dm(fake, peer), peer
        assert "withdrawn" not in dm_now(fake, peer)
    home = hr_home(http_app, fake)
    assert "requested 6 · answered 1 · declined 1 · overdue 0" in home and declined in home
    # On the last day Gia is reminded of Eve, and can answer.
    clock.set(LAST_DAY)
    assert run_rounds(deps, clock.now()).counts == {"reminders queued": 3}
    sender.drain()
    gia = fake.messages_to("U0GIA")[-1]
    assert "Friendly nudge" in gia.args["text"]
    assert "Eve Engineer" in blob(gia.args) and "Ana Agent" in blob(gia.args)
    answer_about(http_app, fake, "U0GIA", "Eve Engineer", "5", "GIA-ABOUT-EVE")

    clock.set(CLOSE_AT)
    assert run_rounds(deps, clock.now()).counts == {"results queued": 2, "rounds closed": 1}
