"""The embedded MongoDB server keeps one SQLite index per index-entry table, whatever the collections' indexes.

`deploy.mongo_entry_indexes`: every collection index's entries are found through one shared SQLite index on
`scalar_index_entries` (and one on `multikey_entries`) instead of an identical copy per collection index. Finds
through those indexes still answer, after indexes, collections and databases are dropped, and on a database that
plain mongoeco wrote with a copy per index.
"""

import sqlite3
from pathlib import Path

from mongoeco.engines.sqlite import SQLiteEngine
from pymongo import AsyncMongoClient

from deploy.mongo_entry_indexes import ENTRY_COLUMNS
from deploy.mongo_server import engine_for
from tests.support.mongo import embedded_mongo


def entry_indexes(path: Path) -> dict[str, list[str]]:
    """The SQLite indexes on each entry table with mongoeco's entry columns, and the names the catalogue gives."""
    with sqlite3.connect(path) as connection:
        found = {table: sorted(name for name, sql in connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", (table,))
            if sql and sql.replace('"', "").endswith(ENTRY_COLUMNS))
            for table in ("scalar_index_entries", "multikey_entries")}
        found["catalogue"] = sorted({name for row in connection.execute(
            "SELECT scalar_physical_name, multikey_physical_name FROM indexes") for name in row if name})
    return found


async def fill(client: AsyncMongoClient, database: str) -> None:
    """Two collections with single-field indexes (one over arrays), and a few documents in each."""
    db = client[database]
    await db["needs"].create_index("seq")
    await db["needs"].create_index("org_id")
    await db["matches"].create_index("org_ids")
    await db["matches"].create_index("score")
    await db["needs"].insert_many([{"_id": f"n{i}", "seq": i, "org_id": f"o{i % 3}"} for i in range(30)])
    await db["matches"].insert_many([{"_id": f"m{i}", "org_ids": [f"o{i % 3}", f"u{i % 2}"], "score": i / 10}
                                     for i in range(30)])


async def answers(client: AsyncMongoClient, database: str) -> list[list[str]]:
    db = client[database]
    queries = [db["needs"].find({"seq": {"$gt": 25}}).sort("seq", 1),
               db["needs"].find({"org_id": "o1"}).sort("_id", 1),
               db["needs"].find({"seq": {"$gte": 3}}).hint("seq_1").sort("seq", 1).limit(2),
               db["matches"].find({"org_ids": "u1", "score": {"$lt": 1}}).sort("_id", 1),
               db["matches"].find({"score": {"$gte": 2.7}}).sort("score", -1)]
    return [[doc["_id"] for doc in await query.to_list()] for query in queries]


EXPECTED = [["n26", "n27", "n28", "n29"], sorted(f"n{i}" for i in range(1, 30, 3)), ["n3", "n4"],
            ["m1", "m3", "m5", "m7", "m9"], ["m29", "m28", "m27"]]


async def test_every_collection_index_shares_one_sqlite_index_per_entry_table(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite3"
    async with embedded_mongo(engine_for(path), as_served=True) as url:
        client: AsyncMongoClient = AsyncMongoClient(url)
        await fill(client, "one")
        await fill(client, "two")
        assert await answers(client, "one") == EXPECTED
        assert await answers(client, "two") == EXPECTED
        await client.close()
    assert entry_indexes(path) == {"scalar_index_entries": ["scidx_entries"], "multikey_entries": ["mkidx_entries"],
                                   "catalogue": ["mkidx_entries", "scidx_entries"]}


async def test_lookups_still_answer_after_an_index_a_collection_and_a_database_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "drops.sqlite3"
    async with embedded_mongo(engine_for(path), as_served=True) as url:
        client: AsyncMongoClient = AsyncMongoClient(url)
        for database in ("one", "two", "three"):
            await fill(client, database)
        await client["one"]["needs"].drop_index("org_id_1")
        await client["two"]["matches"].drop()
        await client.drop_database("three")
        one, two = await answers(client, "one"), await answers(client, "two")
        assert one == EXPECTED
        assert two[:3] == EXPECTED[:3] and two[3:] == [[], []]
        await client.close()
    assert entry_indexes(path)["scalar_index_entries"] == ["scidx_entries"]


async def test_a_database_written_with_a_copy_per_index_is_converted_when_served(tmp_path: Path) -> None:
    path = tmp_path / "legacy.sqlite3"
    async with embedded_mongo(SQLiteEngine(str(path))) as url:  # plain mongoeco: one SQLite index per index
        client: AsyncMongoClient = AsyncMongoClient(url)
        await fill(client, "one")
        await client.close()
    assert len(entry_indexes(path)["scalar_index_entries"]) == 4
    async with embedded_mongo(engine_for(path), as_served=True) as url:
        client = AsyncMongoClient(url)
        assert await answers(client, "one") == EXPECTED
        await client["one"]["needs"].insert_one({"_id": "n30", "seq": 30, "org_id": "o0"})
        assert [d["_id"] for d in await client["one"]["needs"].find({"seq": {"$gte": 29}}).to_list()] == ["n29", "n30"]
        await client.close()
    assert entry_indexes(path) == {"scalar_index_entries": ["scidx_entries"], "multikey_entries": ["mkidx_entries"],
                                   "catalogue": ["mkidx_entries", "scidx_entries"]}
