"""One SQLite index per index-entry table in the embedded MongoDB server, instead of one per collection index.

mongoeco keeps an entry per document for every single-field index in one shared table (`scalar_index_entries`),
and for every index over array values in another (`multikey_entries`). For each collection index it creates a
SQLite index over the whole of that table, on `(collection_id, index_name, type_score, element_key,
storage_key)`: the same columns every time, and not partial. So every entry written for any index was written
into every one of those B-trees: eight on each table in the registry's database, four in notify's. Since each
one's leading columns are the collection and the index, any one of them serves every lookup.

So each entry table keeps a single such index, and every collection index names it (the catalogue's
`scalar_physical_name` / `multikey_physical_name`, which mongoeco's lookups name in `INDEXED BY`). The others
are dropped once created; databases written before are converted when the server starts. While mongoeco creates
an index it still gets a name of its own (it creates the SQLite index without `IF NOT EXISTS`); that one is
dropped right after. Dropping an index, a collection or a database drops the shared index with it (mongoeco drops
the SQLite index each dropped collection index names), so it is made again at once, for the other collections.
"""

from typing import Any

ENTRY_COLUMNS = "(collection_id, index_name, type_score, element_key, storage_key)"
SHARED = {"scalar_index_entries": ("scidx_entries", "scalar_physical_name"),
          "multikey_entries": ("mkidx_entries", "multikey_physical_name")}


def share_entry_indexes(engine: Any) -> None:
    """Creates the one index per entry table, points the catalogue at it, and drops the per-index copies."""
    connection = engine._connection
    if connection is None:
        return
    own = not connection.in_transaction  # else it happens with the transaction that created the index
    if own:
        connection.execute("BEGIN IMMEDIATE")
    for table, (shared, column) in SHARED.items():
        connection.execute(f"CREATE INDEX IF NOT EXISTS {shared} ON {table} {ENTRY_COLUMNS}")
        copies = [name for name, sql in connection.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND name != ?",
            (table, shared)) if sql and sql.replace('"', "").endswith(f"ON {table} {ENTRY_COLUMNS}")]
        for name in copies:
            connection.execute(f"DROP INDEX IF EXISTS {engine._quote_identifier(name)}")
        connection.execute(f"UPDATE indexes SET {column} = ? WHERE {column} IS NOT NULL AND {column} != ?",
                           (shared, shared))
    if own:
        connection.commit()
    engine._invalidate_index_cache()
    engine._ensured_multikey_physical_indexes.clear()


def with_shared_entry_indexes(engine: Any) -> None:
    """Installs the sharing on a (not yet connected) mongoeco SQLiteEngine: at connect, and after each index is
    created; index records read without a name in the catalogue name the shared index too."""
    connect, create = engine._connect_sync, engine._create_index_sync
    scalar_name, multikey_name = engine._physical_scalar_index_name, engine._physical_multikey_index_name
    creating = 0  # while mongoeco creates an index, its SQLite index needs a name of its own

    def connect_and_share() -> None:
        connect()
        with engine._lock:
            share_entry_indexes(engine)

    def create_and_share(*args: Any, **kwargs: Any) -> str:
        nonlocal creating
        creating += 1
        try:
            name = create(*args, **kwargs)
        finally:
            creating -= 1
        with engine._lock:
            share_entry_indexes(engine)
        return name

    def scalar(db_name: str, coll_name: str, index_name: str) -> str:
        return scalar_name(db_name, coll_name, index_name) if creating else SHARED["scalar_index_entries"][0]

    def multikey(db_name: str, coll_name: str, index_name: str) -> str:
        return multikey_name(db_name, coll_name, index_name) if creating else SHARED["multikey_entries"][0]

    def and_share(drop: Any) -> Any:
        def dropped(*args: Any, **kwargs: Any) -> Any:
            try:
                return drop(*args, **kwargs)
            finally:
                with engine._lock:
                    share_entry_indexes(engine)
        return dropped

    engine._connect_sync = connect_and_share
    engine._create_index_sync = create_and_share
    for method in ("_drop_index_sync", "_drop_indexes_sync", "_drop_collection_sync", "_drop_database_sync"):
        setattr(engine, method, and_share(getattr(engine, method)))
    engine._physical_scalar_index_name = scalar
    engine._physical_multikey_index_name = multikey
