"""Reading the whole open catalogue page by page, for matching's index rebuild."""

from collections.abc import AsyncIterator

from services.registry.db import Database

POSTING_COLLECTIONS = {"need": "needs", "result": "results", "product": "products", "expert": "experts"}
PAGE = 500


async def _pages(db: Database, collection: str, query: dict) -> AsyncIterator[dict]:
    last: str | None = None
    while True:
        q = {**query, "_id": {"$gt": last}} if last is not None else query
        docs = await db[collection].find(q).sort("_id", 1).limit(PAGE).to_list()
        for doc in docs:
            yield doc
        if len(docs) < PAGE:
            return
        last = docs[-1]["_id"]


async def snapshot(db: Database) -> AsyncIterator[tuple[str, dict]]:
    """(aggregate, data) for every organisation, open posting, live match and decline."""
    async for org in _pages(db, "orgs", {}):
        yield "org", {**org, "id": org["_id"]}
    for aggregate, collection in POSTING_COLLECTIONS.items():
        async for doc in _pages(db, collection, {"status": "open"}):
            yield aggregate, {**doc, "id": doc["_id"]}
    async for match in _pages(db, "matches", {"status": {"$in": ["proposed", "accepted"]}}):
        yield "match", {**match, "match_id": match["_id"]}
    async for feedback in _pages(db, "feedback", {"decision": "declined"}):
        yield "decline", feedback
