"""Stream tickets: what a browser's `EventSource`, which cannot send an `Authorization` header, opens the stream with.

A ticket is asked for with the organisation's API key and given in the stream's URL (`?ticket=`). It opens that
organisation's stream and nothing else, until it expires, so a URL that ends up in a log or a browser's history is
worth far less than the key. It stays valid across the stream's reconnections (a browser reconnects with the same
URL). Only its SHA-256 is stored.
"""

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from fastapi import HTTPException

from services.notify.auth import Caller
from services.notify.db import Database

PREFIX = "stk_"


def digest(ticket: str) -> str:
    return hashlib.sha256(ticket.encode()).hexdigest()


class Tickets:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def issue(self, org_id: str, lifetime: timedelta, now: datetime | None = None) -> tuple[str, datetime]:
        ticket = PREFIX + secrets.token_urlsafe(32)
        now = now or datetime.now(UTC)
        expires_at = (now + lifetime).replace(microsecond=0)
        await self.db["stream_tickets"].insert_one({"_id": digest(ticket), "org_id": org_id, "created_at": now,
                                                   "expires_at": expires_at})
        return ticket, expires_at

    async def caller(self, ticket: str, now: datetime | None = None) -> Caller:
        doc = await self.db["stream_tickets"].find_one({"_id": digest(ticket)}) if ticket.startswith(PREFIX) else None
        if doc is None or doc["expires_at"] <= (now or datetime.now(UTC)):
            raise HTTPException(401, "invalid or expired stream ticket: ask for a new one (POST /v1/stream/tickets)")
        return Caller(doc["org_id"], "stream")

    async def revoke_all(self, org_id: str) -> None:
        await self.db["stream_tickets"].delete_many({"org_id": org_id})
