"""Matches as the registry keeps them: one document per match id, shared by both organisations."""

from datetime import datetime

from pymongo.asynchronous.client_session import AsyncClientSession

from services.registry.db import Database
from services.registry.upserts import DocumentWrite, write_in_order


class MatchRepository:
    def __init__(self, db: Database) -> None:
        self.matches = db["matches"]
        self.feedback = db["feedback"]
        self.needs = db["needs"]

    @staticmethod
    def _proposed(match: dict, event_id: str, at: datetime) -> DocumentWrite:
        """Idempotent: a replayed proposal changes nothing; a newer score updates the scores only."""
        fields = {k: v for k, v in match.items() if k != "match_id"}
        if isinstance(fields.get("proposed_at"), str):  # stored as a date so pages can be cut by it
            fields["proposed_at"] = datetime.fromisoformat(fields["proposed_at"])
        first = {"status": "proposed", "created_at": at, "event_id": event_id,
                 "org_ids": [match["need_org_id"], match["counterpart_org_id"]]}
        return DocumentWrite({"_id": match["match_id"]}, {"$setOnInsert": first, "$set": fields},
                             created={"_id": match["match_id"], **first, **fields})

    @staticmethod
    def _retracted(match_id: str, reason: str) -> DocumentWrite:
        return DocumentWrite({"_id": match_id, "status": "proposed"},
                             {"$set": {"status": "retracted", "retraction_reason": reason}})

    async def record_events(self, events: list[tuple[str, dict, str, datetime]]) -> None:
        """Proposals and retractions ((type, data, event id, time)), applied in order (`write_in_order`)."""
        await write_in_order(self.matches, [
            self._proposed(data, event_id, at) if type_ == "match.proposed"
            else self._retracted(data["match_id"], data.get("reason", ""))
            for type_, data, event_id, at in events])

    async def for_org(self, org_id: str, limit: int, after: tuple[datetime, str | None] | None) -> list[dict]:
        """The organisation's matches, newest first (ties by id, descending), those after `after` only: the time
        and id of the last match of the page before (a time alone: after every match of that time)."""
        query: dict = {"org_ids": org_id}
        if after:
            at, last_id = after
            older: dict = {"proposed_at": {"$lt": at}}
            query.update({"$or": [older, {"proposed_at": at, "_id": {"$lt": last_id}}]} if last_id else older)
        return await self.matches.find(query).sort([("proposed_at", -1), ("_id", -1)]).limit(limit).to_list()

    async def get(self, match_id: str, session: AsyncClientSession | None = None) -> dict | None:
        return await self.matches.find_one({"_id": match_id}, session=session)

    async def need_visibility(self, need_ids: list[str]) -> dict[str, str]:
        """The visibility of each of the needs that still exist; a deleted need is absent."""
        docs = await self.needs.find({"_id": {"$in": need_ids}}, projection={"visibility": 1}).to_list()
        return {d["_id"]: d.get("visibility", "public") for d in docs}

    async def record_decision(self, match_id: str, org_id: str, decision: dict,
                              session: AsyncClientSession) -> dict:
        """Stores one party's decision and the resulting status; returns the match as it now stands."""
        await self.matches.update_one({"_id": match_id}, {"$set": {f"decisions.{org_id}": decision}},
                                      session=session)
        match = await self.get(match_id, session)
        assert match is not None
        decisions = match.get("decisions", {})
        if any(d["decision"] == "declined" for d in decisions.values()):
            status = "declined"
        elif all(decisions.get(o, {}).get("decision") == "accepted" for o in match["org_ids"]):
            status = "accepted"
        else:
            status = "proposed"
        await self.matches.update_one({"_id": match_id}, {"$set": {"status": status}}, session=session)
        return {**match, "status": status}

    async def record_feedback(self, match_id: str, org_id: str, feedback: dict, session: AsyncClientSession) -> None:
        """Keeps one party's latest answer (shaped as FeedbackData)."""
        await self.feedback.replace_one({"_id": f"{match_id}:{org_id}"}, feedback, upsert=True, session=session)
