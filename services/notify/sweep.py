"""The sweep, on every replica: once a second it says the replica is alive and puts back to pending the attempts of
replicas that stopped beating; four times a second it adopts the first attempts whose claims nobody settled (see
`deliveries` for the claims, `claims` for what a replica remembers of them between sweeps).

A sweep reads the notifications inserted since the last one, so sweeping often costs about as much in all and each
sweep is short: every 5 s, each read held up notify's embedded database for some 150 ms and those stalls set the
pipeline's p99 (10 postings/s: p99 269 and 273 ms against 96 and 136 ms sweeping every second). At 20 postings/s a
read every second took 70 ms; reading four times a second: p99 165 and 204 ms against 596 and 222 ms (alternating
pairs), for 1–2 ms more CPU per posting.
"""

import asyncio
import itertools
import logging
import time
from datetime import UTC, datetime, timedelta

from services.notify.background import Background
from services.notify.claims import CLAIM_FIELDS, GAP_MARGIN, ClaimWatch
from services.notify.deliveries import Dispatcher, delivery_id
from services.notify.preferences import HELD_CHANNELS

log = logging.getLogger("duijie.notify.sweep")

REPLICA_TIMEOUT = 30.0  # seconds without a heartbeat after which a replica's claims may be taken over
SETTLED = "claims_settled"  # the `counters` document: every claim numbered at or below its `seq` is settled
SWEEP_BATCH = 1000  # notifications a sweep reads at most (more wait for the next sweep)
READS_PER_BEAT = 4  # reads of the new notifications per heartbeat


class Sweep(Background):
    TASK = "sweep"

    def __init__(self, dispatcher: Dispatcher) -> None:
        self.dispatcher, self.db = dispatcher, dispatcher.db
        self.watch: ClaimWatch | None = None  # what the sweep knows of the claims (read at its first run)

    async def heartbeat(self) -> set[str]:
        """Says this replica is alive; returns the replicas alive now (this one included)."""
        now, replica = datetime.now(UTC), self.dispatcher.replica
        await self.db["replicas"].update_one({"_id": replica}, {"$set": {"seen": now}}, upsert=True)
        docs = await self.db["replicas"].find({"seen": {"$gte": now - timedelta(seconds=REPLICA_TIMEOUT)}},
                                              {"_id": 1}).to_list()
        return {d["_id"] for d in docs} | {replica}

    def abandoned(self, owner: str | None, dispatch_ids: list[str], live: set[str]) -> bool:
        """A claim may be taken over only when its owner is gone (or is this replica and no longer at it): a slow
        but live owner keeps its claims however long its lease is overdue, so nothing is sent twice."""
        if owner == self.dispatcher.replica:
            return not any(d in self.dispatcher.inflight for d in dispatch_ids)
        return owner not in live

    async def adopt_orphans(self, live: set[str], now: datetime | None = None) -> int:
        """Settles the claims of notifications whose lease ran out: the missing dispatches of an owner that is gone
        are adopted as pending; a live owner's are left to it. Settled claims are not rewritten (an update per
        notification cost more than everything else notify writes): this replica remembers what it has read
        (`ClaimWatch`) and reads only the notifications inserted since, and a watermark in `counters` says up to
        which sequence number every claim is settled, for other replicas and restarts to start from."""
        now = now or datetime.now(UTC)
        if self.watch is None:
            doc = await self.db["counters"].find_one({"_id": SETTLED})
            self.watch = ClaimWatch(int(doc["seq"]) if doc else 0)
        watch = self.watch
        # This replica's own notifications are taken as it inserted them, not read back, once the reads have caught
        # up: the numbers below them it has not seen (other replicas', reservations still being inserted) are
        # gaps, read just below. Until then (a first sweep, a backlog of more than a batch) they are read in turn.
        recorded, self.dispatcher.recorded = self.dispatcher.recorded, []
        if watch.caught_up:
            watch.saw(sorted(recorded, key=lambda n: n["seq"]), now)
        found = await self.db["notifications"].find(
            {"seq": {"$gt": watch.high}}, CLAIM_FIELDS).sort("seq", 1).limit(SWEEP_BATCH).to_list()
        watch.caught_up = len(found) < SWEEP_BATCH
        for first, last in watch.gap_runs():
            found += await self.db["notifications"].find({"seq": {"$gte": first, "$lte": last}}, CLAIM_FIELDS).to_list()
        watch.saw(found, now)
        due = watch.due(now)
        written = await self._written([did for n in due for did in n["undispatched"]])
        adopted = 0
        for notification in due:
            missing = [did for did in notification["undispatched"] if did not in written]
            if missing and not self.abandoned(notification.get("claimed_by"), missing, live):
                continue  # its live owner is still at it
            release_at = notification.get("release_at")
            for did in missing:
                _, channel, target_id = did.split(":", 2)
                held = bool(release_at) and channel in HELD_CHANNELS
                adopted += await self.dispatcher.hold(notification, channel, target_id,
                                                      release_at if held else now, held)
            watch.settle(notification["seq"])
        watch.forget_gaps(now, self.dispatcher.lease_length)
        if (advance := watch.settled_through()) > watch.published:
            await self.db["counters"].update_one({"_id": SETTLED}, {"$max": {"seq": advance}}, upsert=True)
            watch.published = advance
        return adopted

    async def _written(self, wanted: list[str]) -> set[str]:
        """The dispatch ids among `wanted` whose outcome was written: as a dispatch, or as the delivery record of a
        first attempt. Those this replica wrote itself are known without a lookup (and forgotten once answered):
        at 20 postings/s the lookups of every claim read back some 300 records a second."""
        if not wanted:
            return set()
        settled = self.dispatcher.settled
        written = {did for did in wanted if settled.pop(did, None) is not None}
        unknown = [did for did in wanted if did not in written]
        if unknown:
            written |= {d["_id"] for d in await self.db["dispatches"].find(
                {"_id": {"$in": unknown}}, {"_id": 1}).to_list()}
        first = {delivery_id(did, 1): did for did in unknown if did not in written}
        if first:
            written |= {first[d["_id"]] for d in await self.db["deliveries"].find(
                {"_id": {"$in": list(first)}}, {"_id": 1}).to_list()}
        return written

    def forget_settled(self, now: float) -> None:
        """Drops what this replica settled longer ago than any claim it could answer stays open (a lease and the
        gap margin): such an id is never asked about. Only the oldest are looked at, up to the first one kept (an id
        settled again keeps its place, and the ones after it wait until it is old too)."""
        horizon = now - (self.dispatcher.lease_length + GAP_MARGIN).total_seconds() * 2
        settled = self.dispatcher.settled  # in the order they were settled: the old ones first
        old = list(itertools.takewhile(lambda did: settled[did] < horizon, settled))
        for did in old:
            del settled[did]

    async def beat(self, now: datetime) -> set[str]:
        """Says this replica is alive and takes back the attempts of replicas that stopped beating; returns the
        replicas alive now."""
        live = await self.heartbeat()
        overdue = await self.db["dispatches"].find(
            {"status": "sending", "lease_until": {"$lt": now}}, {"claimed_by": 1}).limit(100).to_list()
        for d in overdue:
            if self.abandoned(d.get("claimed_by"), [d["_id"]], live):
                await self.db["dispatches"].update_one(
                    {"_id": d["_id"], "status": "sending", "claimed_by": d.get("claimed_by")},
                    {"$set": {"status": "pending"}})
        return live

    async def run(self, every: float = 1.0, reads_per_beat: int = READS_PER_BEAT) -> None:
        """Beats every `every` seconds and reads the new notifications `reads_per_beat` times as often: each read
        holds notify's embedded database for as long as it takes, so short reads keep those stalls short (at 20
        postings/s a read of a second's notifications took 70 ms of the database's CPU)."""
        live: set[str] = set()
        for turn in itertools.count():
            try:
                now = datetime.now(UTC)
                if turn % reads_per_beat == 0:
                    live = await self.beat(now)
                await self.adopt_orphans(live, now)
                self.forget_settled(time.monotonic())
            except Exception as error:  # noqa: BLE001 - the loop must survive a database blip
                log.warning("sweep: %s", error)
            await asyncio.sleep(every / reads_per_beat)
