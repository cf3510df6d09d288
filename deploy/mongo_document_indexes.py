"""No SQLite index over the whole `documents` table per collection index, in the embedded MongoDB server.

For each ordered index a collection gets, mongoeco creates a SQLite expression index on the one `documents`
table that holds every collection (`db_name, coll_name, json_extract(...)` of each key, with its type tag).
Such an index is not partial: every document written to any collection gets an entry in every one of them,
each computed from its JSON. The registry's database has 26, so an insert into any collection updated 26
B-trees: 0.13 ms per row against 0.01 ms without them, and a single-row commit 0.74 ms against 0.09 ms (SQLite
alone, measured on the database file a 5/s pipeline run left behind).

Nothing reads them. The queries mongoeco sends compare `json_type(...)` and `json_extract(...)` terms that
never match the indexed expressions, so SQLite used these indexes only for their `db_name, coll_name` prefix,
which the primary key gives as well (EXPLAIN QUERY PLAN of every distinct query of that run). Single-field
lookups go through mongoeco's own entry tables (`scalar_index_entries`, `multikey_entries`), which stay.

So each is dropped once created; databases written before are cleaned when the server starts. The catalogue
keeps the index (mongoeco derives the SQLite name from it anyway), and a hint naming it is still checked and
answered, without forcing the dropped SQLite index (`INDEXED BY`). Unique indexes are unaffected: mongoeco
enforces them in Python, not through these indexes.
"""

from dataclasses import replace
from typing import Any


def drop_spanning_indexes(engine: Any) -> None:
    """Drops every SQLite index mongoeco made on `documents` for a collection index (all but the primary key)."""
    connection = engine._connection
    if connection is None:
        return
    existing = {row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'documents'")}
    rows = connection.execute("SELECT db_name, coll_name, name, physical_name FROM indexes").fetchall()
    catalogued = {physical or engine._physical_index_name(db, coll, name) for db, coll, name, physical in rows}
    names = sorted(existing & catalogued)
    if not names:
        return
    own = not connection.in_transaction  # else it is dropped with the transaction that created it
    if own:
        connection.execute("BEGIN IMMEDIATE")
    for name in names:
        connection.execute(f"DROP INDEX IF EXISTS {engine._quote_identifier(name)}")
    if own:
        connection.commit()


def without_spanning_indexes(engine: Any) -> None:
    """Installs the dropping on a (not yet connected) mongoeco SQLiteEngine: at connect and after each index
    is created; hints no longer force the dropped indexes."""
    connect, create, resolve = engine._connect_sync, engine._create_index_sync, engine._resolve_hint_index

    def connect_and_drop() -> None:
        connect()
        with engine._lock:
            drop_spanning_indexes(engine)

    def create_and_drop(*args: Any, **kwargs: Any) -> str:
        name = create(*args, **kwargs)
        with engine._lock:
            drop_spanning_indexes(engine)
        return name

    def resolve_unforced(*args: Any, **kwargs: Any) -> Any:
        index = resolve(*args, **kwargs)
        return replace(index, physical_name=None) if index is not None and index.physical_name else index

    engine._connect_sync = connect_and_drop
    engine._resolve_hint_index = resolve_unforced
    engine._create_index_sync = create_and_drop
