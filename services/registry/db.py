"""MongoDB through PyMongo's async API: one client per process, transactions for every write + its event."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.database import AsyncDatabase


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
