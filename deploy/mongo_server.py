"""A MongoDB-wire-compatible server for local runs and tests: mongoeco's proxy over its SQLite engine.

Run: python -m deploy.mongo_server --port 27017 --path var/mongo/duijie.sqlite3
"""

import argparse
import asyncio
import contextvars
import inspect
import signal
import sqlite3
import weakref
from collections.abc import Callable
from functools import partial
from pathlib import Path

from mongoeco.api._async.collection import AsyncCollection
from mongoeco.core.identity import id_contains_numeric_value
from mongoeco.core.operation_context import ChangePublicationPolicy
from mongoeco.core.query_plan import EqualsCondition
from mongoeco.engines._sqlite_connection import sqlite_read_scope
from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.wire.proxy import AsyncMongoEcoProxyServer

from deploy import mongo_codec
from deploy.mongo_delete_by_id import install as install_delete_by_id
from deploy.mongo_direct_insert import install as install_direct_insert
from deploy.mongo_document_indexes import without_spanning_indexes
from deploy.mongo_entry_indexes import with_shared_entry_indexes
from deploy.mongo_features import keep_features_across_writes
from deploy.mongo_gate import install as install_gate
from deploy.mongo_index_scan import narrowed_finds
from deploy.mongo_insert_batch import install as install_insert_batch
from deploy.mongo_json import install as install_json
from deploy.mongo_write_batch import install as install_write_batch
from services.contracts import heap


def engine_for(path: Path) -> SQLiteEngine:
    """The SQLite engine, without committed-change dispatch.

    mongoeco hands every committed transaction to its change-stream machinery, which takes a lease on a
    second SQLite connection and waits for it synchronously: when another session has just opened a write
    transaction, that wait blocks the whole server (seen here: 5–30 s stalls under concurrent writes).
    Duijie uses no change streams (the outbox relay publishes to Kafka instead), so dispatch is switched
    off, and so is the change log behind it (`_without_change_log`) and the registration of its consumers
    (written on that second connection, which cannot write while a command's transaction is open, see
    deploy/mongo_write_batch.py, and kept alive by a heartbeat thread). Its unique-`_id` check is made
    indexed-only, below, its per-collection planning answers survive writes (deploy/mongo_features.py), and finds
    read only what their `_id` or a single-field index selects when they can (deploy/mongo_index_scan.py).
    """
    install_json()  # documents stored as JSON text through orjson (deploy/mongo_json.py)
    engine = SQLiteEngine(str(path))
    engine._create_sqlite_connection = _tuned_connections(engine._create_sqlite_connection)  # type: ignore[method-assign]
    engine.dispatch_committed_changes = lambda consumer_id, consumer: None  # type: ignore[method-assign]
    engine.register_change_consumer = lambda consumer_id, **options: 0  # type: ignore[method-assign]
    engine._validate_document_against_unique_indexes = _unique_check_without_id_scan(engine)  # type: ignore[method-assign]
    engine._select_first_document_for_plan = _missing_id_without_scan(engine)  # type: ignore[method-assign]
    engine._decode_codec_payload = _decode_inspecting_once(engine)  # type: ignore[method-assign]
    engine._serialize_document = mongo_codec.serializer(engine._serialize_document)  # type: ignore[method-assign]
    engine._open_scan_documents_sync = narrowed_finds(engine, engine._open_scan_documents_sync)  # type: ignore[method-assign]
    # Every multi-document find opened a new SQLite connection of its own (connect, WAL pragma, catalogue load:
    # about a fifth of the server's time under load); reads share the engine's connection under its lock instead.
    engine._can_use_dedicated_reader = lambda context: False  # type: ignore[method-assign]
    engine._run_blocking = _run_inline  # type: ignore[method-assign]
    keep_features_across_writes(engine)
    without_spanning_indexes(engine)  # deploy/mongo_document_indexes.py
    with_shared_entry_indexes(engine)  # deploy/mongo_entry_indexes.py
    _WITHOUT_CHANGE_LOG.add(engine)
    mongo_codec.install()  # documents validated once instead of once per nesting level
    install_insert_batch()  # an insert of several documents written as one batch
    install_delete_by_id()  # a delete by `_id`s as a few SQL statements
    return engine


# Checkpoints once the write-ahead log holds 40 MB instead of 4 MB, sorts and temporary indexes in memory, and a
# 64 MB page cache instead of 2 MB (see `_tuned_connections`).
CONNECTION_PRAGMAS = ("wal_autocheckpoint=10000", "temp_store=MEMORY", "cache_size=-65536")


def _tuned_connections(create: Callable[[], sqlite3.Connection]) -> Callable[[], sqlite3.Connection]:
    """The engine's SQLite connections, tuned for a server that commits every write command.

    Each commit appends every page it changed to the write-ahead log, and every 1,000 pages (SQLite's default)
    the log was copied back into the database file: at 20 postings/s notify's server made some 15,000 `pwrite`
    calls a second, and its `ORDER BY`/`DISTINCT` reads created and deleted a temporary file 50 times a second.
    A checkpoint every 10,000 pages copies a page changed by many commits once; the log can reach 40 MB. Pages
    come from a 64 MB cache rather than from the file. With all three, 15 s at 20 postings/s took notify's server
    107,000 `pwrite`, 5,900 `pread` and 15 `fdatasync` calls against 223,000, 27,800 and 130. The log is still
    synced at each checkpoint (`synchronous=NORMAL`, mongoeco's): a power cut can lose the commits since the last
    one, as before, now up to 40 MB of them rather than 4 MB; a crash of the server itself loses none.
    """

    def created() -> sqlite3.Connection:
        connection = create()
        for pragma in CONNECTION_PRAGMAS:
            connection.execute(f"PRAGMA {pragma}")
        return connection

    return created


async def _run_inline[T](func: Callable[..., T], /, *args: object, **kwargs: object) -> T:
    """The engine's work runs on the server's own thread instead of being handed to a worker thread.

    mongoeco hands every command to a thread pool and waits for its result: two thread switches, a wake-up of
    the event loop and a fight for the GIL per command, for work that holds the GIL throughout and that one
    SQLite connection serialises anyway (reads share it, above; transactions are queued by
    deploy/mongo_gate.py). No engine call waits for another, so none can block the loop for longer than its
    own work. Measured in the pipeline bench at 5/s: 61–63 ms of each database server's CPU per posting,
    against 68–82 ms with the thread pool. Each call keeps its own copy of the context, as in the pool.
    """
    return contextvars.copy_context().run(partial(func, *args, **kwargs))


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


def _decode_inspecting_once(engine: SQLiteEngine):  # noqa: ANN202 - the engine's own signature
    """Documents read back are decoded without inspecting the decoder each time.

    For every stored document it parses, mongoeco asks `inspect.signature` whether its codec's `decode` takes
    `preserve_bson_wrappers`: 0.8–1.3 % of the database servers' samples in the pipeline bench at 20 postings/s,
    4 % in a read of 366 notifications. The answer only changes with the function, so it is worked out once per
    function.
    """
    takes_wrappers: dict[Callable[..., object], bool] = {}

    def decoded(payload: object, *, preserve_bson_wrappers: bool) -> object:
        decode = engine._codec.decode
        wants = takes_wrappers.get(decode)
        if wants is None:
            try:
                wants = "preserve_bson_wrappers" in inspect.signature(decode).parameters
            except (TypeError, ValueError):
                wants = False
            takes_wrappers[decode] = wants
        return decode(payload, preserve_bson_wrappers=preserve_bson_wrappers) if wants else decode(payload)

    return decoded


def proxy_for(engine: SQLiteEngine, host: str, port: int, direct_inserts: bool = True) -> AsyncMongoEcoProxyServer:
    """The wire server over `engine`: plain inserts go straight to the engine (deploy/mongo_direct_insert.py,
    innermost; `direct_inserts` False leaves them on mongoeco's path), each write command commits once
    (deploy/mongo_write_batch.py), and other sessions' commands wait behind an open transaction, as on MongoDB
    (deploy/mongo_gate.py, outermost)."""
    server = AsyncMongoEcoProxyServer(engine=engine, host=host, port=port)
    if direct_inserts:
        install_direct_insert(server, engine)
    install_write_batch(server, engine)
    install_gate(server)
    return server


async def serve(host: str, port: int, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    server = proxy_for(engine_for(path), host, port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    address = await server.start()
    heap.settle()  # the engine and its catalogue stay out of the collector's passes (`services.contracts.heap`)
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
