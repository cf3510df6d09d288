"""A delete by `_id`s in the embedded server goes straight to its tables and leaves exactly what mongoeco's own
delete path leaves (`deploy/mongo_delete_by_id.py`)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from bson import ObjectId
from pymongo import AsyncMongoClient

from deploy import mongo_delete_by_id
from tests.support.mongo import served_client, stored_rows


@pytest.fixture
async def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[AsyncMongoClient, Path, list]]:
    """The served database, its file, and the `_id`s each direct delete was given."""
    direct: list[list] = []
    delete_by_keys = mongo_delete_by_id.delete_by_keys

    def counted(engine: object, db_name: str, coll_name: str, ids: list) -> int:
        direct.append(list(ids))
        return delete_by_keys(engine, db_name, coll_name, ids)

    monkeypatch.setattr(mongo_delete_by_id, "delete_by_keys", counted)
    async with served_client(tmp_path / "deletes.sqlite3") as client:
        yield client, tmp_path / "deletes.sqlite3", direct


def row(i: int) -> dict:
    return {"_id": f"r{i}", "org_ids": [f"org_{i % 3}", "org_x"], "seq": i, "topic": "needs", "sent": i % 2 == 0}


async def test_a_delete_by_ids_leaves_the_same_documents_and_entries_as_mongoecos_own_path(
        served: tuple[AsyncMongoClient, Path, list]) -> None:
    client, path, direct = served
    db = client["deletes"]
    for name in ("direct", "own"):
        await db[name].create_index([("sent", 1), ("_id", 1)])
        await db[name].create_index("seq")  # scalar entries
        await db[name].create_index("org_ids")  # multikey entries (an array per document)
        await db[name].insert_many([row(i) for i in range(12)])
    gone = ["r1", "r4", "r4", "r7", "r99"]  # one twice, one that never was
    assert (await db["direct"].delete_many({"_id": {"$in": gone}})).deleted_count == 3
    assert (await db["own"].delete_many({"_id": {"$in": gone}, "seq": {"$gte": 0}})).deleted_count == 3
    assert (await db["direct"].delete_one({"_id": "r9"})).deleted_count == 1
    assert (await db["own"].delete_one({"_id": "r9", "seq": 9})).deleted_count == 1
    assert (await db["direct"].delete_many({"_id": "r99"})).deleted_count == 0
    assert direct == [gone, ["r9"], ["r99"]]
    assert stored_rows(path, "direct") == stored_rows(path, "own")
    assert len(stored_rows(path, "direct")[0]) == 8 and len(stored_rows(path, "direct")[1][1]) == 16
    assert await db["direct"].count_documents({"org_ids": "org_1"}) == 1  # r10: r1, r4 and r7 are gone
    assert [d["_id"] for d in await db["direct"].find({"seq": {"$gt": 5}}).sort("seq", 1).to_list()] == [
        "r6", "r8", "r10", "r11"]


async def test_object_ids_are_deleted_directly_and_numeric_ids_by_mongoecos_own_path(
        served: tuple[AsyncMongoClient, Path, list]) -> None:
    client, _, direct = served
    outbox = client["deletes"]["outbox"]
    ids = [ObjectId() for _ in range(3)]
    await outbox.insert_many([{"_id": i, "sent": True} for i in ids] + [{"_id": 1}, {"_id": 2}])
    assert (await outbox.delete_many({"_id": {"$in": ids[:2]}})).deleted_count == 2
    assert (await outbox.delete_many({"_id": {"$in": [1.0, 2]}})).deleted_count == 2  # 1.0 equals 1
    assert direct == [ids[:2]]
    assert [d["_id"] for d in await outbox.find().to_list()] == [ids[2]]


async def test_a_collection_with_a_ttl_index_and_a_transaction_keep_mongoecos_own_path(
        served: tuple[AsyncMongoClient, Path, list]) -> None:
    client, _, direct = served
    db = client["deletes"]
    await db["tickets"].create_index("expires_at", expireAfterSeconds=0)
    await db["tickets"].insert_many([{"_id": "t1"}, {"_id": "t2"}])
    assert (await db["tickets"].delete_many({"_id": {"$in": ["t1"]}})).deleted_count == 1
    await db["rows"].insert_many([row(i) for i in range(3)])
    async with client.start_session() as session:
        await session.start_transaction()
        await db["rows"].delete_many({"_id": {"$in": ["r0", "r1"]}}, session=session)
        await session.abort_transaction()
    assert direct == []
    assert await db["rows"].count_documents({}) == 3 and await db["tickets"].count_documents({}) == 1
