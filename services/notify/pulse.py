"""Waking the live streams (`stream.py`) of one process when their organisation has a new notification.

This replica's own notifications wake their organisation's streams as they are stored (`Pulse.fire`). Other
replicas' are found by one reader per process (`Watcher`), which reads the notifications numbered above the last
it saw, twice a second and only while a stream is open, and wakes the organisations they are for. Each open
stream used to read the database itself twice a second, however quiet its organisation: a thousand open streams
made two thousand reads a second. A number reserved before a lower one was inserted is a gap, looked up again
until it appears or is given up on (`ClaimWatch`, as the sweep does). A stream also looks on its own at each
heartbeat, so a notification the reader missed is late, never lost: the stream's cursor decides what is sent.
"""

import asyncio
import logging
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from services.notify.background import Background
from services.notify.claims import ClaimWatch
from services.notify.db import Database

log = logging.getLogger("duijie.notify.pulse")
READ_LIMIT = 1000  # notifications a reader's round takes at most (more wait for the next round)


class Pulse:
    """The open streams of this process, waiting by organisation."""

    def __init__(self) -> None:
        self.open_streams = 0
        self._events: dict[str, asyncio.Event] = {}
        self._waiters: Counter[str] = Counter()

    @contextmanager
    def streaming(self) -> Iterator[None]:
        """Around a stream's life: while any is open, the watcher reads."""
        self.open_streams += 1
        try:
            yield
        finally:
            self.open_streams -= 1

    def fire(self, org_ids: Iterable[str]) -> None:
        for org_id in org_ids:
            if (event := self._events.pop(org_id, None)) is not None:
                event.set()

    async def wait(self, org_id: str, timeout: float) -> None:
        """Until a notification for `org_id` is stored, or `timeout` seconds."""
        event = self._events.setdefault(org_id, asyncio.Event())
        self._waiters[org_id] += 1
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass
        finally:
            self._waiters[org_id] -= 1
            if not self._waiters[org_id]:
                del self._waiters[org_id]
                if self._events.get(org_id) is event:
                    del self._events[org_id]


class Watcher(Background):
    """Reads the notifications other replicas insert, for this process's open streams (see the module)."""

    TASK = "stream-watcher"

    def __init__(self, db: Database, pulse: Pulse, every: float = 0.5) -> None:
        self.db, self.pulse, self.every = db, pulse, every
        self.watch: ClaimWatch | None = None  # None while no stream is open: the next one starts from the newest

    async def read(self, now: datetime | None = None) -> set[str]:
        """One round: the organisations with notifications inserted since the last round (woken)."""
        if not self.pulse.open_streams:
            self.watch = None
            return set()
        if self.watch is None:
            newest = await self.db["notifications"].find({}, {"seq": 1}).sort("seq", -1).limit(1).to_list()
            self.watch = ClaimWatch(newest[0]["seq"] if newest else 0)
            return set()
        watch, fields = self.watch, {"org_id": 1, "seq": 1}
        found = await self.db["notifications"].find({"seq": {"$gt": watch.high}}, fields).sort(
            "seq", 1).limit(READ_LIMIT).to_list()
        for first, last in watch.gap_runs():
            found += await self.db["notifications"].find({"seq": {"$gte": first, "$lte": last}}, fields).to_list()
        now = now or datetime.now(UTC)
        watch.saw(found, now)
        watch.forget_gaps(now, timedelta(0))
        orgs = {doc["org_id"] for doc in found}
        self.pulse.fire(orgs)
        return orgs

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.every)
            try:
                await self.read()
            except Exception as error:  # noqa: BLE001 - the streams still look on their own at each heartbeat
                log.warning("stream watcher: %s", error)
