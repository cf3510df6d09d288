"""Subscribing to an event topic the same way in every service: validate, handle, or dead-letter.

A record that is not a valid envelope goes to `<topic>.dlq` with the reason in its headers and the
consumer carries on. A handler that fails is retried a few times (handlers are idempotent), then the
record is dead-lettered with the error so one poison message never stalls a partition.

`subscribe_events` hands records over one at a time; `subscribe_batches` hands over everything fetched
together (per topic, in order), so a service whose work is mostly writes can make one round trip for many
events. A batch that keeps failing is retried one event at a time, so only the poison event is dead-lettered.
Topics off the path to a notification can be fetched with a longer wait by a second member of the same group
(`quiet_topics`).
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import Any

from aiokafka import TopicPartition
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from prometheus_client import Gauge

from services.contracts.envelope import Envelope
from services.contracts.offsets import CommitBeforeRevoke, OffsetCommits, flush_before_stop
from services.contracts.topics import dlq
from services.contracts.wire import InvalidEvent, decode

log = logging.getLogger("duijie.consumer")

Handler = Callable[[Envelope], Awaitable[None]]
# A batch handler may return work it left running (a tail, e.g. the rest of its writes): the batch's offsets are
# committed once the tail is done, and a failed tail has the batch handed over again (handlers are idempotent).
BatchHandler = Callable[[list[Envelope]], Awaitable[Awaitable[None] | None]]
Tail = tuple[str, list[tuple[Any, Envelope]], Awaitable[None]]  # (topic, the batch, its tail)
REFETCH_SECONDS = 1.0  # the pause before a batch whose handling broke off is fetched again
# Kafka's own measure of a consumer falling behind, on each service's /metrics: an operator alerts on it.
LAG = Gauge("consumer_lag_records", "Records in a partition after the last one the service's consumer group fetched "
            "(as of that fetch)", ["group", "topic", "partition"])


async def dead_letter(broker: KafkaBroker, topic: str, record: Any, reason: str) -> None:
    """Publishes a consumer record (aiokafka's ConsumerRecord) to `<topic>.dlq` with the reason."""
    await broker.publish(
        record.value, dlq(topic), key=getattr(record, "key", None),
        headers={"dlq_reason": reason[:1000], "dlq_topic": topic,
                 "dlq_offset": str(getattr(record, "offset", "")),
                 "dlq_partition": str(getattr(record, "partition", ""))},
    )
    log.warning("dead-lettered a record from %s: %s", topic, reason[:200])


def one_by_one(handler: Handler) -> BatchHandler:
    """A per-event handler used where batches are handed over."""
    async def handle(events: list[Envelope]) -> None:
        for event in events:
            await handler(event)
    return handle


async def _retried(call: Callable[[], Awaitable[None]], attempts: int, what: str) -> Exception | None:
    """Runs `call` up to `attempts` times, backing off in between (handlers are idempotent); None once it
    succeeded, else the last error."""
    for attempt in range(1, attempts + 1):
        try:
            await call()
            return None
        except Exception as error:  # noqa: BLE001 - any handler failure is retried, then dead-lettered
            if attempt == attempts:
                return error
            log.warning("%s failed (attempt %d): %s", what, attempt, error)
            await asyncio.sleep(0.2 * 2**attempt)
    return None


def _rejecter(broker: KafkaBroker, on_dead_letter: Callable[[str], None] | None
             ) -> Callable[[str, Any, str], Awaitable[None]]:
    """Dead-letters a record and counts it."""
    async def reject(topic: str, record: Any, reason: str) -> None:
        await dead_letter(broker, topic, record, reason)
        if on_dead_letter:
            on_dead_letter(topic)
    return reject


async def _records(message: KafkaMessage) -> Any:
    """The body a handler is given: the fetched record itself, or the tuple of records of a batch.

    Handlers take it as their body rather than asking for the message by annotation: FastStream resolves such a
    context parameter in a worker thread, a thread hand-off for every record or batch consumed (6–9 % of the
    registry's and matching's main-thread samples at 20 postings/s)."""
    return message.raw_message


def _failure(error: Exception) -> str:
    return f"handler failed: {type(error).__name__}: {error}"


def subscribe_events(
    broker: KafkaBroker, handlers: dict[str, Handler], group_id: str, *, attempts: int = 3,
    on_dead_letter: Callable[[str], None] | None = None, fetch_max_wait_ms: int = 20,
) -> None:
    """One consumer-group member for all of a service's input topics (one join, one rebalance)."""
    reject = _rejecter(broker, on_dead_letter)

    async def consume(record: Any) -> None:
        handler = handlers[record.topic]
        try:
            envelope = decode(record.value)
        except InvalidEvent as error:
            await reject(record.topic, record, f"invalid event: {error}")
            return
        error = await _retried(lambda: handler(envelope), attempts, f"handler for {record.topic}")
        if error is not None:
            await reject(record.topic, record, _failure(error))

    consume.__name__ = f"consume_{group_id}"
    # A short fetch wait keeps each hop's latency low on brokers that answer a fetch only at its deadline.
    broker.subscriber(*handlers, group_id=group_id, auto_offset_reset="earliest", ack_policy=AckPolicy.ACK,
                      fetch_max_wait_ms=fetch_max_wait_ms, decoder=_records)(consume)


def subscribe_batches(
    broker: KafkaBroker, handlers: dict[str, BatchHandler], group_id: str, *, attempts: int = 3,
    on_dead_letter: Callable[[str], None] | None = None, max_records: int = 100, fetch_max_wait_ms: int = 20,
    linger_seconds: float = 0.0, quiet_topics: Collection[str] = (), quiet_fetch_max_wait_ms: int = 250,
    busy_fetch_max_wait_ms: int | None = None, commit_every_seconds: float = 0.0,
) -> None:
    """Like `subscribe_events`, with everything fetched together handed over per topic; committed after, in the
    background while the next batch is fetched, at most every `commit_every_seconds` (`OffsetCommits`). With
    `linger_seconds`, a fetch starts no sooner than that after the previous batch was handed over (see
    `_without_idle_sleeps`).

    The topics in `quiet_topics` are fetched by a second consumer in the same group, whose fetches wait up to
    `quiet_fetch_max_wait_ms`. The embedded broker (Tansu) keeps reading every topic of a fetch until data comes
    or the wait ends, so each topic costs it CPU on every fetch, whether or not anything arrives, and a record
    waits for a part of the wait: alone, one consumer of one topic took its records after p50 1.3, 2.6, 4.9 and
    15.1 ms with waits of 1, 5, 20 and 100 ms; idle, a consumer of seven topics cost the broker 82–94 ms of CPU
    a second with a 20 ms wait, one of one topic 34–42 ms, seven topics with a 100 ms wait 28–34 ms. So the
    topics a notification waits for get a short wait to themselves, and the others share a long one. The price is
    paid at start-up: on the embedded broker a group of two members first had its partitions assigned after
    14 s, one member alone after 5 s.

    With `busy_fetch_max_wait_ms`, the first lane's fetches wait that long instead while records keep arriving
    (see `_without_idle_sleeps`)."""
    reject = _rejecter(broker, on_dead_letter)

    async def reject_surely(topic: str, record: Any, reason: str) -> None:
        """Dead-letters a record of a batch whose tail failed, retried until the broker takes it: the committer
        waits for the tail (`OffsetCommits`), and would commit past the record were this given up."""
        pause = 0.5
        while True:
            try:
                await reject(topic, record, reason)
                return
            except Exception as error:  # noqa: BLE001 - e.g. the broker unreachable for a while
                log.warning("dead-lettering a record of %s failed, retried in %s s: %s", topic, pause, error)
                await asyncio.sleep(pause)
                pause = min(2 * pause, 30.0)

    async def handle(topic: str, batch: list[tuple[Any, Envelope]],
                     dead: Callable[[str, Any, str], Awaitable[None]] = reject) -> list[Tail]:
        """Hands a batch over (retried, then one event at a time, then dead-lettered with `dead`); returns the tails
        left."""
        handler, events = handlers[topic], [envelope for _, envelope in batch]
        tails: list[Tail] = []

        async def call() -> None:
            if (tail := await handler(events)) is not None:
                tails.append((topic, batch, tail))

        error = await _retried(call, attempts, f"batch handler for {topic}")
        if error is None:
            return tails
        if len(batch) == 1:
            await dead(topic, batch[0][0], _failure(error))
            return []
        for item in batch:  # the batch keeps failing: one event at a time finds the poison one
            tails += await handle(topic, [item], dead)
        return tails

    async def settle(tails: list[Tail], attempt: int = 1) -> None:
        """Waits for tails; a batch whose tail failed is handed over again, dead-lettered after `attempts`."""
        for topic, batch, tail in tails:
            try:
                await tail
                continue
            except Exception as error:  # noqa: BLE001 - handled like a failure of the handler itself
                if attempt >= attempts:
                    for record, _ in batch:
                        await reject_surely(topic, record, _failure(error))
                    continue
                log.warning("the tail of a batch of %s failed (attempt %d): %s", topic, attempt, error)
            await settle(await handle(topic, batch, reject_surely), attempt + 1)

    def lane() -> tuple[Callable[[Any], Awaitable[None]], Callable[[], Awaitable[None] | None], Callable[[], bool]]:
        """A lane's consume function, what gives the tails of the batch it handled last to the committer, and whether
        that batch's handling broke off (e.g. a dead letter the broker refused): it is then fetched again."""
        left: list[Tail] = []
        broke_off = False

        async def consume(records: Any) -> None:
            nonlocal broke_off
            broke_off = True  # until every record was handled or dead-lettered
            by_topic: dict[str, list[tuple[Any, Envelope]]] = {}
            for record in records:
                try:
                    by_topic.setdefault(record.topic, []).append((record, decode(record.value)))
                except InvalidEvent as error:
                    await reject(record.topic, record, f"invalid event: {error}")
            for topic, batch in by_topic.items():
                left.extend(await handle(topic, batch))
            broke_off = False

        def tails() -> Awaitable[None] | None:
            taken = left[:]
            left.clear()
            return asyncio.create_task(settle(taken), name="batch-tails") if taken else None

        consume.__name__ = f"consume_batches_{group_id}"
        return consume, tails, lambda: broke_off

    lanes = [([t for t in handlers if t not in quiet_topics], fetch_max_wait_ms, busy_fetch_max_wait_ms),
             ([t for t in handlers if t in quiet_topics], quiet_fetch_max_wait_ms, None)]
    for lane_topics, wait_ms, busy_wait_ms in lanes:
        if lane_topics:
            # Offsets are committed by `_without_idle_sleeps`, in the background (`OffsetCommits`).
            revoke = CommitBeforeRevoke()
            subscriber = broker.subscriber(*lane_topics, group_id=group_id, auto_offset_reset="earliest",
                                           ack_policy=AckPolicy.MANUAL, fetch_max_wait_ms=wait_ms, batch=True,
                                           max_records=max_records, decoder=_records, listener=revoke)
            consume, tails, broke_off = lane()
            subscriber(consume)
            waits = FetchWaits(idle_ms=wait_ms, busy_ms=busy_wait_ms) if busy_wait_ms is not None else None
            _without_idle_sleeps(subscriber, max_records, linger_seconds, group_id, waits, commit=True, tails=tails,
                                 commit_every=commit_every_seconds, revoke=revoke, broke_off=broke_off)


@dataclass(frozen=True)
class FetchWaits:
    """How long a consumer's fetches wait for records on the broker: `busy_ms` while records keep arriving, `idle_ms`
    once a second has passed without any.

    The embedded broker (Tansu) answers a fetch only when it next looks for records, so a shorter wait hands them
    over sooner, but an idle consumer then asks many times a second for nothing. Measured on the pipeline bench with
    5 ms while busy against 20 ms always (alternating runs): at 10 postings/s p50 26.9 and 25.9 ms against 31.4 and
    34.8, the two hops through the broker 4–8 ms shorter together, for about 7 ms more CPU per posting; at 35/s p50
    39.2 and 38.7 ms at 77–78 % busy against 62.6 and 61.3 at 83 % (one run each way was far off in a slow minute of
    the machine: 136.6 ms at 94 % busy, 37.1 at 70 %). With 5 ms always, an idle stack used 294–301 ms of CPU a
    second against 140–160 ms with 20 ms; going back to 20 ms after a second without records, 171–175. Real Kafka
    answers a fetch as soon as records arrive, so there both waits may be long.
    """
    idle_ms: int
    busy_ms: int


def set_fetch_wait(consumer: Any, wait_ms: int) -> bool:
    """Sets the wait of the consumer's next fetches; False when this aiokafka keeps it elsewhere (the wait then
    stays what the consumer was created with)."""
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is None or not hasattr(fetcher, "_fetch_max_wait_ms"):
        return False
    fetcher._fetch_max_wait_ms = wait_ms
    return True


def fetch_again(consumer: Any, records: tuple[Any, ...]) -> None:
    """Moves the consumer back to the first of `records` on each partition it still holds."""
    first: dict[TopicPartition, int] = {}
    for record in records:
        partition = TopicPartition(record.topic, record.partition)
        first[partition] = min(first.get(partition, record.offset), record.offset)
    held = consumer.assignment()
    for partition, offset in first.items():
        if partition in held:
            consumer.seek(partition, offset)
    log.warning("a batch's handling broke off: its %d records are fetched again", len(records))


def _without_idle_sleeps(subscriber: Any, max_records: int, linger_seconds: float = 0.0, group_id: str = "",
                         waits: FetchWaits | None = None, commit: bool = False,
                         tails: Callable[[], Awaitable[None] | None] = lambda: None,
                         commit_every: float = 0.0, revoke: CommitBeforeRevoke | None = None,
                         broke_off: Callable[[], bool] = lambda: False) -> None:
    """A batch starts as soon as anything is fetched.

    FastStream's batch subscriber polls with `getmany(batch_timeout_ms)` and, after an empty poll, sleeps as long
    again; an event arriving during the sleep waits for it. Its consume loop asks `get_msg` for each batch; this one
    keeps a long `getmany` open instead, which returns as soon as records are there (p50 from publish to handler
    on the embedded broker, random arrivals: 5.1–6.0 ms against 6.8–8.1 ms; per record: 4.9 ms), and an idle
    consumer no longer wakes a hundred times a second.

    With `linger_seconds`, a busy consumer takes what arrived during that time in one batch instead of many small
    ones: the next fetch waits until that long after the previous batch was handed over. An event arriving at an
    idle consumer is still taken at once.

    Each fetch also sets the group's lag on the partitions it read (`LAG`): the partition's high watermark, which
    the broker sends with the records, less the offset after the last record fetched.

    With `waits`, the fetches' wait on the broker follows `FetchWaits`: short after records came, long after a
    second without any.

    With `commit`, the records handed over last are committed (`OffsetCommits`, at most every `commit_every`
    seconds) when the next batch is asked for: FastStream's consume loop asks only once the previous batch's
    handling has ended. What was handled is committed at once before the consumer stops, and before a rebalance
    takes partitions away when the subscriber's listener is `revoke`. A batch whose handling `broke_off` (its
    handler raised: FastStream only logs that) is not committed but fetched again, after `REFETCH_SECONDS`.
    """
    next_fetch = 0.0  # loop time before which no fetch starts
    handed: tuple[Any, ...] = ()  # the batch handed over last
    commits: OffsetCommits | None = None

    async def get_msg(consumer: Any) -> tuple[Any, ...]:
        nonlocal next_fetch, handed, commits
        loop = asyncio.get_running_loop()
        if commit and handed:
            if commits is None or commits.consumer is not consumer:
                commits = OffsetCommits(consumer, commit_every)
                flush_before_stop(consumer, commits)
                if revoke is not None:
                    revoke.commits = commits
            broken = broke_off()
            if broken:
                fetch_again(consumer, handed)
                next_fetch = loop.time() + REFETCH_SECONDS
            commits.handled(() if broken else handed, tails())
            handed = ()
        if (wait := next_fetch - loop.time()) > 0:
            await asyncio.sleep(wait)
        while True:
            fetched = await consumer.getmany(timeout_ms=1000, max_records=max_records)
            if waits is not None:
                set_fetch_wait(consumer, waits.busy_ms if fetched else waits.idle_ms)
            if fetched:
                next_fetch = loop.time() + linger_seconds
                for partition, records in fetched.items():
                    if records and (highwater := consumer.highwater(partition)) is not None:
                        LAG.labels(group_id, partition.topic, str(partition.partition)).set(
                            max(0, highwater - records[-1].offset - 1))
                handed = tuple(record for records in fetched.values() for record in records)
                return handed

    subscriber.get_msg = get_msg
