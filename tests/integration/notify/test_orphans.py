"""A replica that died after claiming a notification's first attempts but before sending them: once its lease has
run out and it has stopped beating, another replica adopts the dispatch and the message is sent, once."""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient, ReturnDocument

from deploy.receiver import Receiver
from deploy.stack import Stack
from services.notify.channels import Outcome
from services.notify.claims import GAP_MARGIN, ClaimWatch
from services.notify.db import Database
from services.notify.deliveries import dispatch_id
from services.notify.notifications import notification_id
from services.notify.redeliveries import Redeliveries
from services.notify.sweep import SETTLED, Sweep
from tests.integration.notify.support import add_webhook, bare_dispatcher, get, two_orgs
from tests.support.api import eventually

pytestmark = pytest.mark.integration


async def test_a_dead_replicas_claimed_message_is_adopted_and_sent_once(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, _ = await two_orgs(http, stack, "孤儿")
    receiver = await Receiver(port).start()
    client: AsyncMongoClient = AsyncMongoClient(stack.database_url("notify-database"), tz_aware=True)
    try:
        hook = await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/hooks")
        nid = notification_id(f"ev_{uuid.uuid4().hex}", firm["id"])
        past = datetime.now(UTC) - timedelta(minutes=5)
        # A sequence number reserved like any notification's: the shared session's SSE streams resume past it.
        counter = await client["duijie_notify"]["counters"].find_one_and_update(
            {"_id": "notifications"}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER)
        await client["duijie_notify"]["notifications"].insert_one({
            "_id": nid, "org_id": firm["id"], "type": "match.proposed", "event_id": "ev", "subject": "mt_orphan",
            "data": {"match_id": "mt_orphan", "need_org_id": firm["id"]}, "created_at": past, "seq": counter["seq"],
            "streamed": True, "undispatched": [dispatch_id(nid, "webhook", hook["id"])],
            "claimed_until": past + timedelta(seconds=20), "claimed_by": "rp_dead_replica"})

        (message,) = await receiver.wait_for(1, within=15)
        assert message.headers["webhook-id"] == nid
        await asyncio.sleep(2.5)  # two more sweeps: nothing is adopted twice
        assert len(receiver.received) == 1
        records = await eventually(lambda: get(http, stack, firm["api_key"], "/v1/deliveries", notification_id=nid))
        assert [r["status"] for r in records] == ["succeeded"]
    finally:
        await client.close()
        await receiver.stop()


async def test_the_sweep_settles_claims_under_a_watermark_that_never_passes_a_running_lease(stack: Stack) -> None:
    """Claims are settled without rewriting notifications: the sweep adopts what dead owners left, leaves live
    owners' claims alone, and raises a watermark over settled numbers, never over a lease still running."""
    db = Database(stack.database_url("notify-database"), f"orphans_{uuid.uuid4().hex[:8]}")
    dispatcher = bare_dispatcher(db, {})
    sweep = Sweep(dispatcher)
    now = datetime.now(UTC)
    long_ago, later = now - timedelta(minutes=5), now + timedelta(seconds=20)
    live = {dispatcher.replica, "rp_alive"}
    try:
        sent = await _claimed(db, 1, long_ago)
        await db["dispatches"].insert_one({"_id": sent, "status": "delivered"})  # its owner sent it
        await _claimed(db, 2, long_ago)  # its owner died before sending
        running = await _claimed(db, 3, later)  # a lease still running
        await _claimed(db, 4, long_ago)
        live_owners = await _claimed(db, 5, long_ago, owner="rp_alive")

        assert await sweep.adopt_orphans(live, now) == 2  # numbers 2 and 4
        assert await _watermark(db) == 2  # not over number 3's running lease
        assert await sweep.adopt_orphans(live, now) == 0  # nothing twice

        assert await sweep.adopt_orphans(live, later + timedelta(seconds=1)) == 1  # number 3's lease ran out
        assert await _watermark(db) == 4  # number 5's owner is alive and still at it
        pending = await db["dispatches"].find({"status": "pending"}, {"_id": 1}).to_list()
        assert running in {d["_id"] for d in pending} and live_owners not in {d["_id"] for d in pending}
    finally:
        await db.client.drop_database(db.db.name)
        await db.client.close()


async def test_a_number_inserted_after_a_higher_one_is_still_swept_and_holds_the_watermark_until_then(
        stack: Stack) -> None:
    """Numbers are reserved before their insert, and batches insert in any order: a number missing below one the
    sweep has read is looked for again by every sweep; the watermark waits for it, but only for so long."""
    db = Database(stack.database_url("notify-database"), f"orphans_{uuid.uuid4().hex[:8]}")
    dispatcher = bare_dispatcher(db, {})
    sweep = Sweep(dispatcher)
    now = datetime.now(UTC)
    long_ago = now - timedelta(minutes=5)
    live = {dispatcher.replica}
    try:
        await _claimed(db, 1, long_ago)
        await _claimed(db, 4, long_ago)  # 2 and 3 are reserved, not inserted yet
        assert await sweep.adopt_orphans(live, now) == 2
        assert await _watermark(db) == 1

        late = await _claimed(db, 3, long_ago)  # inserted late, below what the sweep has read
        assert await sweep.adopt_orphans(live, now + timedelta(seconds=5)) == 1
        assert await db["dispatches"].find_one({"_id": late}) is not None
        assert await _watermark(db) == 1  # number 2 may still come

        # Number 2 never comes (its event was already turned into notifications): after a lease and the margin
        # it no longer holds the watermark.
        given_up = now + dispatcher.lease_length + GAP_MARGIN + timedelta(seconds=1)
        assert await sweep.adopt_orphans(live, given_up) == 0
        assert await _watermark(db) == 4
    finally:
        await db.client.drop_database(db.db.name)
        await db.client.close()


async def test_the_sweep_takes_its_own_replicas_notifications_as_inserted_and_reads_only_the_others(
        stack: Stack) -> None:
    """Once its reads have caught up, a sweep takes the notifications its replica inserted from the replica itself
    (`Dispatcher.note_recorded`) instead of reading them back; another replica's notification between them is read
    as the gap it leaves and its orphaned claim adopted; anything not handed over is read as before."""
    db = Database(stack.database_url("notify-database"), f"orphans_{uuid.uuid4().hex[:8]}")
    dispatcher = bare_dispatcher(db, {})
    sweep = Sweep(dispatcher)
    sweep.db = reads = ReadsRecorded(db)  # type: ignore[assignment]
    now = datetime.now(UTC)
    live = {dispatcher.replica}
    try:
        dispatcher.note_recorded([await _own(db, 1)])
        assert await sweep.adopt_orphans(live, now) == 0
        assert reads.seqs == [1], "a first sweep reads from the watermark"

        dispatcher.note_recorded([await _own(db, 2), await _own(db, 3)])
        await _claimed(db, 4, now - timedelta(minutes=5))  # another replica's, which died before sending
        dispatcher.note_recorded([await _own(db, 5)])
        assert await sweep.adopt_orphans(live, now) == 1
        assert reads.seqs == [1, 4], "only the other replica's notification is read"
        assert await _watermark(db) == 5

        await _own(db, 6)  # not handed over (a replica whose sweep stopped taking them in drops them)
        assert await sweep.adopt_orphans(live, now) == 0
        assert reads.seqs == [1, 4, 6]
    finally:
        await db.client.drop_database(db.db.name)
        await db.client.close()


async def _own(db: Database, seq: int) -> dict:
    """A notification this replica inserted, without claims (none of its channels sends at once)."""
    notification = {"_id": f"ntf_own_{seq}", "org_id": "org_sweep", "type": "match.proposed", "seq": seq,
                    "created_at": datetime.now(UTC)}
    await db["notifications"].insert_one(dict(notification))
    return notification


class ReadsRecorded:
    """The database, recording the numbers of the notifications each read returns."""

    def __init__(self, db: Database) -> None:
        self.db, self.seqs = db, []

    def __getitem__(self, name: str) -> Any:
        return _Recorded(self.db[name], self.seqs) if name == "notifications" else self.db[name]


class _Recorded:
    def __init__(self, target: Any, seqs: list[int]) -> None:
        self.target, self.seqs = target, seqs

    def find(self, *args: Any, **kwargs: Any) -> "_Recorded":
        return _Recorded(self.target.find(*args, **kwargs), self.seqs)

    def sort(self, *args: Any) -> "_Recorded":
        return _Recorded(self.target.sort(*args), self.seqs)

    def limit(self, n: int) -> "_Recorded":
        return _Recorded(self.target.limit(n), self.seqs)

    async def to_list(self) -> list[dict]:
        docs = await self.target.to_list()
        self.seqs += [d["seq"] for d in docs]
        return docs


async def _claimed(db: Database, seq: int, until: datetime, owner: str = "rp_dead") -> str:
    """A notification numbered `seq` whose insert claimed its webhook's first attempt, with a lease up to `until`."""
    nid = f"ntf_sweep_{seq}"
    await db["notifications"].insert_one({
        "_id": nid, "org_id": "org_sweep", "type": "match.proposed", "seq": seq, "created_at": until,
        "undispatched": [dispatch_id(nid, "webhook", "wh_1")], "claimed_until": until, "claimed_by": owner})
    return dispatch_id(nid, "webhook", "wh_1")


async def _watermark(db: Database) -> int:
    return (await db["counters"].find_one({"_id": SETTLED}) or {"seq": 0})["seq"]


async def active_endpoint(dispatch: dict) -> dict:
    """The target loader of a dispatcher whose webhook endpoint exists and is active (a retry by hand checks it)."""
    return {"_id": dispatch["target_id"], "status": "active"}


class Answering:
    """A channel whose every attempt succeeds."""
    name = "webhook"

    async def send(self, notification: dict, target: dict) -> Outcome:
        return Outcome(True, 200, "ok")


async def test_a_first_attempt_that_succeeds_within_its_lease_is_recorded_by_its_delivery_record_alone(
        stack: Stack) -> None:
    """A third of notify's writes: the dispatch of a first attempt that succeeded says nothing its delivery record
    does not. Past the lease it is written all the same, so that a replica adopting the claim finds it delivered."""
    db = Database(stack.database_url("notify-database"), f"orphans_{uuid.uuid4().hex[:8]}")
    dispatcher = bare_dispatcher(db, {"webhook": Answering()}, load_target=active_endpoint)
    sweep = Sweep(dispatcher)
    now = datetime.now(UTC)
    try:
        for seq, lease in ((1, dispatcher.lease()), (2, now - timedelta(seconds=1))):
            nid = f"ntf_first_{seq}"
            notification = {"_id": nid, "org_id": "org_first", "type": "match.proposed", "seq": seq, "created_at": now,
                            "undispatched": [dispatch_id(nid, "webhook", "wh_1")], "claimed_until": lease,
                            "claimed_by": dispatcher.replica}
            await db["notifications"].insert_one(notification)
            dispatcher.send_first(notification, "webhook", "wh_1", {"_id": "wh_1"})
        await eventually(lambda: _count(db, "deliveries", 2))
        written = [d["_id"] for d in await db["dispatches"].find({}).to_list()]
        assert written == [dispatch_id("ntf_first_2", "webhook", "wh_1")]
        # Both claims are settled: one by its delivery record, the other by its dispatch; nothing is adopted. This
        # replica wrote both, so its sweep knows without reading them back, and forgets them once answered.
        later = now + dispatcher.lease_length + timedelta(seconds=1)
        claims = {dispatch_id(f"ntf_first_{seq}", "webhook", "wh_1") for seq in (1, 2)}
        assert set(dispatcher.settled) == claims
        assert await sweep.adopt_orphans({dispatcher.replica}, later) == 0
        assert await _watermark(db) == 2 and dispatcher.settled == {}
        # Another replica, to which this one is dead, reads the same from the database: nothing is adopted either.
        other = Sweep(bare_dispatcher(db, {"webhook": Answering()}))
        other.watch = ClaimWatch(0)  # from the first number, not from the watermark
        assert await other.adopt_orphans({other.dispatcher.replica}, later) == 0
        assert await db["dispatches"].count_documents({}) == 1
        # Redelivered by hand, the first one's dispatch is written then, with its attempt so far.
        record = await db["deliveries"].find_one({"notification_id": "ntf_first_1"})
        redelivery = await Redeliveries(db, dispatcher).again("org_first", record["_id"])
        assert redelivery is not None and (redelivery["status"], redelivery["max_attempts"]) == ("pending", 2)
    finally:
        await dispatcher.stop()
        await db.client.drop_database(db.db.name)
        await db.client.close()


async def _count(db: Database, collection: str, expected: int) -> bool:
    return await db[collection].count_documents({}) == expected


def test_what_a_replica_settled_is_forgotten_once_no_claim_can_ask_about_it() -> None:
    dispatcher = bare_dispatcher(None, {})  # type: ignore[arg-type]
    now = time.monotonic()
    horizon = 2 * (dispatcher.lease_length + GAP_MARGIN).total_seconds()
    dispatcher.settled = {"dsp_old": now - horizon - 1, "dsp_recent": now - 5}
    Sweep(dispatcher).forget_settled(now)
    assert list(dispatcher.settled) == ["dsp_recent"]
