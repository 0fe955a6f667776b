"""The outbox sender against the fake Slack Web API over HTTP, on a real database (SQLite, and
PostgreSQL when CADENCE_TEST_POSTGRES_URL is set): Retry-After, retries, permanent errors,
idempotence, a crash between send and mark, two senders at once, and chat.update ordering."""

from __future__ import annotations

import collections
import math
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from cadence.delivery.gateway import Posted, SlackCallError, SlackGateway, SlackUser, Upload
from cadence.delivery.pacing import Foreground, Pacer
from cadence.delivery.sender import LEASE, OutboxSender
from cadence.domain.clock import FixedClock
from cadence.services.checkins import prompt_key, send_weekly_checkins, skip_week
from cadence.services.deps import Deps
from cadence.storage import repo
from cadence.storage.db import read_scope, session_scope
from cadence.storage.models import Delivery
from tests.fakeslack import FakeSlack

PERIOD = "2026-W47"  # the week the `clock` fixture's Friday belongs to


def user(i: int) -> str:
    return f"U{i:05d}"


def message(i: int) -> repo.OutgoingMessage:
    text = f"Hello {user(i)}, a test message"
    return repo.OutgoingMessage(
        key=f"test:{user(i)}",
        kind="test",
        recipient=user(i),
        payload={
            "text": text,
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        },
    )


def enqueue(deps: Deps, n: int, start: int = 0) -> None:
    with session_scope(deps.engine) as session:
        assert (
            repo.enqueue(
                [message(i) for i in range(start, start + n)], deps.clock.now(), session=session
            )
            == n
        )


def rows(engine: Engine) -> dict[str, Delivery]:
    with read_scope(engine) as session:
        return {d.key: d for d in session.execute(select(Delivery)).scalars()}


def posts(fake: FakeSlack) -> collections.Counter[str]:
    """Accepted chat.postMessage calls per recipient."""
    return collections.Counter(
        str(c.args["channel"]) for c in fake.calls("chat.postMessage") if c.ok
    )


def make_sender(deps: Deps, gateway: SlackGateway | None = None, **kwargs: Any) -> OutboxSender:
    kwargs.setdefault("workers", 1)
    return OutboxSender(deps.engine, gateway or deps.slack, deps.clock, rate=500, **kwargs)


def wait_until_settled(engine: Engine, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with read_scope(engine) as session:
            counts = repo.outbox_counts(session=session)
        if not counts.get("pending") and not counts.get("sending"):
            return
        time.sleep(0.05)
    raise AssertionError(f"outbox not settled within {timeout}s: {counts}")


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout}s")
        time.sleep(0.01)


# ------------------------------------------------------------------ rate limits


class VirtualTime:
    """Seconds that pass only when the pacer sleeps (the sender's pacers and the fake's token
    bucket share it): a Retry-After costs no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds
            self.sleeps.append(seconds)

    def pacer(self, rate: float) -> Pacer:
        return Pacer(rate, monotonic=self.monotonic, sleep=self.sleep)


def test_429_retry_after_is_honoured_and_nothing_is_lost_or_repeated(
    deps: Deps, fake: FakeSlack
) -> None:
    enqueue(deps, 3)
    fake.fail_next("chat.postMessage", 1, status=429, retry_after=2)
    vt = VirtualTime()
    sender = make_sender(deps, pacing=vt.pacer)
    assert sender.drain() == 3
    calls = fake.calls("chat.postMessage")
    assert [c.status for c in calls] == [429, 200, 200, 200]
    assert max(vt.sleeps) >= 2.0  # the next attempt waited the whole Retry-After
    assert calls[1].args["channel"] == calls[0].args["channel"]  # the same message, retried
    assert posts(fake) == {user(i): 1 for i in range(3)}
    assert {(d.status, d.attempts) for d in rows(deps.engine).values()} == {("sent", 1)}
    assert sender.pacer.rate_limited == 1


def test_under_a_rate_limit_every_429_pauses_everyone_and_each_message_goes_once(
    deps: Deps, fake: FakeSlack
) -> None:
    enqueue(deps, 8)
    vt = VirtualTime()
    fake.rate_limit("chat.postMessage", 5, clock=vt.monotonic)  # a burst of 5, then 429s
    sender = make_sender(deps, pacing=vt.pacer)
    assert sender.drain() == 8
    calls = fake.calls("chat.postMessage")
    limited = [c for c in calls if c.status == 429]
    assert limited, "the fake never rate limited: the test proves nothing"
    # One worker: each 429 is followed by one pause of its whole Retry-After (1 s).
    assert len([s for s in vt.sleeps if s >= 1.0]) == len(limited)
    assert posts(fake) == {user(i): 1 for i in range(8)}
    assert all(d.status == "sent" for d in rows(deps.engine).values())


def test_pacer_settles_just_under_a_token_bucket_limit() -> None:
    """Virtual time: a pacer with a ceiling of 1000/s finds a 50/s limit answered with an
    integer Retry-After in two 429s and then sends at 95-100 % of it."""
    now = [0.0]
    pacer = Pacer(1000.0, monotonic=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))
    tokens, last, limit = 50.0, 0.0, 50.0
    sent = 0
    while sent < 3000:
        pacer.acquire()
        now[0] += 0.002  # the round trip
        tokens = min(limit, tokens + (now[0] - last) * limit)
        last = now[0]
        if tokens >= 1:
            tokens -= 1
            sent += 1
            pacer.sent()
        else:
            pacer.throttled(max(1, math.ceil((1 - tokens) / limit)))
    assert pacer.rate_limited <= 5
    assert 0.95 <= sent / now[0] / limit <= 1.05


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    "fault",
    [{"status": 500}, {"status": 503}, {"disconnect": True}],
    ids=["500", "503", "dropped-connection"],
)
def test_5xx_and_dropped_connections_are_retried_later(
    deps: Deps, fake: FakeSlack, clock: FixedClock, fault: dict[str, Any]
) -> None:
    enqueue(deps, 2)
    fake.fail_next("chat.postMessage", 1, **fault)
    sender = make_sender(deps)
    sender.drain()
    first = rows(deps.engine)[message(0).key]
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.not_before > clock.now() and first.last_error
    assert posts(fake) == {user(1): 1}  # the other message was not held up
    assert sender.stats.retried == 1

    assert sender.drain() == 0  # not due yet: nothing is sent early
    assert len(fake.calls("chat.postMessage")) == 2

    clock.set(first.not_before)
    assert sender.drain() == 1
    assert posts(fake) == {user(0): 1, user(1): 1}
    again = rows(deps.engine)[message(0).key]
    assert (again.status, again.attempts, again.last_error) == ("sent", 2, None)


def test_permanent_errors_fail_with_the_reason_and_the_rest_still_go_out(
    deps: Deps, fake: FakeSlack, clock: FixedClock
) -> None:
    reasons = {
        user(0): "user_not_found",
        user(1): "account_inactive",
        user(2): "messages_tab_disabled",
    }
    for who, error in reasons.items():
        fake.fail_for(who, error)
    enqueue(deps, 5)
    sender = make_sender(deps)
    sender.drain()
    by_recipient = {d.recipient: d for d in rows(deps.engine).values()}
    for who, error in reasons.items():
        assert (by_recipient[who].status, by_recipient[who].last_error) == ("failed", error)
    assert by_recipient[user(3)].status == by_recipient[user(4)].status == "sent"
    assert sender.stats.failed == 3

    clock.set(clock.now() + timedelta(days=1))
    assert sender.drain() == 0  # never retried
    attempts = collections.Counter(str(c.args["channel"]) for c in fake.calls("chat.postMessage"))
    assert attempts == {user(i): 1 for i in range(5)}


@pytest.mark.parametrize(
    ("status", "error", "kind"),
    [
        (200, "fatal_error", "transient"),
        (503, "service_unavailable", "transient"),
        (200, "channel_not_found", "permanent"),
        (429, "ratelimited", "rate_limited"),
    ],
)
def test_every_slack_call_sorts_the_same_error_the_same_way(
    deps: Deps, fake: FakeSlack, status: int, error: str, kind: str
) -> None:
    """A message, a chart upload and a user lookup that meet the same answer from Slack are
    all retried (or all given up): one table decides, whichever call met it."""
    calls: dict[str, Callable[[], object]] = {
        "chat.postMessage": lambda: deps.slack.post_message(user(0), "hi", []),
        "files.getUploadURLExternal": lambda: deps.slack.upload_file(
            user(0), Upload("chart.png", b"png")
        ),
        "users.info": lambda: deps.slack.user_info(user(0)),
    }
    for method, call in calls.items():
        fake.fail_next(method, 1, status=status, error=error)
        with pytest.raises(SlackCallError) as raised:
            call()
        assert (method, raised.value.kind, raised.value.error) == (method, kind, error)


# ------------------------------------------------------------------ idempotence


def test_a_second_drain_and_a_second_job_run_send_nothing(
    org: Deps, fake: FakeSlack, clock: FixedClock
) -> None:
    send_weekly_checkins(org, clock.now())
    sender = make_sender(org)
    assert sender.drain() == 2
    assert posts(fake) == {"U0LEAD": 1, "U0ANA": 1}
    assert sender.drain() == 0
    assert make_sender(org).drain() == 0

    clock.set(clock.now() + timedelta(minutes=30))
    assert send_weekly_checkins(org, clock.now()).counts == {}
    assert make_sender(org).drain() == 0
    assert posts(fake) == {"U0LEAD": 1, "U0ANA": 1}
    assert len(fake.calls("chat.postMessage")) == 2


# ------------------------------------------------------------------ crashes


class ProcessDied(BaseException):
    """The sender's process stops right here (not an Exception: nothing may catch it)."""


class Gateway:
    """Delegates to the real gateway (HTTP to the fake)."""

    def __init__(self, inner: SlackGateway) -> None:
        self.inner = inner

    def post_message(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> Posted:
        return self.inner.post_message(channel, text, blocks)

    def update_message(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]]
    ) -> Posted:
        return self.inner.update_message(channel, ts, text, blocks)

    def upload_file(self, channel: str, upload: Upload, comment: str = "") -> None:
        self.inner.upload_file(channel, upload, comment)

    def user_info(self, user_id: str) -> SlackUser:
        return self.inner.user_info(user_id)

    def iter_users(self) -> Iterator[SlackUser]:
        return self.inner.iter_users()


class DiesAfterSlackAccepts(Gateway):
    """The process dies just after Slack accepted the `nth` message: before it is recorded."""

    def __init__(self, inner: SlackGateway, nth: int) -> None:
        super().__init__(inner)
        self.nth = nth
        self.accepted = 0

    def post_message(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> Posted:
        posted = super().post_message(channel, text, blocks)
        self.accepted += 1
        if self.accepted == self.nth:
            raise ProcessDied
        return posted


def test_a_crash_between_send_and_mark_repeats_at_most_one_message(
    deps: Deps, fake: FakeSlack, clock: FixedClock
) -> None:
    enqueue(deps, 10)
    dying = make_sender(deps, DiesAfterSlackAccepts(deps.slack, nth=3), batch=10)
    with pytest.raises(ProcessDied):
        dying.drain()
    # The dead sender had claimed all ten: two are recorded as sent, one went out unrecorded,
    # seven were never tried.
    statuses = collections.Counter(d.status for d in rows(deps.engine).values())
    assert statuses == {"sent": 2, "sending": 8}

    # The failed sender let go of its claims on its way out: no lease to wait for.
    fresh = make_sender(deps)
    assert fresh.drain() == 8

    delivered = posts(fake)
    assert set(delivered) == {user(i) for i in range(10)}  # nothing lost
    assert sum(delivered.values()) - len(delivered) <= 1  # at most one repeat in total
    assert delivered[user(2)] == 2  # the one in flight when the process died
    assert {d.status for d in rows(deps.engine).values()} == {"sent"}


class FreezesAfterSlackAccepts(Gateway):
    """After Slack accepted `nth` messages the process 'freezes': every thread stops at its next
    step through the gateway (whether it had already sent something or not) until released."""

    def __init__(self, inner: SlackGateway, nth: int) -> None:
        super().__init__(inner)
        self.nth = nth
        self.accepted = 0
        self.lock = threading.Lock()
        self.dead = threading.Event()
        self.released = threading.Event()
        self.frozen = 0

    def _freeze(self) -> None:
        with self.lock:
            self.frozen += 1
        self.released.wait(30)
        raise ConnectionError("the process is gone")

    def post_message(self, channel: str, text: str, blocks: list[dict[str, Any]]) -> Posted:
        if self.dead.is_set():
            self._freeze()
        posted = super().post_message(channel, text, blocks)
        with self.lock:
            self.accepted += 1
            if self.accepted >= self.nth:
                self.dead.set()
        if self.dead.is_set():
            self._freeze()
        return posted


def test_a_crash_with_several_workers_repeats_at_most_one_message_per_worker(
    deps: Deps, fake: FakeSlack, clock: FixedClock
) -> None:
    workers = 3
    enqueue(deps, 40)
    frozen = FreezesAfterSlackAccepts(deps.slack, nth=10)
    dying = make_sender(deps, frozen, workers=workers, batch=40).start()
    try:
        assert frozen.dead.wait(10)
        deadline = time.monotonic() + 10
        while frozen.frozen < workers and time.monotonic() < deadline:
            time.sleep(0.01)
        assert frozen.frozen == workers

        clock.set(clock.now() + LEASE + timedelta(seconds=1))
        make_sender(deps).drain()
        delivered = posts(fake)
        assert set(delivered) == {user(i) for i in range(40)}
        repeats = sum(delivered.values()) - len(delivered)
        assert repeats <= workers  # one per thread at most, whatever the claim size (40)
        assert {d.status for d in rows(deps.engine).values()} == {"sent"}
    finally:
        frozen.released.set()
        dying.stop()
    # The dead sender's late bookkeeping changed nothing: its claims were gone.
    assert {d.status for d in rows(deps.engine).values()} == {"sent"}


# ------------------------------------------------------------------ concurrency


def test_two_senders_draining_one_outbox_send_each_message_exactly_once(
    deps: Deps, fake: FakeSlack
) -> None:
    enqueue(deps, 500)
    senders = [make_sender(deps, workers=4, batch=20) for _ in range(2)]
    for s in senders:
        s.start()
    try:
        wait_until_settled(deps.engine)
    finally:
        for s in senders:
            s.stop()
    assert posts(fake) == {user(i): 1 for i in range(500)}
    assert len(fake.calls("chat.postMessage")) == 500
    assert {d.status for d in rows(deps.engine).values()} == {"sent"}
    assert all(s.stats.sent > 0 for s in senders), [s.stats.sent for s in senders]
    assert sum(s.stats.sent for s in senders) == 500


# ------------------------------------------------------------------ chat.update


def test_an_update_waits_for_its_original_to_be_sent(
    org: Deps, fake: FakeSlack, clock: FixedClock
) -> None:
    send_weekly_checkins(org, clock.now())
    # Another sender has both DMs in flight when Ana skips the week: her DM cannot be
    # withdrawn any more, so the "you skipped" update is queued behind it.
    with session_scope(org.engine) as session:
        in_flight = repo.claim_due(clock.now(), 10, LEASE, session=session)
    assert len(in_flight) == 2
    skip_week(org, "U0ANA", PERIOD)
    update_key = f"update:{prompt_key('U0ANA', PERIOD)}"
    assert rows(org.engine)[update_key].status == "pending"

    sender = make_sender(org)
    sender.drain()
    assert fake.calls("chat.update") == []
    waiting = rows(org.engine)[update_key]
    assert waiting.status == "pending" and waiting.not_before > clock.now()

    # The other sender delivers the DMs.
    for row in in_flight:
        posted = org.slack.post_message(row.recipient, "Hi", [])
        with session_scope(org.engine) as session:
            assert row.id is not None and row.claim_token is not None
            repo.finish(
                row.id,
                row.claim_token,
                status="sent",
                now=clock.now(),
                channel=posted.channel,
                ts=posted.ts,
                session=session,
            )
    sender.drain()
    assert fake.calls("chat.update") == []  # it looks again only when its wait is over

    clock.set(waiting.not_before)
    sender.drain()
    [update] = fake.calls("chat.update")
    [dm] = fake.messages_to("U0ANA")
    assert dm.response is not None
    assert (update.args["channel"], update.args["ts"]) == (
        dm.response["channel"],
        dm.response["ts"],
    )
    assert "skipped" in update.args["text"]
    assert rows(org.engine)[update_key].status == "sent"


def test_an_update_of_a_message_that_was_never_sent_is_skipped(
    org: Deps, fake: FakeSlack, clock: FixedClock
) -> None:
    send_weekly_checkins(org, clock.now())
    skip_week(org, "U0ANA", PERIOD)  # before the sender ran: the DM is withdrawn
    sender = make_sender(org)
    sender.drain()
    assert posts(fake) == {"U0LEAD": 1}
    assert fake.calls("chat.update") == []
    table = rows(org.engine)
    assert table[prompt_key("U0ANA", PERIOD)].status == "skipped"
    update = table[f"update:{prompt_key('U0ANA', PERIOD)}"]
    assert (update.status, update.last_error) == ("skipped", "nothing to update")
    assert sender.stats.skipped == 1


def giving_way(deps: Deps, workers: int, patience: float) -> tuple[OutboxSender, Foreground]:
    """A sender wired as bot.py wires it: it gives way to requests being served."""
    foreground = Foreground()
    sender = OutboxSender(
        deps.engine,
        deps.slack,
        deps.clock,
        rate=500,
        workers=workers,
        foreground=foreground,
        patience=patience,
    )
    return sender, foreground


def test_the_sender_gives_way_while_a_request_is_being_served(deps: Deps, fake: FakeSlack) -> None:
    enqueue(deps, 1)
    sender, foreground = giving_way(deps, workers=2, patience=10)
    with foreground.serving():
        sender.start()
        wait_until(lambda: foreground.waiting == 1)  # the message in hand, held back
        assert fake.calls("chat.postMessage") == []  # nothing goes out mid-request
    try:
        [sent] = fake.wait_for("chat.postMessage", 1, timeout=3)  # ... and goes right after
    finally:
        sender.stop()
    assert sent.args["channel"] == user(0)


def test_a_stream_of_requests_slows_the_sender_but_never_stops_it(
    deps: Deps, fake: FakeSlack
) -> None:
    enqueue(deps, 3)
    sender, foreground = giving_way(deps, workers=1, patience=0.2)
    with foreground.serving():  # never a quiet moment
        t0 = time.monotonic()
        sender.start()
        try:
            sent = fake.wait_for("chat.postMessage", 3, timeout=5)
        finally:
            sender.stop()
        took = time.monotonic() - t0
    assert sorted(c.args["channel"] for c in sent) == [user(0), user(1), user(2)]
    assert took >= 0.5  # each one waited its patience first


def test_while_requests_are_served_the_sender_claims_no_more_than_it_can_send(
    deps: Deps, fake: FakeSlack
) -> None:
    enqueue(deps, 50)
    sender, foreground = giving_way(deps, workers=2, patience=10)
    with foreground.serving():
        sender.start()
        wait_until(lambda: foreground.waiting == 2)  # each worker holds a message back
        claimed = [d for d in rows(deps.engine).values() if d.status == "sending"]
        # One in hand and one queued per worker, not a whole batch held under the write lock
        # and the lease (50 at this rate when no request is in progress).
        assert len(claimed) == 4
    try:
        fake.wait_for("chat.postMessage", 50, timeout=10)
    finally:
        sender.stop()
