"""The models and the migrations agree, on a freshly migrated database of each engine, and
the next migration can be generated from the project root (alembic.ini)."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from cadence.config import PROJECT_ROOT


def test_a_migrated_database_has_exactly_the_tables_the_models_declare(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_alembic_check_from_the_project_root_finds_nothing_to_generate(
    db_url: str, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    command.check(Config(str(PROJECT_ROOT / "alembic.ini")))  # raises when they disagree
