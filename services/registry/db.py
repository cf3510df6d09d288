"""MongoDB through PyMongo's async API: one client per process, transactions for every write + its event."""

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

BUSY = ("database is locked", "active transaction bound to another session")


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

    def __getitem__(self, collection: str):
        return self.db[collection]

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncClientSession]:
        async with self.client.start_session() as session, await session.start_transaction():
            yield session

    async def ping(self) -> bool:
        try:
            await self.client.admin.command("ping")
            return True
        except Exception:
            return False

    async def close(self) -> None:
        await self.client.close()
