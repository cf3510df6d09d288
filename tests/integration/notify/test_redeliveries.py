"""A message sent again by hand: a dead or delivered one gets that one attempt; one still on its retry schedule keeps
the rest of it; one being sent right now is left alone; one failing again is not told to its owner twice; one whose
endpoint was deleted or disabled is refused, and its dead letter stays dead, whenever the endpoint went. A recovery
reopens an endpoint's dead letters since a time, a limited number at a time."""

from datetime import UTC, datetime, timedelta

import pytest

from services.notify import redeliveries
from services.notify.channels import Outcome
from services.notify.db import Database
from services.notify.deliveries import Dispatcher, delivery_id, dispatch_id
from services.notify.redeliveries import NoTarget, NotNow, Redeliveries
from services.notify.settings import Settings
from tests.integration.notify.support import bare_dispatcher
from tests.support.api import eventually

pytestmark = pytest.mark.integration
ORG = "org_redelivered"


class Refusing:
    """A channel whose every attempt fails."""
    name = "webhook"

    async def send(self, notification: dict, target: dict) -> Outcome:
        return Outcome(False, 500, "down")


async def message(db: Database, dispatcher: Dispatcher, name: str, status: str, attempts: int) -> str:
    """A notification with its webhook dispatch in `status` after `attempts`, and its last delivery record."""
    nid = f"ntf_{name}"
    notification = {"_id": nid, "org_id": ORG, "type": "match.proposed", "seq": 1, "created_at": datetime.now(UTC)}
    await db["notifications"].insert_one(notification)
    later = datetime.now(UTC) + timedelta(hours=1)
    await db["dispatches"].insert_one({**dispatcher.new_dispatch(notification, "webhook", "ep_1", status, later),
                                       "attempts": attempts})
    did = dispatch_id(nid, "webhook", "ep_1")
    record = {"_id": delivery_id(did, attempts), "dispatch_id": did, "notification_id": nid, "org_id": ORG,
              "channel": "webhook", "target_id": "ep_1", "attempt": attempts, "at": datetime.now(UTC)}
    await db["deliveries"].insert_one(record)
    return record["_id"]


async def active_endpoint(dispatch: dict) -> dict:
    return {"_id": dispatch["target_id"], "status": "active"}


async def test_a_message_sent_again_by_hand_keeps_its_schedule_only_while_it_is_still_on_it(db: Database) -> None:
    dispatcher = bare_dispatcher(db, {"webhook": Refusing()}, load_target=active_endpoint)
    redeliveries = Redeliveries(db, dispatcher)
    schedule = dispatcher.schedule.attempts
    try:
        for name, status, attempts, expected in (("retrying", "pending", 3, schedule), ("dead", "dead", schedule,
                                                 schedule + 1), ("delivered", "delivered", 1, 2)):
            again = await redeliveries.again(ORG, await message(db, dispatcher, name, status, attempts))
            assert again is not None, name
            assert (again["status"], again["max_attempts"]) == ("pending", expected), name
            assert again["next_attempt_at"] <= datetime.now(UTC), f"{name}: due now"

        sending = await message(db, dispatcher, "sending", "sending", 2)
        with pytest.raises(NotNow):  # in flight: not twice at once
            await redeliveries.again(ORG, sending)
        assert await redeliveries.again("org_other", sending) is None, "another organisation's"
        assert await redeliveries.again(ORG, "dlv_unknown") is None
    finally:
        await dispatcher.stop()


async def test_a_recovery_reopens_an_endpoints_dead_letters_since_a_time_a_limited_number_at_a_time(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(redeliveries, "RECOVER_LIMIT", 3)
    dispatcher = bare_dispatcher(db, {"webhook": Refusing()})
    now = datetime.now(UTC)
    for i, (target, attempts, age) in enumerate([("ep_1", 8, 1), ("ep_1", 8, 2), ("ep_1", 9, 3), ("ep_1", 8, 4),
                                                 ("ep_1", 8, 5), ("ep_1", 8, 600), ("ep_2", 8, 1)]):
        did = dispatch_id(f"ntf_{i}", "webhook", target)
        await db["dispatches"].insert_one({"_id": did, "notification_id": f"ntf_{i}", "channel": "webhook",
                                           "target_id": target, "org_id": ORG, "status": "dead", "attempts": attempts,
                                           "max_attempts": attempts, "dead_lettered": True})
        await db["dead_letters"].insert_one({"_id": did, "org_id": ORG, "notification_id": f"ntf_{i}",
                                             "channel": "webhook", "target_id": target, "attempts": attempts,
                                             "status": "dead", "at": now - timedelta(seconds=age)})
    recovery = Redeliveries(db, dispatcher)
    endpoint, since = {"_id": "ep_1", "org_id": ORG}, now - timedelta(seconds=60)

    assert await recovery.recover(endpoint, since) == (3, True)
    assert await recovery.recover(endpoint, since) == (2, False)
    assert await recovery.recover(endpoint, since) == (0, False)
    reopened = {d["notification_id"]: (d["status"], d["max_attempts"]) for d in
                await db["dispatches"].find({"status": "pending"}).to_list()}
    assert reopened == {"ntf_0": ("pending", 9), "ntf_1": ("pending", 9), "ntf_2": ("pending", 10),
                        "ntf_3": ("pending", 9), "ntf_4": ("pending", 9)}, "one attempt more; none older, none else"
    letters = {d["notification_id"]: d["status"] for d in await db["dead_letters"].find({}).to_list()}
    assert letters == {"ntf_0": "redelivering", "ntf_1": "redelivering", "ntf_2": "redelivering",
                       "ntf_3": "redelivering", "ntf_4": "redelivering", "ntf_5": "dead", "ntf_6": "dead"}


async def test_the_owner_is_told_of_a_dead_letter_once_not_again_when_it_fails_once_more_by_hand(db: Database) -> None:
    told: list[str] = []

    async def tell(dispatch: dict, _: dict) -> None:
        told.append(dispatch["_id"])

    async def endpoint(_: dict) -> dict:
        return {"_id": "ep_1"}

    dispatcher = bare_dispatcher(db, {"webhook": Refusing()}, Settings(retry_schedule=[0]), load_target=endpoint,
                                 on_dead=tell)
    try:
        record = await message(db, dispatcher, "failing", "pending", 0)
        did = dispatch_id("ntf_failing", "webhook", "ep_1")
        await db["dispatches"].update_one({"_id": did}, {"$set": {"next_attempt_at": datetime.now(UTC)}})
        await dispatcher.claim_and_attempt(did)

        async def owner_told() -> bool:  # after the attempt's delivery record is written
            return told == [did]
        assert await eventually(owner_told, within=5), "its last attempt failed: the owner is told"
        assert (await db["dead_letters"].find_one({"_id": did}))["status"] == "dead"

        assert await Redeliveries(db, dispatcher).again(ORG, record) is not None
        await eventually(lambda: _dead_again(db, did))
        assert told == [did], "sent again by hand and failed: not told twice"
    finally:
        await dispatcher.stop()


async def _dead_again(db: Database, did: str) -> bool:
    letter = await db["dead_letters"].find_one({"_id": did})
    return letter["status"] == "dead" and letter["attempts"] == 2


async def dead_letter(db: Database, dispatcher: Dispatcher, name: str) -> tuple[str, str]:
    """A message dead-lettered for ep_1 after 8 attempts: its last delivery record's id, and its dispatch id."""
    record = await message(db, dispatcher, name, "dead", 8)
    did = dispatch_id(f"ntf_{name}", "webhook", "ep_1")
    await db["dispatches"].update_one({"_id": did}, {"$set": {"dead_lettered": True}})
    await db["dead_letters"].insert_one({"_id": did, "org_id": ORG, "notification_id": f"ntf_{name}",
                                         "channel": "webhook", "target_id": "ep_1", "attempts": 8, "status": "dead",
                                         "at": datetime.now(UTC)})
    return record, did


async def states(db: Database, did: str) -> tuple[str, str]:
    """The message's dispatch status and its dead letter's."""
    dispatch, letter = await db["dispatches"].find_one({"_id": did}), await db["dead_letters"].find_one({"_id": did})
    return dispatch["status"], letter["status"]


async def test_a_message_whose_endpoint_was_deleted_or_disabled_is_refused_and_stays_a_dead_letter(
        db: Database) -> None:
    endpoints: dict[str, dict] = {}

    async def target(dispatch: dict) -> dict | None:  # as the notifier finds it: active or paused, else none
        endpoint = endpoints.get(dispatch["target_id"])
        return endpoint if endpoint and endpoint["status"] in ("active", "paused") else None

    dispatcher = bare_dispatcher(db, {"webhook": Refusing()}, load_target=target)
    redelivery = Redeliveries(db, dispatcher)
    try:
        record, did = await dead_letter(db, dispatcher, "gone")
        with pytest.raises(NoTarget, match="deleted") as deleted:
            await redelivery.again(ORG, record)
        assert deleted.value.status_code == 404
        assert await states(db, did) == ("dead", "dead"), "nothing reopened, nothing marked"

        await db["endpoints"].insert_one({"_id": "ep_1", "org_id": ORG, "status": "disabled"})
        endpoints["ep_1"] = {"_id": "ep_1", "status": "disabled"}
        with pytest.raises(NoTarget, match="is disabled: enable it first") as disabled:
            await redelivery.again(ORG, record)
        assert disabled.value.status_code == 409
        assert await states(db, did) == ("dead", "dead")

        endpoints["ep_1"] = {"_id": "ep_1", "status": "paused"}
        waiting = await redelivery.again(ORG, record)
        assert waiting is not None and waiting["status"] == "pending", "a paused endpoint's message waits for it"
    finally:
        await dispatcher.stop()


async def test_a_dead_letter_sent_again_whose_endpoint_goes_before_the_attempt_is_a_dead_letter_again(
        db: Database) -> None:
    endpoint: dict | None = {"_id": "ep_1", "status": "active"}

    async def target(_: dict) -> dict | None:
        return endpoint

    dispatcher = bare_dispatcher(db, {"webhook": Refusing()}, load_target=target)
    try:
        record, did = await dead_letter(db, dispatcher, "deleted_meanwhile")
        dispatcher.attempt_soon = lambda _: None  # the attempt comes later, after the endpoint is deleted
        assert await Redeliveries(db, dispatcher).again(ORG, record) is not None
        assert await states(db, did) == ("pending", "redelivering")

        endpoint = None
        await dispatcher.claim_and_attempt(did)
        assert await states(db, did) == ("dead", "dead"), "not redelivering forever"
    finally:
        await dispatcher.stop()


async def test_a_dead_letter_whose_message_an_attempt_takes_first_is_not_left_marked_redelivering(
        db: Database) -> None:
    dispatcher = bare_dispatcher(db, {"webhook": Refusing()})
    record, did = await dead_letter(db, dispatcher, "raced")

    async def target_while_an_attempt_lands(dispatch: dict) -> dict:
        """The endpoint, found while another attempt of the message is recorded (a recovery's, on another replica)."""
        await db["dispatches"].update_one({"_id": did}, {"$set": {"status": "dead", "attempts": 9}})
        return {"_id": dispatch["target_id"], "status": "active"}

    dispatcher.load_target = target_while_an_attempt_lands
    try:
        with pytest.raises(NotNow):
            await Redeliveries(db, dispatcher).again(ORG, record)
        assert await states(db, did) == ("dead", "dead")
    finally:
        await dispatcher.stop()
