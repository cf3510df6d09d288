"""Sequence numbers for notifications, reserved ahead while notifications keep coming.

Every notification is numbered before it is inserted (see `stream` and `claims`). One round trip to the counter
per batch of events was about a sixth of notify's time per batch at 50 postings/s, with the lane that turns match
events into notifications busy three quarters of the time. So when a reservation runs out less than LIFETIME after
it was made, the next one also takes what the last one lasted at that pace for half a LIFETIME (at most SPARE), and
the following batches take their numbers from it without a round trip. After a quiet moment a reservation takes
exactly what its batch needs.

Numbers are handed out in increasing order, and only within LIFETIME of their reservation: those still held when
it ends are never used. The stream and the sweep already expect such numbers (a duplicate event refused, a replica
that died): the stream's watermark passes one once a later notification is `sse_settle_seconds` old, and the
sweep looks for it again until a lease and a minute have passed. A number is used at most LIFETIME after its
reservation, well within both: with the stream's default 10 s, a notification may still take 8 s from its number
to its insert before a stream could pass it. Sized on the recent pace, a reservation is usually used up before it
ends; what is left when the notifications stop is one run of numbers the sweep looks up in one query.
"""

import asyncio
import time
from collections.abc import Callable

from services.notify.db import Database

SPARE = 512  # at most this many numbers reserved ahead (about 0.6 s of notifications at 50 postings/s)
LIFETIME = 2.0  # seconds a reservation's numbers are handed out for


class Numbers:
    """One replica's reservations of a sequence."""

    def __init__(self, db: Database, name: str, spare: int = SPARE, lifetime: float = LIFETIME,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.db, self.name, self.spare, self.lifetime, self.clock = db, name, spare, lifetime, clock
        self._held = range(0)  # reserved, not yet handed out
        self._size = 0  # how many the last reservation took
        self._reserved_at = -float("inf")
        self._lock = asyncio.Lock()

    async def take(self, count: int) -> list[int]:
        """`count` numbers never handed out before, in increasing order."""
        async with self._lock:
            age = self.clock() - self._reserved_at
            held = self._held if age < self.lifetime else range(0)
            if len(held) >= count:
                self._held = held[count:]
                return list(held[:count])
            spare = 0
            if age < self.lifetime:  # ran out while fresh: reserve ahead, at the pace the last one went
                spare = min(self.spare, int(self._size * self.lifetime / 2 / max(age, 0.001)))
            size = count - len(held) + spare
            last = await self.db.next_seq(self.name, size)
            self._reserved_at, self._size = self.clock(), size
            numbers = [*held, *range(last - size + 1, last + 1)]
            self._held = range(last - spare + 1, last + 1)
            return numbers[:count]
