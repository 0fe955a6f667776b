"""Alembic environment: run with a connection handed in by storage.db.migrate(), or from the
alembic command line (alembic.ini at the project root) for authoring new revisions, on
`-x url=...`, else DATABASE_URL, else the default SQLite file."""

from __future__ import annotations

import os

from alembic import context
from sqlmodel import SQLModel

import cadence.storage.models  # noqa: F401  (registers the tables)
from cadence.storage.db import make_engine

target_metadata = SQLModel.metadata


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or os.environ.get(
        "DATABASE_URL", "sqlite:///cadence.db"
    )
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
            conn.commit()
    finally:
        engine.dispose()
