"""All queries on organisations, their roles and their API keys."""

import re
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from services.registry.db import Database


class OrgKinds:
    """Each organisation's kind, read from the database once: organisations are never deleted and their kind never
    changes, so a kind once read stays the answer (on every replica). Bounded: the oldest read is forgotten first."""

    def __init__(self, db: Database, size: int = 10_000) -> None:
        self.db, self.size = db, size
        self._kinds: dict[str, str] = {}

    async def of(self, org_id: str) -> str | None:
        """The organisation's kind; None if there is no such organisation (not remembered: it may be created)."""
        kind = self._kinds.get(org_id)
        if kind is None:
            org = await self.db["orgs"].find_one({"_id": org_id}, {"kind": 1})
            if org is None:
                return None
            if len(self._kinds) >= self.size:
                del self._kinds[next(iter(self._kinds))]
            kind = self._kinds[org_id] = org["kind"]
        return kind


class OrgRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.orgs = db["orgs"]
        self.keys = db["api_keys"]

    async def add(self, org: dict, key: dict, session: AsyncClientSession) -> None:
        await self.orgs.insert_one(org, session=session)
        await self.keys.insert_one(key, session=session)

    async def get(self, org_id: str) -> dict | None:
        return await self.orgs.find_one({"_id": org_id})

    async def with_credit_code(self, credit_code: str) -> dict | None:
        return await self.orgs.find_one({"credit_code": credit_code})

    async def replace(self, doc: dict, expected_version: int, session: AsyncClientSession) -> bool:
        """Stores `doc` if the stored version is still `expected_version`; False when someone else won."""
        result = await self.orgs.replace_one({"_id": doc["_id"], "version": expected_version}, doc, session=session)
        return result.matched_count == 1

    async def page(self, kind: str | None, region: str | None, industry_code: str | None, q: str | None,
                   limit: int, cursor: str | None) -> list[dict]:
        query: dict[str, Any] = {}
        if kind:
            query["kind"] = kind
        if region:
            query["region"] = region
        if industry_code:
            query["industry_codes"] = {"$regex": f"^{re.escape(industry_code.upper())}"}
        if q:
            query["name"] = {"$regex": re.escape(q), "$options": "i"}
        if cursor:
            query["_id"] = {"$lt": cursor}
        return await self.orgs.find(query).sort("_id", -1).limit(limit).to_list()

    async def grant_role(self, org_id: str, role: str) -> dict | None:
        await self.orgs.update_one({"_id": org_id}, {"$addToSet": {"roles": role}})
        return await self.get(org_id)

    async def withdraw_role(self, org_id: str, role: str) -> dict | None:
        now = datetime.now(UTC)
        async with self.db.transaction() as session:
            await self.orgs.update_one({"_id": org_id}, {"$pull": {"roles": role}}, session=session)
            await self.keys.update_many({"org_id": org_id, "role": role, "revoked_at": None},
                                        {"$set": {"revoked_at": now}}, session=session)
        return await self.get(org_id)

    async def add_key(self, key: dict) -> None:
        await self.keys.insert_one(key)

    async def keys_of(self, org_id: str) -> list[dict]:
        return await self.keys.find({"org_id": org_id}).sort("created_at", 1).to_list()

    async def key(self, org_id: str, key_id: str) -> dict | None:
        return await self.keys.find_one({"_id": key_id, "org_id": org_id})

    async def revoke_key(self, org_id: str, key_id: str) -> dict | None:
        await self.keys.update_one({"_id": key_id, "org_id": org_id, "revoked_at": None},
                                   {"$set": {"revoked_at": datetime.now(UTC)}})
        return await self.keys.find_one({"_id": key_id, "org_id": org_id})
