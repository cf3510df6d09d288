"""A paused webhook endpoint: a retry falling due waits for it without spending an attempt, and goes at once if the
endpoint was enabled while the wait was being written."""

from datetime import UTC, datetime, timedelta

import pytest

from services.notify.channels import Outcome
from services.notify.db import Database
from services.notify.deliveries import Dispatcher
from tests.integration.notify.support import bare_dispatcher
from tests.support.api import eventually

pytestmark = pytest.mark.integration


class Recording:
    name = "webhook"

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send(self, notification: dict, target: dict) -> Outcome:
        self.sent.append(notification["_id"])
        return Outcome(True, 200, "ok")


async def _due_retry(db: Database, dispatcher: Dispatcher, name: str) -> dict:
    notification = {"_id": f"ntf_{name}", "org_id": "org_paused", "type": "match.proposed", "seq": 1,
                    "created_at": datetime.now(UTC)}
    await db["notifications"].insert_one(notification)
    dispatch = dispatcher.new_dispatch(notification, "webhook", "ep_paused", "pending", datetime.now(UTC))
    await db["dispatches"].insert_one({**dispatch, "attempts": 1})
    return dispatch


async def test_a_retry_due_while_its_endpoint_is_paused_waits_without_an_attempt(db: Database) -> None:
    channel = Recording()
    endpoint = {"_id": "ep_paused", "status": "paused"}

    async def load_target(_: dict) -> dict:
        return endpoint

    dispatcher = bare_dispatcher(db, {"webhook": channel}, load_target=load_target)
    try:
        dispatch = await _due_retry(db, dispatcher, "waits")
        await dispatcher.claim_and_attempt(dispatch["_id"])
        waiting = await db["dispatches"].find_one({"_id": dispatch["_id"]})
        assert channel.sent == [], "nothing is sent to a paused endpoint"
        assert (waiting["status"], waiting["attempts"], waiting["paused"]) == ("pending", 1, True)
        assert waiting["next_attempt_at"] > datetime.now(UTC) + timedelta(hours=23), "until it is enabled"
    finally:
        await dispatcher.stop()


async def test_a_wait_written_just_after_the_endpoint_was_enabled_is_released_at_once(db: Database) -> None:
    channel = Recording()
    reads = []

    async def load_target(_: dict) -> dict:
        """Paused at the first read; enabled by the second (the owner enabled it in between)."""
        reads.append(1)
        return {"_id": "ep_paused", "status": "paused" if len(reads) == 1 else "active"}

    dispatcher = bare_dispatcher(db, {"webhook": channel}, load_target=load_target)
    try:
        dispatch = await _due_retry(db, dispatcher, "released")
        await dispatcher.claim_and_attempt(dispatch["_id"])
        delivered = await eventually(lambda: db["dispatches"].find_one({"_id": dispatch["_id"],
                                                                        "status": "delivered"}), within=10)
        assert channel.sent == ["ntf_released"], "sent once, not left waiting a day"
        assert delivered is not None and delivered["attempts"] == 2 and "paused" not in delivered
    finally:
        await dispatcher.stop()
