"""A batch consumer with a linger takes what arrived over that time in one batch while events keep coming, and an
event arriving at an idle consumer at once (services/contracts/consumer.py)."""

import asyncio
import inspect
import time
from types import SimpleNamespace

from aiokafka import TopicPartition
from aiokafka.consumer.fetcher import Fetcher
from prometheus_client import REGISTRY

from services.contracts.consumer import FetchWaits, _without_idle_sleeps, set_fetch_wait

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


class QuietThenBusy(FakeConsumer):
    """Keeps a fetch wait where aiokafka's consumer keeps it, and notes it at every fetch; answers the next `quiet`
    fetches with nothing (a second of silence each), then a record at every fetch."""

    def __init__(self, quiet: int) -> None:
        super().__init__()
        self._fetcher = SimpleNamespace(_fetch_max_wait_ms=20)
        self.quiet, self.waits = quiet, []

    async def getmany(self, timeout_ms: int, max_records: int) -> dict:
        self.waits.append(self._fetcher._fetch_max_wait_ms)
        if self.quiet:
            self.quiet -= 1
            return {}
        return await super().getmany(timeout_ms, max_records)


async def test_fetches_wait_briefly_while_records_keep_coming_and_long_once_they_stop() -> None:
    subscriber, consumer = SimpleNamespace(), QuietThenBusy(quiet=1)
    _without_idle_sleeps(subscriber, max_records=10, waits=FetchWaits(idle_ms=20, busy_ms=5))
    await subscriber.get_msg(consumer)
    await subscriber.get_msg(consumer)
    consumer.quiet = 1
    await subscriber.get_msg(consumer)
    assert consumer.waits == [20, 20, 5, 5, 20], "short after records came, long after a fetch found none"
    assert consumer._fetcher._fetch_max_wait_ms == 5


def test_aiokafka_reads_each_fetch_s_wait_from_where_it_is_set() -> None:
    """An aiokafka that kept it elsewhere would leave every fetch at the wait the consumer was created with."""
    assert "self._fetch_max_wait_ms," in inspect.getsource(Fetcher._get_actions_per_node)
    consumer = SimpleNamespace(_fetcher=SimpleNamespace(_fetch_max_wait_ms=20))
    assert set_fetch_wait(consumer, 5) and consumer._fetcher._fetch_max_wait_ms == 5
    assert not set_fetch_wait(SimpleNamespace(), 5), "nothing to set: the consumer's own wait stays"
