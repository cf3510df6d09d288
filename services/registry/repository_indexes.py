"""Indexes the registry's queries rely on, created idempotently at start-up."""

from services.registry.db import Database
from services.registry.ledgers.store import ensure_indexes as ensure_ledger_indexes

# Made by earlier versions and replaced by one below: dropped where they still exist (each costs every insert).
REPLACED_INDEXES = (("matches", "org_ids_1_proposed_at_-1"),)


async def ensure_indexes(db: Database) -> None:
    await db["outbox"].create_index([("sent", 1), ("_id", 1)])
    await db["outbox_sent"].create_index("key")
    await db["api_keys"].create_index("org_id")
    await db["idempotency"].create_index("created_at", expireAfterSeconds=24 * 3600)
    await db["matches"].create_index([("org_ids", 1), ("proposed_at", -1), ("_id", -1)])  # pages with ties
    for collection, name in REPLACED_INDEXES:
        if name in await db[collection].index_information():
            await db[collection].drop_index(name)
    for collection in ("needs", "results", "products", "experts"):
        await db[collection].create_index([("org_id", 1), ("_id", -1)])
        await db[collection].create_index([("status", 1), ("_id", -1)])
    await ensure_ledger_indexes(db)
    await db["summit_participants"].create_index([("summit_id", 1), ("_id", 1)])
    await db["summit_requests"].create_index([("summit_id", 1), ("status", 1)])
    await db["summit_requests"].create_index([("status", 1), ("expires_at", 1)])
    await db["summit_meetings"].create_index([("summit_id", 1), ("slot", 1), ("table", 1)])
    await db["summit_meetings"].create_index([("status", 1), ("end", 1)])
    await db["summit_followups"].create_index([("org_id", 1), ("due_at", 1)])
    await db["summit_followups"].create_index([("status", 1), ("due_at", 1)])
