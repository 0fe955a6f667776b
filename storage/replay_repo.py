"""The replay store: which signed requests were already served, shared by every replica
through the database."""

from __future__ import annotations

import functools
import time
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from cadence.storage.db import GroupCommit
from cadence.storage.models import SeenRequest

# Slack's signature window is 5 minutes either way; a signature older than this can no longer
# pass verification, so it need not be remembered.
KEEP_SECONDS = 600

# Expired signatures go a few at a time, often: deleting a minute's worth at once (12,000 rows
# at 200 requests/s) held the write lock for about 100 ms and stalled every request behind it.
PURGE_EVERY = 0.25  # seconds between purges, per process
PURGE_ROWS = 150  # at most per purge: 600 expired signatures a second, per process
_PURGE = delete(SeenRequest).where(
    col(SeenRequest.signature).in_(
        select(col(SeenRequest.signature))
        .where(col(SeenRequest.request_ts) < bindparam("before"))
        .order_by(col(SeenRequest.request_ts))
        .limit(PURGE_ROWS)
    )
)
_last_purge = [0.0]  # when this process last deleted expired signatures (time.monotonic)


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
    other requests' writes (GroupCommit). Every PURGE_EVERY seconds per process the same
    transaction deletes up to PURGE_ROWS signatures older than KEEP_SECONDS."""
    purge: list[tuple[Any, dict[str, Any]]] = []
    if time.monotonic() - _last_purge[0] >= PURGE_EVERY:
        _last_purge[0] = time.monotonic()
        purge.append((_PURGE, {"before": now_ts - KEEP_SECONDS}))
    params = {"signature": signature, "request_ts": request_ts}
    return writes.probe(_record(writes.dialect), params, purge, order=f"seen:{signature}")
