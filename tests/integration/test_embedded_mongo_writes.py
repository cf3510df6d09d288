"""The embedded MongoDB server commits each write command once, and as a whole before it answers; no index
spans every collection's documents.

`deploy/mongo_write_batch.py` runs an insert, update or delete command in one SQLite transaction, each statement
a savepoint. What the client was told is written must be in the database file when the answer arrives, and a
refused statement must leave the others as MongoDB leaves them.
"""

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mongoeco.engines.sqlite import SQLiteEngine
from pymongo import AsyncMongoClient, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError

from deploy.mongo_server import engine_for
from tests.support.mongo import embedded_mongo


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[AsyncMongoClient, Path]]:
    path = tmp_path / "writes.sqlite3"
    async with embedded_mongo(engine_for(path), as_served=True) as url:
        client: AsyncMongoClient = AsyncMongoClient(url)
        try:
            yield client, path
        finally:
            await client.close()


def stored_ids(path: Path, collection: str) -> list[str]:
    """What another SQLite connection sees in the file: only committed rows."""
    with sqlite3.connect(path) as other:
        rows = other.execute("SELECT storage_key FROM documents WHERE coll_name = ?", (collection,)).fetchall()
    return sorted(row[0] for row in rows)


async def test_a_write_commands_statements_are_committed_when_its_answer_arrives(
        served: tuple[AsyncMongoClient, Path]) -> None:
    client, path = served
    matches = client["writes"]["matches"]
    await matches.insert_many([{"_id": f"m{i}", "score": i} for i in range(5)])
    assert len(stored_ids(path, "matches")) == 5
    await matches.bulk_write([UpdateOne({"_id": f"m{i}"}, {"$set": {"score": 10 * i}}, upsert=True)
                              for i in range(3, 8)])
    assert len(stored_ids(path, "matches")) == 8
    assert [d["score"] for d in await matches.find({}).sort("_id", 1).to_list()] == [0, 1, 2, 30, 40, 50, 60, 70]
    await matches.delete_many({"score": {"$gte": 50}})
    assert len(stored_ids(path, "matches")) == 5


async def test_a_refused_statement_is_undone_alone(served: tuple[AsyncMongoClient, Path]) -> None:
    client, path = served
    needs = client["writes"]["needs"]
    await needs.insert_one({"_id": "n2"})
    with pytest.raises(BulkWriteError) as ordered:
        await needs.insert_many([{"_id": "n1"}, {"_id": "n2"}, {"_id": "n3"}])
    assert ordered.value.details["nInserted"] == 1  # n1, then the refusal stops an ordered insert
    with pytest.raises(BulkWriteError) as unordered:
        await needs.insert_many([{"_id": "n4"}, {"_id": "n2"}, {"_id": "n5"}], ordered=False)
    assert unordered.value.details["nInserted"] == 2
    assert sorted(d["_id"] for d in await needs.find({}).to_list()) == ["n1", "n2", "n4", "n5"]
    assert len(stored_ids(path, "needs")) == 4


def indexes_on_documents(path: Path) -> list[str]:
    with sqlite3.connect(path) as other:
        rows = other.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents'")
        return sorted(row[0] for row in rows)


async def test_no_index_spans_every_collections_documents_yet_indexes_still_answer(tmp_path: Path) -> None:
    """mongoeco's per-index SQLite index over the shared documents table is dropped (it cost every write in every
    collection and no query used it): unique indexes still refuse, hints still answer, old files are cleaned."""
    path = tmp_path / "indexes.sqlite3"
    plain = SQLiteEngine(str(path))  # a file written before: it has the spanning indexes
    async with embedded_mongo(plain) as url:
        client: AsyncMongoClient = AsyncMongoClient(url)
        await client["writes"]["orgs"].create_index([("region", 1), ("founded", -1)])
        await client["writes"]["orgs"].insert_many([{"_id": f"o{i}", "region": "苏州", "founded": i} for i in range(4)])
        await client.close()
    assert len(indexes_on_documents(path)) > 1

    async with embedded_mongo(engine_for(path), as_served=True) as url:
        client = AsyncMongoClient(url)
        try:
            assert indexes_on_documents(path) == ["sqlite_autoindex_documents_1"]
            orgs = client["writes"]["orgs"]
            firms = client["writes"]["firms"]
            await firms.create_index("credit_code", unique=True)
            await firms.insert_one({"_id": "f1", "credit_code": "91320500"})
            with pytest.raises(DuplicateKeyError):
                await firms.insert_one({"_id": "f2", "credit_code": "91320500"})
            assert indexes_on_documents(path) == ["sqlite_autoindex_documents_1"]
            hinted = await orgs.find({"region": "苏州", "founded": {"$gte": 2}}).hint("region_1_founded_-1").to_list()
            assert sorted(d["_id"] for d in hinted) == ["o2", "o3"]
        finally:
            await client.close()
