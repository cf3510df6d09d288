"""Who sees and changes which posting: pure rules, no I/O.

- The owner and admins see and change everything of theirs; the internal role reads everything.
- Others see published (non-draft) public postings; changing them is 403.
- A confidential need (or anyone's draft) is, to others, as if it did not exist (404) — except to an
  organisation it was matched with, which sees it anonymised (no `org_id`) until both sides accepted.
"""

from enum import Enum

from services.registry.auth import Caller


class Sight(Enum):
    FULL = "full"              # owner, admin, internal, or public posting, or matched and mutually accepted
    ANONYMISED = "anonymised"  # confidential need seen by a matched party before both accepted
    HIDDEN = "hidden"          # 404


def owns(doc: dict, caller: Caller) -> bool:
    return caller.is_admin or doc["org_id"] == caller.org_id


def is_secret(doc: dict) -> bool:
    return doc.get("visibility") == "confidential" or doc.get("status") == "draft"


def sight(doc: dict, caller: Caller, match: dict | None) -> Sight:
    if owns(doc, caller) or caller.role == "internal":
        return Sight.FULL
    if doc.get("status") == "draft":
        return Sight.HIDDEN
    if doc.get("visibility") != "confidential":
        return Sight.FULL
    if match is None:
        return Sight.HIDDEN
    return Sight.FULL if match.get("status") == "accepted" else Sight.ANONYMISED


def anonymised(doc: dict) -> dict:
    return {**doc, "org_id": None}


def list_visibility(caller: Caller) -> dict | None:
    """The query clause limiting a listing to what the caller may see; None for admins and internal."""
    if caller.is_admin or caller.role == "internal":
        return None
    return {"$or": [{"org_id": caller.org_id},
                    {"visibility": {"$ne": "confidential"}, "status": {"$ne": "draft"}}]}
