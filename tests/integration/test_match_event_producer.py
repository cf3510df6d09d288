"""Match events leave matching as record batches that keep each record's key, headers, partition and order."""

import uuid

import pytest
from aiokafka.admin import NewTopic
from aiokafka.partitioner import DefaultPartitioner

from deploy.stack import Stack
from services.matching.publisher import MatchEventProducer, OutgoingRecord
from tests.support.kafka import admin_on, read_topic

PARTITIONS = 3


async def new_topic(bootstrap: str) -> str:
    topic = f"test.producer.{uuid.uuid4().hex[:8]}"
    async with admin_on(bootstrap) as admin:
        await admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    return topic


@pytest.mark.asyncio
async def test_records_land_on_their_keys_partition_in_order_even_when_a_batch_fills(stack: Stack) -> None:
    topic = await new_topic(stack.bootstrap)
    # 40 records of 4 KB: more than one 16 KB batch per partition, so full batches are continued in new ones.
    records = [OutgoingRecord(f"match-{i % 7}".encode(), f"{i:04d}".encode() + b"x" * 4096,
                              (("ce_id", f"event-{i}".encode()),)) for i in range(40)]
    producer = MatchEventProducer(stack.bootstrap, client_id="test-producer")
    await producer.start()
    try:
        await producer.publish(topic, records[:20])
        await producer.publish(topic, records[20:])
        await producer.publish(topic, [])
    finally:
        await producer.stop()

    received = await read_topic(stack.bootstrap, topic, want=len(records))
    assert sorted(r.value for r in received) == sorted(r.value for r in records)
    assert {r.partition for r in received} == set(range(PARTITIONS))
    partition_of = DefaultPartitioner()
    for record in received:
        assert record.partition == partition_of(record.key, list(range(PARTITIONS)), list(range(PARTITIONS)))
        number = int(record.value[:4])
        assert record.key == f"match-{number % 7}".encode()
        assert dict(record.headers) == {"ce_id": f"event-{number}".encode()}
    for key in {r.key for r in records}:
        in_log = [int(r.value[:4]) for r in sorted(received, key=lambda r: (r.partition, r.offset)) if r.key == key]
        assert in_log == sorted(in_log)  # one key's records in the order they were given


@pytest.mark.asyncio
async def test_records_with_a_partition_key_land_on_its_partition_and_keep_their_own_key(stack: Stack) -> None:
    topic = await new_topic(stack.bootstrap)
    # Three needs' matches: each need's on one partition (the need's), each record keyed by its match.
    records = [OutgoingRecord(f"match-{i}".encode(), f"{i:04d}".encode(), (), f"need-{i % 3}".encode())
               for i in range(24)]
    producer = MatchEventProducer(stack.bootstrap, client_id="test-producer")
    await producer.start()
    try:
        await producer.publish(topic, records)
    finally:
        await producer.stop()

    received = await read_topic(stack.bootstrap, topic, want=len(records))
    partition_of, partitions = DefaultPartitioner(), list(range(PARTITIONS))
    for record in received:
        number = int(record.value)
        assert record.key == f"match-{number}".encode()
        assert record.partition == partition_of(f"need-{number % 3}".encode(), partitions, partitions)
    for need in range(3):
        in_log = [int(r.value) for r in sorted(received, key=lambda r: r.offset) if int(r.value) % 3 == need]
        assert in_log == list(range(need, 24, 3))  # one need's records in the order they were given
