"""An owner's notices about its messages: the last attempt's delivery record is written before the owner is told
of the dead letter, a notice that fails (a database blip) is tried again, and the messages still queued for an
endpoint disabled by a 410 become dead letters its owner can recover, not silently cancelled ones."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from services.notify.channels import Outcome
from services.notify.db import Database
from services.notify.deliveries import Dispatcher, delivery_id
from tests.integration.notify.support import bare_dispatcher
from tests.support.api import eventually

pytestmark = pytest.mark.integration
ENDPOINT = {"_id": "ep_notices", "org_id": "org_notices", "status": "active"}


class Failing:
    name = "webhook"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, notification: dict, target: dict) -> Outcome:
        self.sent.append(notification["_id"])
        return Outcome(False, 500, "down")


async def _queued(db: Database, dispatcher: Dispatcher, name: str, attempts: int) -> dict:
    """A notification with a retry due, `attempts` attempts made."""
    notification = {"_id": f"ntf_{name}", "org_id": "org_notices", "type": "match.proposed", "seq": 1,
                    "created_at": datetime.now(UTC)}
    await db["notifications"].insert_one(notification)
    dispatch = dispatcher.new_dispatch(notification, "webhook", ENDPOINT["_id"], "pending",
                                       datetime.now(UTC) - timedelta(seconds=1))
    await db["dispatches"].insert_one({**dispatch, "attempts": attempts})
    return dispatch


async def test_the_last_attempt_is_recorded_even_when_telling_the_owner_fails_and_the_owner_is_told_after_all(
        db: Database) -> None:
    told: list[str] = []

    async def on_dead(dispatch: dict, notification: dict) -> None:
        told.append(dispatch["_id"])
        if len(told) == 1:
            raise ConnectionError("the database is away for a moment")

    async def active(_: dict) -> dict:
        return ENDPOINT

    channel = Failing()
    dispatcher = bare_dispatcher(db, {"webhook": channel}, load_target=active, on_dead=on_dead)
    try:
        dispatch = await _queued(db, dispatcher, "last", attempts=dispatcher.schedule.attempts - 1)
        await dispatcher.claim_and_attempt(dispatch["_id"])
        record = await db["deliveries"].find_one({"_id": delivery_id(dispatch["_id"], dispatcher.schedule.attempts)})
        assert record is not None and record["status"] == "failed" and record["response_code"] == 500
        assert (await db["dead_letters"].find_one({"_id": dispatch["_id"]}))["status"] == "dead"

        async def told_again() -> bool:
            return len(told) == 2
        await eventually(told_again, within=5)
        await asyncio.sleep(1.5)
        assert told == [dispatch["_id"]] * 2, "told once more after the failure, then no more"
    finally:
        await dispatcher.stop()


async def test_a_message_queued_for_an_endpoint_disabled_by_a_410_becomes_a_dead_letter(db: Database) -> None:
    told: list[str] = []

    async def on_dead(dispatch: dict, notification: dict) -> None:
        told.append(dispatch["_id"])

    async def disabled(_: dict) -> None:
        return None  # as the notifier's loader answers for an endpoint not active nor paused

    await db["endpoints"].insert_one({**ENDPOINT, "status": "disabled"})
    channel = Failing()
    dispatcher = bare_dispatcher(db, {"webhook": channel}, load_target=disabled, on_dead=on_dead)
    try:
        dispatch = await _queued(db, dispatcher, "queued", attempts=1)
        await dispatcher.claim_and_attempt(dispatch["_id"])
        stored = await db["dispatches"].find_one({"_id": dispatch["_id"]})
        assert (stored["status"], stored["attempts"], stored["dead_lettered"]) == ("dead", 1, True)
        letter = await db["dead_letters"].find_one({"_id": dispatch["_id"]})
        assert letter["status"] == "dead" and "410" in letter["last_error"], "recoverable once enabled"
        assert channel.sent == [] and told == [], "nothing sent; the owner was told of the endpoint already"
    finally:
        await dispatcher.stop()
