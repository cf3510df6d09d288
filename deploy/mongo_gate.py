"""Queueing commands behind an open transaction, in the embedded MongoDB server.

mongoeco's SQLite engine holds one transaction at a time and *refuses* every other session's command while
it is open ("... active transaction bound to another session"). Real MongoDB runs them concurrently. So
that services behave the same on both, the embedded server admits a command from another session only once
the open transaction has ended, and starts a transaction only once the other sessions' commands already
running have finished: it waits where MongoDB would have run them alongside. Nothing in the services knows
about this. A transaction idle for `idle_release_seconds` (a client that died mid-transaction) stops holding
others back.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bson import CodecOptions
from bson.raw_bson import RawBSONDocument

ENDING = {"commitTransaction", "abortTransaction"}
# Handshake and monitoring commands touch no data; holding them back would make the driver's server monitor
# time out, mark the server unknown and cancel every operation in flight.
UNGATED = {"hello", "ismaster", "isMaster", "ping", "buildinfo", "buildInfo", "saslStart", "saslContinue",
           "getParameter", "connectionStatus", "hostInfo", "whatsmyuri", "getLog", "endSessions"}


def session_key(body: Mapping[str, Any]) -> str | None:
    lsid = body.get("lsid")
    return repr(lsid.get("id")) if isinstance(lsid, Mapping) else None


class TransactionGate:
    """A readers-writer lock over sessions: a transaction runs alone (it starts only once the other sessions'
    commands in flight have finished, and new ones wait for it to end); commands outside transactions run
    together. A transaction waiting to start holds new commands back, so it is never starved."""

    def __init__(self, idle_release_seconds: float = 30.0) -> None:
        self.owner: str | None = None
        self.in_flight = 0  # commands of other sessions being executed
        self.starting = 0  # transactions waiting for those to finish
        self.last_activity = 0.0
        self.idle_release_seconds = idle_release_seconds
        self._changed = asyncio.Condition()

    def _owner_gone(self) -> bool:
        if self.owner is not None and time.monotonic() - self.last_activity > self.idle_release_seconds:
            self.owner = None  # a client that died mid-transaction stops holding everyone back
        return self.owner is None

    async def _wait(self, ready: Callable[[], bool]) -> None:
        while not ready():
            try:
                await asyncio.wait_for(self._changed.wait(), 1.0)
            except TimeoutError:
                pass

    async def _admit(self, key: str | None, in_transaction: bool) -> bool:
        """Waits for this command's turn; True when it counts as an in-flight command of another session."""
        async with self._changed:
            if key is not None and self.owner == key:
                self.last_activity = time.monotonic()
                return False  # the open transaction's own command
            if in_transaction and key is not None:
                self.starting += 1
                try:
                    await self._wait(lambda: self._owner_gone() and self.in_flight == 0)
                finally:
                    self.starting -= 1
                self.owner = key
                self.last_activity = time.monotonic()
                return False
            await self._wait(lambda: self._owner_gone() and self.starting == 0)
            self.in_flight += 1
            return True

    async def _done(self, counted: bool, key: str | None, command: str) -> None:
        async with self._changed:
            if counted:
                self.in_flight -= 1
            elif key is not None and self.owner == key:
                # Held until the client commits or aborts: a transaction whose first command failed (a duplicate
                # key, say) is still open in the engine until the driver's abortTransaction arrives.
                if command in ENDING:
                    self.owner = None
                self.last_activity = time.monotonic()
            self._changed.notify_all()

    async def run(self, body: Mapping[str, Any], command: str, execute: Callable[[], Awaitable[Any]]) -> Any:
        key = session_key(body)
        counted = await self._admit(key, in_transaction=body.get("autocommit") is False)
        try:
            return await execute()
        finally:
            await self._done(counted, key, command)


OP_MSG = 2013
RAW = CodecOptions(document_class=RawBSONDocument)


def command_body(op_code: int, payload: bytes) -> RawBSONDocument | None:
    """The command document of an OP_MSG (its kind-0 section), read lazily; None for anything else."""
    if op_code != OP_MSG or len(payload) < 9 or payload[4] != 0:
        return None
    size = int.from_bytes(payload[5:9], "little")
    return RawBSONDocument(payload[5:5 + size], RAW)


def install(server: Any, gate: TransactionGate | None = None) -> TransactionGate:
    """Wraps the proxy's request dispatch, before it decodes the request (decoding already binds a transaction
    to the engine), so every data command passes through the gate."""
    gate = gate or TransactionGate()
    dispatch = server._dispatch_wire_request

    async def gated(header: Any, payload: bytes, *, connection: Any) -> bytes | None:
        body = command_body(header.op_code, payload)
        command = next(iter(body.keys()), "") if body is not None else ""
        if body is None or command in UNGATED:
            return await dispatch(header, payload, connection=connection)
        view = {"lsid": body.get("lsid"), "autocommit": body.get("autocommit")}
        return await gate.run(view, command, lambda: dispatch(header, payload, connection=connection))

    server._dispatch_wire_request = gated
    return gate
