"""Notify's own MongoDB database: endpoints, preferences, notifications, dispatches (one per channel target),
deliveries (one per attempt), dead letters."""

from datetime import datetime

from pymongo import AsyncMongoClient, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from services.contracts.shutdown import within

CLOSE_SECONDS = 5.0  # at most this long to close the client at shutdown (see `contracts.shutdown`)
# Made by earlier versions and replaced by one in `ensure_indexes`: dropped where they still exist.
REPLACED_INDEXES = (("deliveries", "org_id_1_at_-1"), ("dead_letters", "org_id_1_at_-1"))


def stored_time(at: datetime) -> datetime:
    """`at` as the database keeps it (BSON dates hold milliseconds), so that what a creation answers, or a first
    attempt sends, is what a read gives back later."""
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


class Database:
    def __init__(self, url: str, name: str) -> None:
        self.client: AsyncMongoClient = AsyncMongoClient(url, tz_aware=True)
        self.db: AsyncDatabase = self.client[name]

    def __getitem__(self, collection: str):  # noqa: ANN204
        return self.db[collection]

    async def next_seq(self, name: str, count: int = 1) -> int:
        """Reserves `count` numbers of a sequence; returns the last one."""
        doc = await self.db["counters"].find_one_and_update(
            {"_id": name}, {"$inc": {"seq": count}}, upsert=True, return_document=ReturnDocument.AFTER)
        return int(doc["seq"])

    async def ensure_indexes(self) -> None:
        await self.db["notifications"].create_index([("org_id", 1), ("seq", 1)])
        await self.db["notifications"].create_index("seq")
        # Few dispatches are pending or sending at a time: the due and overdue queries read only those.
        await self.db["dispatches"].create_index("status")
        await self.db["deliveries"].create_index([("org_id", 1), ("at", -1), ("_id", -1)])  # pages (`records`)
        await self.db["notifications"].create_index([("data.match_id", 1), ("type", 1)])
        await self.db["deliveries"].create_index("dispatch_id")
        await self.db["dead_letters"].create_index([("org_id", 1), ("at", -1), ("_id", -1)])
        await self.db["endpoints"].create_index("org_id")
        await self.db["stream_tickets"].create_index("org_id")
        await self.db["stream_tickets"].create_index("expires_at", expireAfterSeconds=0)  # gone once expired
        for collection, name in REPLACED_INDEXES:
            if name in await self.db[collection].index_information():
                await self.db[collection].drop_index(name)

    async def ping(self) -> bool:
        try:
            await self.client.admin.command("ping")
            return True
        except Exception:
            return False

    async def close(self) -> None:
        await within(CLOSE_SECONDS, self.client.close(), "closing the database client")
