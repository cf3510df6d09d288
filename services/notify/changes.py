"""Telling every notify replica that an organisation's preferences or webhook endpoints changed.

Each replica keeps the preferences and webhook endpoints it has read (`SingleFlight`), and forgets an organisation's
at once when it changes them itself. A change made through another replica is announced by a counter in
`counters`, bumped after the change is written; every replica reads it every `check_seconds` and forgets all it
kept when it has moved. So a change reaches every replica within about that long, and the answers can be kept much
longer (`cache_seconds`), which only bounds how stale a replica stays if the one that made a change died before
announcing it. At 20 postings/s, answers kept for 2 s were read again about 0.9 times per posting.
"""

import asyncio
import logging

from services.notify.db import Database
from services.notify.single_flight import SingleFlight

log = logging.getLogger("duijie.notify.changes")

COUNTER = "settings_changed"  # the `counters` document bumped after every change


class Changes:
    def __init__(self, db: Database, check_seconds: float) -> None:
        self.db, self.check_seconds = db, check_seconds
        self._caches: list[SingleFlight] = []
        self._seen: int | None = None  # the counter at the last check
        self._task: asyncio.Task | None = None

    def watch(self, cache: SingleFlight) -> None:
        """A cache to empty whenever another replica announces a change."""
        self._caches.append(cache)

    async def made(self, cache: SingleFlight, key: str) -> None:
        """Called after this replica wrote a change to `key`: forgets what `cache` kept of it and announces it."""
        cache.forget(key)
        await self.announce()

    async def announce(self) -> None:
        """Tells the other replicas. The change is written either way: if the announcement fails, they see it once
        their answers expire."""
        try:
            await self.db["counters"].update_one({"_id": COUNTER}, {"$inc": {"seq": 1}}, upsert=True)
        except Exception as error:  # noqa: BLE001 - failing the request would invite a retry of a done change
            log.warning("settings changes: not announced: %s", error)

    async def check(self) -> bool:
        """Reads the counter; True (and every watched cache emptied) when it moved since the last check."""
        doc = await self.db["counters"].find_one({"_id": COUNTER})
        seen, self._seen = self._seen, int(doc["seq"]) if doc else 0
        if seen == self._seen:
            return False
        for cache in self._caches:
            cache.forget_all()
        return seen is not None

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.check_seconds)
            try:
                await self.check()
            except Exception as error:  # noqa: BLE001 - the loop must survive a database blip
                log.warning("settings changes: %s", error)

    async def start(self) -> None:
        """Reads the counter once before anything is kept, then every `check_seconds`."""
        await self.check()
        self._task = asyncio.create_task(self.run(), name="settings-changes")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
