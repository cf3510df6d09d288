"""Webhook endpoints per organisation, each with its own `whsec_` secret (Standard Webhooks), and an in-memory cache
of each organisation's endpoints that messages are for, active or paused (forgotten on every change made by this
replica, and announced to the others, see `changes`)."""

import base64
import secrets
import uuid
from datetime import UTC, datetime, timedelta

from services.notify.changes import Changes
from services.notify.db import Database, stored_time
from services.notify.single_flight import SingleFlight


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


TARGETED = ("active", "paused")  # the endpoints messages are for (a paused one's wait); not those disabled by a 410


def wants(endpoint: dict, event_type: str) -> bool:
    return not endpoint["event_types"] or event_type in endpoint["event_types"]


class Endpoints:
    def __init__(self, db: Database, cache_seconds: float, changes: Changes) -> None:
        self.db, self.changes = db, changes
        self._loads: SingleFlight[list[dict]] = SingleFlight(self._load, keep_seconds=cache_seconds)
        changes.watch(self._loads)

    async def changed(self, org_id: str) -> None:
        await self.changes.made(self._loads, org_id)

    async def register(self, org_id: str, url: str, event_types: list[str] | None, description: str = "") -> dict:
        doc = {"_id": f"ep_{uuid.uuid4().hex[:16]}", "org_id": org_id, "url": url, "secret": new_secret(),
               "event_types": event_types or [], "description": description, "status": "active",
               "created_at": stored_time(datetime.now(UTC))}
        await self.db["endpoints"].insert_one(doc)
        await self.changed(org_id)
        return doc

    async def rotate(self, endpoint: dict, overlap_seconds: float) -> dict:
        """A new secret; the old one keeps signing alongside it until the overlap ends."""
        update = {"secret": new_secret(), "previous_secret": endpoint["secret"],
                  "previous_secret_until": datetime.now(UTC) + timedelta(seconds=overlap_seconds)}
        await self.db["endpoints"].update_one({"_id": endpoint["_id"]}, {"$set": update})
        await self.changed(endpoint["org_id"])
        return {**endpoint, **update}

    async def update(self, endpoint: dict, changes: dict) -> dict:
        """Changes an endpoint's URL, event types or description."""
        if changes:
            await self.db["endpoints"].update_one({"_id": endpoint["_id"]}, {"$set": changes})
            await self.changed(endpoint["org_id"])
        return {**endpoint, **changes}

    async def remove(self, endpoint: dict) -> None:
        """Deletes an endpoint; its retries still pending are cancelled when they come due (no target)."""
        await self.db["endpoints"].delete_one({"_id": endpoint["_id"]})
        await self.changed(endpoint["org_id"])

    async def disable(self, endpoint: dict, reason: str) -> None:
        await self.db["endpoints"].update_one(
            {"_id": endpoint["_id"]},
            {"$set": {"status": "disabled", "disabled_reason": reason, "disabled_at": datetime.now(UTC)}})
        await self.changed(endpoint["org_id"])

    async def pause(self, endpoint: dict, reason: str) -> dict:
        """Nothing is sent to a paused endpoint: its messages wait, new ones and retries alike (`Notifier._start`,
        `Dispatcher.claim_and_attempt`), until it is enabled again (`Dispatcher.resume`)."""
        await self.db["endpoints"].update_one({"_id": endpoint["_id"]},
                                              {"$set": {"status": "paused", "disabled_reason": reason}})
        await self.changed(endpoint["org_id"])
        return {**endpoint, "status": "paused", "disabled_reason": reason}

    async def enable(self, endpoint: dict) -> dict:
        """Active again (the messages that waited while it was paused are then released: `Dispatcher.resume`)."""
        await self.db["endpoints"].update_one(
            {"_id": endpoint["_id"]}, {"$set": {"status": "active"}, "$unset": {"disabled_reason": ""}})
        await self.changed(endpoint["org_id"])
        return {**endpoint, "status": "active", "disabled_reason": None}

    async def get(self, endpoint_id: str, org_id: str | None = None) -> dict | None:
        query = {"_id": endpoint_id} | ({"org_id": org_id} if org_id else {})
        return await self.db["endpoints"].find_one(query)

    async def of_org(self, org_id: str) -> list[dict]:
        return await self.db["endpoints"].find({"org_id": org_id}).to_list()

    async def targeted_for(self, org_id: str, event_type: str) -> list[dict]:
        return [d for d in await self._loads.load(org_id) if wants(d, event_type)]

    async def _load(self, org_ids: list[str]) -> dict[str, list[dict]]:
        loaded: dict[str, list[dict]] = {org_id: [] for org_id in org_ids}
        for doc in await self.db["endpoints"].find({"org_id": {"$in": org_ids},
                                                    "status": {"$in": list(TARGETED)}}).to_list():
            loaded[doc["org_id"]].append(doc)
        return loaded
