"""New documents and their events, committed together when they arrive together (group commit).

The registry runs one transaction at a time (`Database.transaction`), and a new posting's transaction is three
round trips to the database: the document's insert, its outbox row's insert and the commit. Postings that arrive
while a transaction is in flight wait for the lock anyway; here they share the next transaction: one insert per
collection, one insert of all their outbox rows, one commit. A posting that arrives alone is committed at once, as
before. So the commands per posting fall exactly when postings queue: the embedded database spent 1.86–2.50 ms of
its CPU per posting committed alone, 1.14 and 1.25 ms in groups of two, 1.05 in fours, 0.85 in eights (0.83–0.90
in fours once its batch path took inserts inside transactions, `deploy/mongo_insert_batch.py`). At 50 postings/s
a transaction held 1.23 of them on average, and the registry answered POSTs with p99 89–222 ms against 210–961 ms
(six pairs of pipeline-bench runs; see `bench/PIPELINE.md`).

A group that fails for anything but a transient reason (those retry it whole) is committed again one creation at
a time, so a bad document fails its own request alone. Each creation's events follow its document into the
outbox in arrival order, and the committed rows are handed to the relay in that order.
"""

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Protocol

from prometheus_client import Histogram
from pydantic import BaseModel

from services.contracts.envelope import new_event
from services.registry import outbox
from services.registry.db import Database, retrying

log = logging.getLogger("duijie.registry.creations")

Events = list[tuple[str, str, str, BaseModel | dict]]  # (topic, type, subject, data), ...
MOST = 32  # creations in one transaction at most
GROUPED = Histogram("registry_creations_per_transaction", "New documents committed together in one transaction",
                    buckets=(1, 2, 4, 8, 16, 32))


class Handover(Protocol):
    def committed(self, rows: list[dict]) -> None: ...


@dataclass
class Creation:
    collection: str
    doc: dict
    events: Events
    done: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())

    def settle(self, error: BaseException | None = None) -> None:
        if self.done.done():
            return
        if error is None:
            self.done.set_result(None)
        else:
            self.done.set_exception(error)


class Creations:
    def __init__(self, db: Database, relay: Handover, source: str) -> None:
        self.db, self.relay, self.source = db, relay, source
        self._waiting: list[Creation] = []
        self._group: list[Creation] = []  # the one being committed
        self._draining: asyncio.Task | None = None

    async def create(self, collection: str, doc: dict, events: Events) -> None:
        """Inserts `doc` into `collection` and records `events`, atomically; returns once committed. A request
        cancelled meanwhile does not take its document out of the transaction it joined."""
        creation = Creation(collection, doc, events)
        creation.done.add_done_callback(_retrieved)  # a cancelled request's outcome is not waited for
        self._waiting.append(creation)
        if self._draining is None or self._draining.done():
            self._draining = asyncio.create_task(self._drain(), name="registry-creations")
        await asyncio.shield(creation.done)

    async def _drain(self) -> None:
        try:
            while self._waiting:
                group = self._group = self._waiting[:MOST]
                del self._waiting[:MOST]
                try:
                    rows = await retrying(lambda group=group: self._commit(group))
                except Exception as error:  # noqa: BLE001 - answered to the requests that wait on it
                    await self._one_by_one(group, error)
                    continue
                self._committed(group, rows)
        finally:  # cancelled (shutting down): nobody waits for ever
            for creation in (*self._group, *self._waiting):
                creation.done.cancel()

    async def _one_by_one(self, group: list[Creation], error: BaseException) -> None:
        if len(group) <= 1:
            for creation in group:
                creation.settle(error)
            return
        log.info("a group of %d creations failed (%s); committing them one by one", len(group), error)
        for creation in group:
            alone = [creation]
            try:
                rows = await retrying(lambda alone=alone: self._commit(alone))
            except Exception as failure:  # noqa: BLE001 - its own request's answer
                creation.settle(failure)
                continue
            self._committed(alone, rows)

    async def _commit(self, group: list[Creation]) -> list[dict]:
        """One transaction for `group`: its documents, then its events' outbox rows; returns the rows."""
        async with self.db.transaction() as session:
            by_collection: dict[str, list[dict]] = {}
            for creation in group:
                by_collection.setdefault(creation.collection, []).append(creation.doc)
            for collection, docs in by_collection.items():
                if len(docs) == 1:  # as alone before: a duplicate raises `DuplicateKeyError`, not a bulk error
                    await self.db[collection].insert_one(docs[0], session=session)
                else:
                    await self.db[collection].insert_many(docs, session=session)
            events = [(topic, new_event(type_, subject, data, source=self.source))
                      for creation in group for topic, type_, subject, data in creation.events]
            return await outbox.record_many(self.db, session, events)

    def _committed(self, group: list[Creation], rows: list[dict]) -> None:
        GROUPED.observe(len(group))
        self.relay.committed(rows)
        for creation in group:
            creation.settle()


def _retrieved(done: asyncio.Future) -> None:
    if not done.cancelled():
        done.exception()
