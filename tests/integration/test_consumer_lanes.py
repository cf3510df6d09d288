"""Topics off the path to a notification are fetched by a second member of the same consumer group, whose fetches
wait longer; records on either lane are handled and committed the same way."""

import asyncio
import uuid

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import NewTopic
from aiokafka.errors import KafkaTimeoutError
from faststream.kafka import KafkaBroker

from deploy.stack import Stack
from services.contracts import topics
from services.contracts.broker import kafka_broker
from services.contracts.consumer import subscribe_batches
from services.contracts.envelope import Envelope, new_event
from services.contracts.wire import encode
from tests.support.api import eventually
from tests.support.kafka import admin_on, producer_on, publish_raw, read_topic


def fetch_waits(broker: KafkaBroker) -> dict[tuple[str, ...], int]:
    return {tuple(t.name for t in s.topics): s._connection_args["fetch_max_wait_ms"] for s in broker.subscribers}


async def nothing(events: list[Envelope]) -> None:
    return None


def test_quiet_topics_get_a_subscriber_of_their_own_with_the_longer_wait() -> None:
    broker = KafkaBroker("127.0.0.1:1")
    subscribe_batches(broker, {"hot": nothing, "calm": nothing, "still": nothing}, "g", fetch_max_wait_ms=20,
                      quiet_topics=["calm", "still"], quiet_fetch_max_wait_ms=300)
    assert fetch_waits(broker) == {("hot",): 20, ("calm", "still"): 300}


def test_without_quiet_topics_one_subscriber_takes_everything() -> None:
    broker = KafkaBroker("127.0.0.1:1")
    subscribe_batches(broker, {"hot": nothing, "warm": nothing}, "g", fetch_max_wait_ms=20)
    assert fetch_waits(broker) == {("hot", "warm"): 20}


PARTITIONS = 2  # of each topic `new_topics` makes


async def new_topics(bootstrap: str, count: int) -> list[str]:
    names = [f"test.lanes.{uuid.uuid4().hex[:8]}" for _ in range(count)]
    async with admin_on(bootstrap) as admin:
        await admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1) for name in names])
    return names


def member_event(subject: str) -> bytes:
    """An event any lane hands over (an organisation's update), encoded as the registry publishes it."""
    return encode(new_event("org.updated", subject, {"id": subject, "version": 1, "name": subject, "kind": "firm"},
                            "/tests/lanes"))


@pytest.mark.integration
async def test_both_lanes_of_one_group_take_their_own_topics_records(stack: Stack) -> None:
    hot, quiet = await new_topics(stack.bootstrap, 2)
    handled: list[tuple[str, str]] = []

    def recorder(topic: str):  # noqa: ANN202
        async def record(events: list[Envelope]) -> None:
            handled.extend((topic, e.subject) for e in events)
        return record

    broker = kafka_broker(stack.bootstrap, "test-lanes")
    subscribe_batches(broker, {hot: recorder(hot), quiet: recorder(quiet)}, f"lanes-{uuid.uuid4().hex[:6]}",
                      quiet_topics=[quiet], quiet_fetch_max_wait_ms=300)
    await broker.start()
    try:
        for topic, subject in ((hot, "h1"), (quiet, "q1"), (hot, "h2")):
            await publish_raw(stack.bootstrap, topic, member_event(subject), key=subject.encode())

        async def all_handled() -> bool:
            return sorted(handled) == sorted([(hot, "h1"), (hot, "h2"), (quiet, "q1")])
        await eventually(all_handled, within=30)
        assigned = {tuple(sorted({tp.topic for tp in s.consumer.assignment()})) for s in broker.subscribers}
        assert assigned == {(hot,), (quiet,)}, "each member of the group holds its own lane's partitions"
    finally:
        await broker.stop()


@pytest.mark.integration
async def test_a_batch_whose_tail_failed_is_handed_over_again(stack: Stack) -> None:
    (topic,) = await new_topics(stack.bootstrap, 1)
    handed: list[list[str]] = []
    tails_run: list[str] = []

    async def handler(events: list[Envelope]) -> asyncio.Task:
        handed.append([e.subject for e in events])

        async def rest() -> None:  # the work the handler leaves running: fails the first time only
            if len(handed) == 1:
                raise ConnectionError("database gone")
            tails_run.append("stored")
        return asyncio.create_task(rest())

    broker = kafka_broker(stack.bootstrap, "test-tails")
    subscribe_batches(broker, {topic: handler}, f"tails-{uuid.uuid4().hex[:6]}")
    await broker.start()
    try:
        await publish_raw(stack.bootstrap, topic, member_event("t1"), key=b"t1")

        async def done() -> bool:
            return tails_run == ["stored"]
        await eventually(done, within=30)
        assert handed == [["t1"], ["t1"]], "handed over again after its tail failed, once"
    finally:
        await broker.stop()


async def committed(bootstrap: str, group: str, topic: str) -> dict[int, int | None]:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        return {p: await reader.committed(TopicPartition(topic, p)) for p in range(PARTITIONS)}
    finally:
        await reader.stop()


@pytest.mark.integration
async def test_a_member_that_stops_commits_what_it_handled_first(stack: Stack) -> None:
    (topic,) = await new_topics(stack.bootstrap, 1)
    group = f"offsets-{uuid.uuid4().hex[:6]}"
    handled: list[str] = []

    async def record(events: list[Envelope]) -> None:
        handled.extend(e.subject for e in events)

    async def handled_are(subjects: list[str]) -> None:
        async def seen() -> bool:
            return handled == subjects
        await eventually(seen, within=30)

    broker = kafka_broker(stack.bootstrap, "test-offsets")
    subscribe_batches(broker, {topic: record}, group, commit_every_seconds=60)  # no commit by time alone here
    await broker.start()
    try:
        await publish_raw(stack.bootstrap, topic, member_event("e1"), key=b"e1")
        await handled_are(["e1"])
        await publish_raw(stack.bootstrap, topic, member_event("e2"), key=b"e1")  # the same partition
        await handled_are(["e1", "e2"])
        await asyncio.sleep(0.3)  # the lane asks for its next batch: e2 counts as handled, its commit waits

        async def e1_committed() -> bool:
            return sorted(o for o in (await committed(stack.bootstrap, group, topic)).values() if o) == [1]
        await eventually(e1_committed, within=10)
    finally:
        await broker.stop()
    offsets = await committed(stack.bootstrap, group, topic)
    assert sorted(o for o in offsets.values() if o) == [2], "e2 committed as the member stopped"


def refusing_once(broker: KafkaBroker) -> tuple[KafkaBroker, list[int]]:
    """The broker, whose first publish (a dead letter, in these tests) fails as with a partition without a leader;
    the list is emptied once it has."""
    publish, refusals = broker.publish, [1]

    async def publish_or_refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if refusals:
            refusals.pop()
            raise KafkaTimeoutError("the dead letter's partition has no leader")
        return await publish(*args, **kwargs)
    broker.publish = publish_or_refuse  # type: ignore[method-assign]
    return broker, refusals


@pytest.mark.integration
async def test_a_batch_whose_dead_letter_could_not_be_published_is_fetched_again_not_committed(stack: Stack) -> None:
    """A poison event whose dead letter the broker refused (e.g. a timeout) must not let the lane commit past it,
    nor past the events fetched with it: the batch is fetched again, the poison event dead-lettered, the rest
    handled."""
    (topic,) = await new_topics(stack.bootstrap, 1)
    group = f"refused-{uuid.uuid4().hex[:6]}"
    handled: list[str] = []

    async def handler(events: list[Envelope]) -> None:
        if any(e.subject == "poison" for e in events):
            raise ValueError("always fails")
        handled.extend(e.subject for e in events)

    broker, refusals = refusing_once(kafka_broker(stack.bootstrap, "test-refused"))
    subscribe_batches(broker, {topic: handler}, group)
    async with producer_on(stack.bootstrap) as producer:  # one partition, one batch: the poison event first
        await asyncio.gather(*[await producer.send(topic, member_event(s), key=b"k") for s in ("poison", "after")])
    await broker.start()
    try:
        async def after_handled() -> bool:
            return handled == ["after"]
        await eventually(after_handled, within=30)
        dead = await read_topic(stack.bootstrap, topics.dlq(topic), want=1, within=10)
        assert [r.key for r in dead] == [b"k"], "the poison event is dead-lettered once the broker takes it"
    finally:
        await broker.stop()
    assert refusals == [], "the dead letter was refused once"
    assert sorted(o for o in (await committed(stack.bootstrap, group, topic)).values() if o) == [2]


@pytest.mark.integration
async def test_a_batch_whose_tail_keeps_failing_is_committed_only_once_dead_lettered(stack: Stack) -> None:
    """The tail of a batch fails every time (the database is gone) and the broker refuses its first dead letter
    too: the batch's offsets wait until its dead letter is published instead of being committed without one."""
    (topic,) = await new_topics(stack.bootstrap, 1)
    group = f"tails-refused-{uuid.uuid4().hex[:6]}"

    async def handler(events: list[Envelope]) -> asyncio.Task:
        async def rest() -> None:
            raise ConnectionError("database gone")
        return asyncio.create_task(rest())

    broker, refusals = refusing_once(kafka_broker(stack.bootstrap, "test-tails-refused"))
    subscribe_batches(broker, {topic: handler}, group)
    await publish_raw(stack.bootstrap, topic, member_event("t1"), key=b"t1")
    await broker.start()
    try:
        dead = await read_topic(stack.bootstrap, topics.dlq(topic), want=1, within=40)
        assert [r.key for r in dead] == [b"t1"], "dead-lettered once the broker takes it"

        async def t1_committed() -> bool:
            return sorted(o for o in (await committed(stack.bootstrap, group, topic)).values() if o) == [1]
        await eventually(t1_committed, within=10)
    finally:
        await broker.stop()
    assert refusals == [], "its first dead letter was refused"


@pytest.mark.integration
async def test_a_record_without_a_value_or_nested_too_deep_is_dead_lettered_and_the_rest_handled(stack: Stack) -> None:
    (topic,) = await new_topics(stack.bootstrap, 1)
    handled: list[str] = []

    async def record(events: list[Envelope]) -> None:
        handled.extend(e.subject for e in events)

    broker = kafka_broker(stack.bootstrap, "test-undecodable")
    subscribe_batches(broker, {topic: record}, f"undecodable-{uuid.uuid4().hex[:6]}")
    async with producer_on(stack.bootstrap) as producer:  # one partition: the good event behind the two others
        sent = [await producer.send(topic, value, key=b"k")
                for value in (None, b"[" * 100_000 + b"]" * 100_000, member_event("good"))]
        await asyncio.gather(*sent)
    await broker.start()
    try:
        async def good_handled() -> bool:
            return handled == ["good"]
        await eventually(good_handled, within=30)
        dead = await read_topic(stack.bootstrap, topics.dlq(topic), want=2, within=10)
        assert len(dead) == 2 and all(dict(r.headers)["dlq_reason"].startswith(b"invalid event") for r in dead)
    finally:
        await broker.stop()
