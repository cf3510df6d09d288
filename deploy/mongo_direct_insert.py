"""Plain insert commands handed straight to the engine, in the embedded MongoDB server.

Between an `insert` command's bytes and the SQLite engine, mongoeco passes it through its request context, its
command executor and router, its admin write service and its collection layer (operation context, change
publication, instrumentation): on a command of 16 notifications, 0.8 of the server's 3.4 ms of CPU went to those
layers, against 1.7 ms in the engine. A plain insert (outside a session's transaction, acknowledged, into an
existing collection without a validator, every `_id` a string or an ObjectId) is now decoded as the proxy decodes
it and given to the engine's own batch insertion (`SQLiteEngine.insert_documents`, which writes the same rows and
index entries through the same code as mongoeco's `insert_many`, with `deploy/mongo_insert_batch.py`'s savings),
and answered `{n, ok}` as MongoDB answers it.

An insert inside a session's transaction (the registry's new postings and their outbox rows) is decoded by mongoeco,
which starts the transaction on its first command, and then goes to the same batch insertion inside that
transaction instead of through mongoeco's executor, when it is otherwise plain. The transaction commits or aborts
as before. Counted with callgrind (the server alone, transactions of one need and one outbox row and their commit):
4.87 million instructions per transaction against 5.68 million.

Anything else takes mongoeco's path, as does a command the engine refuses any of: the direct attempt runs inside
a savepoint, so a duplicate `_id` or an invalid document leaves nothing behind, and mongoeco's path then stores
and reports exactly what it always did. The engine's change publication is switched off in this server
(`deploy/mongo_server.py`), so skipping the collection layer's publication loses nothing; mongoeco's own
operation counters and current-operation list do not see these inserts (nothing in Duijie reads them). The engine
runs on the server's thread (`_run_inline`), so nothing else runs between the savepoint and its release.
"""

from typing import Any

from mongoeco.api._async._collection_insert import DocumentCodec
from mongoeco.types import ObjectId  # what the proxy decodes a BSON ObjectId into
from mongoeco.wire.protocol import decode_op_msg, encode_op_msg_response, op_msg_flags

from deploy.mongo_features import rolled_back
from deploy.mongo_gate import OP_MSG, command_body

_SAVEPOINT = "duijie_direct_insert"
# Fields of a plain insert command as drivers send it; any other field (a transaction's, a bypass of validation,
# a comment to record) leaves the command to mongoeco.
_PLAIN = frozenset({"insert", "documents", "ordered", "$db", "lsid", "writeConcern", "$clusterTime",
                    "$readPreference"})
# A session's transaction adds these (`readConcern` on its first command only); a write concern belongs to its commit.
_IN_TRANSACTION = (_PLAIN - {"writeConcern"}) | {"txnNumber", "startTransaction", "autocommit", "readConcern"}
_IDS = (str, ObjectId)


def plain_insert(op_code: int, payload: bytes) -> bool:
    """Whether a request is an insert command the engine can take directly, judged on its command document alone
    (its documents are checked once decoded)."""
    if op_code != OP_MSG or op_msg_flags(payload) != 0:  # no checksum, no unacknowledged "more to come"
        return False
    body = command_body(op_code, payload)
    if body is None or next(iter(body.keys()), "") != "insert" or not isinstance(body.get("insert"), str):
        return False
    if not _PLAIN.issuperset(body.keys()):
        return False
    concern = body.get("writeConcern")
    return concern is None or concern.get("w", 1) != 0


def _collection_takes_directly(engine: Any, db_name: str, coll_name: str) -> bool:
    """An existing collection without a validator (creation and validation stay with mongoeco)."""
    connection = engine._connection
    if engine._lookup_collection_id(connection, db_name, coll_name, create=False) is None:
        return False
    options = engine._collection_options_or_empty_sync(connection, db_name, coll_name)
    return not options.get("validator")


async def insert_directly(engine: Any, body: dict, session: Any = None) -> dict | None:
    """Stores the command's documents through the engine's batch insertion (in `session`'s transaction, when given)
    and returns the reply, or None (having written nothing) when the command must take mongoeco's path."""
    documents = body.get("documents")
    db_name, coll_name = body.get("$db"), body["insert"]
    if (not isinstance(documents, list) or not documents or not isinstance(db_name, str)
            or not all(type(d) is dict and type(d.get("_id")) in _IDS for d in documents)
            or not _collection_takes_directly(engine, db_name, coll_name)):
        return None
    connection = engine._connection
    connection.execute(f"SAVEPOINT {_SAVEPOINT}")
    try:
        outcomes = await engine.insert_documents(db_name, coll_name,
                                                 [DocumentCodec.to_internal(d) for d in documents], context=session)
        stored = len(outcomes) == len(documents) and all(outcomes)
    except Exception:  # noqa: BLE001 - mongoeco's path reports it, as it always did
        stored = False
    if not stored:
        connection.execute(f"ROLLBACK TO {_SAVEPOINT}")
        connection.execute(f"RELEASE {_SAVEPOINT}")
        rolled_back(engine)
        return None
    connection.execute(f"RELEASE {_SAVEPOINT}")
    return {"n": len(documents), "ok": 1.0}


def install(server: Any, engine: Any) -> None:
    """Wraps the proxy's request dispatch (innermost: inside the one-transaction-per-write-command wrapper,
    `deploy/mongo_write_batch.py`, and the transaction gate, `deploy/mongo_gate.py`) for plain inserts, and its
    executor for inserts in a session's transaction."""
    dispatch = server._dispatch_wire_request

    async def direct(header: Any, payload: bytes, *, connection: Any) -> bytes | None:
        if plain_insert(header.op_code, payload) and engine._connection is not None \
                and engine._connection.in_transaction and engine._transaction_owner_session_id is None:
            try:
                body = decode_op_msg(header, payload).body
            except Exception:  # noqa: BLE001 - malformed: mongoeco's path answers it
                body = None
            reply = await insert_directly(engine, body) if body is not None else None
            if reply is not None:
                return encode_op_msg_response(reply, request_id=next(server._request_ids),
                                              response_to=header.request_id)
        return await dispatch(header, payload, connection=connection)

    server._dispatch_wire_request = direct
    execute = server._executor.execute_prepared

    async def in_transaction(context: Any) -> dict:
        """An insert in the session's transaction the engine holds, once mongoeco has decoded it (which starts the
        transaction on its first command): straight to the engine, inside that transaction, when otherwise plain."""
        session = context.session
        if (context.command_name == "insert" and session is not None and session.in_transaction
                and engine._transaction_owner_session_id == session.session_id
                and _IN_TRANSACTION.issuperset(context.raw_body.keys())):
            reply = await insert_directly(engine, context.raw_body, session)
            if reply is not None:
                return reply
        return await execute(context)

    server._executor.execute_prepared = in_transaction
