"""All queries on deals, and the look-ups a deal needs: its match or summit meeting, parties and product."""

from typing import Any

from pymongo.asynchronous.client_session import AsyncClientSession

from services.registry.db import Database


class DealRepository:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.deals = db["deals"]

    async def add(self, doc: dict, session: AsyncClientSession) -> None:
        await self.deals.insert_one(doc, session=session)

    async def get(self, deal_id: str) -> dict | None:
        return await self.deals.find_one({"_id": deal_id})

    async def replace(self, doc: dict, expected_version: int, session: AsyncClientSession) -> bool:
        result = await self.deals.replace_one({"_id": doc["_id"], "version": expected_version}, doc, session=session)
        return result.matched_count == 1

    async def of_org(self, org_id: str, status: str | None, limit: int, cursor: str | None) -> list[dict]:
        query: dict[str, Any] = {"party_org_ids": org_id}
        if status:
            query["status"] = status
        if cursor:
            query["_id"] = {"$lt": cursor}
        return await self.deals.find(query).sort("_id", -1).limit(limit).to_list()

    async def with_registration_number(self, number: str) -> dict | None:
        return await self.deals.find_one({"registration_number": number})

    async def claim_registration_number(self, number: str, deal_id: str, session: AsyncClientSession) -> None:
        """One document per number, keyed by it: a second deal registering the same number at the same time gets a
        DuplicateKeyError and its transaction is undone (the look-up above cannot see a registration in flight)."""
        await self.db["deal_registration_numbers"].insert_one({"_id": number, "deal_id": deal_id}, session=session)

    async def match(self, match_id: str) -> dict | None:
        return await self.db["matches"].find_one({"_id": match_id})

    async def meeting(self, meeting_id: str) -> dict | None:
        return await self.db["summit_meetings"].find_one({"_id": meeting_id})

    async def meeting_of_match(self, match_id: str) -> dict | None:
        return await self.db["summit_meetings"].find_one({"match_id": match_id})

    async def org(self, org_id: str) -> dict | None:
        return await self.db["orgs"].find_one({"_id": org_id})

    async def product(self, product_id: str) -> dict | None:
        return await self.db["products"].find_one({"_id": product_id})
