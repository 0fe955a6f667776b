"""Bad input gets a clear answer: nothing lost, nothing silently cut, nothing leaked.
Each test is an attack that used to succeed (issue 10 §5)."""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import select

from cadence.config import PROJECT_ROOT
from cadence.delivery.sender import OutboxSender
from cadence.domain.checkins import CheckinAnswers
from cadence.domain.clock import FixedClock
from cadence.prompts import ids
from cadence.services.deps import Deps
from cadence.storage import repo
from cadence.storage.db import make_engine, read_scope, session_scope
from cadence.storage.models import Feedback, FeedbackRound, MetricValue, Person
from tests.conftest import (
    BOT_TOKEN,
    ORG,
    PG_SECRET_KEY,
    SIGNING_SECRET,
    HttpApp,
    button_click,
    sign,
    view_submission,
)
from tests.fakeslack import FakeSlack
from tests.shared_data import PAYLOADS
from tests.test_cli import env, run  # noqa: F401  (env: the CLI fixture)
from tests.test_digests import PERIOD, team_week
from tests.test_rounds import big_org  # noqa: F401  (the fixture)

TOKEN = "metrics-token-123"


def _post_metrics(http: HttpApp, raw: bytes):  # type: ignore[no-untyped-def]
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    return http.request("/api/metrics", raw, headers=headers)


def test_metrics_api_answers_4xx_with_a_message_to_huge_numbers_and_deep_nesting(
    org: Deps, http_app: HttpApp
) -> None:
    org.settings = org.settings.model_copy(update={"cadence_metrics_api_token": TOKEN})
    team_week(org)
    values = ["1e400", "9" * 400, "9" * 5000, "-1e400", "NaN"]
    for name in values:
        item = {"slack_id": "U0ANA", "period": PERIOD, "metric": "quality", "value": 0}
        body = json.dumps({"metrics": [item]}).replace('"value": 0', f'"value": {name}')
        resp = _post_metrics(http_app, body.encode())
        assert 400 <= resp.status < 500, name
        answer = resp.json()
        assert answer["ok"] is False and answer["error"], name
    deep = b'{"metrics": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    resp = _post_metrics(http_app, deep)
    assert resp.status == 400 and "nested" in resp.json()["error"]
    with read_scope(org.engine) as s:
        assert s.execute(select(MetricValue)).first() is None


def test_the_largest_metrics_batch_the_readme_promises_fits_the_body_limit(
    org: Deps, http_app: HttpApp
) -> None:
    from cadence.domain.metrics import MAX_API_ITEMS
    from cadence.web import MAX_BODY

    org.settings = org.settings.model_copy(update={"cadence_metrics_api_token": TOKEN})
    # Worst realistic item: an 11-character Slack id, a long source name, pretty separators.
    item = {"slack_id": "U0123456789", "period": PERIOD, "metric": "quality", "value": 100.25}
    body = json.dumps({"source": "z" * 64, "metrics": [item] * MAX_API_ITEMS}).encode()
    assert len(body) <= MAX_BODY
    resp = _post_metrics(http_app, body)  # unknown person: 422 naming items, not 413
    assert resp.status == 422 and resp.json()["problems"][0].startswith("metrics[0]: slack_id")
    too_many = json.dumps({"metrics": [item] * (MAX_API_ITEMS + 1)}, separators=(",", ":"))
    resp = _post_metrics(http_app, too_many.encode())
    assert resp.status in (413, 422) and f"at most {MAX_API_ITEMS:,}" in resp.json()["error"] + str(
        resp.json().get("problems")
    )
    huge = b'{"metrics": [' + b" " * (MAX_BODY + 10) + b"]}"
    resp = _post_metrics(http_app, huge)
    assert resp.status == 413 and "1 MB" in resp.json()["error"]
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert f"{MAX_API_ITEMS:,} metrics" in readme and "1 MB" in readme


# ------------------------------------------------------------------ exports

ATTACKS = [
    "ok;=cmd|' /C calc'!A0",
    "ok,=1+1",
    "fine\t@SUM(A1)",
    "a|+cmd",
    "\u200b=cmd|' /C calc'!A0",
    "\ufeff=1+1",
    "\uff1dcmd|' /C calc'!A0",
    "x; \u200b-2+3+cmd",
    "=plain",
]


def _formula_start(cell: str) -> bool:
    """Would any piece of this cell, split on a separator a spreadsheet may use, run?"""
    import re

    for piece in re.split(r"[,;\t|]", cell):
        stripped = piece.lstrip(" \u00a0\u200b\u200c\u200d\u2060\ufeff")
        if stripped[:1] in {"=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20"}:
            return True
    return False


def _imported_org(folder: Path, db_url: str) -> Engine:
    (folder / "org.csv").write_text(ORG)
    assert run("import-org", "org.csv")[0] == 0
    return make_engine(db_url)


def test_export_cells_cannot_start_a_formula_after_any_separator(
    env: Path,  # noqa: F811
    db_url: str,
) -> None:
    engine = _imported_org(env, db_url)
    now = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        ana = repo.person_by_slack_id("U0ANA", session=s)
        assert ana is not None and ana.id is not None
        for week, attack in enumerate(ATTACKS, start=30):
            answers = CheckinAnswers(91, 58, 4, attack, attack, "docs")
            repo.save_answers(ana.id, f"2026-W{week}", answers, now, session=s)
    engine.dispose()
    code, _, err = run("export", "checkins", "--out", "checkins.csv")
    assert code == 0, err
    rows = list(csv.DictReader((env / "checkins.csv").open(encoding="utf-8")))
    assert len(rows) == len(ATTACKS)
    for row, attack in zip(rows, ATTACKS, strict=True):
        assert not _formula_start(row["wins"]), row["wins"]
        # Neutralised, not mangled: remove the inserted quotes and the text is back.
        assert row["wins"].replace("'", "") == attack.replace("'", "")


def test_an_export_whose_audit_record_cannot_be_written_writes_nothing(
    env: Path,  # noqa: F811
    db_url: str,
) -> None:
    engine = _imported_org(env, db_url)
    with engine.begin() as conn:  # the audit table refuses every new row
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER no_audit BEFORE INSERT ON auditevent "
                    "BEGIN SELECT RAISE(ABORT, 'audit unavailable'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION no_audit() RETURNS trigger AS $$ BEGIN "
                    "RAISE EXCEPTION 'audit unavailable'; END $$ LANGUAGE plpgsql"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER no_audit BEFORE INSERT ON auditevent "
                    "FOR EACH ROW EXECUTE FUNCTION no_audit()"
                )
            )
    engine.dispose()
    for kind in ("checkins", "feedback", "reviews"):
        code, out, err = run("export", kind, "--out", f"{kind}.csv")
        assert code != 0 and "audit" in err and "Traceback" not in err, kind
        assert not (env / f"{kind}.csv").exists(), kind
        code, out, err = run("export", kind)  # to standard output: not one byte
        assert code != 0 and out == "", kind


# ------------------------------------------------------------------ secrets and logs


def test_a_database_url_that_cannot_be_parsed_never_prints_its_password(
    env: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for url in (
        "postgresql://cadence:S3cret-pw@db.internal:notaport/cadence",
        "postgresql://cadence:S3cret-pw@db.internal:99999999/cadence",
        "postgresql+nosuchdriver://cadence:S3cret-pw@db.internal/cadence",
        "cadence:S3cret-pw@db.internal",
    ):
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("CADENCE_LOG_LEVEL", "DEBUG")
        code, out, err = run("migrate")
        assert code != 0, url
        assert "S3cret-pw" not in out + err, err
        assert "DATABASE_URL" in err and "Traceback" not in err, err


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_debug_logging_never_writes_what_people_typed(
    org: Deps, fake: FakeSlack, db_url: str, tmp_path: Path
) -> None:
    port = _free_port()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "CADENCE_"))}
    environ.update(
        DATABASE_URL=db_url,
        PORT=str(port),
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.url,
        CADENCE_LOG_LEVEL="DEBUG",
        CADENCE_SECRET_KEY=PG_SECRET_KEY,
    )
    log_path = tmp_path / "cadence.log"
    with log_path.open("wb") as log_file:
        proc = subprocess.Popen(  # noqa: S603
            [sys.executable, str(PROJECT_ROOT / "bot.py"), "run"],
            cwd=tmp_path,
            env=environ,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        try:
            http = HttpApp(f"http://127.0.0.1:{port}")
            for _ in range(600):  # up to a minute on a busy machine
                try:
                    if http.request("/healthz", method="GET").status == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.1)
            resp = http.command(
                "/kudos", "U0LEAD", "<@U0ANA|ana> SECRET-KUDOS-TEXT", channel_id="C7"
            )
            assert resp.status == 200
            # Another process sends it (the real clock may queue other DMs meanwhile).
            deadline = time.monotonic() + 60
            while not (posts := fake.messages_to("C7")) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert "SECRET-KUDOS-TEXT" in json.dumps(posts[0].args)  # it went to Slack...
        finally:
            proc.terminate()
            proc.wait(30)
    logged = log_path.read_text(encoding="utf-8", errors="replace")
    assert " DEBUG " in logged  # the level took effect
    assert "SECRET-KUDOS-TEXT" not in logged  # ...but not into the logs
    assert BOT_TOKEN not in logged and SIGNING_SECRET not in logged and PG_SECRET_KEY not in logged


# ------------------------------------------------------------------ escaping everywhere

NASTY_ROUND = "Q4 <!channel> <https://evil.example|click me> <@U0CAT> & co"


def _mrkdwn_texts(args: dict[str, Any]) -> list[str]:
    """Every string Slack reads as mrkdwn in a message: the text fallback (also the
    notification) and mrkdwn text objects in blocks."""
    found = [str(args.get("text") or "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn":
                found.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(args.get("blocks") or [])
    return found


def test_a_round_name_is_escaped_in_notifications_and_ephemeral_replies(
    big_org: Deps,  # noqa: F811
    fake: FakeSlack,
    http_app: HttpApp,
    sender: OutboxSender,
    clock: FixedClock,
) -> None:
    from tests.test_rounds import PEERS, answer, round_values, start_round

    values = round_values(["U0ANA"], ["manager", "peer"], PEERS, name=NASTY_ROUND)
    assert start_round(http_app, fake, values).status == 200
    sender.drain()
    for peer in PEERS[:3]:
        answer(http_app, fake, peer, "4", "fine")
    with read_scope(big_org.engine) as s:
        [round_] = s.execute(select(FeedbackRound)).scalars().all()
    http_app.interactive(button_click("U0LEAD", ids.ROUND_EXTEND, str(round_.id)))
    http_app.interactive(button_click("U0LEAD", ids.ROUND_CLOSE, str(round_.id)))
    fake.wait_for("chat.postEphemeral", 2)
    sender.drain()
    calls = [
        c
        for method in ("chat.postMessage", "chat.update", "chat.postEphemeral")
        for c in fake.calls(method)
    ]
    shown = [t for c in calls for t in _mrkdwn_texts(c.args) if "Q4" in t]
    assert len(shown) >= 5  # HR note, reviewer DMs, ephemeral replies, results
    for text_ in shown:
        assert "<!channel>" not in text_ and "<https://" not in text_, text_
        assert "<@U0CAT>" not in text_, text_
        assert "&lt;!channel&gt;" in text_, text_  # escaped, so shown as typed


# ------------------------------------------------------------------ characters and lengths

NUL_TEXT = "before\x00after\x07 bell\r\nnext line\ttab \ud800"


def test_nul_and_control_characters_are_dropped_from_check_ins_feedback_and_kudos(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    from cadence.services.checkins import send_weekly_checkins
    from tests.test_checkin_flow import FRIDAY_PARIS_15, checkins, open_modal
    from tests.test_checkin_flow import values as checkin_values
    from tests.test_feedback_kudos import feedback_values, open_feedback

    send_weekly_checkins(org, FRIDAY_PARIS_15)
    sender.drain()
    view = open_modal(http_app, fake, "U0ANA", "2026-W47")
    resp = http_app.interactive(view_submission("U0ANA", view, checkin_values(wins=NUL_TEXT)))
    assert resp.status == 200 and not resp.body, resp.body
    [checkin] = checkins(org, "U0ANA")
    assert checkin.wins == "beforeafter bell\nnext line\ttab"

    view = open_feedback(http_app, fake, "U0BEN")
    resp = http_app.interactive(
        view_submission("U0BEN", view, feedback_values("U0ANA", NUL_TEXT, "ok"))
    )
    assert resp.status == 200 and not resp.body, resp.body

    # A form body is UTF-8 (no lone surrogate there); JSON bodies above can carry one.
    kudos = "<@U0ANA|ana> " + NUL_TEXT.replace("\ud800", "")
    resp = http_app.command("/kudos", "U0LEAD", kudos, channel_id="C7")
    assert resp.status == 200
    sender.drain()
    posted = json.dumps([c.args for c in fake.calls("chat.postMessage")], ensure_ascii=False)
    assert "beforeafter bell" in posted and "\\u0000" not in posted and "\\u0007" not in posted
    with read_scope(org.engine) as s:
        stored = [f.strengths for f in s.execute(select(Feedback)).scalars()]
    assert stored == ["beforeafter bell\nnext line\ttab"]


def test_import_org_names_each_line_with_a_too_long_or_control_character_field(
    env: Path,  # noqa: F811
    db_url: str,
) -> None:
    long_name = "N" * 250
    (env / "org.csv").write_text(
        ORG
        + f"U0LONG,long@example.com,{long_name},U0LEAD,support,Europe/Paris,false\n"
        + "U0NUL,nul@example.com,Nul\x00Name,U0LEAD,support,Europe/Paris,false\n"
        + "U0MAIL,"
        + "m" * 320
        + "@example.com,Mail,U0LEAD,support,Europe/Paris,false\n"
    )
    code, out, err = run("import-org", "org.csv")
    assert code == 1, err
    assert "line 7: name is 250 characters; at most 200" in err
    assert "line 8: name contains a control character" in err
    assert "line 9: email is 332 characters; at most 320" in err
    assert "Traceback" not in err and long_name not in err and "parameters" not in err
    engine = make_engine(db_url)
    with read_scope(engine) as s:
        assert s.execute(select(Person)).first() is None  # all or nothing
    engine.dispose()


# ------------------------------------------------------------------ replayed requests


def _second_replica(deps: Deps) -> tuple[HttpApp, Any]:
    """Another `serve` process's WSGI app on the same database."""
    from cadence.handlers import build_app
    from cadence.web import CadenceWSGI, make_server, run_until

    server = make_server(
        CadenceWSGI(build_app(deps), deps.engine, SIGNING_SECRET), 0, host="127.0.0.1"
    )
    stop = threading.Event()
    thread = threading.Thread(target=run_until, args=(server, stop), daemon=True)
    thread.start()
    return HttpApp(f"http://127.0.0.1:{server.effective_port}"), stop


def test_a_replayed_signed_request_has_no_effect_on_any_replica(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    form = dict(urllib.parse.parse_qsl((PAYLOADS / "slash_command.form.txt").read_text().strip()))
    form.update(command="/kudos", user_id="U0LEAD", text="<@U0ANA|ana> REPLAYED", channel_id="C7")
    body = urllib.parse.urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    other, stop = _second_replica(org)
    try:
        first = http_app.request("/slack/events", body, headers=headers)
        assert first.status == 200
        assert sender.drain() == 1  # the kudos post
        again = http_app.request("/slack/events", body, headers=headers)
        elsewhere = other.request("/slack/events", body, headers=headers)
        assert again.status == 409 and elsewhere.status == 409
        assert b"replayed" in again.body
        # Slack's own retry is signed anew (a new timestamp): it is not a replay.
        stamp = int(headers["X-Slack-Request-Timestamp"]) - 1  # never the original's
        retry = {**headers, **sign(body, ts=stamp), "X-Slack-Retry-Num": "1"}
        assert other.request("/slack/events", body, headers=retry).status == 200
    finally:
        stop.set()
    sender.drain()
    posts = [c for c in fake.calls("chat.postMessage") if "REPLAYED" in json.dumps(c.args)]
    assert len(posts) == 2  # the original and Slack's retry; never the replays


def test_the_replay_store_forgets_signatures_once_they_expire(engine: Engine) -> None:
    from cadence.storage import replay_repo
    from cadence.storage.db import GroupCommit

    writes = GroupCommit(engine)
    now = 1_800_000_000
    assert replay_repo.first_sighting(writes, "v0=aa", now - 200, now)
    assert not replay_repo.first_sighting(writes, "v0=aa", now - 200, now)
    for i in range(replay_repo.PURGE_ROWS + 10):
        assert replay_repo.first_sighting(writes, f"v0=old{i}", now - 100, now)
    later = now + replay_repo.KEEP_SECONDS + 1

    def remembered() -> int:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM seenrequest")).scalar_one())

    # A purge deletes a bounded batch of the expired ones (never a long stall under the write
    # lock); the next one, a moment later, the rest.
    time.sleep(replay_repo.PURGE_EVERY + 0.05)
    assert replay_repo.first_sighting(writes, "v0=bb", later, later)
    assert remembered() == 1 + 11  # v0=bb, and the 11 expired ones past the batch
    time.sleep(replay_repo.PURGE_EVERY + 0.05)
    assert replay_repo.first_sighting(writes, "v0=cc", later, later)
    assert remembered() == 2


# ------------------------------------------------------------------ long text is never cut


def _shown(fake: FakeSlack, user: str) -> str:
    """Everything a person's DMs show in mrkdwn, quotes and line breaks removed: text split
    across several blocks (or messages) reads back whole."""
    texts = [t for c in fake.messages_to(user) for t in _mrkdwn_texts(c.args)[1:]]
    return "".join("".join(texts).replace("\n> ", "").replace("> ", "").split())


def test_long_round_comments_are_split_across_blocks_never_cut(
    big_org: Deps,  # noqa: F811
    fake: FakeSlack,
    http_app: HttpApp,
    sender: OutboxSender,
    clock: FixedClock,
) -> None:
    from cadence.services.rounds import run_rounds
    from tests.test_rounds import PEERS, answer, round_values, start_round

    start_round(http_app, fake, round_values(["U0ANA"], ["peer"], PEERS))
    sender.drain()
    comments = {peer: f"{peer} " + f"word{i} & <b> " * 124 for i, peer in enumerate(PEERS[:3])}
    for peer, comment in comments.items():
        assert 1400 <= len(comment) <= 2000
        answer(http_app, fake, peer, "4", comment)
    fake.clear()
    clock.set(datetime(2026, 12, 4, 17, 5, tzinfo=UTC))
    run_rounds(big_org, clock.now())
    sender.drain()
    shown = _shown(fake, "U0LEAD")
    for comment in comments.values():
        escaped = comment.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert "".join(escaped.split()) in shown


def test_a_feedback_dm_shows_every_character_however_much_escaping_grows_it(
    org: Deps, fake: FakeSlack, http_app: HttpApp, sender: OutboxSender
) -> None:
    from tests.test_feedback_kudos import feedback_values, open_feedback

    view = open_feedback(http_app, fake, "U0BEN")
    values = feedback_values("U0ANA", "<" * 2000, "& " * 1000)
    resp = http_app.interactive(view_submission("U0BEN", view, values))
    assert resp.status == 200 and not resp.body, resp.body
    sender.drain()
    shown = _shown(fake, "U0ANA")
    assert shown.count("&lt;") == 2000 and shown.count("&amp;") == 1000


def test_split_mrkdwn_keeps_every_character_and_never_splits_an_escape_or_a_link() -> None:
    from cadence.prompts.render import SECTION_TEXT, escape_mrkdwn, split_mrkdwn

    samples = [
        escape_mrkdwn("<" * 2000),  # 8,000 characters, no space anywhere
        "> " + escape_mrkdwn("a&b " * 900),  # one long quoted line
        "*Question*\n" + "\n".join("> " + "x" * 1500 for _ in range(3)),
        "see <https://example.com/a|the message> " * 200,
    ]
    for text_ in samples:
        pieces = split_mrkdwn(text_)
        assert all(0 < len(p) <= SECTION_TEXT for p in pieces)
        for p in pieces:
            assert "<" not in p or p.rfind("<") < p.rfind(">")  # a link ends where it starts
            tail = p[-5:]
            assert "&" not in tail or ";" in tail[tail.rindex("&") :]
        # Nothing lost: the pieces, with their cut quote prefixes removed, give the text back.
        rejoined = "".join(pieces).replace("> ", "").replace("\n", "")
        assert rejoined == text_.replace("> ", "").replace("\n", "")


def test_round_results_too_long_for_one_message_arrive_in_several(
    big_org: Deps,  # noqa: F811
    fake: FakeSlack,
    http_app: HttpApp,
    sender: OutboxSender,
    clock: FixedClock,
) -> None:
    from cadence.services.rounds import run_rounds
    from tests.test_rounds import PEERS, answer, round_values, start_round

    start_round(http_app, fake, round_values(["U0ANA"], ["self", "manager", "peer"], PEERS))
    sender.drain()
    comments = {who: who + "&" * 1990 for who in ["U0ANA", "U0LEAD", *PEERS]}
    for who, comment in comments.items():
        answer(http_app, fake, who, "4", comment)
    fake.clear()
    clock.set(datetime(2026, 12, 4, 17, 5, tzinfo=UTC))
    assert run_rounds(big_org, clock.now()).counts["results queued"] == 1
    sender.drain()
    parts = fake.messages_to("U0LEAD")
    results = [p for p in parts if "Feedback results" in str(p.args.get("text"))]
    assert len(results) >= 2 and all(len(p.args["blocks"]) <= 50 for p in results)
    shown = _shown(fake, "U0LEAD")
    for comment in comments.values():
        assert comment.replace("&", "&amp;") in shown
    # The share button comes once, at the end.
    buttons = [
        el
        for p in results
        for b in p.args["blocks"]
        for el in b.get("elements") or []
        if isinstance(el, dict) and el.get("action_id") == ids.ROUND_RELEASE
    ]
    assert len(buttons) == 1 and results[-1].args["blocks"][-1]["type"] == "actions"
