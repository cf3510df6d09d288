"""The embedded MongoDB server's shortcuts answer every query exactly as mongoeco does without them.

`deploy.mongo_server.engine_for` keeps the engine's per-collection planning answers across writes, answers
a lookup of a missing `_id` without a scan and reads a find's documents through a single-field index when one
of its conditions allows. A seeded random mix of inserts, updates, deletes and aborted
transactions over documents whose fields change shape (scalars become arrays, numbers become text, ASCII
becomes Chinese) runs against that server and against plain mongoeco side by side; after every write, the same
queries must return the same documents in the same order.
"""

import random
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from mongoeco.core.query_plan import compile_filter
from mongoeco.engines.sqlite import SQLiteEngine
from pymongo import AsyncMongoClient
from pymongo.errors import BulkWriteError

from deploy.mongo_index_scan import indexed_rows
from deploy.mongo_server import engine_for
from tests.support.mongo import embedded_mongo

SHAPES = {
    "tags": [lambda r: r.choice("abc"), lambda r: [r.choice("abc"), r.choice("cd")], lambda r: None],
    "n": [lambda r: r.randint(0, 9), lambda r: r.random() * 10, lambda r: str(r.randint(0, 9)), lambda r: None],
    "name": [lambda r: r.choice(["alpha", "mid", "zeta"]), lambda r: r.choice(["水稻", "育种", "Zeta"])],
    "meta": [lambda r: {"k": r.randint(0, 3)}, lambda r: [{"k": r.randint(0, 3)}], lambda r: None],
    "seq": [lambda r: r.randint(0, 40), lambda r: r.randint(0, 40) + 0.5, lambda r: None],
}
QUERIES = [
    ({"tags": "b"}, None), ({"tags": {"$in": ["a", "d"]}}, None), ({"n": {"$gt": 4}}, None),
    ({"n": {"$lte": 3}}, "n"), ({}, "n"), ({"name": {"$gte": "m"}}, "name"), ({"meta.k": 2}, None),
    ({"tags": {"$exists": False}}, None), ({"_id": "d3"}, None), ({"_id": "missing"}, None),
    ({"_id": {"$in": ["d7", "missing", "d3", "d12", "d3"]}}, None), ({"_id": {"$in": []}}, None),
    # narrowed by a single-field index (deploy/mongo_index_scan.py) while the field's values allow it
    ({"seq": 7}, None), ({"seq": {"$gt": 30}}, None), ({"seq": {"$gt": 10, "$lte": 20}}, "seq"),
    ({"seq": {"$gte": 5}, "name": "mid"}, "seq"), ({"name": "alpha", "n": {"$lt": 5}}, "n"),
    ({"$and": [{"seq": {"$lt": 20}}, {"tags": "a"}]}, "seq"), ({"seq": {"$gt": 3}, "name": {"$gte": "m"}}, "name"),
    ({"name": "水稻"}, None), ({"seq": None}, None), ({"seq": {"$gt": 12}}, ("seq", 3)), ({"seq": True}, None),
    # sorted on the narrowing field alone, with a limit: the index range is walked in order (`rank` is unique:
    # MongoDB leaves the order of equal sort values unspecified, and so does mongoeco)
    ({"rank": {"$gt": 20}, "tags": "a"}, ("rank", 5, 0)), ({"rank": {"$gte": 3}}, ("rank", 4, 2)),
    ({"rank": {"$lt": 100}, "name": "mid"}, ("rank", 3, 1)), ({"rank": {"$gt": 5}}, ("-rank", 3, 0)),
]
# Each query is asked with one of these in turn: a find that names its fields decodes only those it reads.
PROJECTIONS = [None, {"name": 1}, {"seq": 1, "meta": 1, "_id": 0}, {"meta.k": 1, "rank": True}, {"tags": 0},
               {"tags": {"$slice": 1}, "rank": 1}, {"n": 1, "_id": 1}]


def document(r: random.Random, doc_id: str) -> dict:
    doc: dict = {"_id": doc_id, "rank": int(doc_id[1:])}
    for field, shapes in SHAPES.items():
        value = r.choice(shapes)(r)
        if value is not None:
            doc[field] = value
    return doc


@pytest.fixture
async def clients(tmp_path: Path) -> AsyncIterator[tuple[AsyncMongoClient, AsyncMongoClient]]:
    plain = SQLiteEngine(str(tmp_path / "plain.sqlite3"))
    plain.dispatch_committed_changes = lambda consumer_id, consumer: None  # type: ignore[method-assign]
    async with (embedded_mongo(engine_for(tmp_path / "shortcut.sqlite3"), as_served=True) as shortcut,
                embedded_mongo(plain) as reference):
        pair = AsyncMongoClient(shortcut), AsyncMongoClient(reference)
        try:
            yield pair
        finally:
            for client in pair:
                await client.close()


async def answers(client: AsyncMongoClient, step: int = 0) -> list[list]:
    collection = client["planning"]["docs"]
    out = []
    for i, (query, order) in enumerate(QUERIES):
        sort, limit, *alone = order if isinstance(order, tuple) else (order, 0)
        projection = PROJECTIONS[(i + step) % len(PROJECTIONS)]
        cursor = collection.find(query, projection).limit(limit)
        if alone:  # a single-key sort
            key, direction = sort.removeprefix("-"), -1 if sort.startswith("-") else 1
            cursor = cursor.sort([(key, direction)]).skip(alone[0])
        elif sort:
            cursor = cursor.sort([(sort, 1), ("_id", 1)])
        docs = await cursor.to_list()
        out.append(docs if sort else sorted(docs, key=repr))
    return out


async def test_shortcut_server_answers_like_plain_mongoeco(
        clients: tuple[AsyncMongoClient, AsyncMongoClient]) -> None:
    r = random.Random(20261129)
    shortcut, reference = clients
    for client in clients:
        for field in ("n", "seq", "name", "rank"):
            await client["planning"]["docs"].create_index(field)
    ids: list[str] = []
    batches = 0
    for step in range(160):
        action = r.random()
        if action < 0.45 or not ids:
            doc = document(r, f"d{step}")
            ids.append(doc["_id"])
            writes = [("insert_one", (doc,))]
        elif action < 0.75:
            field = r.choice(list(SHAPES))
            value = r.choice(SHAPES[field])(r)
            change = {"$set": {field: value}} if value is not None else {"$unset": {field: ""}}
            writes = [("update_one", ({"_id": r.choice(ids)}, change))]
        elif action < 0.85:
            writes = [("update_one", ({"_id": f"up{step}"}, {"$set": {"n": r.randint(0, 9)}}))]
            writes[0] = ("update_one", (*writes[0][1], True))
        elif action < 0.9:
            victim = r.choice(ids)
            ids.remove(victim)
            writes = [("delete_one", ({"_id": victim},))]
        elif action < 0.93:  # several statements in one command, one of them refused (a duplicate `_id`)
            batch = [document(r, f"b{1000 + 10 * step + i}") for i in range(3)]  # `rank` stays unique
            batch.insert(r.randint(0, 3), {"_id": r.choice(ids)})
            batches += 1
            writes = [("insert_many", (batch, r.random() < 0.5)),
                      ("update_many", ({"n": {"$lt": 5}}, {"$inc": {"n": 3}}))]
        else:
            writes = [("aborted", (document(r, f"t{step}"),))]
        refused = []
        for client in clients:
            collection = client["planning"]["docs"]
            for name, args in writes:
                if name == "insert_many":  # MongoDB keeps what came before the refusal (all the rest, unordered)
                    with pytest.raises(BulkWriteError) as refusal:
                        await collection.insert_many(args[0], ordered=args[1])
                    refused.append(refusal.value.details["nInserted"])
                elif name == "aborted":  # written, read inside the transaction (planning answers cached), undone
                    async with client.start_session() as session:
                        await session.start_transaction()
                        await collection.insert_one(args[0], session=session)
                        await collection.find({"tags": "b"}, session=session).to_list()
                        seen = await collection.find({"seq": {"$gte": 0}}, session=session).to_list()
                        assert any(d["_id"] == args[0]["_id"] for d in seen) or "seq" not in args[0]
                        await session.abort_transaction()
                elif name == "update_one" and len(args) == 3:
                    await collection.update_one(args[0], args[1], upsert=True)
                else:
                    await getattr(collection, name)(*args)
        assert await answers(shortcut, step) == await answers(reference, step), f"step {step}: {writes}"
        assert len(set(refused)) <= 1
        ids = sorted(d["_id"] for d in await reference["planning"]["docs"].find({}, {"_id": 1}).to_list())
    assert batches > 0


async def test_a_missing_id_is_found_missing_and_numeric_ids_still_match_across_types(
        clients: tuple[AsyncMongoClient, AsyncMongoClient]) -> None:
    collection = clients[0]["planning"]["ids"]
    await collection.insert_many([{"_id": 1, "kind": "int"}, {"_id": "1", "kind": "text"}])
    assert await collection.find_one({"_id": "2"}) is None
    assert (await collection.find_one({"_id": 1.0}))["kind"] == "int"  # type: ignore[index]
    assert (await collection.find_one({"_id": "1"}))["kind"] == "text"  # type: ignore[index]
    await collection.update_one({"_id": "new"}, {"$set": {"kind": "upserted"}}, upsert=True)
    assert (await collection.find_one({"_id": "new"}))["kind"] == "upserted"  # type: ignore[index]


async def test_finds_by_id_read_rows_by_key_with_projection_limit_and_transactions(
        clients: tuple[AsyncMongoClient, AsyncMongoClient]) -> None:
    for client in clients:
        collection = client["planning"]["by_id"]
        await collection.insert_many([{"_id": f"k{i}", "n": i, "meta": {"k": i % 3}} for i in range(30)]
                                     + [{"_id": 7, "n": "int id"}])
    for query, projection, limit in [({"_id": "k4"}, None, 0), ({"_id": "k4"}, {"n": 1}, 0),
                                     ({"_id": {"$in": ["k9", "k1", "gone", "k20"]}}, {"meta": 1, "_id": 0}, 0),
                                     ({"_id": {"$in": ["k9", "k1", "k20"]}}, None, 2),
                                     ({"_id": {"$in": [7.0, "k2"]}}, None, 0), ({"_id": "gone"}, None, 0)]:
        found = [await client["planning"]["by_id"].find(query, projection).limit(limit).to_list()
                 for client in clients]
        assert found[0] == found[1], query

    shortcut = clients[0]
    collection = shortcut["planning"]["by_id"]
    async with shortcut.start_session() as session:
        await session.start_transaction()
        await collection.insert_one({"_id": "fresh", "n": 1}, session=session)
        assert await collection.find({"_id": "fresh"}, session=session).to_list() == [{"_id": "fresh", "n": 1}]
        await session.commit_transaction()
    assert await collection.find({"_id": {"$in": ["fresh"]}}).to_list() == [{"_id": "fresh", "n": 1}]



async def test_a_find_reads_only_the_narrowest_index_range_and_only_when_the_index_holds_every_match(
        tmp_path: Path) -> None:
    engine = engine_for(tmp_path / "narrow.sqlite3")
    async with embedded_mongo(engine) as url:
        client = AsyncMongoClient(url)
        try:
            collection = client["planning"]["sweep"]
            for field in ("seq", "kind", "mixed"):
                await collection.create_index(field)
            await collection.insert_many([{"_id": f"n{i}", "seq": i, "kind": "due" if i % 100 == 0 else "done",
                                           "mixed": i if i % 2 else str(i)} for i in range(600)])

            def read_by_index(query: dict) -> list[str] | None:
                rows = indexed_rows(engine, "planning", "sweep", compile_filter(query), None)
                return None if rows is None else [document["_id"] for _, document in rows]

            assert read_by_index({"seq": {"$gt": 594}}) == [f"n{i}" for i in range(595, 600)]
            assert read_by_index({"seq": {"$gte": 10}, "kind": "due"}) == [f"n{i}" for i in range(0, 600, 100)]
            assert read_by_index({"$and": [{"seq": {"$lt": 3}}, {"kind": "done"}]}) == ["n0", "n1", "n2"]
            # Both ranges larger than the first count's cap: still the narrower one (300 against 594 documents)
            assert len(read_by_index({"seq": {"$gte": 300}, "kind": "done"}) or []) == 300
            # Two sides of one field (notify's gap lookups): one range between them, its 31 documents, not the 131
            # below its upper bound nor the 500 above its lower one, and nothing to count
            statements: list[str] = []
            engine._connection.set_trace_callback(statements.append)
            bounded = read_by_index({"seq": {"$gte": 100, "$lte": 130}}) or []
            engine._connection.set_trace_callback(None)
            assert sorted(bounded) == sorted(f"n{i}" for i in range(100, 131))
            assert not [sql for sql in statements if sql.startswith("SELECT COUNT(*)")]
            assert read_by_index({"seq": {"$gt": 100, "$lt": 103}}) == ["n101", "n102"]
            due = [f"n{i}" for i in range(0, 600, 100)]
            assert read_by_index({"seq": {"$gte": 0, "$lte": 599}, "kind": "due"}) == due  # kind's 6 against 600
            # A bound the index cannot answer (a string, on numbers) is left to mongoeco's filter; the others narrow
            mismatched = read_by_index({"$and": [{"seq": {"$gte": 100}}, {"seq": {"$lte": "z"}},
                                                 {"seq": {"$lte": 130}}]})
            assert sorted(mismatched or []) == sorted(f"n{i}" for i in range(100, 131))
            # The range between two bounds and another field's both larger than the first count's cap: the narrower
            # (200 against 594 documents), counted without going past four times the first cap (64, then 256)
            statements.clear()
            engine._connection.set_trace_callback(statements.append)
            assert len(read_by_index({"seq": {"$gte": 100, "$lte": 299}, "kind": "done"}) or []) == 200
            engine._connection.set_trace_callback(None)
            counted = [int(m.group(1)) if (m := re.search(r"LIMIT (\d+)\)$", sql)) else None
                       for sql in statements if sql.startswith("SELECT COUNT(*)")]
            assert counted == [64, 64, 256, 256]
            assert read_by_index({"mixed": 5}) is None  # numbers and strings in one field: the index is not used
            assert read_by_index({"seq": None}) is None and read_by_index({"open": True}) is None
            await collection.insert_one({"_id": "arr", "seq": [1, 2], "kind": "done"})
            assert read_by_index({"seq": {"$gt": 594}}) is None  # an array in the field: entries elsewhere

            found = await collection.find({"seq": {"$gt": 590}, "kind": "due"}).to_list()
            assert found == []
            assert [d["_id"] for d in await collection.find({"kind": "due", "seq": {"$gt": 250}}).sort("seq", -1)
                    .to_list()] == ["n500", "n400", "n300"]
        finally:
            await client.close()
