"""All queries on summits, their participants, meeting requests, scheduled meetings and follow-up prompts.

Collections: `summits`, `summit_participants`, `summit_requests`, `summit_meetings` (one document per
accepted request once scheduled: `_id` = the request id, `summit_id`, `org_ids` [two], `status`),
`summit_followups`.
"""

from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from services.registry.db import Database

Session = AsyncClientSession | None
LIVE_REQUEST = ("pending", "accepted")


class SummitRepository:
    def __init__(self, db: Database) -> None:
        self.summits = db["summits"]
        self.participants = db["summit_participants"]
        self.requests = db["summit_requests"]
        self.meetings = db["summit_meetings"]
        self.followups = db["summit_followups"]
        self.pairs = db["summit_pairs"]  # one document per two people who asked to meet (`claim_pair`)
        self.matches = db["matches"]
        self.orgs = db["orgs"]

    # summits
    async def add_summit(self, doc: dict, session: Session = None) -> None:
        await self.summits.insert_one(doc, session=session)

    async def summit(self, summit_id: str) -> dict | None:
        return await self.summits.find_one({"_id": summit_id})

    async def list_summits(self, limit: int) -> list[dict]:
        return await self.summits.find({}).sort("_id", -1).limit(limit).to_list()

    async def update_summit(self, summit_id: str, fields: dict, expected_version: int, session: Session = None) -> bool:
        """Sets `fields` only: the schedule run and summary, written meanwhile without a new version, stay."""
        result = await self.summits.update_one({"_id": summit_id, "version": expected_version}, {"$set": fields},
                                               session=session)
        return result.matched_count == 1

    async def rename_table(self, summit_id: str, table: int, name: str, session: Session = None) -> None:
        await self.meetings.update_many({"summit_id": summit_id, "table": table}, {"$set": {"table_name": name}},
                                        session=session)

    async def next_schedule_run(self, summit_id: str, session: Session = None) -> int:
        doc = await self.summits.find_one_and_update({"_id": summit_id}, {"$inc": {"schedule_run": 1}},
                                                     return_document=ReturnDocument.AFTER, session=session)
        return int(doc["schedule_run"])

    async def apply_schedule(self, summit_id: str, summary: dict, status: str, session: Session = None) -> bool:
        """Records a published schedule unless a newer (or the same) run is already applied."""
        result = await self.summits.update_one(
            {"_id": summit_id, "$or": [{"schedule": None}, {"schedule.run": {"$lt": summary["run"]}}]},
            {"$set": {"schedule": summary, "status": status}}, session=session)
        return result.modified_count == 1

    # participants
    async def add_participant(self, doc: dict, session: Session = None) -> None:
        await self.participants.insert_one(doc, session=session)

    async def participant(self, summit_id: str, participant_id: str) -> dict | None:
        return await self.participants.find_one({"_id": participant_id, "summit_id": summit_id})

    async def participants_of(self, summit_id: str) -> list[dict]:
        return await self.participants.find({"summit_id": summit_id}).sort("_id", 1).to_list()

    async def org_ids_at(self, summit_id: str) -> list[str]:
        return sorted({p["org_id"] for p in await self.participants_of(summit_id)})

    async def ignored_counts(self, summit_id: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        expired = self.requests.find({"summit_id": summit_id, "status": "expired"}, {"to_participant": 1})
        for r in await expired.to_list():
            counts[r["to_participant"]] = counts.get(r["to_participant"], 0) + 1
        return counts

    # meeting requests
    async def add_request(self, doc: dict, session: Session = None) -> None:
        await self.requests.insert_one(doc, session=session)

    async def request(self, summit_id: str, request_id: str) -> dict | None:
        return await self.requests.find_one({"_id": request_id, "summit_id": summit_id})

    async def live_request_between(self, summit_id: str, a: str, b: str, session: Session = None) -> dict | None:
        return await self.requests.find_one({"summit_id": summit_id, "status": {"$in": list(LIVE_REQUEST)},
                                             "$or": [{"from_participant": a, "to_participant": b},
                                                     {"from_participant": b, "to_participant": a}]},
                                            session=session)

    async def claim_pair(self, summit_id: str, a: str, b: str, session: AsyncClientSession) -> None:
        """Writes the pair's one document in the caller's transaction: two transactions making a request between
        the same two people (either way round) write the same document, so on MongoDB one of them conflicts and
        is retried, and then reads the other's request."""
        pair = ":".join((summit_id, *sorted((a, b))))
        await self.pairs.update_one({"_id": pair}, {"$inc": {"requests": 1}}, upsert=True, session=session)

    async def requests_of(self, summit_id: str, org_id: str | None, status: str | None) -> list[dict]:
        query: dict[str, Any] = {"summit_id": summit_id}
        if org_id:
            query["$or"] = [{"from_org_id": org_id}, {"to_org_id": org_id}]
        if status:
            query["status"] = status
        return await self.requests.find(query).sort("_id", 1).to_list()

    async def accepted_requests(self, summit_id: str) -> list[dict]:
        return await self.requests.find({"summit_id": summit_id, "status": "accepted"}).sort("_id", 1).to_list()

    async def decide(self, request_id: str, status: str, at: datetime, session: Session = None) -> dict | None:
        """pending -> status; None if the request was no longer pending (someone else decided first)."""
        return await self.requests.find_one_and_update(
            {"_id": request_id, "status": "pending"}, {"$set": {"status": status, "decided_at": at}},
            return_document=ReturnDocument.AFTER, session=session)

    async def overdue_requests(self, now: datetime, limit: int) -> list[dict]:
        return await self.requests.find({"status": "pending", "expires_at": {"$lte": now}}).limit(limit).to_list()

    # matches between participating organisations
    async def matches_of(self, org_id: str, other_org_ids: list[str]) -> list[dict]:
        query = {"org_ids": org_id, "status": {"$nin": ["retracted", "declined"]}}
        docs = await self.matches.find(query).to_list()
        return [d for d in docs if any(o in other_org_ids and o != org_id for o in d.get("org_ids", []))]

    async def match(self, match_id: str) -> dict | None:
        return await self.matches.find_one({"_id": match_id})

    async def org_names(self, org_ids: list[str]) -> dict[str, str]:
        docs = await self.orgs.find({"_id": {"$in": org_ids}}, {"name": 1}).to_list()
        return {d["_id"]: d.get("name", d["_id"]) for d in docs}

    # scheduled meetings
    async def meetings_of(self, summit_id: str, participant_id: str | None = None,
                          table: int | None = None) -> list[dict]:
        query: dict[str, Any] = {"summit_id": summit_id}
        if participant_id:
            query["participant_ids"] = participant_id
        if table is not None:
            query["table"] = table
        return await self.meetings.find(query).sort([("slot", 1), ("table", 1)]).to_list()

    async def meeting(self, summit_id: str, meeting_id: str) -> dict | None:
        return await self.meetings.find_one({"_id": meeting_id, "summit_id": summit_id})

    async def store_placement(self, meeting_id: str, fields: dict, create: dict, session: Session = None) -> None:
        """Sets a meeting's placement; meetings already held or missed keep theirs."""
        existing = await self.meetings.find_one({"_id": meeting_id}, session=session)
        if existing is None:
            await self.meetings.insert_one({"_id": meeting_id, **create, **fields}, session=session)
        elif existing["status"] in ("scheduled", "unplaced"):
            await self.meetings.update_one({"_id": meeting_id}, {"$set": fields}, session=session)

    async def check_in(self, meeting_id: str, participant_id: str, at: datetime, session: Session = None) -> dict:
        return await self.meetings.find_one_and_update(
            {"_id": meeting_id}, {"$set": {f"check_ins.{participant_id}": at}},
            return_document=ReturnDocument.AFTER, session=session)

    async def mark(self, meeting_id: str, from_status: str, fields: dict, session: Session = None) -> bool:
        result = await self.meetings.update_one({"_id": meeting_id, "status": from_status}, {"$set": fields},
                                                session=session)
        return result.modified_count == 1

    async def passed_meetings(self, now: datetime, limit: int) -> list[dict]:
        return await self.meetings.find({"status": "scheduled", "end": {"$lte": now}}).limit(limit).to_list()

    # follow-up prompts
    async def add_followups(self, docs: list[dict], session: Session = None) -> None:
        for doc in docs:
            await self.followups.update_one({"_id": doc["_id"]}, {"$setOnInsert": doc}, upsert=True, session=session)

    async def followups_of(self, org_id: str, status: str | None) -> list[dict]:
        query: dict[str, Any] = {"org_id": org_id}
        if status:
            query["status"] = status
        return await self.followups.find(query).sort("due_at", 1).to_list()

    async def followup(self, followup_id: str) -> dict | None:
        return await self.followups.find_one({"_id": followup_id})

    async def followups_falling_due(self, now: datetime, limit: int) -> list[dict]:
        return await self.followups.find({"status": "scheduled", "due_at": {"$lte": now}}).limit(limit).to_list()

    async def set_followup(self, followup_id: str, from_status: str, fields: dict, session: Session = None) -> bool:
        result = await self.followups.update_one({"_id": followup_id, "status": from_status}, {"$set": fields},
                                                 session=session)
        return result.modified_count == 1
