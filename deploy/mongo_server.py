"""A MongoDB-wire-compatible server for local runs and tests: mongoeco's proxy over its SQLite engine.

Run: python -m deploy.mongo_server --port 27017 --path var/mongo/duijie.sqlite3
"""

import argparse
import asyncio
import signal
import weakref
from pathlib import Path
from typing import Any

from bson import ObjectId
from mongoeco.api._async.collection import AsyncCollection
from mongoeco.core.identity import id_contains_numeric_value
from mongoeco.core.operation_context import ChangePublicationPolicy
from mongoeco.core.projections import apply_projection
from mongoeco.core.query_plan import EqualsCondition, InCondition
from mongoeco.engines._sqlite_connection import sqlite_read_scope
from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

from deploy import mongo_codec
from deploy.mongo_features import keep_features_across_writes
from deploy.mongo_gate import install as install_gate
from deploy.mongo_index_scan import index_prefiltered_finds


def engine_for(path: Path) -> SQLiteEngine:
    """The SQLite engine, without committed-change dispatch.

    mongoeco hands every committed transaction to its change-stream machinery, which takes a lease on a
    second SQLite connection and waits for it synchronously: when another session has just opened a write
    transaction, that wait blocks the whole server (seen here: 5–30 s stalls under concurrent writes).
    Duijie uses no change streams (the outbox relay publishes to Kafka instead), so dispatch is switched
    off, and so is the change log behind it (`_without_change_log`). Its unique-`_id` check is made indexed-only, below,
    and its per-collection planning answers survive writes (deploy/mongo_features.py).
    """
    engine = SQLiteEngine(str(path))
    engine.dispatch_committed_changes = lambda consumer_id, consumer: None  # type: ignore[method-assign]
    engine._validate_document_against_unique_indexes = _unique_check_without_id_scan(engine)  # type: ignore[method-assign]
    engine._select_first_document_for_plan = _missing_id_without_scan(engine)  # type: ignore[method-assign]
    engine._open_scan_documents_sync = index_prefiltered_finds(engine, engine._open_scan_documents_sync)  # type: ignore[method-assign]
    engine._open_scan_documents_sync = _id_finds_by_storage_key(engine)  # type: ignore[method-assign]
    # Every multi-document find opened a new SQLite connection of its own (connect, WAL pragma, catalogue load:
    # about a fifth of the server's time under load); reads share the engine's connection under its lock instead.
    engine._can_use_dedicated_reader = lambda context: False  # type: ignore[method-assign]
    keep_features_across_writes(engine)
    _WITHOUT_CHANGE_LOG.add(engine)
    mongo_codec.install()  # documents validated once instead of once per nesting level
    return engine


_WITHOUT_CHANGE_LOG: weakref.WeakSet[SQLiteEngine] = weakref.WeakSet()
_new_operation_context = AsyncCollection._new_operation_context


def _without_change_log(self: AsyncCollection, **options: object) -> object:
    """Writes to an engine made by `engine_for` record no change-stream events.

    For every write mongoeco serialised the whole document a second time into its change log (a SQLite table
    read only by change streams, which the wire server does not offer), checked that log for the operation's
    earlier events and pruned it: about half of an insert's time. Duijie reads no change streams, so its
    engines' writes are made with publication disabled, the engine's own mode for writes nobody watches.
    """
    if self._engine in _WITHOUT_CHANGE_LOG:
        options["publication"] = ChangePublicationPolicy.DISABLED
    return _new_operation_context(self, **options)


AsyncCollection._new_operation_context = _without_change_log  # type: ignore[method-assign]


def _unique_check_without_id_scan(engine: SQLiteEngine):  # noqa: ANN202 - the engine's own signature
    """Inserts no longer deserialise the whole collection to check the new `_id`.

    mongoeco scans every stored document so that a numeric `_id` equal in value (1 and 1.0) is caught; the
    indexed storage-key lookup before it already catches an equal string or ObjectId `_id`, which are the
    only kinds Duijie uses. Without the scan an insert stays at 1–4 ms instead of growing with the
    collection (30 ms at 4,000 documents), and duplicates are still refused with code 11000.
    """
    validate = engine._validate_document_against_unique_indexes

    def check(db_name: str, coll_name: str, document: dict, **options: object) -> None:
        if options.get("scan_payload_id"):
            options["scan_payload_id"] = id_contains_numeric_value(document.get("_id"))
        validate(db_name, coll_name, document, **options)

    return check


def _missing_id_without_scan(engine: SQLiteEngine):  # noqa: ANN202 - the engine's own signature
    """A lookup by a missing `_id` (every upsert that inserts, every find of an unknown id) answers at once.

    mongoeco finds an `_id` by its storage key; when there is no such row it falls back to a general plan that
    reads the whole collection, in case a numerically equal `_id` of another type is stored (1 and 1.0). For
    string and ObjectId ids, the only kinds Duijie uses, the storage-key lookup is the whole answer.
    """
    select = engine._select_first_document_for_plan

    def first(db_name: str, coll_name: str, plan: object, *, hint: object = None,
              context: object = None) -> object:
        if (hint is None and isinstance(plan, EqualsCondition) and plan.field == "_id"
                and not id_contains_numeric_value(plan.value)):
            conn = engine._require_connection(context)
            with engine._bind_connection(conn), sqlite_read_scope(conn):
                row = conn.execute("SELECT 1 FROM documents WHERE db_name = ? AND coll_name = ? AND storage_key = ?",
                                   (db_name, coll_name, engine._storage_key(plan.value))).fetchone()
            if row is None:
                return None
        return select(db_name, coll_name, plan, hint=hint, context=context)

    return first


def _plain_ids(plan: object) -> tuple[object, ...] | None:
    """The ids a query plan asks for when it is only `{_id: x}` or `{_id: {$in: [...]}}` over string and ObjectId
    ids; None for any other plan."""
    if isinstance(plan, EqualsCondition) and plan.field == "_id":
        ids: tuple[object, ...] = (plan.value,)
    elif isinstance(plan, InCondition) and plan.field == "_id":
        ids = tuple(dict.fromkeys(plan.values))
    else:
        return None
    return ids if all(isinstance(i, str | ObjectId) for i in ids) else None


def _id_finds_by_storage_key(engine: SQLiteEngine):  # noqa: ANN202 - the engine's own signature
    """A find by `_id` (one id or `$in`) reads those rows by storage key instead of the whole collection.

    mongoeco answers a find by one `_id` from its storage key only when the find asks for a single document that
    exists; a missing id (every first look for an event id, an idempotency key, a ledger row), a find without
    `limit(1)` or an `_id: {$in: ...}` read the whole collection: 26–34 ms at 4,000 notifications, growing with
    it. For string and ObjectId ids the storage-key rows are the whole answer; they come in storage-key order.
    """
    scan = engine._open_scan_documents_sync

    def open_scan(reader: Any) -> Any:
        semantics = reader.semantics
        ids = _plain_ids(semantics.query_plan)
        if (ids is None or semantics.text_query is not None or semantics.sort is not None or semantics.skip
                or semantics.collation is not None or semantics.hint is not None
                or engine._is_profile_namespace(reader.coll_name)):
            return scan(reader)
        found = []
        for value in ids:
            selected = engine._select_first_document_for_plan(
                reader.db_name, reader.coll_name, EqualsCondition("_id", value), context=reader.context)
            if selected is not None:
                found.append(selected)
        found.sort(key=lambda row: row[0])  # storage-key order, the order a scan of the collection gives
        documents = [apply_projection(document, semantics.projection, selector_filter=semantics.filter_spec,
                                      dialect=semantics.dialect) for _, document in found]
        return iter(documents[:abs(semantics.limit)] if semantics.limit else documents)  # a negative limit too

    return open_scan


async def serve(host: str, port: int, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    server = AsyncMongoEcoProxyServer(engine=engine_for(path), host=host, port=port)
    install_gate(server)  # other sessions' commands wait behind an open transaction, as on MongoDB
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    address = await server.start()
    print(f"mongoeco listening on {address.host}:{address.port} (sqlite {path})", flush=True)
    try:
        await stop.wait()
    finally:
        await server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=27017)
    parser.add_argument("--path", type=Path, default=Path("var/mongo/duijie.sqlite3"))
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, args.path))


if __name__ == "__main__":
    main()
