"""`python bot.py doctor`: one sentence per problem (tokens against auth.test, scopes against
the manifest, database and revision, roles and question sets), exit 1 when anything is wrong,
and nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from cadence.config import PROJECT_ROOT
from cadence.services.doctor import manifest_bot_scopes
from cadence.storage.db import make_engine
from tests.fakeslack import FakeSlack
from tests.fakeslack.server import DEFAULT_SCOPES
from tests.test_cli import env, run  # noqa: F401  (env: the CLI fixture)


def problems(out: str) -> list[str]:
    return [line.removeprefix("FIX   ") for line in out.splitlines() if line.startswith("FIX ")]


def test_manifest_scopes_are_read_and_the_fake_grants_them() -> None:
    scopes = manifest_bot_scopes((PROJECT_ROOT / "manifest.yml").read_text())
    assert scopes == {"chat:write", "commands", "users:read", "users:read.email", "files:write"}
    assert scopes == set(DEFAULT_SCOPES)


def test_a_healthy_install_is_ready(env: Path) -> None:  # noqa: F811
    assert run("migrate")[0] == 0
    code, out, _ = run("doctor")
    assert code == 0, out
    assert problems(out) == []
    assert "SLACK_BOT_TOKEN works" in out and "newest revision" in out
    assert out.strip().endswith("Cadence is ready to run.")


def test_a_refused_token_is_named(env: Path, fake: FakeSlack) -> None:  # noqa: F811
    assert run("migrate")[0] == 0
    fake.fail_next("auth.test", status=200, error="invalid_auth")
    code, out, _ = run("doctor")
    assert code == 1
    assert problems(out) == [
        "Slack refused SLACK_BOT_TOKEN (invalid_auth): copy the Bot User OAuth Token (xoxb-...) "
        "again from your Slack app's OAuth & Permissions page."
    ]


def test_a_missing_token_is_named_without_calling_slack(
    env: Path,  # noqa: F811
    fake: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    code, out, _ = run("doctor")
    assert code == 1
    assert any(p.startswith("SLACK_BOT_TOKEN is not set") for p in problems(out))
    assert fake.calls("auth.test") == []


def test_missing_scopes_are_listed(env: Path, fake: FakeSlack) -> None:  # noqa: F811
    assert run("migrate")[0] == 0
    fake.scopes = ("chat:write", "commands", "users:read")
    code, out, _ = run("doctor")
    assert code == 1
    [problem] = problems(out)
    assert problem.startswith("The bot token lacks the scope(s) files:write, users:read.email")
    assert "reinstall the app" in problem


def test_an_unmigrated_database_is_named_and_left_alone(env: Path, db_url: str) -> None:  # noqa: F811
    code, out, _ = run("doctor")
    assert code == 1
    [problem] = problems(out)
    assert "has no Cadence tables yet" in problem and "python bot.py migrate" in problem
    engine = make_engine(db_url)
    with engine.connect() as conn:  # doctor changed nothing
        assert "alembic_version" not in engine.dialect.get_table_names(conn)
    engine.dispose()


def test_an_old_revision_is_named(env: Path, db_url: str) -> None:  # noqa: F811
    assert run("migrate")[0] == 0
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0004'"))
    engine.dispose()
    code, out, _ = run("doctor")
    assert code == 1
    [problem] = problems(out)
    assert "is at revision 0004, this Cadence expects" in problem
    assert problem.endswith("run `python bot.py migrate`.")


def test_an_unreachable_database_is_named(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{env}/no/such/dir/cadence.db")
    code, out, _ = run("doctor")
    assert code == 1
    [problem] = problems(out)
    assert (
        problem.startswith("The database at DATABASE_URL=sqlite:///")
        and "cannot be used" in problem
    )


def test_a_bad_roles_file_is_named(env: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    assert run("migrate")[0] == 0
    (env / "roles.toml").write_text("[support]\ntitle = 'x'\n")
    monkeypatch.setenv("ROLES_FILE", "roles.toml")
    code, out, _ = run("doctor")
    assert code == 1
    [problem] = problems(out)
    assert problem.startswith("The roles file is not usable:") and "role 'support'" in problem


def test_the_app_token_is_tried_in_socket_mode(
    env: Path,  # noqa: F811
    fake: FakeSlack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run("migrate")[0] == 0
    monkeypatch.setenv("SLACK_APP_TOKEN", "xapp-1-test")
    code, out, _ = run("doctor")
    assert code == 0 and "SLACK_APP_TOKEN opens Socket Mode connections." in out
    assert [c.token for c in fake.calls("apps.connections.open")] == ["xapp-1-test"]
    fake.fail_next("apps.connections.open", status=200, error="invalid_auth")
    code, out, _ = run("doctor")
    assert code == 1
    [problem] = problems(out)
    assert problem.startswith("Slack refused SLACK_APP_TOKEN (invalid_auth)")
