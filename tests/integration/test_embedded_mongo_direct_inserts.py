"""A plain insert command, and a plain insert in a session's transaction, goes straight to the engine in the
embedded server, and stores and refuses exactly what mongoeco's own path does (`deploy/mongo_direct_insert.py`);
anything else keeps mongoeco's path."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mongoeco.api._async.collection import AsyncCollection
from pymongo import AsyncMongoClient, WriteConcern
from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

from tests.support.mongo import served_client, stored_rows

AT = datetime(2026, 12, 1, 8, 30, tzinfo=UTC)
LEASE = datetime(2126, 12, 1, tzinfo=UTC)  # a TTL index's field, far enough ahead not to expire meanwhile
Served = tuple[AsyncMongoClient, AsyncMongoClient, Path, Path, list[str]]


def notification(i: int) -> dict:
    return {"_id": f"ntf_{i:03d}", "org_id": f"org_{i % 3}", "seq": i, "type": "match.proposed", "created_at": AT,
            "data": {"match_id": f"m{i}", "score": i / 7, "components": [{"name": "text", "explanation": "文本相关度"}],
                     "nested": {"ok": True, "none": None}},
            "tags": [f"t{i % 2}", "all"], "claimed_until": LEASE}


@pytest.fixture
async def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Served]:
    """Two servers, one as `deploy.mongo_server` serves (direct inserts), one with plain inserts on mongoeco's path;
    their files; and the inserts that went through mongoeco's collection layer, on either."""
    through_mongoeco: list[str] = []
    for name in ("insert_one", "insert_many"):
        original = getattr(AsyncCollection, name)

        async def counted(self: AsyncCollection, *args: object, _name: str = name, _original=original,  # noqa: ANN001
                          **options: object) -> object:
            through_mongoeco.append(f"{self.name}.{_name}")
            return await _original(self, *args, **options)

        monkeypatch.setattr(AsyncCollection, name, counted)
    async with (served_client(tmp_path / "direct.sqlite3") as direct,
                served_client(tmp_path / "mongoeco.sqlite3", direct_inserts=False) as plain):
        yield direct, plain, tmp_path / "direct.sqlite3", tmp_path / "mongoeco.sqlite3", through_mongoeco


def both(served: Served, collection: str) -> list:
    """The collection on the direct server, then on the one without the direct path."""
    direct, plain, *_ = served
    return [client["inserts"][collection] for client in (direct, plain)]


async def test_plain_inserts_store_the_same_rows_and_index_entries_without_the_collection_layer(
        served: Served) -> None:
    *_, direct_path, plain_path, through_mongoeco = served
    for notifications in both(served, "notifications"):
        await notifications.insert_one(notification(0))  # creates the collection (mongoeco's path)
        await notifications.create_index([("org_id", 1), ("seq", 1)])
        await notifications.create_index([("data.match_id", 1), ("type", 1)])
        await notifications.create_index("tags")  # multikey: an array per document
        await notifications.create_index("claimed_until", expireAfterSeconds=3600)  # TTL entries
        through_mongoeco.clear()
        await notifications.insert_many([notification(i) for i in range(1, 13)])
        await notifications.insert_one(notification(13))
    assert through_mongoeco == ["notifications.insert_many", "notifications.insert_one"]  # the second server's
    assert stored_rows(direct_path, "notifications") == stored_rows(plain_path, "notifications")
    documents, (scalar, multikey, ttl) = stored_rows(direct_path, "notifications")
    assert (len(documents), len(scalar), len(multikey), len(ttl)) == (14, 14, 28, 14)
    direct, *_ = both(served, "notifications")
    found = await direct.find({"org_id": "org_1", "seq": {"$gte": 4}}).sort("seq", 1).to_list()
    assert [d["_id"] for d in found] == ["ntf_004", "ntf_007", "ntf_010", "ntf_013"]
    assert found[0]["created_at"] == AT and found[0]["data"]["components"][0]["explanation"] == "文本相关度"
    assert await direct.count_documents({"tags": "t1"}) == 7


async def test_a_duplicate_id_is_refused_and_reported_as_by_mongoecos_path(served: Served) -> None:
    *_, direct_path, plain_path, _ = served
    details = []
    for deliveries in both(served, "deliveries"):
        await deliveries.insert_one({"_id": "d0", "n": 0})
        await deliveries.create_index("n")
        with pytest.raises(BulkWriteError) as ordered:
            await deliveries.insert_many([{"_id": "d1", "n": 1}, {"_id": "d0", "n": 2}, {"_id": "d3", "n": 3}])
        with pytest.raises(BulkWriteError) as unordered:
            await deliveries.insert_many([{"_id": "d4", "n": 4}, {"_id": "d1", "n": 5}, {"_id": "d6", "n": 6}],
                                         ordered=False)
        with pytest.raises(DuplicateKeyError):
            await deliveries.insert_one({"_id": "d4", "n": 7})
        details.append([(e.details["nInserted"], [(w["index"], w["code"]) for w in e.details["writeErrors"]])
                        for e in (ordered.value, unordered.value)])
    assert details[0] == details[1] == [(1, [(1, 11000)]), (2, [(1, 11000)])]
    assert stored_rows(direct_path, "deliveries") == stored_rows(plain_path, "deliveries")
    assert [key for key, _ in stored_rows(direct_path, "deliveries")[0]] == [
        repr((str, i)) for i in ("d0", "d1", "d4", "d6")]  # nothing of the refused commands' direct attempt


async def test_inserts_in_a_sessions_transaction_go_to_the_engine_and_commit_or_abort_with_it(
        served: Served) -> None:
    direct, plain, direct_path, plain_path, through_mongoeco = served
    seen = []
    for client in (direct, plain):
        db = client["inserts"]
        await db["needs"].insert_one({"_id": "n0", "org_id": "org_a"})  # creates the collections (mongoeco's path)
        await db["needs"].create_index([("org_id", 1), ("_id", -1)])
        await db["outbox"].insert_one({"_id": "o0", "sent": False})
        through_mongoeco.clear()
        async with client.start_session() as session, await session.start_transaction():  # committed
            await db["needs"].insert_one({"_id": "n1", "org_id": "org_a", "at": AT}, session=session)
            await db["outbox"].insert_many([{"_id": "o1", "sent": False}, {"_id": "o2", "sent": False}],
                                           session=session)
        with pytest.raises(RuntimeError):
            async with client.start_session() as session, await session.start_transaction():  # aborted
                await db["needs"].insert_one({"_id": "n2", "org_id": "org_b"}, session=session)
                raise RuntimeError("the request failed after its insert")
        with pytest.raises(DuplicateKeyError):
            async with client.start_session() as session, await session.start_transaction():  # refused, aborted
                await db["needs"].insert_one({"_id": "n3", "org_id": "org_c"}, session=session)
                await db["needs"].insert_one({"_id": "n1", "org_id": "org_c"}, session=session)
        assert sorted(d["_id"] for d in await db["needs"].find().to_list()) == ["n0", "n1"]
        assert await db["outbox"].count_documents({}) == 3
        seen.append(list(through_mongoeco))
    # on the direct server only the refused insert went through mongoeco's path (which reported it); on the other,
    # every insert of the transactions did
    assert seen == [["needs.insert_one"], ["needs.insert_one", "outbox.insert_many", *["needs.insert_one"] * 3]]
    for collection in ("needs", "outbox"):
        assert stored_rows(direct_path, collection) == stored_rows(plain_path, collection)


async def test_new_collections_validators_and_unacknowledged_writes_keep_mongoecos_path(served: Served) -> None:
    direct, _, direct_path, _, through_mongoeco = served
    db = direct["inserts"]
    await db["outbox"].insert_many([{"_id": "o1"}, {"_id": "o2"}])  # a new collection
    async with direct.start_session() as session, await session.start_transaction():
        await db["outbox"].insert_many([{"_id": "o3"}, {"_id": "o4"}], session=session)  # in a transaction: direct
    await db.create_collection("firms", validator={"$jsonSchema": {"required": ["name"]}})
    with pytest.raises(WriteError):
        await db["firms"].insert_one({"_id": "f1"})
    await db["firms"].insert_one({"_id": "f2", "name": "甲"})
    await db["outbox"].with_options(write_concern=WriteConcern(w=0)).insert_one({"_id": "o5"})
    await db["outbox"].insert_many([{"_id": "o6"}, {"_id": "o7"}])  # plain: direct
    assert through_mongoeco == ["outbox.insert_many", "firms.insert_one", "firms.insert_one", "outbox.insert_one"]
    assert await db["outbox"].count_documents({}) == 7
    assert [key for key, _ in stored_rows(direct_path, "firms")[0]] == [repr((str, "f2"))]


async def test_ids_other_than_strings_and_object_ids_keep_mongoecos_path(served: Served) -> None:
    direct, _, _, _, through_mongoeco = served
    counters = direct["inserts"]["counters"]
    await counters.insert_one({"_id": "c0"})
    through_mongoeco.clear()
    await counters.insert_many([{"_id": 1, "n": 1}, {"_id": 2.0, "n": 2}])
    await counters.insert_many([{"n": 3}, {"n": 4}])  # the driver adds ObjectIds: direct
    assert through_mongoeco == ["counters.insert_many"]
    assert await counters.count_documents({}) == 5
