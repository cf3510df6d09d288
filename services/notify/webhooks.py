"""Webhook endpoints per organisation, each with its own `whsec_` secret (Standard Webhooks)."""

import base64
import secrets
import uuid
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

from services.notify.db import Database


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: datetime, body: str) -> str:
    return Webhook(secret).sign(message_id, timestamp, body)


async def register(db: Database, org_id: str, url: str, event_types: list[str] | None) -> dict:
    doc = {"_id": f"ep_{uuid.uuid4().hex[:16]}", "org_id": org_id, "url": url, "secret": new_secret(),
           "event_types": event_types or [], "status": "active", "created_at": datetime.now(UTC)}
    await db["endpoints"].insert_one(doc)
    return doc


async def active_for(db: Database, org_id: str, event_type: str) -> list[dict]:
    docs = await db["endpoints"].find({"org_id": org_id, "status": "active"}).to_list()
    return [d for d in docs if not d["event_types"] or event_type in d["event_types"]]


async def of_org(db: Database, org_id: str) -> list[dict]:
    return await db["endpoints"].find({"org_id": org_id}).to_list()
