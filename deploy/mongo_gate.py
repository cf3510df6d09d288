"""Queueing commands behind an open transaction, in the embedded MongoDB server.

mongoeco's SQLite engine holds one transaction at a time and *refuses* every other session's command while
it is open ("... active transaction bound to another session"). Real MongoDB runs them concurrently. So
that services behave the same on both, the embedded server admits a command from another session only once
the open transaction has ended: it waits where MongoDB would have run it alongside. Nothing in the services
knows about this. A transaction idle for `idle_release_seconds` (a client that died mid-transaction) stops
holding others back.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

ENDING = {"commitTransaction", "abortTransaction"}
# Handshake and monitoring commands touch no data; holding them back would make the driver's server monitor
# time out, mark the server unknown and cancel every operation in flight.
UNGATED = {"hello", "ismaster", "isMaster", "ping", "buildinfo", "buildInfo", "saslStart", "saslContinue",
           "getParameter", "connectionStatus", "hostInfo", "whatsmyuri", "getLog", "endSessions"}


def session_key(body: dict[str, Any]) -> str | None:
    lsid = body.get("lsid")
    return repr(lsid.get("id")) if isinstance(lsid, dict) else None


class TransactionGate:
    def __init__(self, idle_release_seconds: float = 30.0) -> None:
        self.owner: str | None = None
        self.last_activity = 0.0
        self.idle_release_seconds = idle_release_seconds
        self._changed = asyncio.Condition()

    async def _admit(self, key: str | None, in_transaction: bool) -> None:
        async with self._changed:
            while self.owner is not None and self.owner != key:
                if time.monotonic() - self.last_activity > self.idle_release_seconds:
                    self.owner = None
                    break
                try:
                    await asyncio.wait_for(self._changed.wait(), 1.0)
                except TimeoutError:
                    pass
            if in_transaction and key is not None:
                self.owner = key
            self.last_activity = time.monotonic()

    async def _release(self) -> None:
        async with self._changed:
            self.owner = None
            self._changed.notify_all()

    async def run(self, body: dict[str, Any], command: str, execute: Callable[[], Awaitable[dict]]) -> dict:
        key = session_key(body)
        await self._admit(key, in_transaction=body.get("autocommit") is False)
        result: dict | None = None
        try:
            result = await execute()
            return result
        finally:
            # Held until the client commits or aborts: a transaction whose first command failed (a duplicate key,
            # say) is still open in the engine until the driver's abortTransaction arrives.
            if key is not None and self.owner == key:
                if command in ENDING:
                    await self._release()
                else:
                    self.last_activity = time.monotonic()


def install(server: Any, gate: TransactionGate | None = None) -> TransactionGate:
    """Wraps the proxy's executor so every data command passes through the gate."""
    gate = gate or TransactionGate()
    executor = server._executor
    execute_prepared = executor.execute_prepared

    async def gated(context: Any) -> dict:
        if context.command_name in UNGATED:
            return await execute_prepared(context)
        return await gate.run(context.raw_body, context.command_name, lambda: execute_prepared(context))

    executor.execute_prepared = gated
    return gate
