"""A batch consumer with a linger takes what arrived over that time in one batch while events keep coming, and an
event arriving at an idle consumer at once (services/contracts/consumer.py)."""

import asyncio
import time
from types import SimpleNamespace

from aiokafka import TopicPartition
from prometheus_client import REGISTRY

from services.contracts.consumer import _without_idle_sleeps

PARTITION = TopicPartition("registry.needs.v1", 2)


class FakeConsumer:
    """Has a record ready at every fetch, the partition's last but `behind`; remembers when each fetch was asked
    for."""

    def __init__(self, behind: int = 0) -> None:
        self.fetched_at: list[float] = []
        self.behind = behind

    async def getmany(self, timeout_ms: int, max_records: int) -> dict:
        self.fetched_at.append(time.monotonic())
        return {PARTITION: [SimpleNamespace(value=b"event", offset=len(self.fetched_at) + 99)]}

    def highwater(self, partition: TopicPartition) -> int:
        return len(self.fetched_at) + 100 + self.behind


async def test_a_busy_consumer_fetches_at_most_once_per_linger_and_an_idle_one_at_once() -> None:
    subscriber, consumer = SimpleNamespace(), FakeConsumer()
    _without_idle_sleeps(subscriber, max_records=10, linger_seconds=0.2)
    started = time.monotonic()
    assert len(await subscriber.get_msg(consumer)) == 1
    assert consumer.fetched_at[0] - started < 0.05  # the first batch is not held back
    await subscriber.get_msg(consumer)
    assert 0.19 <= consumer.fetched_at[1] - consumer.fetched_at[0] < 0.4
    await asyncio.sleep(0.25)  # idle for longer than the linger
    asked = time.monotonic()
    await subscriber.get_msg(consumer)
    assert consumer.fetched_at[2] - asked < 0.05


async def test_without_a_linger_each_fetch_starts_at_once() -> None:
    subscriber, consumer = SimpleNamespace(), FakeConsumer()
    _without_idle_sleeps(subscriber, max_records=10)
    for _ in range(3):
        await subscriber.get_msg(consumer)
    assert consumer.fetched_at[-1] - consumer.fetched_at[0] < 0.05


async def test_each_fetch_tells_how_far_behind_the_group_is_on_the_partitions_it_read() -> None:
    subscriber, consumer = SimpleNamespace(), FakeConsumer(behind=7)
    _without_idle_sleeps(subscriber, max_records=10, group_id="matching")
    await subscriber.get_msg(consumer)

    def lag() -> float | None:
        return REGISTRY.get_sample_value("consumer_lag_records", {
            "group": "matching", "topic": "registry.needs.v1", "partition": "2"})

    assert lag() == 7, "records after the last one fetched"
    consumer.behind = 0
    await subscriber.get_msg(consumer)
    assert lag() == 0, "caught up"
