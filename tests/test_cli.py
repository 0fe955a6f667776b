"""The operator contract: `python bot.py ...` commands, exit codes and messages."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from cadence import bot
from cadence.config import PROJECT_ROOT
from cadence.storage.db import make_engine, read_scope
from cadence.storage.models import Delivery, Person
from tests.conftest import ORG, ORG_HEADER, PG_SECRET_KEY
from tests.fakeslack import FakeSlack


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, db_url: str, fake: FakeSlack) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("SLACK_", "CADENCE_")) or name in {
            "DATABASE_URL",
            "PORT",
            "ROLES_FILE",
            "QUESTION_SETS_FILE",
        }:
            monkeypatch.delenv(name)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-cli-test")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("SLACK_API_URL", fake.url)
    monkeypatch.setenv("CADENCE_SEND_RATE", "500")
    if not db_url.startswith("sqlite"):
        monkeypatch.setenv("CADENCE_SECRET_KEY", PG_SECRET_KEY)
    return tmp_path


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stderr
    sys.stderr = err
    try:
        code = bot.main(list(argv), out=out)
    finally:
        sys.stderr = old
    return code, out.getvalue(), err.getvalue()


def people(db_url: str) -> dict[str, Person]:
    engine = make_engine(db_url)
    with read_scope(engine) as s:
        found = {p.slack_id: p for p in s.execute(select(Person)).scalars()}
    engine.dispose()
    return found


def test_import_org_upserts_and_deactivates_missing_people(env: Path, db_url: str) -> None:
    (env / "org.csv").write_text(ORG)
    code, out, _ = run("import-org", "org.csv")
    assert code == 0 and "5 new" in out
    first = people(db_url)
    assert first["U0ANA"].manager_id == first["U0LEAD"].id
    # Cat leaves; Ana changes role; re-import.
    lines = [line for line in ORG.splitlines() if not line.startswith("U0CAT")]
    lines = [line.replace("U0LEAD,support", "U0LEAD,sales") for line in lines]
    (env / "org.csv").write_text("\n".join(lines) + "\n")
    code, out, _ = run("import-org", "org.csv")
    assert code == 0 and "1 changed" in out and "1 deactivated" in out
    second = people(db_url)
    assert second["U0CAT"].active is False  # kept, with its history
    assert second["U0ANA"].role == "sales"
    assert second["U0ANA"].id == first["U0ANA"].id


def test_bad_org_file_reports_every_line_and_writes_nothing(env: Path, db_url: str) -> None:
    (env / "org.csv").write_text(ORG)
    assert run("import-org", "org.csv")[0] == 0
    bad = ORG_HEADER + (
        "U0LEAD,lea@example.com,Lea Lead,U0DAN,engineering,Europe/Paris,true\n"  # line 2: cycle
        "U0ANA,ana-at-example.com,Ana Agent,U0LEAD,support,Europe/Paris,false\n"  # 3: email
        "U0BEN,ben@example.com,Ben Builder,U0GHOST,engineering,America/New_York,false\n"  # 4
        "U0CAT,cat@example.com,Cat Closer,U0BEN,astronaut,Pacific/Honolulu,false\n"  # 5: role
        "U0DAN,dan@example.com,Dan Dev,U0LEAD,engineering,Mars/Olympus,false\n"  # 6: zone
        "U0DAN,dan2@example.com,Dan Two,U0LEAD,engineering,UTC,false\n"  # 7: duplicate
    )
    (env / "bad.csv").write_text(bad)
    code, _, err = run("import-org", "bad.csv")
    assert code != 0
    for expected in [
        "line 2: management cycle",
        "line 3: malformed email",
        "line 4: unknown manager U0GHOST",
        "line 5: unknown role 'astronaut'",
        "line 6: invalid time zone 'Mars/Olympus'",
        "line 7: duplicate slack_id U0DAN (first on line 6)",
    ]:
        assert expected in err, expected
    after = people(db_url)
    assert after["U0ANA"].email == "ana@example.com" and after["U0LEAD"].manager_id is None
    (env / "header.csv").write_text("id,mail\nU1,a@b.c\n")
    code, _, err = run("import-org", "header.csv")
    assert code != 0 and "line 1: wrong header" in err


def test_empty_timezone_is_filled_from_slack_when_first_needed(
    env: Path, db_url: str, fake: FakeSlack
) -> None:
    (env / "org.csv").write_text(ORG_HEADER + "U0ZED,zed@example.com,Zed,,support,,false\n")
    run("import-org", "org.csv")
    fake.add_user("U0ZED", tz="Asia/Tokyo")
    # Friday 15:00 in Tokyo is 06:00 UTC.
    code, out, _ = run("run-job", "checkins", "--at", "2026-11-20T06:00:00+00:00")
    assert code == 0, out
    assert people(db_url)["U0ZED"].timezone == "Asia/Tokyo"
    assert len(fake.messages_to("U0ZED")) == 1
    assert [c.args["user"] for c in fake.calls("users.info")].count("U0ZED") >= 1


def test_run_job_is_idempotent(env: Path, db_url: str, fake: FakeSlack) -> None:
    (env / "org.csv").write_text(ORG)
    run("import-org", "org.csv")
    code, out, _ = run("run-job", "checkins", "--at", "2026-11-20T14:00:00Z")
    assert code == 0 and "queued 2" in out and "sent 2" in out
    code, out, _ = run("run-job", "checkins", "--at", "2026-11-20T14:05:00Z")
    assert code == 0 and "nothing due" in out
    assert fake.count("chat.postMessage") == 2
    code, out, _ = run("run-job", "reminders", "--at", "2026-11-23T09:00:00Z")
    assert code == 0 and "queued 2" in out
    code, _, _ = run("run-job", "reminders", "--at", "2026-11-23T09:10:00Z")
    assert fake.count("chat.postMessage") == 4
    engine = make_engine(db_url)
    with read_scope(engine) as s:
        assert len(s.execute(select(Delivery)).scalars().all()) == 4
    engine.dispose()


def test_run_job_rejects_a_bad_time(env: Path) -> None:
    code, _, err = run("run-job", "checkins", "--at", "next friday")
    assert code == 2 and "ISO-8601" in err


def test_export_checkins_csv(env: Path, db_url: str) -> None:
    from datetime import UTC, date, datetime

    from cadence.domain.checkins import CheckinAnswers
    from cadence.storage import repo
    from cadence.storage.db import session_scope

    (env / "org.csv").write_text(ORG)
    run("import-org", "org.csv")
    engine = make_engine(db_url)
    now = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        ana = repo.person_by_slack_id("U0ANA", session=s)
        assert ana is not None and ana.id is not None
        answers = CheckinAnswers(91, 58, 4, '=HYPERLINK("x")', "none", "docs")
        repo.save_answers(ana.id, "2026-W47", answers, now, session=s)
        repo.mark_skipped(ana.id, "2026-W46", now, session=s)
        repo.mark_away(ana.id, "2026-W45", now, session=s)
        repo.add_absence(ana.id, date(2026, 10, 26), date(2026, 11, 15), now, session=s)
    engine.dispose()
    code, _, err = run("export", "checkins", "--out", "checkins.csv")
    assert code == 0 and "4 check-in rows" in err
    rows = list(csv.DictReader((env / "checkins.csv").open()))
    # Ana's declared absence covers W45 (Slack said away too) and W46 (she skipped it): the
    # stored rows win; W44 is covered by the absence alone.
    assert [(r["slack_id"], r["period"], r["state"]) for r in rows] == [
        ("U0ANA", "2026-W45", "away"),
        ("U0ANA", "2026-W46", "skipped"),
        ("U0ANA", "2026-W47", "answered"),
        ("U0ANA", "2026-W44", "away"),
    ]
    assert rows[2]["quality_value"] == "91" and rows[2]["quality_metric"] == "CSAT"
    assert rows[2]["wins"].startswith("'=")  # a spreadsheet will not run it as a formula


def test_without_tokens_one_sentence_and_no_traceback(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    result = subprocess.run(  # noqa: S603
        [sys.executable, str(PROJECT_ROOT / "bot.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN is not set" in result.stderr
    assert "OAuth & Permissions" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_bad_roles_file_fails_at_startup(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (env / "roles.toml").write_text("[support]\ntitle = 'x'\n")
    monkeypatch.setenv("ROLES_FILE", str(env / "roles.toml"))
    code, _, err = run("migrate")
    assert code == 2
    assert "roles.toml: role 'support'" in err and "quality" in err


def test_dotenv_is_read_and_the_environment_wins(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    (env / ".env").write_text("SLACK_BOT_TOKEN=not-a-bot-token\n")
    code, _, err = run("run-job", "checkins")
    assert code == 2 and "xoxb-" in err
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    assert run("run-job", "checkins", "--at", "2026-11-20T14:00:00Z")[0] == 0


def test_relative_roles_and_question_sets_files_are_read_from_the_working_directory(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cadence.domain.clock import FixedClock
    from cadence.services.rounds import open_round_modal

    (env / "org.csv").write_text(ORG)
    assert run("import-org", "org.csv")[0] == 0
    (env / "ops").mkdir()
    (env / "ops" / "roles.toml").write_text((PROJECT_ROOT / "roles.toml").read_text())
    (env / "ops" / "questions.toml").write_text(
        "[exit]\ntitle = 'Exit interview'\nopen = ['What should we keep?']\n"
    )
    monkeypatch.setenv("ROLES_FILE", "ops/roles.toml")
    monkeypatch.setenv("QUESTION_SETS_FILE", "ops/questions.toml")
    settings = bot._settings()
    assert settings.roles_file == env / "ops" / "roles.toml"
    deps = bot.build_deps(settings, FixedClock(datetime(2026, 11, 20, 14, tzinfo=UTC)))
    view = json.dumps(open_round_modal(deps, "U0LEAD").view)
    assert "Exit interview" in view and "Competencies + keep / change" not in view
    deps.engine.dispose()


def test_without_roles_file_the_shipped_roles_are_used(env: Path) -> None:
    # No roles.toml in the working directory, ROLES_FILE unset or empty: the packaged file.
    assert not (env / "roles.toml").exists()
    assert run("migrate")[0] == 0
    os.environ["ROLES_FILE"] = ""
    try:
        assert bot._settings().roles_file.read_text() == (PROJECT_ROOT / "roles.toml").read_text()
    finally:
        del os.environ["ROLES_FILE"]


def test_bad_question_sets_file_fails_at_startup(
    env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (env / "questions.toml").write_text("[empty]\ntitle = 'Nothing'\n")
    monkeypatch.setenv("QUESTION_SETS_FILE", "questions.toml")
    code, _, err = run("migrate")
    assert code == 2
    assert err.startswith("Bad question sets file:") and "[empty] asks nothing" in err


def test_serve_says_in_one_sentence_when_slack_refuses_the_token_or_cannot_be_reached(
    env: Path, fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.fail_next("auth.test", status=200, error="invalid_auth")
    code, _, err = run("serve")
    assert code == 2
    assert err.strip().splitlines() == [
        f"Slack did not accept the bot token at start (invalid_auth from {fake.url}auth.test): "
        "check SLACK_BOT_TOKEN, SLACK_API_URL and the network; `python bot.py doctor` says more."
    ]
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    monkeypatch.setenv("SLACK_API_URL", f"http://127.0.0.1:{closed}/api/")
    code, _, err = run("serve")
    assert code == 2 and "Traceback" not in err and "(no answer from http://127.0.0.1" in err
    assert "xoxb-cli-test" not in err
