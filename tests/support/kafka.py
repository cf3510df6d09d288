"""Direct broker access for tests: publish raw records, read a topic from the beginning."""

import asyncio
import time

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import ConsumerRecord


async def publish_raw(bootstrap: str, topic: str, value: bytes, key: bytes | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=key)
    finally:
        await producer.stop()


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
