"""API keys: `dj_<key id>_<secret>`, stored as a SHA-256 hash, shown once, bound to one organisation and role."""

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from services.registry.db import Database
from services.registry.errors import Forbidden, Unauthorized

Role = Literal["member", "organiser", "admin", "internal"]
PLATFORM_ORG = "platform"
RANKS: dict[str, int] = {"member": 0, "organiser": 1, "admin": 2}


@dataclass(frozen=True)
class Caller:
    org_id: str
    role: Role
    key_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_issue(self, role: str) -> bool:
        """Whether this key may create or revoke a key of `role`: one of its own role or below (admins any), so a
        member key cannot make itself an organiser or admin key of its organisation."""
        return self.is_admin or RANKS.get(self.role, -1) >= RANKS.get(role, len(RANKS))

    def require(self, *roles: Role) -> None:
        if self.role not in roles and not self.is_admin:
            raise Forbidden(f"this action needs one of the roles: {', '.join(roles)}")


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key() -> tuple[str, str, str]:
    """Returns (key id, the full key to show once, its hash to store)."""
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    return key_id, f"dj_{key_id}_{secret}", hash_secret(secret)


def key_document(org_id: str, role: Role, label: str = "default") -> tuple[dict, str]:
    key_id, full_key, digest = new_key()
    doc = {"_id": key_id, "org_id": org_id, "role": role, "hash": digest, "label": label,
           "created_at": datetime.now(UTC), "revoked_at": None}
    return doc, full_key


class KeyCache:
    """Stored keys by id, kept for a few seconds so that a caller's requests do not each read its key back.

    A key revoked through this replica is forgotten at once, and a read of it that started before then is not kept;
    one revoked through another replica is still accepted here until its entry expires (`seconds`). Unknown ids are
    never kept, so guessing fills nothing. At most `max_keys` entries, the least recently used dropped first.
    `seconds` 0 keeps nothing.
    """

    def __init__(self, seconds: float, max_keys: int = 10_000) -> None:
        self.seconds, self.max_keys = seconds, max_keys
        self._entries: OrderedDict[str, tuple[float, dict]] = OrderedDict()
        self._forgotten: dict[str, float] = {}  # key id or organisation id → when it was last forgotten

    def get(self, key_id: str) -> dict | None:
        entry = self._entries.get(key_id)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._entries[key_id]
            return None
        self._entries.move_to_end(key_id)
        return entry[1]

    def put(self, doc: dict, read_since: float) -> None:
        """Keeps `doc`, read from the database after `read_since` (monotonic), unless it was forgotten meanwhile."""
        if self.seconds <= 0 or max(self._forgotten.get(doc["_id"], 0.0),
                                    self._forgotten.get(doc["org_id"], 0.0)) >= read_since:
            return
        self._entries[doc["_id"]] = (time.monotonic() + self.seconds, doc)
        self._entries.move_to_end(doc["_id"])
        while len(self._entries) > self.max_keys:
            self._entries.popitem(last=False)

    def forget(self, key_id: str) -> None:
        self._entries.pop(key_id, None)
        self._mark(key_id)

    def forget_org(self, org_id: str) -> None:
        for key_id in [k for k, (_, doc) in self._entries.items() if doc["org_id"] == org_id]:
            del self._entries[key_id]
        self._mark(org_id)

    def _mark(self, name: str) -> None:
        now = time.monotonic()
        self._forgotten = {k: at for k, at in self._forgotten.items() if at > now - 60.0}  # reads take less
        self._forgotten[name] = now


def same_key(presented: str, key: str) -> bool:
    """Whether the presented key is `key`, in constant time; compared as UTF-8 bytes, as `compare_digest` compares
    text only when it is ASCII (a header may carry any byte)."""
    return hmac.compare_digest(presented.encode(), key.encode())


async def authenticate(db: Database, keys: KeyCache, authorization: str | None, admin_key: str | None,
                       internal_key: str | None) -> Caller:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("missing API key: send `Authorization: Bearer <key>`")
    presented = authorization[7:].strip()
    if admin_key and same_key(presented, admin_key):
        return Caller(PLATFORM_ORG, "admin", "bootstrap-admin")
    if internal_key and same_key(presented, internal_key):
        return Caller(PLATFORM_ORG, "internal", "internal")
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != "dj":
        raise Unauthorized("invalid API key")
    doc = keys.get(parts[1])
    if doc is None:
        read_since = time.monotonic()
        doc = await db["api_keys"].find_one({"_id": parts[1]})
        if doc is not None and not doc.get("revoked_at"):
            keys.put(doc, read_since)
    if doc is None or doc.get("revoked_at") or not hmac.compare_digest(doc["hash"], hash_secret(parts[2])):
        raise Unauthorized("invalid or revoked API key")
    return Caller(doc["org_id"], doc["role"], doc["_id"])
