"""An embedded MongoDB server inside the test's own event loop, on a free loopback port."""

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer
from pymongo import AsyncMongoClient

from deploy.mongo_server import engine_for, proxy_for


@asynccontextmanager
async def embedded_mongo(engine: SQLiteEngine, as_served: bool = False,
                         direct_inserts: bool = True) -> AsyncIterator[str]:
    """Serves `engine`, plainly or as `deploy.mongo_server` serves it (`as_served`: plain inserts straight to the
    engine unless not `direct_inserts`, write commands committed once each, transactions gated); yields the
    connection URL."""
    proxy = (proxy_for(engine, "127.0.0.1", 0, direct_inserts=direct_inserts) if as_served
             else AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=0))
    address = await proxy.start()
    try:
        yield f"mongodb://{address.host}:{address.port}/?directConnection=true"
    finally:
        await proxy.close()


@asynccontextmanager
async def served_client(path: Path, direct_inserts: bool = True) -> AsyncIterator[AsyncMongoClient]:
    """A client of the database file `path`, served as `deploy.mongo_server` serves it (plain inserts on
    mongoeco's path instead with `direct_inserts` False)."""
    async with embedded_mongo(engine_for(path), as_served=True, direct_inserts=direct_inserts) as url:
        client: AsyncMongoClient = AsyncMongoClient(url, tz_aware=True)
        try:
            yield client
        finally:
            await client.close()


ENTRY_TABLES = (("scalar_index_entries", "element_type, type_score, element_key"),
                ("multikey_entries", "element_type, type_score, element_key"),
                ("ttl_index_entries", "expires_at_epoch_ms"))


def stored_rows(path: Path, collection: str) -> tuple[list, list[list]]:
    """A served collection's rows as another connection reads them: its documents, and its scalar, multikey and
    TTL index entries."""
    with sqlite3.connect(path) as other:
        (collection_id,) = other.execute("SELECT collection_id FROM collections WHERE coll_name = ?",
                                         (collection,)).fetchone()
        documents = other.execute("SELECT storage_key, document FROM documents WHERE coll_name = ? ORDER BY 1",
                                  (collection,)).fetchall()
        entries = [other.execute(f"SELECT index_name, storage_key, {columns} FROM {table}"  # noqa: S608
                                 f" WHERE collection_id = ? ORDER BY index_name, storage_key, {columns}",
                                 (collection_id,)).fetchall()
                   for table, columns in ENTRY_TABLES]
    return documents, entries
