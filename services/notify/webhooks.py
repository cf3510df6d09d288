"""Webhook endpoints per organisation, each with its own `whsec_` secret (Standard Webhooks), and an in-memory cache
of each organisation's active endpoints (forgotten on every change made by this replica, and announced to the others,
see `changes`)."""

import base64
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from services.notify.changes import Changes
from services.notify.db import Database
from services.notify.single_flight import SingleFlight


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def wants(endpoint: dict, event_type: str) -> bool:
    return not endpoint["event_types"] or event_type in endpoint["event_types"]


class Endpoints:
    def __init__(self, db: Database, cache_seconds: float, changes: Changes) -> None:
        self.db, self.changes = db, changes
        self._loads: SingleFlight[list[dict]] = SingleFlight(self._load, keep_seconds=cache_seconds)
        changes.watch(self._loads)

    async def changed(self, org_id: str) -> None:
        await self.changes.made(self._loads, org_id)

    async def register(self, org_id: str, url: str, event_types: list[str] | None) -> dict:
        doc = {"_id": f"ep_{uuid.uuid4().hex[:16]}", "org_id": org_id, "url": url, "secret": new_secret(),
               "event_types": event_types or [], "status": "active", "created_at": datetime.now(UTC)}
        await self.db["endpoints"].insert_one(doc)
        await self.changed(org_id)
        return doc

    async def rotate(self, org_id: str, endpoint_id: str, overlap_seconds: float) -> dict | None:
        """A new secret; the old one keeps signing alongside it until the overlap ends."""
        current = await self.get(endpoint_id, org_id)
        if current is None:
            return None
        update = {"secret": new_secret(), "previous_secret": current["secret"],
                  "previous_secret_until": datetime.now(UTC) + timedelta(seconds=overlap_seconds)}
        await self.db["endpoints"].update_one({"_id": endpoint_id}, {"$set": update})
        await self.changed(org_id)
        return {**current, **update}

    async def update(self, org_id: str, endpoint_id: str, changes: dict) -> dict | None:
        """Changes an endpoint's URL or event types; None when the organisation has no such endpoint."""
        current = await self.get(endpoint_id, org_id)
        if current is None:
            return None
        if changes:
            await self.db["endpoints"].update_one({"_id": endpoint_id}, {"$set": changes})
            await self.changed(org_id)
        return {**current, **changes}

    async def remove(self, org_id: str, endpoint_id: str) -> bool:
        """Deletes an endpoint; its retries still pending are cancelled when they come due (no target)."""
        result = await self.db["endpoints"].delete_one({"_id": endpoint_id, "org_id": org_id})
        if result.deleted_count:
            await self.changed(org_id)
        return result.deleted_count == 1

    async def disable(self, endpoint: dict, reason: str) -> None:
        await self.db["endpoints"].update_one(
            {"_id": endpoint["_id"]},
            {"$set": {"status": "disabled", "disabled_reason": reason, "disabled_at": datetime.now(UTC)}})
        await self.changed(endpoint["org_id"])

    async def enable(self, org_id: str, endpoint_id: str) -> bool:
        result = await self.db["endpoints"].update_one(
            {"_id": endpoint_id, "org_id": org_id}, {"$set": {"status": "active"}, "$unset": {"disabled_reason": ""}})
        await self.changed(org_id)
        return result.matched_count == 1

    async def get(self, endpoint_id: str, org_id: str | None = None) -> dict | None:
        query = {"_id": endpoint_id} | ({"org_id": org_id} if org_id else {})
        return await self.db["endpoints"].find_one(query)

    async def of_org(self, org_id: str) -> list[dict]:
        return await self.db["endpoints"].find({"org_id": org_id}).to_list()

    async def active_for(self, org_id: str, event_type: str) -> list[dict]:
        return [d for d in await self._loads.load(org_id) if wants(d, event_type)]

    async def _load(self, org_ids: list[str]) -> dict[str, list[dict]]:
        loaded: dict[str, list[dict]] = {org_id: [] for org_id in org_ids}
        for doc in await self.db["endpoints"].find({"org_id": {"$in": org_ids}, "status": "active"}).to_list():
            loaded[doc["org_id"]].append(doc)
        return loaded
