"""Messages sent again by hand: one delivery's message (`again`), or every message dead-lettered for a webhook
endpoint since a time (`recover`, once its receiver is back after an outage).

Each gets one more attempt, with the same `webhook-id`. Its dead letter, if it has one, says `redelivering`
meanwhile, then `redelivered`; if that attempt fails too, the message is dead-lettered again, with a new time.
One message goes at once; a recovery's messages are left to the dispatcher's loop, which takes up to a hundred
due messages a second on each replica, so a receiver just back is not flooded.
"""

import contextlib
from datetime import UTC, datetime

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.notify.db import Database
from services.notify.deliveries import Dispatcher

RECOVER_LIMIT = 1000  # dead letters reopened per recovery; the answer says when more are left


class NotNow(Exception):
    """The delivery's message cannot be sent again now: it is being sent, or it cannot be rebuilt."""


class Redeliveries:
    def __init__(self, db: Database, dispatcher: Dispatcher) -> None:
        self.db, self.dispatcher = db, dispatcher

    async def again(self, org_id: str, delivery_id: str) -> dict | None:
        """A delivery's message once more, now; None when the organisation has no such delivery (NotNow when its
        message is in flight, or cannot be rebuilt)."""
        delivery = await self.db["deliveries"].find_one({"_id": delivery_id, "org_id": org_id})
        if delivery is None:
            return None
        current = await self._dispatch_of(delivery)
        if current is None:
            raise NotNow(delivery_id)
        # A message still on its schedule keeps the rest of it; a dead or delivered one gets this attempt alone.
        pending = current["status"] == "pending"
        max_attempts = current["max_attempts"] if pending else current["attempts"] + 1
        if current.get("dead_lettered"):  # marked first, as in `recover`
            await self.db["dead_letters"].update_one({"_id": current["_id"], "status": "dead"},
                                                     {"$set": {"status": "redelivering"}})
        dispatch = await self.db["dispatches"].find_one_and_update(
            {"_id": current["_id"], "status": {"$ne": "sending"}, "attempts": current["attempts"]},
            {"$set": {"status": "pending", "next_attempt_at": datetime.now(UTC), "max_attempts": max_attempts}},
            return_document=ReturnDocument.AFTER)
        if dispatch is None:
            raise NotNow(delivery_id)
        self.dispatcher.attempt_soon(dispatch["_id"])
        return dispatch

    async def recover(self, endpoint: dict, since: datetime) -> tuple[int, bool]:
        """The endpoint's messages dead-lettered at or after `since`, oldest first, each once more: how many, and
        whether more are left (a recovery takes at most RECOVER_LIMIT; the next one takes the rest)."""
        letters = await self.db["dead_letters"].find(
            {"org_id": endpoint["org_id"], "channel": "webhook", "target_id": endpoint["_id"], "status": "dead",
             "at": {"$gte": since}}, {"attempts": 1}).sort("at", 1).limit(RECOVER_LIMIT + 1).to_list()
        taken = letters[:RECOVER_LIMIT]
        # Marked before their dispatches are reopened: an attempt failing at once must find them marked already, so
        # that its new dead letter is not overwritten. A few writes for the lot, one per number of attempts so far.
        await self.db["dead_letters"].update_many({"_id": {"$in": [letter["_id"] for letter in taken]},
                                                   "status": "dead"}, {"$set": {"status": "redelivering"}})
        by_attempts: dict[int, list[str]] = {}
        for letter in taken:
            by_attempts.setdefault(letter["attempts"], []).append(letter["_id"])
        reopened, now = 0, datetime.now(UTC)
        for attempts, ids in by_attempts.items():
            result = await self.db["dispatches"].update_many(
                {"_id": {"$in": ids}, "status": "dead", "attempts": attempts},
                {"$set": {"status": "pending", "next_attempt_at": now, "max_attempts": attempts + 1}})
            reopened += result.modified_count
        return reopened, len(letters) > RECOVER_LIMIT

    async def _dispatch_of(self, delivery: dict) -> dict | None:
        """The dispatch a delivery record belongs to, written now if its first attempt succeeded without one."""
        current = await self.db["dispatches"].find_one({"_id": delivery["dispatch_id"]})
        if current is not None:
            return current
        notification = await self.db["notifications"].find_one({"_id": delivery["notification_id"]})
        if notification is None:
            return None
        at = delivery["at"]
        restored = {**self.dispatcher.new_dispatch(notification, delivery["channel"], delivery["target_id"],
                                                   "delivered", at),
                    "attempts": delivery["attempt"], "delivered_at": at}
        with contextlib.suppress(DuplicateKeyError):  # restored meanwhile by another request
            await self.db["dispatches"].insert_one(restored)
        return await self.db["dispatches"].find_one({"_id": delivery["dispatch_id"]})
