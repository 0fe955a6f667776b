"""Anonymity against someone holding the whole database (DESIGN.md section 6): a round is
answered in a known order through signed requests, then the attacker's linking queries run
over what is stored (PostgreSQL xmin and ctid, SQLite storage order, file and WAL bytes,
timestamps, the outbox). None may link an answer to its reviewer better than chance, and no
answer text may be readable before its group reaches the round's minimum."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import stat
import struct
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from cadence.config import Settings
from cadence.delivery.sender import OutboxSender
from cadence.domain.clock import FixedClock
from cadence.prompts import ids
from cadence.services.deps import Deps
from cadence.services.rounds import run_rounds
from cadence.storage.db import read_scope
from cadence.storage.models import FeedbackRound, RoundAnswer, SealedAnswer
from cadence.storage.sealing import KEY_FILE_SUFFIX, SealError, load_sealer, sqlite_path
from tests.conftest import ORG, HttpApp, button_click, view_submission
from tests.fakeslack import FakeSlack
from tests.test_rounds import (
    answer,
    answer_values,
    org_in_slack,
    request_button,
    round_values,
    start_round,
)

PEERS = ["U0BEN", "U0DAN", "U0EVE", "U0FIN", "U0GIA", "U0HAL", "U0IDA", "U0JON"]
EXTRA = ["U0EVE", "U0FIN", "U0GIA", "U0HAL", "U0IDA", "U0JON"]
WIDE_ORG = ORG + "".join(
    f"{s},{s.lower()}@example.com,{s[2:].title()} Peer,U0LEAD,engineering,Europe/Paris,false\n"
    for s in EXTRA
)
CLOSE_AT = datetime(2026, 12, 4, 17, 5, tzinfo=UTC)


@pytest.fixture
def wide_org(deps: Deps, fake: FakeSlack) -> Deps:
    return org_in_slack(deps, fake, WIDE_ORG)


def results_for_manager(fake: FakeSlack) -> str:
    [results] = [
        m for m in fake.messages_to("U0LEAD") if "Feedback results for" in m.args.get("text", "")
    ]
    return json.dumps(results.args, ensure_ascii=False)


def marker(i: int) -> str:
    return f"SECRET-ANSWER-{i:02d}-"


def comment(i: int) -> str:
    # Lengths differ a lot between reviewers: sizes must not tell them apart either.
    return marker(i) + "x" * (5 + 40 * i)


def stored_bytes(deps: Deps) -> bytes:
    """What an attacker copying a SQLite database reads: the file and its WAL."""
    path = sqlite_path(str(deps.engine.url))
    assert path is not None
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def wal_transactions(deps: Deps) -> list[bytes]:
    """The pages each transaction in the WAL wrote, concatenated per transaction."""
    path = sqlite_path(str(deps.engine.url))
    assert path is not None
    wal = path.with_name(path.name + "-wal").read_bytes()
    page_size = struct.unpack(">I", wal[8:12])[0]
    salts = wal[16:24]
    txs, current, at = [], b"", 32
    while at + 24 + page_size <= len(wal):
        header = wal[at : at + 24]
        if header[8:16] != salts:
            break  # left over from before the WAL was last reset
        current += wal[at + 24 : at + 24 + page_size]
        if struct.unpack(">I", header[4:8])[0]:  # a commit frame ends a transaction
            txs.append(current)
            current = b""
        at += 24 + page_size
    return txs


def correct_guesses(guess: list[int]) -> int:
    """How many answers an attacker pairs with the right reviewer when they pair the k-th
    answer in `guess` order with the k-th reviewer to complete."""
    return sum(1 for k, i in enumerate(guess) if i == k)


def order_of(texts: list[str]) -> list[int]:
    return [next(i for i in range(len(PEERS)) if marker(i) in t) for t in texts]


def test_no_linking_query_beats_chance(
    wide_org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> None:
    deps = wide_org
    deps.rng = random.Random(20261120)  # the shuffle the test controls; production: SystemRandom
    start_round(http_app, fake, round_values(["U0ANA"], ["peer"], PEERS))
    sender.drain()
    pg = deps.engine.dialect.name == "postgresql"
    for i, peer in enumerate(PEERS):  # the known completion order
        clock.set(clock.now() + timedelta(minutes=7))
        answer(http_app, fake, peer, str(1 + i % 5), comment(i))
        sender.drain()  # each reviewer's DM is updated: the outbox holds update:round:* rows

    # ---- before close: nothing readable, nothing linkable
    with deps.engine.connect() as conn:
        assert conn.execute(text("select count(*) from roundanswer")).scalar_one() == 0
        sealed = conn.execute(text("select sealed from sealedanswer")).scalars().all()
        dump = " ".join(
            str(row)
            for table in inspect(conn).get_table_names()
            for row in conn.execute(text(f'select * from "{table}"'))  # noqa: S608
        )
        if pg:
            for other in ("roundrequest", "delivery", "auditevent"):
                joined = conn.execute(
                    text(f"select count(*) from sealedanswer a join {other} r on r.xmin = a.xmin")  # noqa: S608
                ).scalar_one()
                assert joined == 0, other
    assert len(sealed) == len(PEERS)
    assert len({len(s) for s in sealed}) == 1  # every sealed answer is the same size
    assert "SECRET-ANSWER" not in dump
    columns = {c["name"] for c in inspect(deps.engine).get_columns("sealedanswer")}
    assert columns == {"id", "round_id", "subject_id", "perspective", "token", "sealed"}
    if not pg:
        assert b"SECRET-ANSWER" not in stored_bytes(deps)

    # The outbox tells the attacker the completion order (as any request row's change would).
    with deps.engine.connect() as conn:
        keys = conn.execute(
            text("select key from delivery where key like 'update:round:%' order by id")
        ).scalars()
        reviewers = [k.rsplit(":", 1)[1] for k in keys]
    assert reviewers == PEERS

    # ---- close: the group is opened in one transaction, shuffled
    clock.set(CLOSE_AT)
    assert run_rounds(deps, clock.now()).counts == {"results queued": 1, "rounds closed": 1}
    sender.drain()
    blob = results_for_manager(fake)
    assert all(marker(i) in blob for i in range(len(PEERS)))
    assert "8 answers" in blob

    with deps.engine.connect() as conn:
        assert conn.execute(text("select count(*) from sealedanswer")).scalar_one() == 0
        times = conn.execute(text("select submitted_at, reviewer_id from roundanswer")).all()
        assert times and all(t == (None, None) for t in times)
        storage_order = order_of(
            list(conn.execute(text("select comments from roundanswer")).scalars())
        )
        if pg:
            # xmin: all answers came from one transaction, which wrote no request row.
            xmins = conn.execute(text("select distinct xmin::text from roundanswer")).all()
            assert len(xmins) == 1
            linked = conn.execute(
                text("select count(*) from roundanswer a join roundrequest r on r.xmin = a.xmin")
            ).scalar_one()
            assert linked == 0
            ctid_order = order_of(
                list(conn.execute(text("select comments from roundanswer order by ctid")).scalars())
            )
            assert sorted(ctid_order) == list(range(len(PEERS)))
            for guess in (ctid_order, ctid_order[::-1]):
                assert correct_guesses(guess) <= 2, ctid_order
        else:
            with pytest.raises(OperationalError):  # no rowid to order by
                conn.execute(text("select rowid from roundanswer"))
    for guess in (storage_order, storage_order[::-1]):
        assert correct_guesses(guess) <= 2, storage_order

    if not pg:
        # WAL: every answer text first appears in one and the same transaction.
        first_seen = {
            i: next(n for n, tx in enumerate(wal_transactions(deps)) if marker(i).encode() in tx)
            for i in range(len(PEERS))
        }
        assert len(set(first_seen.values())) == 1, first_seen
        # After a checkpoint, the byte order of the answers in the file.
        path = sqlite_path(str(deps.engine.url))
        assert path is not None
        with closing(sqlite3.connect(path)) as raw:
            assert raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0
        data = path.read_bytes()
        # (as stored in the answer table: a JSON value; the results DM in the outbox lists
        # comments sorted by their text, which says nothing about who wrote them)
        offsets = {i: data.find(b': "' + marker(i).encode()) for i in range(len(PEERS))}
        assert all(at > 0 for at in offsets.values())
        byte_order = sorted(offsets, key=offsets.__getitem__)
        for guess in (byte_order, byte_order[::-1]):
            assert correct_guesses(guess) <= 2, byte_order


def test_a_group_below_the_minimum_is_never_readable(
    wide_org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender, clock: FixedClock
) -> None:
    deps = wide_org
    start_round(http_app, fake, round_values(["U0ANA"], ["self", "peer"], PEERS[:4]))
    sender.drain()
    answer(http_app, fake, "U0BEN", "4", comment(0))
    answer(http_app, fake, "U0DAN", "2", comment(1))
    answer(http_app, fake, "U0ANA", "5", "SELF-VIEW")  # attributed by nature: stored at once
    sender.drain()
    pg = deps.engine.dialect.name == "postgresql"
    with read_scope(deps.engine) as s:
        assert len(s.execute(select(SealedAnswer)).scalars().all()) == 2
        [own] = s.execute(select(RoundAnswer)).scalars().all()
        assert own.perspective == "self" and "SELF-VIEW" in own.comments
    if not pg:
        assert b"SECRET-ANSWER" not in stored_bytes(deps)
    # Before close there is no results screen at all.
    assert all("Feedback results" not in m.args["text"] for m in fake.messages_to("U0LEAD"))

    clock.set(CLOSE_AT)
    run_rounds(deps, clock.now())
    sender.drain()
    blob = results_for_manager(fake)
    assert "not enough responses" in blob and "SELF-VIEW" in blob
    assert "SECRET-ANSWER" not in blob
    with read_scope(deps.engine) as s:
        assert s.execute(select(SealedAnswer)).scalars().all() == []
        assert [a.perspective for a in s.execute(select(RoundAnswer)).scalars()] == ["self"]
    if not pg:
        assert b"SECRET-ANSWER" not in stored_bytes(deps)  # deleted unread, never opened


def test_a_double_submission_pools_one_answer(
    wide_org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    start_round(http_app, fake, round_values(["U0ANA"], ["peer"], PEERS[:3]))
    sender.drain()
    before = fake.count("views.open")

    http_app.interactive(
        button_click("U0BEN", ids.ROUND_ANSWER_OPEN, request_button(fake, "U0BEN"))
    )
    view = fake.wait_for("views.open", before + 1)[-1].args["view"]
    submission = view_submission("U0BEN", view, answer_values(view, "3", "TWICE"), "VSAME")
    for _ in range(2):
        assert http_app.interactive(submission).status == 200
    with read_scope(wide_org.engine) as s:
        assert len(s.execute(select(SealedAnswer)).scalars().all()) == 1
        [round_] = s.execute(select(FeedbackRound)).scalars().all()
    assert round_.status == "open"


def test_the_key_file_is_created_once_owner_only(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cadence.db'}"
    first = load_sealer("", url)
    key = tmp_path / ("cadence.db" + KEY_FILE_SUFFIX)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    sealed = first.seal(b"hello", size=10, group="g")
    assert load_sealer("", url).open(sealed, group="g") == b"hello"  # the same key, reread
    with pytest.raises(SealError):
        load_sealer("", url).open(sealed, group="another group")
    with pytest.raises(SealError):
        load_sealer("y" * 40, url).open(sealed, group="g")


def test_postgresql_without_a_key_refuses_to_start() -> None:
    settings = Settings(
        slack_bot_token="xoxb-1",
        slack_signing_secret="s",
        database_url="postgresql://cadence@db/cadence",
    )
    problem = settings.missing_for("serve")
    assert problem is not None and problem.startswith("CADENCE_SECRET_KEY is not set")
    short = settings.model_copy(update={"cadence_secret_key": "short"})
    assert "at least 32 characters" in (short.missing_for("run-job") or "")
    good = settings.model_copy(update={"cadence_secret_key": "z" * 32})
    assert good.missing_for("serve") is None
