"""Dispatches (one per notification × channel target), their delivery records (one per attempt) and dead letters.

A dispatch's id is derived from the notification and the target. The first attempt is claimed by the notification's
own insert: only the worker whose insert created the notification (a redelivered event, a restart or another
replica finds the id taken) sends it, and the notification lists the dispatch ids it claimed (`undispatched`) with
a lease (`claimed_until`). That worker sends at once with the documents it already holds, then writes the outcome
off the latency path: the delivery record, and the dispatch unless the first attempt succeeded (the delivery
record then says all there is; the dispatch is written if it is ever needed again, see `redeliveries.py`). A claim
counts as settled once its dispatch or a delivery record for it exists. If the worker dies first, the lease runs
out and any replica's sweep adopts the orphaned dispatches as pending (`sweep.py`). Every later attempt is claimed
with `find_one_and_update` before it is made. A claim names its owner (`claimed_by`, a replica id with a heartbeat
in `replicas`): an overdue lease is taken over only when that owner has stopped beating, so an overloaded owner
that is slow to write its outcome is never doubled by another replica sending the same message again.
"""

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from services.contracts.envelope import deterministic_id
from services.notify import metrics
from services.notify.channels import Channel, Outcome
from services.notify.claims import CLAIM_FIELDS
from services.notify.db import Database
from services.notify.dead_letters import DeadLetters
from services.notify.group_insert import GroupInsert
from services.notify.retry import Breaker, Schedule
from services.notify.settings import Settings

log = logging.getLogger("duijie.notify.deliveries")

TargetLoader = Callable[[dict], Awaitable[dict | None]]
DeadLetterHook = Callable[[dict, dict], Awaitable[None]]
GoneHook = Callable[[dict, dict], Awaitable[None]]
RECORDED_LIMIT = 20_000  # notifications kept for a sweep that is not taking them in (25 s at 50 postings/s)


PAUSE_RECHECK = timedelta(days=1)  # a message for a paused endpoint is looked at again after this, if not resumed


def paused_until() -> datetime:
    """When a message held for a paused endpoint is looked at again; enabling the endpoint makes it due at once."""
    return datetime.now(UTC) + PAUSE_RECHECK


def dispatch_id(notification_id: str, channel: str, target_id: str) -> str:
    return f"{notification_id}:{channel}:{target_id}"


def delivery_id(dispatch_id_: str, attempt: int) -> str:
    """A delivery record's id, derived from its dispatch and attempt: the sweep looks first attempts up by it. It
    starts as its notification's id does (`notifications.time_order`), so records too are stored in time order."""
    return "dlv_" + dispatch_id_[4:12] + deterministic_id(dispatch_id_, attempt)[:20]


class Dispatcher(DeadLetters):
    def __init__(self, db: Database, settings: Settings, channels: dict[str, Channel], load_target: TargetLoader,
                 on_dead: DeadLetterHook, on_gone: GoneHook) -> None:
        self.db, self.settings, self.channels = db, settings, channels
        self.load_target, self.on_dead, self.on_gone = load_target, on_dead, on_gone
        self.schedule = Schedule(settings.retry_schedule, settings.retry_multiplier, settings.retry_jitter,
                                 settings.retry_after_max_seconds)
        self.breakers: dict[str, Breaker] = {}
        self.replica = f"rp_{uuid.uuid4().hex[:12]}"  # claims name their owner; a live owner's are never taken
        # Dispatch ids this replica is inserting the claim of, or attempting, right now (with how many holds each).
        self.inflight: Counter[str] = Counter()
        # Dispatch ids whose claim this replica settled itself (it wrote the dispatch, or the first attempt's record),
        # with when: the sweep takes them as written without looking them up (see `Sweep._written`).
        self.settled: dict[str, float] = {}
        # The claim fields of the notifications this replica inserted, until its sweep takes them in (see
        # `Sweep.adopt_orphans`); past `RECORDED_LIMIT` they are dropped and the sweep reads them instead.
        self.recorded: list[dict] = []
        self._tasks: set[asyncio.Task] = set()
        self._sleeping: set[asyncio.Task] = set()  # of `_tasks`, those waiting for a retry's time (`_later`)
        self._stopping = False
        self._loop: asyncio.Task | None = None
        self._groups: dict[str, GroupInsert] = {}

    def _group(self, collection: str) -> GroupInsert:
        """First attempts' dispatches and every delivery record: concurrent deliveries share their inserts."""
        if collection not in self._groups:
            # off the latency path; small batches so the inserts that are on it never wait long behind them
            self._groups[collection] = GroupInsert(self.db[collection], max_documents=25, linger_seconds=0.02)
        return self._groups[collection]

    def _spawn(self, coro: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def lease_length(self) -> timedelta:
        return timedelta(seconds=self.settings.webhook_timeout_seconds + 5)

    def lease(self) -> datetime:
        return datetime.now(UTC) + self.lease_length

    def breaker(self, dispatch: dict) -> Breaker:
        """The circuit breaker of a dispatch's endpoint: one per organisation's target on each channel. A robot's or
        an e-mail address's target id names only the channel or the address, which other organisations share."""
        key = f"{dispatch['channel']}:{dispatch['org_id']}:{dispatch['target_id']}"
        if key not in self.breakers:
            self.breakers[key] = Breaker(self.settings.breaker_failures,
                                         self.settings.breaker_cooldown_seconds * self.settings.retry_multiplier)
        return self.breakers[key]

    def new_dispatch(self, notification: dict, channel: str, target_id: str, status: str,
                     next_attempt_at: datetime) -> dict:
        return {"_id": dispatch_id(notification["_id"], channel, target_id), "notification_id": notification["_id"],
                "channel": channel, "target_id": target_id, "org_id": notification["org_id"],
                "event_type": notification["type"], "status": status, "attempts": 0,
                "max_attempts": self.schedule.attempts, "created_at": datetime.now(UTC),
                "next_attempt_at": next_attempt_at, "lease_until": self.lease() if status == "sending" else None,
                "claimed_by": self.replica if status == "sending" else None}

    async def hold(self, notification: dict, channel: str, target_id: str, until: datetime,
                   held: bool = True, paused: bool = False) -> bool:
        """A dispatch that waits (quiet hours, or a paused endpoint) until `until`; the polling loop sends it then."""
        try:
            doc = self.new_dispatch(notification, channel, target_id, "pending", until)
            await self.db["dispatches"].insert_one({**doc, "held": held} | ({"paused": True} if paused else {}))
        except DuplicateKeyError:
            return False
        return True

    async def reschedule_held(self, org_id: str, at: datetime) -> int:
        """Messages held by quiet hours, not yet attempted, go at `at` instead (the quiet hours changed)."""
        result = await self.db["dispatches"].update_many(
            {"org_id": org_id, "status": "pending", "held": True, "attempts": 0}, {"$set": {"next_attempt_at": at}})
        return result.modified_count

    async def resume(self, endpoint_id: str) -> int:
        """The messages waiting for a paused webhook endpoint are due at once: it was enabled (after the endpoint's
        status was written, so that `unless_resumed` catches a wait written meanwhile)."""
        return await self._release_paused({"channel": "webhook", "target_id": endpoint_id})

    async def _release_paused(self, selector: dict) -> int:
        released = await self.db["dispatches"].update_many(
            {**selector, "status": "pending", "paused": True},
            {"$set": {"next_attempt_at": datetime.now(UTC)}, "$unset": {"paused": ""}})
        return released.modified_count

    def send_first(self, notification: dict, channel: str, target_id: str, target: dict) -> None:
        """The first attempt of a dispatch that the notification's insert already claimed (its id is in the
        notification's `undispatched` list, with a lease): sent at once, the dispatch written afterwards."""
        dispatch = self.new_dispatch(notification, channel, target_id, "sending", datetime.now(UTC))
        dispatch["unsaved"] = True
        self._enter(dispatch["_id"])  # at once, not when the task starts: see `claiming`
        self._spawn(self._attempt_entered(dispatch, notification, target))

    def note_recorded(self, notifications: list[dict]) -> None:
        """Notifications this replica has just inserted, for its sweep, which then need not read them back."""
        if len(self.recorded) + len(notifications) > RECORDED_LIMIT:  # no sweep is taking them in
            self.recorded.clear()
            return
        self.recorded += [{k: n[k] for k in CLAIM_FIELDS if k in n} for n in notifications]

    @contextmanager
    def claiming(self, dispatch_ids: list[str]) -> Iterator[None]:
        """Holds claims against this replica's own sweep from before their notification is inserted until their
        first attempts have started: under load an insert can land after its lease has run out, and the sweep must
        not adopt (and send) what this replica is about to send itself."""
        for did in dispatch_ids:
            self._enter(did)
        try:
            yield
        finally:
            for did in dispatch_ids:
                self._leave(did)

    def _enter(self, dispatch_id_: str) -> None:
        self.inflight[dispatch_id_] += 1

    def _leave(self, dispatch_id_: str) -> None:
        self.inflight[dispatch_id_] -= 1
        if self.inflight[dispatch_id_] <= 0:
            del self.inflight[dispatch_id_]

    async def claim(self, dispatch_id_: str) -> dict | None:
        now = datetime.now(UTC)
        return await self.db["dispatches"].find_one_and_update(
            {"_id": dispatch_id_, "status": "pending", "next_attempt_at": {"$lte": now}},
            {"$set": {"status": "sending", "lease_until": self.lease(), "claimed_by": self.replica}},
            return_document=ReturnDocument.AFTER)

    async def claim_and_attempt(self, dispatch_id_: str) -> None:
        if self._stopping:  # a stopping replica claims nothing more: the others' polling finds it due
            return
        dispatch = await self.claim(dispatch_id_)
        if dispatch is None:
            return  # another worker holds it, or it is not due
        notification = await self.db["notifications"].find_one({"_id": dispatch["notification_id"]})
        target = await self.load_target(dispatch)
        if notification is None or target is None:
            await self._nowhere_to_go(dispatch, notification)
            return
        if target.get("status") == "paused":
            await self._set(dispatch, {"status": "pending", "paused": True, "next_attempt_at": paused_until()})
            await self.unless_resumed(dispatch)
            return
        await self.attempt(dispatch, notification, target)

    async def unless_resumed(self, dispatch: dict) -> None:
        """A message just set to wait for its paused endpoint goes now if the endpoint was enabled meanwhile: enabling
        releases the messages already waiting (`resume`), and this read, after the write, catches the ones
        written after that release."""
        target = await self.load_target(dispatch)
        if target is not None and target.get("status") == "paused":
            return
        if await self._release_paused({"_id": dispatch["_id"]}):
            self.attempt_soon(dispatch["_id"])

    async def _release(self, dispatch: dict, wait: float) -> None:
        await self._set(dispatch, {"status": "pending", "next_attempt_at": datetime.now(UTC) + timedelta(seconds=wait)})
        self._later(dispatch["_id"], wait)

    def _later(self, dispatch_id_: str, wait: float) -> None:
        if wait < 5.0:  # short waits are timed here; the polling loop catches the rest (and other replicas' work)
            async def wake() -> None:
                if self._stopping:
                    return
                sleeping = asyncio.current_task()
                assert sleeping is not None
                self._sleeping.add(sleeping)
                try:
                    await asyncio.sleep(wait + 0.001)
                finally:
                    self._sleeping.discard(sleeping)
                await self.claim_and_attempt(dispatch_id_)
            self._spawn(wake())

    async def _set(self, dispatch: dict, update: dict) -> None:
        if not dispatch.get("unsaved"):
            await self.db["dispatches"].update_one({"_id": dispatch["_id"]}, {"$set": update})
            return
        dispatch["unsaved"] = False  # a first attempt: the dispatch is written now, with its outcome
        written = {**{k: v for k, v in dispatch.items() if k != "unsaved"}, **update}
        if not await self._group("dispatches").insert(written):
            # adopted meanwhile by another replica (our lease ran out): keep our outcome
            await self.db["dispatches"].update_one({"_id": dispatch["_id"]}, {"$set": update})
        self.settled[dispatch["_id"]] = time.monotonic()
        # The claim on the notification is settled later by the sweep (`sweep.py`), without a write.

    async def settle_claim(self, notification_id: str, dispatch_id_: str) -> None:
        """Takes a written dispatch off its notification's claims at once; the last one also drops the lease."""
        last = await self.db["notifications"].update_one(
            {"_id": notification_id, "undispatched": [dispatch_id_]},
            {"$set": {"undispatched": []}, "$unset": {"claimed_until": ""}})
        if last.matched_count == 0:
            await self.db["notifications"].update_one({"_id": notification_id},
                                                      {"$pull": {"undispatched": dispatch_id_}})

    async def attempt(self, dispatch: dict, notification: dict, target: dict) -> None:
        self._enter(dispatch["_id"])
        await self._attempt_entered(dispatch, notification, target)

    async def _attempt_entered(self, dispatch: dict, notification: dict, target: dict) -> None:
        try:
            await self._attempt(dispatch, notification, target)
        finally:
            self._leave(dispatch["_id"])

    async def _attempt(self, dispatch: dict, notification: dict, target: dict) -> None:
        breaker = self.breaker(dispatch)
        wait = breaker.admit(time.monotonic())
        if wait is not None:
            metrics.HELD_BY_BREAKER.labels(dispatch["channel"]).inc()
            await self._release(dispatch, wait)  # the breaker is open: the message waits, no attempt is spent
            return
        channel = self.channels[dispatch["channel"]]
        at = datetime.now(UTC)
        started = time.perf_counter()
        try:
            outcome = await channel.send(notification, target)
        except Exception as error:  # noqa: BLE001 - a channel bug is a failed attempt, never a lost message
            outcome = Outcome(False, error=f"{type(error).__name__}: {error}"[:500])
        seconds = time.perf_counter() - started
        metrics.attempted(dispatch["channel"], outcome.ok, seconds)
        latency_ms = round(seconds * 1000, 2)
        attempts = dispatch["attempts"] + 1
        if outcome.ok:
            breaker.succeeded()
        else:
            breaker.failed(time.monotonic())
        record = {
            "_id": delivery_id(dispatch["_id"], attempts), "dispatch_id": dispatch["_id"],
            "notification_id": notification["_id"], "org_id": notification["org_id"],
            "channel": dispatch["channel"], "target_id": dispatch["target_id"], "endpoint_id": target.get("_id"),
            "event_type": notification["type"], "attempt": attempts, "status": "succeeded" if outcome.ok else "failed",
            "response_code": outcome.code, "response_body": outcome.body, "error": outcome.error,
            "latency_ms": latency_ms, "at": at}
        notice = await self._settle(dispatch, notification, target, attempts, outcome)  # the dispatch's state first
        if await self._group("deliveries").insert(record):
            if attempts == 1:  # a first attempt's record settles its claim
                self.settled[dispatch["_id"]] = time.monotonic()
        else:  # only if an attempt's number was ever reused
            await self._group("deliveries").insert({**record, "_id": f"dlv_{uuid.uuid4().hex[:20]}"})
        if notice is not None:  # after the record: a notice that fails loses no trace of the attempt
            self._spawn(self._tell_owner(notice))

    async def _settle(self, dispatch: dict, notification: dict, target: dict, attempts: int,
                      outcome: Outcome) -> Callable[[], Awaitable[None]] | None:
        """Writes the attempt's outcome to the dispatch; returns the notice its owner is to get, if any."""
        if outcome.ok:
            if dispatch.get("unsaved") and self._unadoptable(notification):
                dispatch["unsaved"] = False  # its delivery record, written next, is the whole trace
                return
            await self._set(dispatch, {"status": "delivered", "attempts": attempts, "delivered_at": datetime.now(UTC)})
            if dispatch.get("dead_lettered"):
                await self.db["dead_letters"].update_one({"_id": dispatch["_id"]}, {"$set": {
                    "status": "redelivered", "redelivered_at": datetime.now(UTC)}})
        elif outcome.gone and dispatch["channel"] == "webhook":  # a robot has no endpoint to disable: it retries
            await self._set(dispatch, {"status": "cancelled", "attempts": attempts,
                                       "reason": "the receiver answered 410 Gone: endpoint disabled"})
            return lambda: self.on_gone(dispatch, target)
        elif attempts >= dispatch.get("max_attempts", self.schedule.attempts):
            return await self._dead_letter(dispatch, notification, attempts, outcome)
        else:
            wait = self.schedule.delay_after(attempts, outcome.retry_after)
            await self._set(dispatch, {"status": "pending", "attempts": attempts,
                                       "next_attempt_at": datetime.now(UTC) + timedelta(seconds=wait)})
            self._later(dispatch["_id"], wait)

    @staticmethod
    def _unadoptable(notification: dict) -> bool:
        """No replica can have adopted the claims while their lease runs (a second's margin for clocks); past it, a
        first attempt's dispatch is written, so that an adopter finds it delivered instead of sending it again."""
        until = notification.get("claimed_until")
        return until is not None and datetime.now(UTC) < until - timedelta(seconds=1)

    def attempt_soon(self, dispatch_id_: str) -> None:
        """A pending, due dispatch attempted now rather than at the loop's next turn."""
        self._spawn(self.claim_and_attempt(dispatch_id_))

    async def run(self, every: float = 1.0) -> None:
        """Due retries every `every` seconds (overdue leases and orphaned claims are the sweep's, `sweep.py`)."""
        while True:
            try:
                now = datetime.now(UTC)
                due = await self.db["dispatches"].find(
                    {"status": "pending", "next_attempt_at": {"$lte": now}}, {"_id": 1}).limit(100).to_list()
                for d in due:
                    self.attempt_soon(d["_id"])
            except Exception as error:  # noqa: BLE001 - the loop must survive a database blip
                log.warning("dispatch loop: %s", error)
            await asyncio.sleep(every)

    def start(self) -> None:
        self._loop = asyncio.create_task(self.run(), name="dispatcher")

    async def stop(self, grace_seconds: float = 0.0) -> None:
        """Claims nothing more; the attempts under way get `grace_seconds` to finish and record their outcome, then
        whatever still runs is cancelled. An attempt cut off after its request went out leaves its claim to run out
        and be adopted: the receiver would get the message again (with the same `webhook-id`) after a restart, which
        the grace spares the receivers that answer within it."""
        self._stopping = True
        if self._loop:
            self._loop.cancel()
        for task in list(self._sleeping):
            task.cancel()
        attempts = self._tasks - self._sleeping
        if attempts and grace_seconds > 0:
            await asyncio.wait(attempts, timeout=grace_seconds)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, *([self._loop] if self._loop else []), return_exceptions=True)
