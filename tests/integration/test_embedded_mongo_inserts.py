"""An insert command of several documents goes through mongoeco's batch insertion in the embedded server, and
stores and refuses exactly what its per-document insertion does (`deploy/mongo_insert_batch.py`)."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mongoeco.api._async.collection import AsyncCollection
from pymongo import AsyncMongoClient
from pymongo.errors import BulkWriteError

from deploy import mongo_insert_batch
from deploy.mongo_server import engine_for
from tests.support.mongo import embedded_mongo, served_client, stored_rows

AT = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)


def notification(i: int) -> dict:
    return {"_id": f"ntf_{i:03d}", "org_id": f"org_{i % 3}", "seq": i, "type": "match.proposed", "created_at": AT,
            "data": {"match_id": f"m{i}", "score": i / 7, "keywords": ["水稻", "育种"], "nested": {"ok": True}},
            "tags": [f"t{i % 2}", "all"], "release_at": None}


@pytest.fixture
async def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[AsyncMongoClient, Path, list]]:
    """The served database, its file, and the sizes of the batches that went through `insert_many` (plain inserts
    kept on mongoeco's path: `test_embedded_mongo_direct_inserts.py` covers the direct one)."""
    batches: list[int] = []
    insert_many = AsyncCollection.insert_many

    async def counted(self: AsyncCollection, documents: list, **options: object) -> object:
        batches.append(len(documents))
        return await insert_many(self, documents, **options)

    monkeypatch.setattr(AsyncCollection, "insert_many", counted)
    async with served_client(tmp_path / "inserts.sqlite3", direct_inserts=False) as client:
        yield client, tmp_path / "inserts.sqlite3", batches


def keys(*ids: str) -> list[str]:
    return [repr((str, i)) for i in ids]  # mongoeco's storage key of a string `_id`


async def test_a_batch_stores_the_same_rows_and_index_entries_as_one_document_at_a_time(
        served: tuple[AsyncMongoClient, Path, list]) -> None:
    client, path, batches = served
    db = client["inserts"]
    for name in ("batched", "single"):
        await db[name].create_index([("org_id", 1), ("seq", 1)])
        await db[name].create_index([("data.match_id", 1), ("type", 1)])
        await db[name].create_index("seq")  # a single field: scalar index entries
        await db[name].create_index("tags")  # multikey: an array per document
    documents = [notification(i) for i in range(12)]
    await db["batched"].insert_many(documents)
    assert batches == [12]
    for document in documents:
        await db["single"].insert_one(document)
    assert batches == [12]  # one document per command keeps mongoeco's own path
    assert stored_rows(path, "batched") == stored_rows(path, "single")
    assert len(stored_rows(path, "batched")[1][0]) == 12 and len(stored_rows(path, "batched")[1][1]) == 24
    found = await db["batched"].find({"org_id": "org_1", "seq": {"$gte": 4}}).sort("seq", 1).to_list()
    assert [d["_id"] for d in found] == ["ntf_004", "ntf_007", "ntf_010"]
    assert found[0]["created_at"] == AT and found[0]["data"]["keywords"] == ["水稻", "育种"]
    assert await db["batched"].count_documents({"tags": "t1"}) == 6


async def test_a_refused_document_is_reported_as_by_the_per_document_path(
        served: tuple[AsyncMongoClient, Path, list]) -> None:
    client, path, _ = served
    firms = client["inserts"]["firms"]
    await firms.create_index("credit_code", unique=True)
    await firms.insert_one({"_id": "f0", "credit_code": "c0"})
    with pytest.raises(BulkWriteError) as ordered:
        await firms.insert_many([{"_id": "f1", "credit_code": "c1"}, {"_id": "f2", "credit_code": "c0"},
                                 {"_id": "f3", "credit_code": "c3"}])
    assert ordered.value.details["nInserted"] == 1
    assert [(e["index"], e["code"]) for e in ordered.value.details["writeErrors"]] == [(1, 11000)]
    with pytest.raises(BulkWriteError) as unordered:
        await firms.insert_many([{"_id": "f4", "credit_code": "c4"}, {"_id": "f1", "credit_code": "c5"},
                                 {"_id": "f6", "credit_code": "c4"}, {"_id": "f7", "credit_code": "c7"}],
                                ordered=False)
    assert unordered.value.details["nInserted"] == 2
    assert [(e["index"], e["code"]) for e in unordered.value.details["writeErrors"]] == [(1, 11000), (2, 11000)]
    assert [key for key, _ in stored_rows(path, "firms")[0]] == keys("f0", "f1", "f4", "f7")
    entries = stored_rows(path, "firms")[1][0]
    assert sorted(row[1] for row in entries) == keys("f0", "f1", "f4", "f7")  # none left behind


async def test_two_arrays_in_one_compound_index_are_refused_in_a_batch_as_one_at_a_time(
        served: tuple[AsyncMongoClient, Path, list]) -> None:
    """A batch skips the engine's index checks only for documents they cannot refuse (deploy/mongo_server.py)."""
    client, path, _ = served
    db = client["inserts"]
    for name in ("batched", "single"):
        await db[name].create_index([("tags", 1), ("sizes.n", 1)])
    fine = [{"_id": "p1", "tags": ["a", "b"], "sizes": {"n": 1}}, {"_id": "p3", "tags": "c", "sizes": [{"n": 2}]}]
    both = {"_id": "p2", "tags": ["a"], "sizes": [{"n": 1}, {"n": 2}]}
    # The server reports the refusal without a code, on which pymongo's bulk error fails (KeyError): both ways alike.
    with pytest.raises(Exception):  # noqa: B017, PT011
        await db["batched"].insert_many([fine[0], both, fine[1]], ordered=False)
    with pytest.raises(Exception, match="more than one array field"):  # noqa: PT011
        await db["single"].insert_one(both)
    for document in fine:
        await db["single"].insert_one(document)
    assert stored_rows(path, "batched") == stored_rows(path, "single")
    assert [key for key, _ in stored_rows(path, "batched")[0]] == keys("p1", "p3")


async def test_a_batch_inside_a_transaction_is_undone_with_it(served: tuple[AsyncMongoClient, Path, list]) -> None:
    client, path, batches = served
    matches = client["inserts"]["matches"]
    await matches.insert_one({"_id": "m0"})
    async with client.start_session() as session:
        await session.start_transaction()
        await matches.insert_many([{"_id": f"m{i}"} for i in range(1, 4)], session=session)
        await session.abort_transaction()
    assert batches == [3]
    assert [key for key, _ in stored_rows(path, "matches")[0]] == keys("m0")


async def test_a_batch_inside_a_transaction_stores_what_one_document_at_a_time_stores_when_committed(
        served: tuple[AsyncMongoClient, Path, list]) -> None:
    client, path, batches = served
    db = client["inserts"]
    for name in ("batched", "single"):
        await db[name].create_index([("org_id", 1), ("seq", 1)])
        await db[name].create_index("tags")
    documents = [notification(i) for i in range(6)]
    async with client.start_session() as session, await session.start_transaction():
        await db["batched"].insert_many(documents[:3], session=session)
        await db["outbox"].insert_many([{"_id": f"o{i}", "key": f"ntf_{i:03d}"} for i in range(3)], session=session)
        await db["batched"].insert_many(documents[3:], session=session)
    assert batches == [3, 3, 3]
    async with client.start_session() as session, await session.start_transaction():
        for document in documents:
            await db["single"].insert_one(document, session=session)
    assert stored_rows(path, "batched") == stored_rows(path, "single")
    assert [key for key, _ in stored_rows(path, "outbox")[0]] == keys("o0", "o1", "o2")
    assert await db["batched"].count_documents({"tags": "t1"}) == 3


async def test_a_refused_document_inside_a_transaction_is_reported_as_by_the_per_document_path(
        served: tuple[AsyncMongoClient, Path, list], monkeypatch: pytest.MonkeyPatch) -> None:
    """The same transaction twice, through the batch path and with it switched off: the same error, the same rows
    once committed."""
    client, path, batches = served
    db = client["inserts"]
    outcomes = []
    for name in ("batched", "single"):
        if name == "single":
            monkeypatch.setattr(mongo_insert_batch, "own_transaction_engine", lambda *_, **__: None)
        await db[name].insert_one({"_id": "p0"})
        async with client.start_session() as session:
            await session.start_transaction()
            with pytest.raises(BulkWriteError) as refused:
                await db[name].insert_many([{"_id": "p1"}, {"_id": "p0"}, {"_id": "p2"}], session=session)
            outcomes.append((refused.value.details["nInserted"],
                             [(e["index"], e["code"]) for e in refused.value.details["writeErrors"]]))
            await session.abort_transaction()
    assert batches == [3]  # the first tried the batch path (and went on one document at a time), the second did not
    assert outcomes[0] == outcomes[1] == (1, [(1, 11000)])
    assert [key for key, _ in stored_rows(path, "batched")[0]] == [key for key, _ in stored_rows(path, "single")[0]]


def ttl_entries(path: Path, collection: str) -> list:
    return stored_rows(path, collection)[1][2]


async def test_a_batch_writes_ttl_entries_and_an_id_used_again_gets_only_its_new_entries(
        served: tuple[AsyncMongoClient, Path, list]) -> None:
    """A batch skips deleting entries of the documents it inserts, which have none (deploy/mongo_insert_batch.py):
    an `_id` deleted and inserted again keeps no entry of the document it had before."""
    client, path, batches = served
    db = client["inserts"]
    for name in ("batched", "single"):
        await db[name].create_index("created_at", expireAfterSeconds=10 * 365 * 24 * 3600)
        await db[name].create_index("seq")
        await db[name].create_index("tags")
    first = [notification(i) for i in range(4)]
    again = [{**notification(i), "seq": 100 + i, "tags": ["again"], "created_at": datetime(2026, 12, 2, tzinfo=UTC)}
             for i in (1, 2)]
    await db["batched"].insert_many(first)
    await db["batched"].delete_many({"_id": {"$in": ["ntf_001", "ntf_002"]}})
    await db["batched"].insert_many(again)
    assert batches == [4, 2]
    for document in first:
        await db["single"].insert_one(document)
    await db["single"].delete_many({"_id": {"$in": ["ntf_001", "ntf_002"]}})
    for document in again:
        await db["single"].insert_one(document)
    assert stored_rows(path, "batched") == stored_rows(path, "single")
    assert ttl_entries(path, "batched") == ttl_entries(path, "single") and len(ttl_entries(path, "batched")) == 4
    assert await db["batched"].count_documents({"seq": {"$in": [1, 2]}}) == 0
    assert await db["batched"].count_documents({"tags": "again"}) == 2
    assert await db["batched"].count_documents({"tags": "t1"}) == 1


async def test_a_batch_of_new_documents_deletes_nothing_and_reads_the_index_catalogue_once(tmp_path: Path) -> None:
    engine = engine_for(tmp_path / "statements.sqlite3")
    statements: list[str] = []
    async with embedded_mongo(engine, as_served=True) as url:
        client: AsyncMongoClient = AsyncMongoClient(url, tz_aware=True)
        notifications = client["inserts"]["notifications"]
        await notifications.create_index([("org_id", 1), ("seq", 1)])
        await notifications.create_index("seq")
        await notifications.insert_many([notification(i) for i in range(4)])
        engine._connection.set_trace_callback(statements.append)
        try:
            await notifications.insert_many([notification(i) for i in range(4, 20)])
        finally:
            engine._connection.set_trace_callback(None)
            await client.close()
    assert sum(s.lstrip().startswith("INSERT INTO documents") for s in statements) >= 16  # (traced more than once)
    assert not [s for s in statements if s.lstrip().startswith("DELETE")]
    assert sum("CREATE INDEX" in s for s in statements) <= 1
    assert sum("data_version" in s for s in statements) <= 4  # the catalogue's checks per command, not per document
