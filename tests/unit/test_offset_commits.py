"""A batch lane commits what it handled in the background (services/contracts/consumer.py, `OffsetCommits`): a
batch's offsets are committed once the next batch is asked for, never before its handling ended; the next fetch
does not wait for the commit; offsets handled while a commit is in flight go together in the next one; a failed
commit is covered by the next; with an interval, commits start at most that often and none is left behind; what
was handled is committed at once before the consumer stops or a rebalance takes its partitions, even when a flush
that overlapped gave up first."""

import asyncio
from types import SimpleNamespace

from aiokafka import TopicPartition

from services.contracts.consumer import _without_idle_sleeps
from services.contracts.offsets import CommitBeforeRevoke, OffsetCommits

NEEDS, RESULTS = TopicPartition("registry.needs.v1", 0), TopicPartition("registry.results.v1", 3)


def record(partition: TopicPartition, offset: int) -> SimpleNamespace:
    return SimpleNamespace(topic=partition.topic, partition=partition.partition, offset=offset, value=b"event")


class Consumer:
    """Hands out the batches given, in turn; records every commit; `slow` holds each commit until released, `fails`
    makes that many commits fail."""

    def __init__(self, batches: list[list[SimpleNamespace]]) -> None:
        self.batches, self.commits = batches, []
        self.committed_at: list[float] = []  # loop time of each commit
        self.slow: asyncio.Event | None = None
        self.fails = 0
        self.committed_before_stop: list[dict] | None = None  # the commits made when `stop` was called

    async def stop(self) -> None:
        self.committed_before_stop = list(self.commits)

    async def getmany(self, timeout_ms: int, max_records: int) -> dict:
        batch = self.batches.pop(0)
        fetched: dict[TopicPartition, list] = {}
        for r in batch:
            fetched.setdefault(TopicPartition(r.topic, r.partition), []).append(r)
        return fetched

    def highwater(self, partition: TopicPartition) -> None:
        return None

    def assignment(self) -> set[TopicPartition]:
        return {NEEDS, RESULTS}

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.seeks = [*getattr(self, "seeks", []), (partition, offset)]

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.slow is not None:
            await self.slow.wait()
        if self.fails:
            self.fails -= 1
            raise ConnectionError("coordinator unavailable")
        self.commits.append(dict(offsets))
        self.committed_at.append(asyncio.get_running_loop().time())


async def settled() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_batch_is_committed_when_the_next_is_asked_for_not_before() -> None:
    consumer = Consumer([[record(NEEDS, 7), record(NEEDS, 8), record(RESULTS, 2)], [record(NEEDS, 9)]])
    subscriber = SimpleNamespace()
    _without_idle_sleeps(subscriber, max_records=10, commit=True)
    first = await subscriber.get_msg(consumer)
    assert len(first) == 3
    await settled()
    assert consumer.commits == [], "nothing is committed while the batch may still be in its handler"
    await subscriber.get_msg(consumer)  # the consume loop asks again: the first batch was handled
    await settled()
    assert consumer.commits == [{NEEDS: 9, RESULTS: 3}], "the offsets after each partition's last record"


async def test_without_commit_the_lane_commits_nothing_itself() -> None:
    consumer = Consumer([[record(NEEDS, 1)], [record(NEEDS, 2)]])
    subscriber = SimpleNamespace()
    _without_idle_sleeps(subscriber, max_records=10)
    await subscriber.get_msg(consumer)
    await subscriber.get_msg(consumer)
    await settled()
    assert consumer.commits == []


async def test_the_next_fetch_does_not_wait_for_a_commit_and_offsets_handled_meanwhile_go_together() -> None:
    consumer = Consumer([[record(NEEDS, 1)], [record(NEEDS, 2)], [record(RESULTS, 5)], [record(NEEDS, 3)]])
    consumer.slow = asyncio.Event()
    subscriber = SimpleNamespace()
    _without_idle_sleeps(subscriber, max_records=10, commit=True)
    for _ in range(4):  # the commit of the first batch hangs: the lane goes on fetching
        await asyncio.wait_for(subscriber.get_msg(consumer), 1.0)
        await settled()
    consumer.slow.set()
    await settled()
    assert consumer.commits == [{NEEDS: 2}, {NEEDS: 3, RESULTS: 6}]


async def test_a_failed_commit_is_covered_by_the_next() -> None:
    consumer = Consumer([])
    consumer.fails = 1
    commits = OffsetCommits(consumer)
    commits.handled((record(NEEDS, 4),))
    await settled()
    assert consumer.commits == []
    commits.handled((record(RESULTS, 0),))
    await settled()
    assert consumer.commits == [{RESULTS: 1}]
    commits.handled((record(NEEDS, 5),))
    await settled()
    assert consumer.commits[-1] == {NEEDS: 6}, "later offsets of the partition whose commit failed"


async def test_a_batch_whose_handler_left_work_running_is_committed_once_that_work_is_done() -> None:
    consumer = Consumer([[record(NEEDS, 4)], [record(NEEDS, 5)], [record(NEEDS, 6)]])
    tail_done = asyncio.Event()
    left: list = [tail_done.wait()]  # the first batch's handler leaves its tail running

    def tails():  # noqa: ANN202
        taken = left[:]
        left.clear()
        return taken[0] if taken else None

    subscriber = SimpleNamespace()
    _without_idle_sleeps(subscriber, max_records=10, commit=True, tails=tails)
    await subscriber.get_msg(consumer)
    await subscriber.get_msg(consumer)  # the first batch's handler returned; its tail still runs
    await settled()
    assert consumer.commits == [], "not committed while its tail runs"
    await subscriber.get_msg(consumer)  # the lane went on meanwhile
    tail_done.set()
    await settled()
    assert consumer.commits == [{NEEDS: 5}, {NEEDS: 6}], "the first batch once its tail is done, then the next"


async def test_with_an_interval_commits_start_at_most_that_often_and_what_was_handled_meanwhile_follows() -> None:
    consumer = Consumer([])
    commits = OffsetCommits(consumer, every=0.1)
    commits.handled((record(NEEDS, 1),))
    await settled()
    assert consumer.commits == [{NEEDS: 2}], "the first commit after a quiet spell goes at once"
    commits.handled((record(NEEDS, 2),))
    commits.handled((record(RESULTS, 0),))
    await settled()
    assert len(consumer.commits) == 1, "not again within the interval"
    await asyncio.sleep(0.2)  # no further batch comes: what was handled is committed all the same
    assert consumer.commits == [{NEEDS: 2}, {NEEDS: 3, RESULTS: 1}]
    assert consumer.committed_at[1] - consumer.committed_at[0] >= 0.1 - 1e-3


async def test_a_flush_commits_what_was_handled_without_waiting_for_the_interval() -> None:
    consumer = Consumer([])
    commits = OffsetCommits(consumer, every=60)
    commits.handled((record(NEEDS, 1),))
    await settled()
    commits.handled((record(NEEDS, 2),))
    await settled()
    assert consumer.commits == [{NEEDS: 2}], "the second waits for the interval"
    await asyncio.wait_for(commits.flush(), 1.0)
    assert consumer.commits == [{NEEDS: 2}, {NEEDS: 3}]
    commits.handled((record(NEEDS, 3),))
    await settled()
    assert len(consumer.commits) == 2, "after the flush, the interval holds again"


async def test_stopping_the_consumer_commits_what_the_lane_handled_first() -> None:
    consumer = Consumer([[record(NEEDS, 1)], [record(NEEDS, 2)], [record(NEEDS, 3)]])
    subscriber = SimpleNamespace()
    _without_idle_sleeps(subscriber, max_records=10, commit=True, commit_every=60)
    for _ in range(3):  # the first two batches handled; the third is in its handler when the consumer stops
        await subscriber.get_msg(consumer)
        await settled()
    assert consumer.commits == [{NEEDS: 2}]
    await asyncio.wait_for(consumer.stop(), 1.0)
    assert consumer.committed_before_stop == [{NEEDS: 2}, {NEEDS: 3}], "not the batch still being handled"


async def test_a_rebalance_commits_what_was_handled_before_the_partitions_go() -> None:
    consumer = Consumer([[record(RESULTS, 7)], [record(RESULTS, 8)], [record(RESULTS, 9)]])
    revoke = CommitBeforeRevoke()
    subscriber = SimpleNamespace()
    _without_idle_sleeps(subscriber, max_records=10, commit=True, commit_every=60, revoke=revoke)
    await revoke.on_partitions_revoked({RESULTS})  # before the lane has a consumer: nothing to commit
    for _ in range(3):
        await subscriber.get_msg(consumer)
        await settled()
    assert consumer.commits == [{RESULTS: 8}]
    await asyncio.wait_for(revoke.on_partitions_revoked({RESULTS}), 1.0)
    assert consumer.commits == [{RESULTS: 8}, {RESULTS: 9}]


async def test_a_flush_gives_up_after_its_bound_with_a_warning_and_the_commit_goes_on(caplog) -> None:  # noqa: ANN001
    consumer = Consumer([])
    consumer.slow = asyncio.Event()  # the broker does not answer the commit
    commits = OffsetCommits(consumer, every=60)
    commits.handled((record(NEEDS, 1),))
    await asyncio.wait_for(commits.flush(within=0.05), 1.0)
    assert consumer.commits == []
    assert "committing the handled offsets" in caplog.text
    consumer.slow.set()
    await settled()
    assert consumer.commits == [{NEEDS: 2}], "not cancelled by the flush that gave up"


async def test_a_flush_that_gives_up_does_not_make_another_still_running_wait_for_the_interval() -> None:
    consumer = Consumer([])
    consumer.slow = asyncio.Event()  # the commit in flight hangs while both flushes start
    commits = OffsetCommits(consumer, every=60)
    commits.handled((record(NEEDS, 1),))
    await settled()
    stopping = asyncio.create_task(commits.flush(within=0.05))
    rebalancing = asyncio.create_task(commits.flush(within=1.0))
    await stopping  # gave up; the other flush still runs
    commits.handled((record(NEEDS, 2),))
    consumer.slow.set()
    await asyncio.wait_for(rebalancing, 0.5)
    assert consumer.commits == [{NEEDS: 2}, {NEEDS: 3}], "committed at once, not after the 60 s interval"


async def test_a_batch_whose_handling_broke_off_is_fetched_again_not_committed() -> None:
    consumer = Consumer([[record(NEEDS, 7), record(NEEDS, 8), record(RESULTS, 2)], [record(NEEDS, 7)]])
    broke_off = [True]  # its handler raised (a dead letter the broker refused): FastStream only logs that
    subscriber = SimpleNamespace()
    _without_idle_sleeps(subscriber, max_records=10, commit=True, broke_off=lambda: broke_off[0])
    await subscriber.get_msg(consumer)
    await asyncio.wait_for(subscriber.get_msg(consumer), 3.0)
    await settled()
    assert consumer.commits == [], "nothing past the records it did not handle"
    assert sorted(consumer.seeks) == [(NEEDS, 7), (RESULTS, 2)], "back to each partition's first record"
