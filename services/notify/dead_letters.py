"""Dead letters: where a message goes after its last attempt, or when its endpoint was disabled by a 410, and the
notice its owner gets about it (after the attempt's delivery record, tried again if it fails). A part of the
`deliveries.Dispatcher`, kept apart as the dead-letter side of its work."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from services.notify import metrics
from services.notify.channels import Outcome
from services.notify.db import Database

log = logging.getLogger("duijie.notify.deliveries")

NOTICE_WAITS = (0.0, 1.0, 5.0, 30.0)  # an owner's notice that failed (a database blip) is tried again after these
Notice = Callable[[], Awaitable[None]]


class DeadLetters:
    """The dispatcher's dead letters; it provides the database, the owner's hook and the dispatch writes."""

    db: Database
    on_dead: Callable[[dict, dict], Awaitable[None]]

    async def _set(self, dispatch: dict, update: dict) -> None:
        raise NotImplementedError

    async def _nowhere_to_go(self, dispatch: dict, notification: dict | None) -> None:
        """A message whose notification or target is gone: a dead letter if a 410 disabled its endpoint (the owner
        was told then; it is sent once the endpoint is enabled and recovered, POST /v1/webhooks/{id}/recover), or if
        it was sent again by hand; else cancelled."""
        if notification is not None and await self.webhook_status(dispatch) == "disabled":
            gone = Outcome(False, error="the endpoint was disabled after its receiver answered 410 Gone")
            await self._dead_letter({**dispatch, "dead_lettered": True}, notification, dispatch["attempts"], gone)
        elif dispatch.get("dead_lettered"):
            await self._set(dispatch, {"status": "dead"})
            await self.db["dead_letters"].update_one({"_id": dispatch["_id"], "status": "redelivering"},
                                                     {"$set": {"status": "dead"}})
        else:
            await self._set(dispatch, {"status": "cancelled", "reason": "the target no longer exists or is disabled"})

    async def webhook_status(self, dispatch: dict) -> str | None:
        """The stored status of a webhook dispatch's endpoint; None when it was deleted (or the dispatch is for
        another channel)."""
        if dispatch["channel"] != "webhook":
            return None
        endpoint = await self.db["endpoints"].find_one({"_id": dispatch["target_id"]}, {"status": 1})
        return None if endpoint is None else endpoint.get("status")

    async def _tell_owner(self, notice: Callable[[], Awaitable[None]]) -> None:
        """A dead letter's or a disabled endpoint's notice to its owner, tried again if it fails: notices are keyed
        by what they tell (`fanout.Notifier.dead_lettered`, `gone`), so trying again never tells twice."""
        for wait in NOTICE_WAITS:
            await asyncio.sleep(wait)
            try:
                return await notice()
            except Exception as error:  # noqa: BLE001 - tried again; the dead letter itself is stored already
                log.warning("an owner's notice failed (%s: %s)", type(error).__name__, error)
        log.error("an owner's notice failed %d times; the dead letter or disabled endpoint still shows in the API",
                  len(NOTICE_WAITS))

    async def _dead_letter(self, dispatch: dict, notification: dict, attempts: int,
                           outcome: Outcome) -> Callable[[], Awaitable[None]] | None:
        """Stores the message as a dead letter; returns the notice to its owner (none for one sent again by hand)."""
        await self._set(dispatch, {"status": "dead", "attempts": attempts, "dead_lettered": True})
        metrics.DEAD_LETTERED.labels(dispatch["channel"]).inc()
        await self.db["dead_letters"].replace_one({"_id": dispatch["_id"]}, {
            "_id": dispatch["_id"], "org_id": notification["org_id"], "notification_id": notification["_id"],
            "channel": dispatch["channel"], "target_id": dispatch["target_id"], "event_type": notification["type"],
            "attempts": attempts, "last_response_code": outcome.code, "last_error": outcome.error,
            "status": "dead", "at": datetime.now(UTC)}, upsert=True)
        if dispatch.get("dead_lettered"):  # a message sent again by hand: its owner asked, and knows already
            return None
        return lambda: self.on_dead({**dispatch, "attempts": attempts}, notification)
