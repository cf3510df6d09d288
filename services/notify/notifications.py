"""Turning events into notifications: one per recipient organisation, with an id derived from the event."""

from datetime import UTC, datetime

from pymongo.errors import DuplicateKeyError

from services.contracts.envelope import Envelope, deterministic_id
from services.notify.db import Database


def recipients(event: Envelope) -> list[str]:
    """Organisations an event concerns (both sides of a match; the named org otherwise)."""
    data = event.data
    orgs = [data.get(k) for k in ("need_org_id", "counterpart_org_id", "org_id")]
    orgs += list(data.get("participant_org_ids", []) or [])
    return sorted({o for o in orgs if o})


def notification_id(event: Envelope, org_id: str) -> str:
    return "ntf_" + deterministic_id(event.id, org_id)


async def record(db: Database, event: Envelope, org_id: str) -> dict | None:
    """Stores the notification once; returns it, or None when this event was already turned into it."""
    nid = notification_id(event, org_id)
    if await db["notifications"].find_one({"_id": nid}, {"_id": 1}):
        return None
    doc = {"_id": nid, "org_id": org_id, "type": event.type, "event_id": event.id, "subject": event.subject,
           "data": event.data, "created_at": datetime.now(UTC), "seq": await db.next_seq("notifications")}
    try:
        await db["notifications"].insert_one(doc)
    except DuplicateKeyError:
        return None
    return doc


def payload(notification: dict) -> dict:
    """The Standard Webhooks payload: `{type, timestamp, data}`."""
    return {"type": notification["type"], "timestamp": notification["created_at"].isoformat(),
            "data": {**notification["data"], "notification_id": notification["_id"]}}
