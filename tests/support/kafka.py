"""Direct broker access for tests: publish raw records, read a topic from the beginning, read a group's offsets."""

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord


@asynccontextmanager
async def producer_on(bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    """A started producer (idempotence off, as the embedded broker requires), stopped on leaving."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        yield producer
    finally:
        await producer.stop()


@asynccontextmanager
async def admin_on(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client, closed on leaving."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        yield admin
    finally:
        await admin.close()


async def publish_raw(bootstrap: str, topic: str, value: bytes, key: bytes | None = None) -> None:
    async with producer_on(bootstrap) as producer:
        await producer.send_and_wait(topic, value, key=key)


async def publish_on_every_partition(bootstrap: str, topics: Iterable[str], value: bytes, key: bytes | None = None
                                     ) -> dict[tuple[str, int], int]:
    """The same record published on every partition of each topic (with one producer); returns the offset each copy
    landed at, by (topic, partition)."""
    landed = {}
    async with producer_on(bootstrap) as producer:
        for topic in topics:
            for partition in sorted(await producer.partitions_for(topic)):
                meta = await producer.send_and_wait(topic, value, key=key, partition=partition)
                landed[(topic, partition)] = meta.offset
    return landed


async def committed(bootstrap: str, group: str, partitions: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """A consumer group's committed offsets (the next record it will read; -1 where none), read without joining it."""
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        offsets = {(t, p): await reader.committed(TopicPartition(t, p)) for t, p in partitions}
    finally:
        await reader.stop()
    return {tp: -1 if offset is None else offset for tp, offset in offsets.items()}


async def read_topic(bootstrap: str, topic: str, want: int, within: float = 30.0) -> list[ConsumerRecord]:
    """Reads from the beginning (no group) until `want` records arrived or `within` seconds passed."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    records: list[ConsumerRecord] = []
    deadline = time.monotonic() + within
    try:
        while len(records) < want and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for part in batch.values():
                records.extend(part)
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return records
