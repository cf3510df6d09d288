"""Transactional outbox: each change and its event commit together; a relay publishes them in order.

`record()` runs inside the caller's transaction. The relay reads unsent rows in insertion order, publishes
each to Kafka (key = aggregate id) and moves it to `outbox_sent`; while the broker is down it keeps retrying
the same row, so nothing is lost or reordered. Writes to one aggregate are serialised by its `version`, so
insertion order is that aggregate's order. Only the replica holding the relay lease publishes.

Published rows are moved together every `log_seconds` rather than after each publish: under a steady stream of
postings the relay publishes about one posting's event at a time, and each move is two database commands (an
insert into the log and a delete).

Rows this process commits are handed to its relay (`committed`). A relay that has caught up with the outbox (its
last read found less than a batch, and everything since went out) publishes them in commit order without reading
them back: one database command less per posting, and one round trip less between a commit and its publish. The
outbox is still read at every poll, after a failure and after a burst larger than a batch; rows committed by
other replicas are found by those reads. So one replica's events keep their order, as before; an event committed
through another replica may now go out after a later one committed here (consumers keep the newest version of an
aggregate, and the reads' `_id` order across replicas was never commit order either).

A row no broker will ever take (larger than the producer's or the broker's message limit, or for a topic name the
broker refuses) would be retried forever and hold up every event committed after it, platform-wide. Such a row is
parked instead: moved to `outbox_parked` with the error, logged, and counted (`registry_outbox_parked_total`); the
rows after it go out in order.
"""

import asyncio
import logging
import os
import socket
import time
from datetime import UTC, datetime, timedelta

from aiokafka.errors import InvalidTopicError, MessageSizeTooLargeError, RecordListTooLargeError
from bson import ObjectId
from faststream.kafka import KafkaBroker
from prometheus_client import Counter
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import BulkWriteError, DuplicateKeyError

from services.contracts.envelope import Envelope
from services.contracts.topics import named
from services.contracts.wire import encode, record_headers
from services.registry.db import Database, only_duplicates

log = logging.getLogger("duijie.registry.outbox")
# What no retry can publish: raised by the producer before sending, or answered by the broker.
UNPUBLISHABLE = (MessageSizeTooLargeError, RecordListTooLargeError, InvalidTopicError)
PARKED = Counter("registry_outbox_parked_total", "Outbox rows no broker would take, moved to outbox_parked", ["topic"])


def _row(topic: str, event: Envelope) -> dict:
    return {"_id": ObjectId(), "event_id": event.id, "topic": topic, "key": event.subject, "type": event.type,
            "value": encode(event), "sent": False, "created_at": datetime.now(UTC)}


async def record(db: Database, session: AsyncClientSession, topic: str, event: Envelope) -> dict:
    """Adds the event's row to the caller's transaction; returns the row (for `Relay.committed` once committed)."""
    row = _row(topic, event)
    await db["outbox"].insert_one(row, session=session)
    return row


async def record_many(db: Database, session: AsyncClientSession, events: list[tuple[str, Envelope]]) -> list[dict]:
    """`record` for several (topic, event) pairs in one insert; their rows in that order."""
    rows = [_row(topic, event) for topic, event in events]
    if rows:
        await db["outbox"].insert_many(rows, session=session)
    return rows


class Relay:
    LEASE_SECONDS = 10.0

    def __init__(self, db: Database, broker: KafkaBroker, prefix: str, batch: int, poll_seconds: float,
                 log_seconds: float = 0.2) -> None:
        self.db, self.broker, self.prefix = db, broker, prefix
        self.batch, self.poll_seconds, self.log_seconds = batch, poll_seconds, log_seconds
        self._unlogged: dict[ObjectId, dict] = {}  # published rows not yet moved to `outbox_sent`, in order
        self._log_due = 0.0  # monotonic time at which they are moved
        self._read_at = 0.0  # monotonic time of the last read of the outbox
        self._committed: list[dict] = []  # rows committed by this process since the last read, in commit order
        self._caught_up = False  # the last read found less than a batch and nothing failed since
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        self.published = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._renew_after = 0.0  # monotonic time after which the lease is renewed before publishing again

    def wake(self) -> None:
        """Reads the outbox now, as a poll would (a commit hands its rows over with `committed` instead)."""
        self._read_at = float("-inf")  # a poll is due
        self._wake.set()

    def committed(self, rows: list[dict]) -> None:
        """Rows this process has just committed: published at once, without reading them back if caught up."""
        if not rows:
            return
        self._committed.extend(rows)
        if len(self._committed) > self.batch:  # a burst: read it in batches instead
            self._committed.clear()
            self._caught_up = False
        self._wake.set()

    async def _hold_lease(self) -> bool:
        """Takes or renews the lease; a lease renewed less than a third of its length ago is still held (so a
        busy relay does not write the lease on every wake-up)."""
        if time.monotonic() < self._renew_after:
            return True
        now, started = datetime.now(UTC), time.monotonic()
        try:
            await self.db["leases"].find_one_and_update(
                {"_id": "outbox-relay", "$or": [{"holder": self.holder}, {"expires_at": {"$lt": now}}]},
                {"$set": {"holder": self.holder, "expires_at": now + timedelta(seconds=self.LEASE_SECONDS)}},
                upsert=True,
            )
        except DuplicateKeyError:
            self._renew_after = 0.0
            return False
        self._renew_after = started + self.LEASE_SECONDS / 3
        return True

    async def publish_pending(self) -> int:
        """Publish unsent rows in order; returns how many were sent. Stops at the first failure.

        The rows are handed to the producer in order without waiting for each acknowledgement (the producer
        keeps their order per partition); the acknowledged prefix is then left out of later reads and moved to
        `outbox_sent`, the log of what went out, at the next `log_published`. `outbox` only ever holds what is
        still to send and what was sent a moment ago, so reading it stays cheap however long the platform runs
        (a crash before the move re-sends those rows: consumers are idempotent)."""
        self._committed.clear()  # committed before this read, so the read finds them
        rows = await self.db["outbox"].find(self._unsent()).sort("_id", 1).limit(self.batch).to_list()
        sent = await self._publish(rows)
        self._caught_up = len(rows) < self.batch
        # committed during the read and found by it too: already out
        self._committed = [row for row in self._committed if row["_id"] not in self._unlogged]
        return sent

    async def publish_committed(self) -> int:
        """Publishes the rows handed over by `committed`, in commit order, without reading the outbox."""
        rows, self._committed = self._committed, []
        return await self._publish(rows)

    async def _publish(self, rows: list[dict]) -> int:
        """Hands the rows to the producer in order, then waits for their acknowledgements; the acknowledged prefix
        is left out of later reads. After a failure the relay reads the outbox again before trusting hand-overs."""
        acks: list[asyncio.Future] = []
        try:
            for row in rows:
                acks.append(await self._hand_over(row))
        finally:
            outcomes = await asyncio.gather(*acks, return_exceptions=True)
            sent = next((i for i, outcome in enumerate(outcomes)
                         if isinstance(outcome, BaseException) and not isinstance(outcome, UNPUBLISHABLE)),
                        len(outcomes))
            unpublishable = [(row, outcome) for row, outcome in zip(rows[:sent], outcomes, strict=False)
                             if isinstance(outcome, UNPUBLISHABLE)]
            if unpublishable:
                await self._park(unpublishable)
            if sent > len(unpublishable):
                if not self._unlogged:
                    self._log_due = time.monotonic() + self.log_seconds
                parked = {row["_id"] for row, _ in unpublishable}
                self._unlogged.update((row["_id"], row) for row in rows[:sent] if row["_id"] not in parked)
                self.published += sent - len(unpublishable)
            if sent < len(rows):
                self._caught_up = False
                self._committed.clear()
        if sent < len(outcomes):
            raise outcomes[sent]  # type: ignore[misc]
        return sent

    async def _hand_over(self, row: dict) -> asyncio.Future:
        """The row handed to the producer: the future of its acknowledgement, or one failed already when the producer
        refused it (too large)."""
        try:
            return await self.broker.publish(
                row["value"], named(row["topic"], self.prefix), key=row["key"].encode(),
                headers=record_headers(row["type"], row["event_id"]), no_confirm=True)
        except UNPUBLISHABLE as error:
            refused = asyncio.get_running_loop().create_future()
            refused.set_exception(error)
            return refused

    async def _park(self, rows: list[tuple[dict, BaseException]]) -> None:
        """Moves rows no broker will take out of the way, to `outbox_parked`, each with its error."""
        at = datetime.now(UTC)
        for row, error in rows:
            log.error("outbox relay: event %s (%s, %d bytes) cannot be published and is parked in outbox_parked: "
                      "%s", row["event_id"], row["type"], len(row["value"]), error)
            PARKED.labels(row["topic"]).inc()
        try:
            await self.db["outbox_parked"].insert_many(
                [{**row, "error": f"{type(error).__name__}: {error}"[:1000], "parked_at": at} for row, error in rows],
                ordered=False)
        except BulkWriteError as error:  # parked by an earlier attempt that crashed before the delete
            if only_duplicates(error) is None:
                raise
        await self.db["outbox"].delete_many({"_id": {"$in": [row["_id"] for row, _ in rows]}})

    def _unsent(self) -> dict:
        if not self._unlogged:
            return {"sent": False}
        return {"sent": False, "_id": {"$nin": list(self._unlogged)}}

    async def log_published(self, now: float | None = None) -> None:
        """Moves the published rows to `outbox_sent` once they have waited `log_seconds` (or now, with `now` None
        or the batch full)."""
        if not self._unlogged or (now is not None and now < self._log_due and len(self._unlogged) < self.batch):
            return
        rows = list(self._unlogged.values())
        at = datetime.now(UTC)
        try:
            await self.db["outbox_sent"].insert_many([{**row, "sent": True, "sent_at": at} for row in rows],
                                                     ordered=False)
        except BulkWriteError as error:  # already logged by an earlier attempt that crashed before the delete
            if only_duplicates(error) is None:
                raise
        await self.db["outbox"].delete_many({"_id": {"$in": [row["_id"] for row in rows]}})
        for row in rows:
            self._unlogged.pop(row["_id"], None)

    def _handed_over_only(self) -> bool:
        """Whether this round publishes the rows handed over, if any, instead of reading: caught up, and no poll due.
        A round woken by a commit whose rows the round before already took (they were handed over while it moved
        published rows to the log) finds none and reads nothing: at 50 postings/s such rounds had made the relay
        read the outbox five times a second instead of the two its polls make."""
        return self._caught_up and time.monotonic() < self._read_at + self.poll_seconds

    def _wait_seconds(self) -> float:
        """Until the next poll, or until the published rows are due to move if that is sooner."""
        due = self._read_at + self.poll_seconds
        if self._unlogged:
            due = min(due, self._log_due)
        return max(0.0, due - time.monotonic())

    async def run(self) -> None:
        """Publishes what this process commits as it commits it (see `committed`), reads the outbox every
        `poll_seconds` and when woken otherwise; moves published rows to the log when they are due. A wake-up that
        only moves rows does not read the outbox."""
        backoff, read = 0.1, True
        while True:
            self._wake.clear()  # before reading: a commit during this round wakes the next one
            try:
                await self.log_published(time.monotonic())
                if read:
                    if not await self._hold_lease():
                        self._read_at = time.monotonic()
                        self._committed.clear()  # the lease holder reads them
                    elif self._handed_over_only():
                        await self.publish_committed()
                    else:
                        self._read_at = time.monotonic()
                        sent = await self.publish_pending()
                        backoff = 0.1
                        if sent >= self.batch:
                            continue
            except Exception as error:  # the broker or the database is down: retry, lose nothing
                log.warning("outbox relay: %s; retrying in %.1f s", error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                read = True
                continue
            try:
                await asyncio.wait_for(self._wake.wait(), self._wait_seconds())
                read = True
            except TimeoutError:
                read = time.monotonic() >= self._read_at + self.poll_seconds

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        try:
            await self.log_published()
        except Exception as error:  # noqa: BLE001 - the next relay re-sends them: consumers are idempotent
            log.warning("outbox relay: published rows left unlogged at stop: %s", error)

    async def backlog(self) -> int:
        """Rows still to publish."""
        return await self.db["outbox"].count_documents(self._unsent())

