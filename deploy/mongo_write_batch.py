"""One SQLite transaction per write command, in the embedded MongoDB server.

mongoeco applies an insert of many documents, or an update or a delete of many statements, one statement at a
time, each in a SQLite transaction of its own, and each commit writes every page its statement touched to the
WAL. Measured in the pipeline bench at 5/s (before deploy/mongo_document_indexes.py dropped the indexes that
made every statement touch dozens of pages): 49–50 ms of the registry's database CPU per posting against
54–55 ms with a commit per statement, 51 ms against 55–57 ms for notify's.

Here an insert, update or delete command outside a session's transaction runs inside one SQLite transaction.
mongoeco sees it open and makes each statement a savepoint, as it does inside a session's transaction: a
statement that fails is undone alone, and the statements before it stay, as MongoDB leaves them after an
ordered or unordered write. The command's writes are committed together before its reply is sent. A command
of another connection that runs meanwhile (the engine runs on the server's thread, so only if the command
waits on something) joins the transaction and is committed with it; a session's transaction waits for the
command to end (deploy/mongo_gate.py admits it only then).
"""

import sqlite3
from typing import Any

from deploy.mongo_features import rolled_back
from deploy.mongo_gate import command_body

WRITES = {"insert", "update", "delete"}


def _commit(connection: sqlite3.Connection, engine: Any) -> None:
    try:
        connection.commit()
    except BaseException:
        connection.rollback()
        rolled_back(engine)
        raise


def own_transaction_engine(admin: Any, session: Any, *, or_session: bool = False) -> Any | None:
    """The engine of a write command running in a write transaction on the engine's connection (the one `install`
    opened for it, or another command's it joined), not in a session's transaction unless `or_session` (a session's
    transaction is on the same connection): its statements may then go into that transaction directly. None
    otherwise."""
    engine = getattr(admin._database, "_engine", None)
    connection = getattr(engine, "_connection", None)
    if connection is None or not connection.in_transaction:
        return None
    return engine if or_session or not getattr(session, "in_transaction", False) else None


def install(server: Any, engine: Any) -> None:
    """Wraps the proxy's request dispatch: each write command outside a transaction commits once."""
    dispatch = server._dispatch_wire_request

    async def batched(header: Any, payload: bytes, *, connection: Any) -> bytes | None:
        body = command_body(header.op_code, payload)
        if body is None or next(iter(body.keys()), "") not in WRITES or body.get("autocommit") is False:
            return await dispatch(header, payload, connection=connection)
        database = engine._connection
        if database is None or database.in_transaction or engine._transaction_owner_session_id is not None:
            return await dispatch(header, payload, connection=connection)  # (another command's: it joins that)
        database.execute("BEGIN IMMEDIATE")
        try:
            return await dispatch(header, payload, connection=connection)
        finally:  # after a failure too: what the statements before it wrote stays, as on MongoDB
            _commit(database, engine)

    server._dispatch_wire_request = batched
