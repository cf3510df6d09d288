"""Insert commands through mongoeco's batch insertion, in the embedded MongoDB server.

mongoeco's wire `insert` command inserts its documents one `insert_one` at a time: each one goes through the
collection's whole single-write path (operation context, runtime coordinator, engine adapter, its own write scope,
the collection-options and existing-document lookups, the index and search-index catalogue reads). Its
`insert_many` has a batch path instead, which prepares every document first and writes them under one scope
with one catalogue read. A command of several documents (notify's notifications, the registry's matches and
funnel rows, the relay's sent log) now goes through that path.

Only the outcome of a batch that succeeds whole is taken from it. The batch runs inside a savepoint; if any
document fails (a duplicate `_id`, an invalid document), the savepoint is rolled back and the command runs again
through mongoeco's own per-document path, which reports each failure, and stops or goes on, exactly as before.
A command of one document keeps the per-document path. A command inside a session's transaction goes through the
batch path too (the transaction is on the same connection, and the savepoint inside it): the registry commits new
postings that arrive together in one transaction (`services/registry/creations.py`), and there a group of four
postings (a need and its outbox row each) cost the server 0.83–0.90 ms of CPU per posting against 1.31–1.58 with
each document inserted alone. Plain inserts, in a transaction or not, now reach the engine before this command
(`deploy/mongo_direct_insert.py`); it still takes the others, and those the engine refused there.

Measured on batches of eight notification documents: 0.90 ms of the server's CPU per document before, 0.61 after
(0.52–0.57 with `deploy/mongo_codec.to_internal`). In the pipeline bench at 10/s, alternating pairs with both:
notify's database 26.6 and 25.7 ms of CPU per posting against 32.4 and 33.1, the registry's 23.6 and 22.6 against
27.0 and 27.8. `tests/integration/test_embedded_mongo_inserts.py` compares the stored rows and index entries.

The batch path copied each document twice before converting it (one copy kept for error reports, one converted),
though the documents are the command's own, decoded for it and read by nothing after it, and the conversion builds
new containers anyway: it now takes them as they are (`as_given`).

Each document of a batch also went through steps that cannot change anything for a document just inserted
(`fresh_batch`): deleting its index, TTL and multikey entries (there are none: every path that deletes a document
deletes its entries with it, and the batch inserts only under a storage key no document has), creating the
entry tables' SQLite indexes again (`IF NOT EXISTS`), reading the index catalogue again for the checks of unique
indexes (with two statements to see whether the catalogue changed, inside the batch's own write transaction),
and walking the document through those checks when no index can refuse it (`nothing_to_check`). Counted with
callgrind (the server alone, 800 notifications in batches of 16), 1.32 million instructions per notification
before, 1.19 million after.
"""

from collections.abc import Callable
from typing import Any

import mongoeco.api._async._collection_insert as collection_insert
import mongoeco.engines.sqlite as sqlite_engine
from mongoeco.api._async._database_admin_write_commands import (
    DatabaseAdminWriteCommandService,
    _write_command_result,
)
from mongoeco.api._async._write_command_validation import write_command_acknowledged
from mongoeco.api._command_bson import command_boolean
from mongoeco.engines.sqlite import SQLiteEngine
from mongoeco.types import WriteCommandResult

from deploy.mongo_features import rolled_back
from deploy.mongo_write_batch import own_transaction_engine

_SAVEPOINT = "duijie_insert_batch"
_original = DatabaseAdminWriteCommandService.command_insert
_original_batch = sqlite_engine._sqlite_insert_document_batch
_original_replace_ttl = SQLiteEngine._replace_ttl_entries_for_document
_fresh: dict[str, object] = {}  # storage key → the document the last batch inserted under it


async def command_insert(self: Any, spec: dict[str, object], *, session: Any = None) -> object:
    """mongoeco's `insert` command; a command of several documents goes through the batch path when it can."""
    admin = self._admin
    documents = spec.get("documents")
    engine = own_transaction_engine(admin, session, or_session=True)
    if engine is None or not isinstance(documents, list) or len(documents) < 2:
        return await _original(self, spec, session=session)
    connection = engine._connection
    collection_name = admin._require_collection_name(spec.get("insert"), "insert")
    documents = admin._normalize_insert_documents(documents)
    ordered = admin._normalize_ordered_from_command(spec.get("ordered"))
    bypass = command_boolean(spec.get("bypassDocumentValidation", False), "bypassDocumentValidation", numeric=True)
    acknowledged = write_command_acknowledged(spec, dialect=admin._mongodb_dialect.key)
    collection = admin._database.get_collection(collection_name)
    connection.execute(f"SAVEPOINT {_SAVEPOINT}")
    try:
        result = await collection.insert_many(documents, ordered=ordered,
                                              bypass_document_validation=bypass, session=session)
    except Exception:
        connection.execute(f"ROLLBACK TO {_SAVEPOINT}")
        connection.execute(f"RELEASE {_SAVEPOINT}")
        rolled_back(engine)
        return await _original(self, spec, session=session)
    connection.execute(f"RELEASE {_SAVEPOINT}")
    return _write_command_result(WriteCommandResult(count=len(result.inserted_ids)), acknowledged=acknowledged)


def as_given[T](value: T) -> T:
    """The batch path's copies of a command's documents: the documents themselves. It reads them (to convert them,
    and to name one in an error report) and at most adds a missing `_id`, as it did to the originals before."""
    return value


def fresh_batch(conn: Any, **steps: Any) -> list[bool]:
    """mongoeco's `insert_document_batch` without the steps a document it has just inserted cannot need: it calls
    them only after inserting a document under a storage key no stored document had (see the module's notes)."""
    _fresh.clear()
    loaded: list[Any] = []
    load, validate = steps["load_indexes"], steps["validate_document_against_unique_indexes"]

    def load_once(db_name: str, coll_name: str) -> Any:
        loaded[:] = [load(db_name, coll_name)]
        return loaded[0]

    def check(db_name: str, coll_name: str, document: dict, storage_key: str | None, skip_id_check: bool = False,
              scan_payload_id: bool = False) -> None:
        if not (skip_id_check and loaded and nothing_to_check(loaded[0], document)):
            validate(db_name, coll_name, document, storage_key, skip_id_check, scan_payload_id)

    results = _original_batch(conn, **{
        **steps, "load_indexes": load_once, "validate_document_against_unique_indexes": check,
        "delete_multikey_entries_for_storage_key": _none_to_delete,
        "delete_scalar_entries_for_storage_key": _none_to_delete,
        "ensure_scalar_physical_indexes": _once_per_batch(steps["ensure_scalar_physical_indexes"]),
        "ensure_multikey_physical_indexes": _once_per_batch(steps["ensure_multikey_physical_indexes"])})
    for document, (storage_key, _, _), applied in zip(steps["documents"], steps["prepared_documents"], results,
                                                      strict=False):
        if applied:
            _fresh[storage_key] = document
    return results


def _none_to_delete(conn: Any, db_name: str, coll_name: str, storage_key: str) -> None:
    """A document the batch has just inserted has no entries yet."""


def _once_per_batch(ensure: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """Creates the entry tables' SQLite indexes for the batch's index list once, not once per document."""
    ensured: list[Any] = []

    def once(conn: Any, indexes: Any) -> None:
        if not ensured or ensured[0] is not indexes:
            ensure(conn, indexes)
            ensured[:] = [indexes]

    return once


def replace_ttl_entries(self: SQLiteEngine, conn: Any, db_name: str, coll_name: str, storage_key: str,
                        document: Any, indexes: Any) -> None:
    """mongoeco's `_replace_ttl_entries_for_document`, which it calls for each document a batch inserted: for one of
    those, in a collection without a TTL index, there is nothing to delete and nothing to write."""
    if _fresh.get(storage_key) is document:
        del _fresh[storage_key]
        if all(index.expire_after_seconds is None for index in indexes):
            return
    _original_replace_ttl(self, conn, db_name, coll_name, storage_key, document, indexes)


def nothing_to_check(indexes: list[Any], document: dict) -> bool:
    """Whether a batch's document, its `_id` checked already, has nothing else to check: no unique index but
    `_id`'s, and no compound index over more than one array (a match's `org_ids` is its only one). Then the engine's
    checks, which walk every index's paths in the document, find nothing; otherwise they run as before. For a batch
    of notifications they were a tenth of the server's time."""
    for index in indexes:
        fields = index["fields"]
        if index.get("unique") and fields != ["_id"]:
            return False
        if len(fields) > 1 and sum(_arrays_on(document, field) for field in fields) > 1:
            return False
    return True


def _arrays_on(document: dict, path: str) -> int:
    """The arrays a dotted path meets in the document: 0, or 1 for a flat array at its end; 2 for anything else
    (an array on the way, arrays in the array), which leaves the decision to the engine's own check."""
    value: object = document
    for part in path.split("."):
        if isinstance(value, list):
            return 2
        if not isinstance(value, dict):
            return 0
        value = value.get(part)
    if not isinstance(value, list):
        return 0
    return 2 if any(isinstance(item, list) for item in value) else 1


def install() -> None:
    """Idempotent."""
    DatabaseAdminWriteCommandService.command_insert = command_insert  # type: ignore[method-assign]
    collection_insert.deepcopy = as_given
    sqlite_engine._sqlite_insert_document_batch = fresh_batch
    SQLiteEngine._replace_ttl_entries_for_document = replace_ttl_entries  # type: ignore[method-assign]
