"""All queries on organisations."""

from pymongo.asynchronous.client_session import AsyncClientSession

from services.registry.db import Database


class OrgRepository:
    def __init__(self, db: Database) -> None:
        self.orgs = db["orgs"]
        self.keys = db["api_keys"]

    async def add(self, org: dict, key: dict, session: AsyncClientSession) -> None:
        await self.orgs.insert_one(org, session=session)
        await self.keys.insert_one(key, session=session)

    async def get(self, org_id: str) -> dict | None:
        return await self.orgs.find_one({"_id": org_id})
