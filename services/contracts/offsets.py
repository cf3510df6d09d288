"""Committing a batch lane's handled offsets: in the background, at most so often, and all of them before the
consumer stops or gives its partitions up."""

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable
from typing import Any

from aiokafka import ConsumerRebalanceListener, TopicPartition

from services.contracts import shutdown

log = logging.getLogger("duijie.consumer")

FLUSH_SECONDS = 10.0  # at most this long to commit what was handled before stopping or giving partitions up


class OffsetCommits:
    """A consumer's handled offsets, committed in the background, one commit in flight at a time.

    A batch's offsets used to be committed (FastStream's `AckPolicy.ACK`) before the next batch was fetched, and the
    records that arrived meanwhile waited for that round trip: at 50 postings/s on the embedded broker, p50 10.4 ms
    of notify's 42 ms cycle per batch of match events, 6.8 of matching's 16 ms per batch of postings. Now the next
    fetch starts at once and the commit goes out beside it. What is committed is still only what was handled, as
    before (a batch counts as handled once its handler returned, after retries and dead-lettering); offsets handled
    while a commit is in flight go together in the next one. A failed commit is logged and covered by the next one.

    With `every`, a commit starts at most that often: the first after a quiet spell at once, the offsets handled
    within `every` of it together once that time has passed, whether or not more batches come. At 50 postings/s
    matching and notify each committed some 45 times a second, one commit per batch of about one posting's events;
    on the embedded broker a commit cost it about 0.5 ms of CPU and the committing service about as much.

    `flush` commits what was handled at once: the lane calls it before its consumer stops and before a rebalance
    takes partitions away (`CommitBeforeRevoke`), so whoever reads them next starts after it. Offsets of a batch
    still being handled then, or of a crash, are fetched again by the next reader, which every consumer here
    tolerates (they are idempotent)."""

    def __init__(self, consumer: Any, every: float = 0.0) -> None:
        self.consumer, self.every = consumer, every
        self._last = -math.inf  # loop time of the last commit's start
        self._due: dict[TopicPartition, int] = {}
        self._tails: list[Awaitable[None]] = []
        self._task: asyncio.Task | None = None
        self._hurry = asyncio.Event()  # set while any flush runs: no waiting for the interval
        self._flushes = 0  # flushes running (a rebalance's may overlap a stop's)

    def handled(self, records: tuple[Any, ...], tails: Awaitable[None] | None = None) -> None:
        """The records of a batch whose handler returned: their partitions' offsets after them are due, once the
        work the handler left running (`tails`, see `BatchHandler`) is done."""
        if tails is not None:
            self._tails.append(tails)
        for record in records:
            partition = TopicPartition(record.topic, record.partition)
            self._due[partition] = max(self._due.get(partition, 0), record.offset + 1)
        if self._due and (self._task is None or self._task.done()):
            self._task = asyncio.create_task(self._commit(), name="offset-commits")

    async def flush(self, within: float = FLUSH_SECONDS) -> None:
        """Commits what was handled now instead of at the interval, and returns once done (or after `within`)."""
        self._flushes += 1
        self._hurry.set()
        try:
            if self._task is not None and not self._task.done():  # given up after `within`, with a warning
                await shutdown.within(within, asyncio.wait([self._task]), "committing the handled offsets")
        finally:
            self._flushes -= 1
            if not self._flushes:  # the last flush to end: the interval holds again
                self._hurry.clear()

    async def _commit(self) -> None:
        loop = asyncio.get_running_loop()
        while self._due:
            if (wait := self._last + self.every - loop.time()) > 0 and not self._hurry.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._hurry.wait(), wait)
            self._last = loop.time()
            offsets, self._due = self._due, {}
            tails, self._tails = self._tails, []
            for tail in tails:
                try:
                    await tail  # a failed tail's batch was handed over again or dead-lettered meanwhile
                except Exception as error:  # noqa: BLE001 - as when dead-lettering fails in the lane itself
                    log.error("settling a batch's tail failed: %s", error)
            try:
                await self.consumer.commit(offsets)
            except Exception as error:  # noqa: BLE001 - the next commit covers these offsets
                log.warning("committing offsets failed (the next commit covers them): %s", error)


class CommitBeforeRevoke(ConsumerRebalanceListener):
    """A lane's rebalance listener: what it handled is committed before its partitions go to another member."""

    def __init__(self) -> None:
        self.commits: OffsetCommits | None = None  # set by the lane once it has a consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        if self.commits is not None:
            await self.commits.flush()

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        return None


def flush_before_stop(consumer: Any, commits: OffsetCommits) -> None:
    """Makes `consumer.stop()` commit what was handled first (a consumer that leaves its group commits nothing)."""
    stop = getattr(consumer, "stop", None)
    if stop is None:
        return

    async def stop_once_committed() -> None:
        await commits.flush()
        await stop()
    consumer.stop = stop_once_committed
