"""All queries on postings, one collection per kind."""

import re
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from services.registry.db import Database
from services.registry.postings.kinds import PostingKind


@dataclass(frozen=True)
class PostingFilter:
    status: str | None = None
    kind: str | None = None
    industry_code: str | None = None
    region: str | None = None
    q: str | None = None
    org_id: str | None = None


class PostingRepository:
    def __init__(self, db: Database, collection: str) -> None:
        self.db = db
        self.items = db[collection]

    async def get(self, posting_id: str) -> dict | None:
        return await self.items.find_one({"_id": posting_id})

    async def replace(self, doc: dict, expected_version: int, session: AsyncClientSession) -> bool:
        result = await self.items.replace_one({"_id": doc["_id"], "version": expected_version}, doc, session=session)
        return result.matched_count == 1

    async def remove(self, posting_id: str, expected_version: int, session: AsyncClientSession) -> bool:
        result = await self.items.delete_one({"_id": posting_id, "version": expected_version}, session=session)
        return result.deleted_count == 1

    async def matched_with(self, need_id: str, org_id: str) -> dict | None:
        """The match, if any, that put this organisation in front of the need."""
        return await self.db["matches"].find_one({"need_id": need_id, "org_ids": org_id},
                                                 sort=[("status", 1)])

    async def page(self, kind: PostingKind, visible: dict[str, Any] | None, f: PostingFilter, limit: int,
                   cursor: str | None) -> list[dict]:
        clauses: list[dict[str, Any]] = []
        if f.kind:
            clauses.append({kind.kind_field: f.kind})
        if f.industry_code:
            clauses.append({kind.industry_field or "industry_codes": {"$regex": f"^{re.escape(f.industry_code)}"}})
        if f.region:
            clauses.append({kind.region_field or "region": f.region})
        if visible:
            clauses.append(visible)
        if f.org_id:
            clauses.append({"org_id": f.org_id})
        if f.status:
            clauses.append({"status": f.status})
        if f.q:
            pattern = {"$regex": re.escape(f.q), "$options": "i"}
            clauses.append({"$or": [{field: pattern} for field in kind.text_fields]})
        if cursor:
            clauses.append({"_id": {"$lt": cursor}})
        query = {"$and": clauses} if clauses else {}
        return await self.items.find(query).sort("_id", -1).limit(limit).to_list()
