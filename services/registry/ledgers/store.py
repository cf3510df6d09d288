"""Where the ledgers' read models live, behind a small interface the projector and the tables use.

`MongoLedgerStore` keeps them in the registry's database; tests use `MemoryLedgerStore`. Each projected
event's writes and its id commit together, so a replayed event is recognised and changes nothing.
"""

import asyncio
import random
from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo.errors import PyMongoError

from services.registry.db import Database

CONTRACTS, FIRMS, PATENTS, RESULTS, FUNNEL, PROCESSED = (
    "ledger_contracts", "ledger_firms", "ledger_patents", "ledger_results", "ledger_funnel", "ledger_events")

Write = tuple[str, str, dict | None]  # (collection, key, the row's new state; None deletes it)


class LedgerStore(Protocol):
    async def seen(self, event_id: str) -> bool: ...
    async def get(self, collection: str, key: str) -> dict | None: ...
    async def apply(self, event_id: str, writes: list[Write]) -> None: ...
    async def rows(self, collection: str, since: str | None = None, until: str | None = None,
                   field: str | None = None) -> list[dict]: ...


def _within(row: dict, field: str | None, since: str | None, until: str | None) -> bool:
    if field is None:
        return True
    value = row.get(field)
    if value is None:
        return since is None and until is None
    return (since is None or value >= since) and (until is None or value <= until)


class MemoryLedgerStore:
    """In-memory twin of MongoLedgerStore for unit tests."""

    def __init__(self) -> None:
        self.collections: dict[str, dict[str, dict]] = {}
        self.processed: set[str] = set()

    async def seen(self, event_id: str) -> bool:
        return event_id in self.processed

    async def get(self, collection: str, key: str) -> dict | None:
        row = self.collections.get(collection, {}).get(key)
        return dict(row) if row is not None else None

    async def apply(self, event_id: str, writes: list[Write]) -> None:
        for collection, key, doc in writes:
            rows = self.collections.setdefault(collection, {})
            if doc is None:
                rows.pop(key, None)
            else:
                rows[key] = {**doc, "_id": key}
        self.processed.add(event_id)

    async def rows(self, collection: str, since: str | None = None, until: str | None = None,
                   field: str | None = None) -> list[dict]:
        return [dict(r) for r in self.collections.get(collection, {}).values() if _within(r, field, since, until)]


class MongoLedgerStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def seen(self, event_id: str) -> bool:
        return await self.db[PROCESSED].find_one({"_id": event_id}) is not None

    async def get(self, collection: str, key: str) -> dict | None:
        return await self.db[collection].find_one({"_id": key})

    async def apply(self, event_id: str, writes: list[Write], attempts: int = 8) -> None:
        """Writes and the event id in one transaction, retried while it conflicts with another transaction."""
        for attempt in range(attempts):
            try:
                return await self._apply(event_id, writes)
            except PyMongoError as error:
                transient = error.has_error_label("TransientTransactionError") or "locked" in str(error)
                if attempt == attempts - 1 or not transient:
                    raise
                await asyncio.sleep(0.02 * 2**attempt * (1 + random.random()))

    async def _apply(self, event_id: str, writes: list[Write]) -> None:
        async with self.db.transaction() as session:
            for collection, key, doc in writes:
                if doc is None:
                    await self.db[collection].delete_one({"_id": key}, session=session)
                else:
                    await self.db[collection].replace_one({"_id": key}, {**doc, "_id": key}, upsert=True,
                                                          session=session)
            await self.db[PROCESSED].insert_one({"_id": event_id, "at": datetime.now(UTC)}, session=session)

    async def rows(self, collection: str, since: str | None = None, until: str | None = None,
                   field: str | None = None) -> list[dict]:
        query: dict[str, Any] = {}
        if field is not None and (since is not None or until is not None):
            bounds: dict[str, str] = {}
            if since is not None:
                bounds["$gte"] = since
            if until is not None:
                bounds["$lte"] = until
            query[field] = bounds
        return await self.db[collection].find(query).to_list()


async def ensure_indexes(db: Database) -> None:
    await db[CONTRACTS].create_index("signed_on")
    await db[CONTRACTS].create_index("match_id")
    await db[FUNNEL].create_index("proposed_on")
    await db["deals"].create_index([("party_org_ids", 1), ("_id", -1)])
    await db["deals"].create_index("registration_number")
