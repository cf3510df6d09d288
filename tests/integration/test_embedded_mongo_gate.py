"""The embedded MongoDB server lets transactions and other sessions' commands run side by side, as MongoDB does.

mongoeco's engine refuses another session's command while a transaction is open; the server's gate makes such a
command wait instead, and makes a transaction wait for the commands already running. Two clients committing
transactions while two others read and write outside transactions must see no refusal and lose no write.
"""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from pymongo import AsyncMongoClient

from deploy.mongo_server import engine_for
from tests.support.mongo import embedded_mongo


@pytest.fixture
async def url(tmp_path: Path) -> AsyncIterator[str]:
    async with embedded_mongo(engine_for(tmp_path / "gate.sqlite3"), as_served=True) as served:
        yield served


async def test_transactions_and_plain_commands_of_other_sessions_never_refuse_each_other(url: str) -> None:
    clients = [AsyncMongoClient(url, tz_aware=True) for _ in range(4)]
    try:
        async def transactions(client: AsyncMongoClient, name: str) -> None:
            for i in range(25):
                async with client.start_session() as session, await session.start_transaction():
                    await client["gate"]["postings"].insert_one({"_id": f"{name}-{i}"}, session=session)
                    await client["gate"]["outbox"].insert_one({"_id": f"{name}-{i}"}, session=session)

        async def plain(client: AsyncMongoClient, name: str) -> None:
            async def one(i: int) -> None:
                await client["gate"]["events"].insert_one({"_id": f"{name}-{i}"})
                await client["gate"]["postings"].find_one({"_id": f"tx-a-{i}"})
            for start in range(0, 60, 6):
                await asyncio.gather(*(one(i) for i in range(start, start + 6)))

        await asyncio.wait_for(asyncio.gather(transactions(clients[0], "tx-a"), transactions(clients[1], "tx-b"),
                                              plain(clients[2], "p-a"), plain(clients[3], "p-b")), 120)
        db = clients[0]["gate"]
        assert await db["postings"].count_documents({}) == await db["outbox"].count_documents({}) == 50
        assert await db["events"].count_documents({}) == 120
    finally:
        for client in clients:
            await client.close()
