"""All queries on postings, one collection per kind."""

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from services.registry.db import Database


class PostingRepository:
    def __init__(self, db: Database, collection: str) -> None:
        self.items = db[collection]

    async def add(self, doc: dict, session: AsyncClientSession) -> None:
        await self.items.insert_one(doc, session=session)

    async def get(self, posting_id: str) -> dict | None:
        return await self.items.find_one({"_id": posting_id})

    async def page(self, query: dict[str, Any], limit: int, cursor: str | None) -> list[dict]:
        if cursor:
            query = {"$and": [query, {"_id": {"$lt": cursor}}]}
        return await self.items.find(query).sort("_id", -1).limit(limit).to_list()
