"""The replay store: which signed requests were already served, shared by every replica
through the database."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import col

from cadence.storage.models import SeenRequest

# Slack's signature window is 5 minutes either way; a signature older than this can no longer
# pass verification, so it need not be remembered.
KEEP_SECONDS = 600

_last_purge = [0]  # the minute this process last deleted expired signatures


def first_sighting(engine: Engine, signature: str, request_ts: int, now_ts: int) -> bool:
    """Record the signature; False when it was recorded before (a replay). Once a minute per
    process the same transaction deletes signatures older than KEEP_SECONDS."""
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(SeenRequest)
        .values(signature=signature, request_ts=request_ts)
        .on_conflict_do_nothing(index_elements=["signature"])
        .returning(col(SeenRequest.signature))  # a row back only when it was new
    )
    with engine.begin() as conn:
        if now_ts // 60 != _last_purge[0]:
            _last_purge[0] = now_ts // 60
            conn.execute(
                delete(SeenRequest).where(col(SeenRequest.request_ts) < now_ts - KEEP_SECONDS)
            )
        return conn.execute(stmt).first() is not None
