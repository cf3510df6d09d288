"""Turning events into notifications: one per recipient organisation, with an id derived from the event."""

from datetime import UTC, datetime

from pymongo.errors import DuplicateKeyError

from services.contracts.envelope import Envelope, deterministic_id
from services.notify.db import Database

MATCH_TYPES = ("match.proposed", "match.retracted")
FEEDBACK_TYPES = ("match.accepted", "match.declined")
SILENT_TYPES = ("schedule.requested", "summit.created", "summit.updated")  # nothing for participants to hear


def recipients(event: Envelope) -> list[str]:
    """Organisations an event concerns, from the event alone: both sides of a match, a deal's parties, a summit
    event's `participant_org_ids`, else its `org_id`. Feedback goes to the other party (see `Notifier`)."""
    data = event.data
    if event.type in SILENT_TYPES or event.type in FEEDBACK_TYPES:
        return []
    if event.type in MATCH_TYPES:
        orgs = [data.get("need_org_id"), data.get("counterpart_org_id")]
    elif event.type.startswith("deal."):
        orgs = [p.get("org_id") for p in data.get("parties", []) or []]
    elif data.get("participant_org_ids"):
        orgs = list(data["participant_org_ids"])
    else:
        orgs = [data.get("org_id")]
    return sorted({o for o in orgs if o})


def notification_id(key: str, org_id: str) -> str:
    return "ntf_" + deterministic_id(key, org_id)


async def record(db: Database, org_id: str, type_: str, subject: str, data: dict, key: str,
                 event_id: str | None = None) -> tuple[dict, bool]:
    """Stores the notification once; returns it and whether it is new (False: this event was already turned
    into it, e.g. a Kafka redelivery or another replica)."""
    nid = notification_id(key, org_id)
    doc = {"_id": nid, "org_id": org_id, "type": type_, "event_id": event_id or key, "subject": subject,
           "data": data, "created_at": datetime.now(UTC), "seq": await db.next_seq("notifications")}
    try:
        await db["notifications"].insert_one(doc)
    except DuplicateKeyError:
        existing = await db["notifications"].find_one({"_id": nid})
        return (existing or doc), False
    return doc, True


async def match_parties(db: Database, match_id: str) -> list[str]:
    """The organisations told about a match (to tell one side what the other answered)."""
    docs = await db["notifications"].find({"type": "match.proposed", "data.match_id": match_id},
                                          {"org_id": 1}).to_list()
    return sorted({d["org_id"] for d in docs})
