"""Matches as the registry keeps them: one document per match id, shared by both organisations."""

from datetime import datetime

from services.registry.db import Database


class MatchRepository:
    def __init__(self, db: Database) -> None:
        self.matches = db["matches"]

    async def record_proposed(self, match: dict, event_id: str, at: datetime) -> None:
        """Idempotent: a replayed proposal changes nothing; a newer score updates the scores only."""
        await self.matches.update_one(
            {"_id": match["match_id"]},
            {"$setOnInsert": {"status": "proposed", "created_at": at, "event_id": event_id,
                              "org_ids": [match["need_org_id"], match["counterpart_org_id"]]},
             "$set": {k: v for k, v in match.items() if k != "match_id"}},
            upsert=True,
        )

    async def record_retracted(self, match_id: str, reason: str) -> None:
        await self.matches.update_one({"_id": match_id, "status": "proposed"},
                                      {"$set": {"status": "retracted", "retraction_reason": reason}})

    async def for_org(self, org_id: str, limit: int, cursor: str | None) -> list[dict]:
        query: dict = {"org_ids": org_id}
        if cursor:
            query["proposed_at"] = {"$lt": datetime.fromisoformat(cursor)}
        return await self.matches.find(query).sort("proposed_at", -1).limit(limit).to_list()
