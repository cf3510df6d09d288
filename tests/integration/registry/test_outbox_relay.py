"""The relay, on the embedded database with a recording broker: what it published is never published again by it, is no
longer backlog, and moves to `outbox_sent` together a moment later (or when the relay stops); a commit while the
relay is busy is handed to it and published at once, not at the next poll; of two replicas only the lease holder
publishes, and the other takes over what is left once that lease runs out. Rows this process commits are handed to
the relay and, once it has caught up, published without reading the outbox; another replica's rows wait for a read; a
failed publish makes it read again; nothing handed over is published twice."""

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import pytest
from aiokafka.errors import MessageSizeTooLargeError

from deploy.stack import Stack
from services.contracts.broker import kafka_broker
from services.contracts.envelope import new_event
from services.registry import outbox
from services.registry.db import Database
from services.registry.outbox import Relay
from tests.support.api import eventually

pytestmark = pytest.mark.integration


class RecordingBroker:
    """Records each publish; `hold` keeps the next publishes from completing until released (`held` counts the
    publishes waiting on it); `failures` fail that many next publishes; `on_publish` runs before each one."""

    def __init__(self) -> None:
        self.published: list[tuple[str, bytes]] = []
        self.hold: asyncio.Event | None = None
        self.held = 0
        self.failures = 0
        self.on_publish: Callable[[], None] | None = None
        self.too_large: set[bytes] = set()  # keys the producer refuses before sending
        self.refused: set[bytes] = set()  # keys the broker answers MESSAGE_SIZE_TOO_LARGE for

    async def publish(self, value: bytes, topic: str, *, key: bytes, headers: dict, no_confirm: bool) -> object:
        if self.on_publish is not None:
            self.on_publish()
        if key in self.too_large:
            raise MessageSizeTooLargeError(f"the message is {len(value)} bytes")
        if self.hold is not None:
            self.held += 1
            await self.hold.wait()
        done = asyncio.get_running_loop().create_future()
        if self.failures:
            self.failures -= 1
            done.set_exception(ConnectionError("broker unavailable"))
            return done
        if key in self.refused:
            done.set_exception(MessageSizeTooLargeError())
            return done
        self.published.append((topic, key))
        done.set_result(None)
        return done


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[Database]:
    database = Database(stack.mongo_url, f"relay_{uuid.uuid4().hex[:8]}")  # its own lease, apart from the stack's
    yield database
    await database.client.drop_database(database.db.name)
    await database.close()


@asynccontextmanager
async def running(db: Database) -> AsyncIterator[tuple[Relay, RecordingBroker]]:
    """A started relay (polling only every 30 s) once it holds the lease and has read the empty outbox."""
    broker = RecordingBroker()
    relay = Relay(db, broker, "", batch=50, poll_seconds=30.0, log_seconds=60.0)  # type: ignore[arg-type]
    relay.start()
    try:
        await eventually(lambda: _lease_taken(db), within=5)
        yield relay, broker
    finally:
        await relay.stop()


async def record(db: Database, subject: str) -> dict:
    """Commits an event's row, as any replica does; the row is handed to a relay only where a test does so."""
    async with db.transaction() as session:
        event = new_event("need.created", subject, {"id": subject}, source="/test")
        return await outbox.record(db, session, "registry.needs.v1", event)


async def rows(db: Database, collection: str) -> list[str]:
    return [row["key"] for row in await db[collection].find({}, {"key": 1}).sort("_id", 1).to_list()]


async def test_published_rows_are_left_out_then_moved_to_the_log_together(db: Database) -> None:
    broker = RecordingBroker()
    relay = Relay(db, broker, "", batch=50, poll_seconds=10.0, log_seconds=0.3)  # type: ignore[arg-type]
    for subject in ("need_1", "need_2"):
        await record(db, subject)
    assert await relay.publish_pending() == 2
    assert await relay.publish_pending() == 0, "what it published is not read again"
    assert await relay.backlog() == 0
    assert await rows(db, "outbox") == ["need_1", "need_2"] and await rows(db, "outbox_sent") == []
    await record(db, "need_3")
    assert await relay.publish_pending() == 1
    assert [key for _, key in broker.published] == [b"need_1", b"need_2", b"need_3"]

    relay.start()
    try:
        await eventually(lambda: _moved(db, ["need_1", "need_2", "need_3"]), within=5)
    finally:
        await relay.stop()
    assert len(broker.published) == 3


async def test_stopping_moves_what_was_published(db: Database) -> None:
    relay = Relay(db, RecordingBroker(), "", batch=50, poll_seconds=10.0, log_seconds=60.0)  # type: ignore[arg-type]
    await record(db, "need_1")
    await relay.publish_pending()
    await relay.stop()
    assert await rows(db, "outbox") == [] and await rows(db, "outbox_sent") == ["need_1"]


async def test_a_commit_while_the_relay_is_busy_is_published_without_waiting_for_the_next_poll(db: Database) -> None:
    async with running(db) as (relay, broker):
        broker.hold = asyncio.Event()
        relay.committed([await record(db, "need_1")])
        await eventually(lambda: _held(broker), within=5, every=0.01)  # the relay took need_1 and waits
        relay.committed([await record(db, "need_2")])  # committed while the relay waits on the broker
        broker.hold.set()
        started = time.monotonic()
        await eventually(lambda: _count(broker, 2), within=5, every=0.01)
        assert time.monotonic() - started < 2.0
        assert [key for _, key in broker.published] == [b"need_1", b"need_2"]


async def test_the_second_replica_publishes_only_what_the_first_left_once_its_lease_ran_out(db: Database) -> None:
    first_broker, second_broker = RecordingBroker(), RecordingBroker()
    first = Relay(db, first_broker, "", batch=50, poll_seconds=0.1, log_seconds=0.05)  # type: ignore[arg-type]
    second = Relay(db, second_broker, "", batch=50, poll_seconds=0.1, log_seconds=0.05)  # type: ignore[arg-type]
    first.LEASE_SECONDS = second.LEASE_SECONDS = 1.0
    first.start()
    await eventually(lambda: _lease_taken(db), within=5)
    second.start()
    try:
        for subject in ("need_1", "need_2"):
            await record(db, subject)
        await eventually(lambda: _moved(db, ["need_1", "need_2"]), within=5)
        await first.stop()  # its published rows are moved; its lease runs on for up to a second
        await record(db, "need_3")
        await eventually(lambda: _count(second_broker, 1), within=5)
        await eventually(lambda: _moved(db, ["need_1", "need_2", "need_3"]), within=5)
    finally:
        await second.stop()
    assert [key for _, key in first_broker.published] == [b"need_1", b"need_2"]
    assert [key for _, key in second_broker.published] == [b"need_3"]


async def test_rows_handed_over_go_out_without_a_read_and_another_replicas_rows_at_the_next_read(
        db: Database) -> None:
    async with running(db) as (relay, broker):
        await record(db, "need_of_another_replica")  # committed elsewhere: not handed to this relay
        relay.committed([await record(db, "need_1")])
        await eventually(lambda: _count(broker, 1), within=5, every=0.01)
        await asyncio.sleep(0.2)
        assert [key for _, key in broker.published] == [b"need_1"], "published without reading the outbox"
        relay.wake()  # what a poll does
        await eventually(lambda: _count(broker, 2), within=5, every=0.01)
        relay.committed([await record(db, "need_2")])
        await eventually(lambda: _count(broker, 3), within=5, every=0.01)
        await asyncio.sleep(0.2)
    assert [key for _, key in broker.published] == [b"need_1", b"need_of_another_replica", b"need_2"]


async def test_rows_handed_over_while_published_rows_move_to_the_log_cost_no_read(db: Database) -> None:
    """A commit while the relay moves published rows to the log (or looks whether any are due) wakes it for rows
    that same round then takes: the next round has nothing handed over and, caught up with no poll due, reads
    nothing (it read the outbox each time: six reads here instead of one)."""
    broker = RecordingBroker()
    relay = Relay(db, broker, "", batch=50, poll_seconds=30.0, log_seconds=60.0)  # type: ignore[arg-type]
    reads = 0
    read, move = relay.publish_pending, relay.log_published
    handed: list[dict] = []

    async def counted() -> int:
        nonlocal reads
        reads += 1
        return await read()

    async def moving(now: float | None = None) -> None:
        if handed:
            relay.committed([handed.pop()])  # committed while the relay moves what it published
        await move(now)

    relay.publish_pending, relay.log_published = counted, moving  # type: ignore[method-assign]
    relay.start()
    try:
        await eventually(lambda: _lease_taken(db), within=5)
        await eventually(lambda: _reads_at_least(lambda: reads, 1), within=5, every=0.01)  # the first poll
        for i in range(1, 6):
            handed.append(await record(db, f"need_{i}"))
            relay.committed([await record(db, f"need_{i}_alone")])  # wakes the relay, which then moves and takes both
            await eventually(lambda i=i: _count(broker, 2 * i), within=5, every=0.01)
        await asyncio.sleep(0.2)
    finally:
        await relay.stop()
    assert reads == 1
    assert sorted(key for _, key in broker.published) == sorted(
        f"need_{i}{alone}".encode() for i in range(1, 6) for alone in ("", "_alone"))


async def _reads_at_least(reads: Callable[[], int], n: int) -> bool:
    return reads() >= n


async def test_after_a_failed_publish_the_relay_reads_the_outbox_and_keeps_the_order(db: Database) -> None:
    async with running(db) as (relay, broker):
        broker.failures = 1
        relay.committed([await record(db, "need_1")])
        await eventually(lambda: _failed(broker), within=5, every=0.01)
        relay.committed([await record(db, "need_2")])  # handed over before the relay has read need_1 back
        await eventually(lambda: _count(broker, 2), within=5, every=0.01)
        await asyncio.sleep(0.3)
    assert [key for _, key in broker.published] == [b"need_1", b"need_2"]


async def test_a_row_handed_over_after_a_read_found_it_is_not_published_again(db: Database) -> None:
    broker = RecordingBroker()
    relay = Relay(db, broker, "", batch=50, poll_seconds=30.0, log_seconds=60.0)  # type: ignore[arg-type]
    assert await relay.publish_pending() == 0
    row = await record(db, "need_1")
    broker.on_publish = lambda: relay.committed([row])  # its commit returned while the relay published it
    assert await relay.publish_pending() == 1
    broker.on_publish = None
    await relay.log_published()  # moved to the log, so no longer among the rows reads leave out
    assert await relay.publish_committed() == 0
    relay.committed([await record(db, "need_2")])
    assert await relay.publish_committed() == 1
    assert [key for _, key in broker.published] == [b"need_1", b"need_2"]


async def test_a_row_no_broker_takes_is_parked_and_the_rows_after_it_go_out_in_order(db: Database) -> None:
    broker = RecordingBroker()
    broker.too_large, broker.refused = {b"need_2"}, {b"need_4"}
    relay = Relay(db, broker, "", batch=50, poll_seconds=10.0, log_seconds=0.0)  # type: ignore[arg-type]
    for i in range(1, 6):
        await record(db, f"need_{i}")
    assert await relay.publish_pending() == 5
    await relay.log_published()
    assert [key for _, key in broker.published] == [b"need_1", b"need_3", b"need_5"]
    assert await rows(db, "outbox") == [] and await rows(db, "outbox_sent") == ["need_1", "need_3", "need_5"]
    parked = await db["outbox_parked"].find({}).sort("_id", 1).to_list()
    assert [row["key"] for row in parked] == ["need_2", "need_4"]
    assert all(row["error"].startswith("MessageSizeTooLargeError") for row in parked)
    assert relay.published == 3


async def test_an_event_over_the_brokers_limit_holds_up_nothing_on_the_real_broker(db: Database, stack: Stack) -> None:
    broker = kafka_broker(stack.bootstrap, "relay-test")
    await broker.start()
    try:
        relay = Relay(db, broker, f"relay{uuid.uuid4().hex[:6]}.", batch=50, poll_seconds=10.0, log_seconds=0.0)
        await record(db, "need_small")
        async with db.transaction() as session:
            huge = new_event("need.created", "need_huge", {"id": "need_huge", "text": "x" * 2_000_000}, source="/t")
            await outbox.record(db, session, "registry.needs.v1", huge)
        await record(db, "need_after")
        assert await relay.publish_pending() == 3
        await relay.log_published()
    finally:
        await broker.stop()
    assert await rows(db, "outbox_sent") == ["need_small", "need_after"]
    assert await rows(db, "outbox_parked") == ["need_huge"] and await rows(db, "outbox") == []


async def _failed(broker: RecordingBroker) -> bool:
    return broker.failures == 0


async def _moved(db: Database, subjects: list[str]) -> bool:
    return await rows(db, "outbox") == [] and await rows(db, "outbox_sent") == subjects


async def _lease_taken(db: Database) -> bool:
    return await db["leases"].find_one({"_id": "outbox-relay"}) is not None


async def _held(broker: RecordingBroker) -> bool:
    return broker.held > 0


async def _count(broker: RecordingBroker, n: int) -> bool:
    return len(broker.published) >= n
