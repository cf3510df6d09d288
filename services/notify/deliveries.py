"""Webhook dispatches (one per notification and endpoint) and their delivery records (one per attempt).

A dispatch is created once (its id is the notification id + endpoint id), then claimed before each
attempt, so restarts, redeliveries and several replicas never send one notification twice to one endpoint.
"""

import asyncio
import json
import logging
import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.notify.db import Database
from services.notify.notifications import payload
from services.notify.settings import Settings
from services.notify.webhooks import sign

log = logging.getLogger("duijie.notify.deliveries")


async def enqueue(db: Database, notification: dict, endpoint: dict) -> str | None:
    dispatch_id = f"{notification['_id']}:{endpoint['_id']}"
    try:
        await db["dispatches"].insert_one({
            "_id": dispatch_id, "notification_id": notification["_id"], "endpoint_id": endpoint["_id"],
            "org_id": notification["org_id"], "channel": "webhook", "status": "pending", "attempts": 0,
            "next_attempt_at": datetime.now(UTC), "created_at": datetime.now(UTC)})
    except DuplicateKeyError:
        return None
    return dispatch_id


class Dispatcher:
    def __init__(self, db: Database, settings: Settings) -> None:
        self.db, self.settings = db, settings
        self.client = httpx.AsyncClient(timeout=settings.webhook_timeout_seconds, follow_redirects=False)
        self._tasks: set[asyncio.Task] = set()
        self._loop: asyncio.Task | None = None

    def kick(self, dispatch_id: str) -> None:
        task = asyncio.create_task(self.attempt(dispatch_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _delay(self, attempts_made: int) -> float:
        base = self.settings.retry_schedule[attempts_made] * self.settings.retry_multiplier
        return base * (1 + random.uniform(-self.settings.retry_jitter, self.settings.retry_jitter))

    async def attempt(self, dispatch_id: str) -> None:
        now = datetime.now(UTC)
        lease = now + timedelta(seconds=self.settings.webhook_timeout_seconds + 5)
        dispatch = await self.db["dispatches"].find_one_and_update(
            {"_id": dispatch_id, "status": "pending", "next_attempt_at": {"$lte": now}},
            {"$set": {"status": "sending", "lease_until": lease}}, return_document=ReturnDocument.AFTER)
        if dispatch is None:
            return  # another worker holds it, or it is not due
        notification = await self.db["notifications"].find_one({"_id": dispatch["notification_id"]})
        endpoint = await self.db["endpoints"].find_one({"_id": dispatch["endpoint_id"]})
        if notification is None or endpoint is None or endpoint["status"] != "active":
            await self.db["dispatches"].update_one({"_id": dispatch_id}, {"$set": {"status": "cancelled"}})
            return
        body = json.dumps(payload(notification), ensure_ascii=False, default=str)
        sent_at = datetime.now(UTC)
        headers = {"content-type": "application/json", "webhook-id": notification["_id"],
                   "webhook-timestamp": str(int(sent_at.timestamp())),
                   "webhook-signature": sign(endpoint["secret"], notification["_id"], sent_at, body)}
        started = time.perf_counter()
        code, text, error = None, "", None
        try:
            response = await self.client.post(endpoint["url"], content=body.encode(), headers=headers)
            code, text = response.status_code, response.text[:500]
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:500]
        latency_ms = (time.perf_counter() - started) * 1000
        ok = code is not None and 200 <= code < 300
        attempts = dispatch["attempts"] + 1
        await self.db["deliveries"].insert_one({
            "_id": f"dlv_{uuid.uuid4().hex[:20]}", "dispatch_id": dispatch_id, "notification_id": notification["_id"],
            "endpoint_id": endpoint["_id"], "org_id": notification["org_id"], "channel": "webhook",
            "event_type": notification["type"], "attempt": attempts, "status": "succeeded" if ok else "failed",
            "response_code": code, "response_body": text, "error": error, "latency_ms": round(latency_ms, 2),
            "at": sent_at})
        if ok:
            update = {"status": "delivered", "attempts": attempts, "delivered_at": datetime.now(UTC)}
        elif attempts >= len(self.settings.retry_schedule):
            update = {"status": "dead", "attempts": attempts}
        else:
            update = {"status": "pending", "attempts": attempts,
                      "next_attempt_at": datetime.now(UTC) + timedelta(seconds=self._delay(attempts))}
        await self.db["dispatches"].update_one({"_id": dispatch_id}, {"$set": update})

    async def run(self, every: float = 0.25) -> None:
        while True:
            try:
                now = datetime.now(UTC)
                await self.db["dispatches"].update_many(
                    {"status": "sending", "lease_until": {"$lt": now}}, {"$set": {"status": "pending"}})
                due = await self.db["dispatches"].find(
                    {"status": "pending", "next_attempt_at": {"$lte": now}}, {"_id": 1}).limit(100).to_list()
                for d in due:
                    self.kick(d["_id"])
            except Exception as error:  # noqa: BLE001 - the loop must survive a database blip
                log.warning("dispatch loop: %s", error)
            await asyncio.sleep(every)

    def start(self) -> None:
        self._loop = asyncio.create_task(self.run(), name="webhook-dispatcher")

    async def stop(self) -> None:
        if self._loop:
            self._loop.cancel()
        for task in [*self._tasks, *([self._loop] if self._loop else [])]:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.aclose()
