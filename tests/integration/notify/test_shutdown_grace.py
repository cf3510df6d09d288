"""A notify replica that stops lets the attempts under way finish within its grace and records them, so the replica
adopting its claims has nothing left to send again; past the grace they are cut off, and adopted later."""

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime

import pytest

from services.notify.channels import Outcome
from services.notify.db import Database
from services.notify.deliveries import Dispatcher, delivery_id, dispatch_id
from services.notify.settings import Settings
from tests.integration.notify.support import bare_dispatcher
from tests.support.api import eventually

pytestmark = pytest.mark.integration
ANSWER_AFTER = 0.5  # seconds the receiver takes to answer


class SlowReceiver:
    """A webhook channel whose receiver has each message at once and answers ANSWER_AFTER seconds later."""
    name = "webhook"

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[str] = []
        self.arrived = asyncio.Event()

    async def send(self, notification: dict, target: dict) -> Outcome:
        self.received.append(notification["_id"])
        self.arrived.set()
        await asyncio.sleep(ANSWER_AFTER)
        return Outcome(self.status < 300, self.status, "ok" if self.status < 300 else "down")


Sending = Callable[..., Awaitable[tuple[Dispatcher, SlowReceiver, str]]]


@pytest.fixture
async def sending(db: Database) -> AsyncIterator[Sending]:
    """A first attempt under way: a new notification's webhook, sent and not yet answered."""
    started: list[Dispatcher] = []

    async def one(name: str, status: int = 200) -> tuple[Dispatcher, SlowReceiver, str]:
        receiver = SlowReceiver(status)
        settings = Settings(retry_multiplier=0.5)  # a failed first attempt is retried some 2.5 s later
        dispatcher = bare_dispatcher(db, {"webhook": receiver}, settings)
        started.append(dispatcher)
        notification = {"_id": f"ntf_{name}", "org_id": "org_grace", "type": "match.proposed", "seq": 1,
                        "created_at": datetime.now(UTC), "undispatched": [dispatch_id(f"ntf_{name}", "webhook", "ep")],
                        "claimed_until": dispatcher.lease(), "claimed_by": dispatcher.replica}
        await db["notifications"].insert_one(notification)
        dispatcher.send_first(notification, "webhook", "ep", {"_id": "ep"})
        await asyncio.wait_for(receiver.arrived.wait(), 5)
        return dispatcher, receiver, delivery_id(dispatch_id(notification["_id"], "webhook", "ep"), 1)

    yield one
    for dispatcher in started:
        await dispatcher.stop()


async def test_an_attempt_answered_within_the_grace_is_recorded_before_the_replica_stops(
        sending: Sending, db: Database) -> None:
    dispatcher, receiver, record_id = await sending("grace_kept")
    began = time.monotonic()
    await dispatcher.stop(grace_seconds=5.0)
    assert time.monotonic() - began < 5.0, "it waits for the answer, not for the whole grace"
    record = await db["deliveries"].find_one({"_id": record_id})
    assert record is not None and record["status"] == "succeeded", "nothing is left for an adopter to send again"
    assert receiver.received == ["ntf_grace_kept"]


async def test_an_attempt_still_unanswered_when_the_grace_ends_is_left_to_be_adopted(
        sending: Sending, db: Database) -> None:
    dispatcher, _, record_id = await sending("grace_over")
    await dispatcher.stop(grace_seconds=0.1)
    assert await db["deliveries"].find_one({"_id": record_id}) is None
    claims = await db["notifications"].find_one({"_id": "ntf_grace_over"})
    assert claims["undispatched"], "its claim stays open: once the lease runs out another replica adopts it"


async def test_a_retry_whose_time_has_not_come_is_left_to_the_other_replicas(sending: Sending, db: Database) -> None:
    dispatcher, receiver, record_id = await sending("grace_retry", status=500)
    await eventually(lambda: db["deliveries"].find_one({"_id": record_id}), within=5)  # failed, and recorded
    began = time.monotonic()
    await dispatcher.stop(grace_seconds=5.0)
    assert time.monotonic() - began < 1.0, "the replica does not wait for a retry's time to come"
    dispatch = await db["dispatches"].find_one({"_id": dispatch_id("ntf_grace_retry", "webhook", "ep")})
    assert (dispatch["status"], dispatch["attempts"]) == ("pending", 1), "due for any replica's polling"
    assert receiver.received == ["ntf_grace_retry"]
