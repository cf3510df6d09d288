"""Where the ledgers' read models live, behind a small interface the projector and the tables use.

`MongoLedgerStore` keeps them in the registry's database; tests use `MemoryLedgerStore`. An event's id is
stored with its writes in one transaction, so a replayed event is recognised and changes nothing. Rows keep one
shape, so upserting a row with `$set` of all its fields replaces it; a write of some fields leaves the others.
"""

from datetime import UTC, datetime
from typing import Any, Protocol

from services.registry.db import Database, retrying
from services.registry.upserts import DocumentWrite, write_in_order

CONTRACTS, FIRMS, PATENTS, RESULTS, FUNNEL, PROCESSED = (
    "ledger_contracts", "ledger_firms", "ledger_patents", "ledger_results", "ledger_funnel", "ledger_events")

Write = tuple[str, str, dict | None]  # (collection, key, the row's new state; None deletes it)
Proposal = tuple[str, str, list[str]]  # (match id, the day it was proposed, the two organisations)
# A new funnel row; its `proposed_on` stays absent until the match's proposal is projected ($min sets it then).
FUNNEL_ROW = {"org_ids": [], "decisions": {}, "meetings": {}, "summit_id": None, "retracted": False}


def funnel_marks(proposed: list[Proposal], retracted: list[str]) -> list[DocumentWrite]:
    """The funnel rows' writes for proposals and retractions: each creates its row when there is none."""
    writes: list[DocumentWrite] = []
    for match_id, on, org_ids in proposed:
        first = {k: v for k, v in FUNNEL_ROW.items() if k != "org_ids"}
        writes.append(DocumentWrite({"_id": match_id}, {
            "$min": {"proposed_on": on}, "$set": {"org_ids": list(org_ids)}, "$setOnInsert": first},
            created={"_id": match_id, **first, "proposed_on": on, "org_ids": list(org_ids)}))
    for match_id in retracted:
        first = {k: v for k, v in FUNNEL_ROW.items() if k != "retracted"}
        writes.append(DocumentWrite({"_id": match_id}, {"$set": {"retracted": True}, "$setOnInsert": first},
                                    created={"_id": match_id, **first, "retracted": True}))
    return writes


class LedgerStore(Protocol):
    async def seen(self, event_id: str) -> bool: ...
    async def get(self, collection: str, key: str) -> dict | None: ...
    async def apply(self, event_id: str, writes: list[Write]) -> None: ...
    async def mark_matches(self, proposed: list[Proposal], retracted: list[str]) -> None: ...
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
                rows[key] = {**rows.get(key, {}), **doc, "_id": key}  # as `$set` does: fields not given stay
        self.processed.add(event_id)

    async def mark_matches(self, proposed: list[Proposal], retracted: list[str]) -> None:
        rows = self.collections.setdefault(FUNNEL, {})

        def row(match_id: str) -> dict:
            return rows.setdefault(match_id, {**FUNNEL_ROW, "decisions": {}, "meetings": {}, "_id": match_id})

        for match_id, on, org_ids in proposed:
            row(match_id)["proposed_on"] = min(row(match_id).get("proposed_on") or on, on)
            row(match_id)["org_ids"] = list(org_ids)
        for match_id in retracted:
            row(match_id)["retracted"] = True

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

    async def apply(self, event_id: str, writes: list[Write]) -> None:
        """The writes and the event's id in one transaction, retried as a whole while the store is busy."""

        async def attempt() -> None:
            async with self.db.transaction() as session:
                for collection, key, doc in writes:
                    if doc is None:
                        await self.db[collection].delete_one({"_id": key}, session=session)
                    else:
                        await self.db[collection].update_one({"_id": key}, {"$set": doc}, upsert=True,
                                                             session=session)
                await self.db[PROCESSED].update_one({"_id": event_id}, {"$setOnInsert": {"at": datetime.now(UTC)}},
                                                    upsert=True, session=session)

        await retrying(attempt)

    async def mark_matches(self, proposed: list[Proposal], retracted: list[str]) -> None:
        """Proposals and retractions of many matches in one round trip, field by field: they commute and a replay
        changes nothing, so no event ids are kept and no other field of a row (decisions, meetings) is touched."""
        await write_in_order(self.db[FUNNEL], funnel_marks(proposed, retracted))

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
    # Event ids only guard against replays; rows are versioned, so forgetting ids after 30 days is safe.
    await db[PROCESSED].create_index("at", expireAfterSeconds=30 * 24 * 3600)
    await db["deals"].create_index([("party_org_ids", 1), ("_id", -1)])
    await db["deals"].create_index("registration_number")
