"""Turning events into notifications: one per recipient organisation, with an id derived from the event."""

from datetime import UTC, datetime

from pymongo.errors import BulkWriteError

from services.contracts.envelope import Envelope, deterministic_id
from services.contracts.events import owner_hidden
from services.notify.db import Database
from services.notify.group_insert import write_errors

MATCH_TYPES = ("match.proposed", "match.retracted")
FEEDBACK_TYPES = ("match.accepted", "match.declined")
SILENT_TYPES = ("schedule.requested", "summit.created", "summit.updated")  # nothing for participants to hear


def recipients(event: Envelope) -> list[str]:
    """Organisations an event concerns, from the event alone: both sides of a match, a deal's parties, a summit
    event's `participant_org_ids`, else its `org_id`. Feedback goes to the match's other party; feedback published
    without the parties names none (`Notifier` looks them up)."""
    data = event.data
    if event.type in SILENT_TYPES:
        return []
    if event.type in FEEDBACK_TYPES:
        parties = [data.get("need_org_id"), data.get("counterpart_org_id")]
        return sorted({o for o in parties if o and o != data.get("org_id")}) if all(parties) else []
    if event.type in MATCH_TYPES:
        orgs = [data.get("need_org_id"), data.get("counterpart_org_id")]
    elif event.type.startswith("deal.") and data.get("parties"):
        orgs = [p.get("org_id") for p in data["parties"] if isinstance(p, dict)]
    elif data.get("participant_org_ids"):
        orgs = list(data["participant_org_ids"])
    else:
        orgs = [data.get("org_id")]
    return sorted({o for o in orgs if o})


def seen_by(event_type: str, data: dict, org_id: str) -> dict:
    """The event's data as `org_id` may read it. A confidential need's owner is named only to itself until both
    sides accepted: to the other party, `need_org_id` is null, and so is `org_id` on the owner's own answer."""
    if not owner_hidden(org_id, data.get("need_org_id"), bool(data.get("need_confidential")),
                        mutual=bool(data.get("mutual"))):
        return data
    hidden: dict = {"need_org_id": None}
    if event_type in FEEDBACK_TYPES and data.get("org_id") == data.get("need_org_id"):
        hidden["org_id"] = None
    return {**data, **hidden}


def notification_id(key: str, org_id: str) -> str:
    return "ntf_" + deterministic_id(key, org_id)


def new(org_id: str, type_: str, subject: str, data: dict, key: str, event_id: str | None, seq: int,
        claims: dict | None = None, streamed: bool = True) -> dict:
    """A notification document. `claims` (`undispatched` dispatch ids and their lease `claimed_until`) go in the
    same insert: whoever creates the notification owns its first attempts. `streamed` False keeps it off SSE."""
    return {"_id": notification_id(key, org_id), "org_id": org_id, "type": type_, "event_id": event_id or key,
            "subject": subject, "data": data, "created_at": datetime.now(UTC), "seq": seq, "streamed": streamed,
            **(claims or {})}


async def record_many(db: Database, docs: list[dict]) -> list[tuple[dict, bool]]:
    """Stores each notification once, in one round trip; returns each with whether it is new (False: this event
    was already turned into it, e.g. a Kafka redelivery or another replica)."""
    failed: set[int] = set()
    try:
        await db["notifications"].insert_many(docs, ordered=False)
    except BulkWriteError as error:
        failed, other = write_errors(error)
        if other:
            raise
    out = []
    for i, doc in enumerate(docs):
        if i in failed:
            existing = await db["notifications"].find_one({"_id": doc["_id"]})
            out.append((existing or doc, False))
        else:
            out.append((doc, True))
    return out


async def match_parties(db: Database, match_id: str) -> list[str]:
    """The organisations told about a match (to tell one side what the other answered)."""
    docs = await db["notifications"].find({"type": "match.proposed", "data.match_id": match_id},
                                          {"org_id": 1}).to_list()
    return sorted({d["org_id"] for d in docs})
