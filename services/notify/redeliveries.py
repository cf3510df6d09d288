"""Messages sent again by hand: one delivery's message (`again`), or every message dead-lettered for a webhook
endpoint since a time (`recover`, once its receiver is back after an outage).

Each gets one more attempt, with the same `webhook-id`. Its dead letter, if it has one, says `redelivering`
meanwhile, then `redelivered`; if that attempt fails too, the message is dead-lettered again, with a new time.
One message goes at once; a recovery's messages are left to the dispatcher's loop, which takes up to a hundred
due messages a second on each replica, so a receiver just back is not flooded. A message whose target the dispatcher
would not send to (a deleted or disabled endpoint, a channel switched off) is refused rather than reopened; one
reopened all the same (its target went meanwhile) is a dead letter again, not left `redelivering`.
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
    status_code = 409


class NoTarget(Exception):
    """The delivery's message has nowhere to go: its webhook endpoint was deleted (404), or is disabled, or its
    channel is switched off (409)."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(reason)
        self.status_code = status_code


class Redeliveries:
    def __init__(self, db: Database, dispatcher: Dispatcher) -> None:
        self.db, self.dispatcher = db, dispatcher

    async def again(self, org_id: str, delivery_id: str) -> dict | None:
        """A delivery's message once more, now; None when the organisation has no such delivery (NotNow when its
        message is in flight, or cannot be rebuilt; NoTarget when it has nowhere to go). One for a paused endpoint
        waits for it, as its other messages do."""
        delivery = await self.db["deliveries"].find_one({"_id": delivery_id, "org_id": org_id})
        if delivery is None:
            return None
        current = await self._dispatch_of(delivery)
        if current is None:
            raise NotNow(delivery_id)
        await self._check_target(current)
        # A message still on its schedule keeps the rest of it; a dead or delivered one gets this attempt alone.
        pending = current["status"] == "pending"
        max_attempts = current["max_attempts"] if pending else current["attempts"] + 1
        marked = False
        if current.get("dead_lettered"):  # marked first, as in `recover`
            marked = (await self.db["dead_letters"].update_one({"_id": current["_id"], "status": "dead"},
                                                               {"$set": {"status": "redelivering"}})).modified_count > 0
        dispatch = await self.db["dispatches"].find_one_and_update(
            {"_id": current["_id"], "status": {"$ne": "sending"}, "attempts": current["attempts"]},
            {"$set": {"status": "pending", "next_attempt_at": datetime.now(UTC), "max_attempts": max_attempts}},
            return_document=ReturnDocument.AFTER)
        if dispatch is None:  # an attempt got there first: its outcome, not this mark, says what became of it
            if marked:
                await self.db["dead_letters"].update_one({"_id": current["_id"], "status": "redelivering"},
                                                         {"$set": {"status": "dead"}})
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

    async def _check_target(self, dispatch: dict) -> None:
        """NoTarget unless the dispatcher would send `dispatch` (or hold it for its paused endpoint)."""
        if await self.dispatcher.load_target(dispatch) is not None:
            return
        channel, target_id = dispatch["channel"], dispatch["target_id"]
        if channel != "webhook":
            raise NoTarget(409, f"the {channel} channel is switched off, or the preferences are invalid "
                                "(GET /v1/preferences): switch it on first")
        status = await self.dispatcher.webhook_status(dispatch)
        if status is None:
            raise NoTarget(404, f"webhook endpoint {target_id}, which the message was for, was deleted")
        raise NoTarget(409, f"webhook endpoint {target_id} is {status}: enable it first")

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
