"""MongoDB through PyMongo's async API: one client per process, transactions for every write + its event."""

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, PyMongoError

from services.contracts.shutdown import within

CLOSE_SECONDS = 5.0  # at most this long to close the client at shutdown (see `contracts.shutdown`)
BUSY = ("database is locked", "active transaction bound to another session")
DUPLICATE_KEY = 11000


def only_duplicates(error: BulkWriteError) -> set[int] | None:
    """The indexes an unordered insert found already stored (duplicate `_id`), or None when anything else
    failed too."""
    failed = error.details.get("writeErrors", [])
    if any(e.get("code") != DUPLICATE_KEY for e in failed):
        return None
    return {e["index"] for e in failed}


def transient(error: PyMongoError) -> bool:
    """Worth retrying: a write conflict between transactions (MongoDB labels it), or a storage engine that
    is busy with another writer's transaction (the embedded SQLite engine serialises them)."""
    return error.has_error_label("TransientTransactionError") or any(b in str(error) for b in BUSY)


async def retrying[T](operation: Callable[[], Awaitable[T]], attempts: int = 10) -> T:
    """Run `operation`, retrying with jittered backoff while it fails transiently."""
    for attempt in range(attempts):
        try:
            return await operation()
        except PyMongoError as error:
            if attempt == attempts - 1 or not transient(error):
                raise
            await asyncio.sleep(0.01 * 2**attempt * (1 + random.random()))
    raise AssertionError("unreachable")


class Database:
    def __init__(self, url: str, name: str) -> None:
        self.client: AsyncMongoClient = AsyncMongoClient(url, tz_aware=True)
        self.db: AsyncDatabase = self.client[name]
        self._one_at_a_time = asyncio.Lock()

    def __getitem__(self, collection: str) -> "RetryingCollection":
        return RetryingCollection(self.db[collection])

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncClientSession]:
        """One transaction at a time per process: transactions here are a few small writes, and concurrent ones
        on the same documents would only conflict and be retried."""
        async with self._one_at_a_time, self.client.start_session() as session, await session.start_transaction():
            yield session

    async def ping(self) -> bool:
        try:
            await self.client.admin.command("ping")
            return True
        except Exception:
            return False

    async def close(self) -> None:
        await within(CLOSE_SECONDS, self.client.close(), "closing the database client")


RETRIED = frozenset({
    "insert_one", "insert_many", "update_one", "update_many", "replace_one", "delete_one", "delete_many",
    "find_one", "find_one_and_update", "find_one_and_replace", "find_one_and_delete", "count_documents",
    "estimated_document_count", "distinct", "create_index", "bulk_write",
})


class RetryingCursor:
    """`find(...)` whose chained `sort`/`limit`/`skip` are replayed when `to_list` must be retried."""

    def __init__(self, collection: Any, args: tuple, kwargs: dict) -> None:
        self._collection, self._args, self._kwargs = collection, args, kwargs
        self._chain: list[tuple[str, tuple, dict]] = []

    def _then(self, name: str, *args: Any, **kwargs: Any) -> "RetryingCursor":
        self._chain.append((name, args, kwargs))
        return self

    def sort(self, *args: Any, **kwargs: Any) -> "RetryingCursor":
        return self._then("sort", *args, **kwargs)

    def limit(self, *args: Any, **kwargs: Any) -> "RetryingCursor":
        return self._then("limit", *args, **kwargs)

    def skip(self, *args: Any, **kwargs: Any) -> "RetryingCursor":
        return self._then("skip", *args, **kwargs)

    def _cursor(self) -> Any:
        cursor = self._collection.find(*self._args, **self._kwargs)
        for name, args, kwargs in self._chain:
            cursor = getattr(cursor, name)(*args, **kwargs)
        return cursor

    async def to_list(self, length: int | None = None) -> list[dict]:
        return await retrying(lambda: self._cursor().to_list(length))

    def __aiter__(self) -> Any:
        return self._cursor().__aiter__()

    def __getattr__(self, name: str) -> Any:
        """Any other chained cursor method (`batch_size`, `hint`, ...) is recorded and replayed likewise."""
        return lambda *args, **kwargs: self._then(name, *args, **kwargs)


class RetryingCollection:
    """A collection whose single operations outside a transaction are retried while the store is busy.

    Operations inside a transaction (`session=` given) are not retried one by one: `events.commit` retries
    the whole transaction.
    """

    def __init__(self, collection: Any) -> None:
        self._collection = collection

    def find(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("session") is not None:
            return self._collection.find(*args, **kwargs)
        return RetryingCursor(self._collection, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._collection, name)
        if name not in RETRIED:
            return attr

        async def call(*args: Any, **kwargs: Any) -> Any:
            if kwargs.get("session") is not None:
                return await attr(*args, **kwargs)
            return await retrying(lambda: attr(*args, **kwargs))

        return call
