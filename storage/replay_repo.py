"""The replay store: which signed requests were already served, shared by every replica
through the database."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from cadence.storage.db import GroupCommit
from cadence.storage.models import SeenRequest

# Slack's signature window is 5 minutes either way; a signature older than this can no longer
# pass verification, so it need not be remembered.
KEEP_SECONDS = 600

_PURGE = delete(SeenRequest).where(col(SeenRequest.request_ts) < bindparam("before"))
_last_purge = [0]  # the minute this process last deleted expired signatures


@functools.cache
def _record(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(SeenRequest)
        .values(signature=bindparam("signature"), request_ts=bindparam("request_ts"))
        .on_conflict_do_nothing(index_elements=["signature"])
        .returning(col(SeenRequest.signature))  # a row back only when it was new
    )


def first_sighting(writes: GroupCommit, signature: str, request_ts: int, now_ts: int) -> bool:
    """Record the signature; False when it was recorded before (a replay). Committed with
    other requests' writes (GroupCommit). Once a minute per process the same transaction
    deletes signatures older than KEEP_SECONDS."""
    purge: list[tuple[Any, dict[str, Any]]] = []
    if now_ts // 60 != _last_purge[0]:
        _last_purge[0] = now_ts // 60
        purge.append((_PURGE, {"before": now_ts - KEEP_SECONDS}))
    params = {"signature": signature, "request_ts": request_ts}
    return writes.probe(_record(writes.dialect), params, purge, order=f"seen:{signature}")
