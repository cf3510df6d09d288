"""API keys: `dj_<key id>_<secret>`, stored as a SHA-256 hash, shown once, bound to one organisation and role."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from services.registry.db import Database
from services.registry.errors import Forbidden, Unauthorized

Role = Literal["member", "organiser", "admin", "internal"]
PLATFORM_ORG = "platform"


@dataclass(frozen=True)
class Caller:
    org_id: str
    role: Role
    key_id: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

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


async def authenticate(db: Database, authorization: str | None, admin_key: str | None,
                       internal_key: str | None) -> Caller:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("missing API key: send `Authorization: Bearer <key>`")
    presented = authorization[7:].strip()
    if admin_key and hmac.compare_digest(presented, admin_key):
        return Caller(PLATFORM_ORG, "admin", "bootstrap-admin")
    if internal_key and hmac.compare_digest(presented, internal_key):
        return Caller(PLATFORM_ORG, "internal", "internal")
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != "dj":
        raise Unauthorized("invalid API key")
    doc = await db["api_keys"].find_one({"_id": parts[1]})
    if doc is None or doc.get("revoked_at") or not hmac.compare_digest(doc["hash"], hash_secret(parts[2])):
        raise Unauthorized("invalid or revoked API key")
    return Caller(doc["org_id"], doc["role"], doc["_id"])
