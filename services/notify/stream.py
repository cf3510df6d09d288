"""The live SSE stream per organisation; `Last-Event-ID` resumes it without losing anything sent meanwhile.

Every notification gets a sequence number (one counter for all organisations) *before* it is inserted, so two
workers (concurrent events, two replicas, the dispatcher's warnings) can insert 8 before 7. A stream that sent 8
and moved its cursor to 8 would never send 7. So the stream sends whatever it finds at once, but the `id:` it
hands the client is a *watermark*: a number W such that every notification with seq ≤ W is either already sent on
this stream or will never exist. W moves over a seq when a notification with that seq exists (any organisation's:
the stream looks at the numbers, not the contents) or when a later-numbered notification was created more than
`settle` seconds ago (a reserved number whose insert has not landed by then never will: a duplicate that was
refused, a worker that died); only numbers the counter has handed out count for that. Resuming from W may
repeat a few messages sent after W; it never skips one.
Clients tell repeats apart by `data.id`, the notification id.
"""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Self

from pydantic import BaseModel, Field

from services.notify.db import Database
from services.notify.pulse import Pulse

WINDOW = 500  # sequence numbers examined per step while moving the watermark
MAX_SEQ = 2**63 - 1  # the largest sequence number a document can hold (a BSON int64)


def resume_point(last_event_id: str | None) -> int:
    """Where a stream resumes from its `Last-Event-ID`: 0 (from the start) for none or one that is no id we give."""
    value = (last_event_id or "").strip()
    return min(int(value), MAX_SEQ) if value.isascii() and value.isdigit() else 0


class Cursor:
    """One stream's position: the watermark, and the numbers above it already sent."""

    def __init__(self, db: Database, org_id: str, watermark: int, settle: float) -> None:
        self.db, self.org_id, self.watermark, self.settle = db, org_id, watermark, settle
        self.sent: set[int] = set()

    async def step(self, limit: int = 100, now: datetime | None = None) -> list[tuple[dict, str]]:
        """This organisation's notifications not yet sent (late arrivals below sent ones too), in sequence order,
        each with the `id:` to give the client after it; moves the watermark as far as it safely goes. The
        watermark is worked out before the read that is sent: whatever it passes was inserted already, so that
        read sees it. An idle stream costs one query (the watermark only matters when something is sent)."""
        if not await self._unsent(1):
            return []
        watermark = await self._safe_watermark(now or datetime.now(UTC))
        docs = await self._unsent(limit)
        if len(docs) == limit:  # more wait for the next step: the watermark must not pass them
            watermark = min(watermark, docs[-1]["seq"])
        self.watermark = max(self.watermark, watermark)
        self.sent = {s for s in self.sent if s > self.watermark} | {d["seq"] for d in docs if d["seq"] > self.watermark}
        # After a message, the client may resume from the watermark, but not past the batch's next message.
        nexts = [d["seq"] - 1 for d in docs[1:]] + [self.watermark] * bool(docs)
        return [(doc, str(min(self.watermark, after))) for doc, after in zip(docs, nexts, strict=True)]

    async def _unsent(self, limit: int) -> list[dict]:
        query: dict = {"org_id": self.org_id, "seq": {"$gt": self.watermark}, "streamed": {"$ne": False}}
        if self.sent:
            query["seq"]["$nin"] = sorted(self.sent)
        return await self.db["notifications"].find(query).sort("seq", 1).limit(limit).to_list()

    async def _safe_watermark(self, now: datetime) -> int:
        watermark = self.watermark
        counter = await self.db["counters"].find_one({"_id": "notifications"})
        reserved = int(counter["seq"]) if counter else 0  # a number above it was not handed out by the counter
        settled = await self.db["notifications"].find(
            {"seq": {"$gt": watermark, "$lte": reserved}, "created_at": {"$lt": now - timedelta(seconds=self.settle)}},
            {"seq": 1}).sort("seq", -1).limit(1).to_list()
        if settled:
            watermark = settled[0]["seq"]
        while True:
            present = await self.db["notifications"].find(
                {"seq": {"$gt": watermark}}, {"seq": 1}).sort("seq", 1).limit(WINDOW).to_list()
            start = watermark
            for doc in present:
                if doc["seq"] != watermark + 1:
                    break
                watermark = doc["seq"]
            if len(present) < WINDOW or watermark - start < WINDOW:
                return watermark


class NotificationBody(BaseModel):
    """A notification as its organisation reads it: the `data` is that organisation's own copy of the event's."""

    id: str = Field(description="A webhook's `webhook-id`")
    type: str
    data: dict
    created_at: datetime

    @classmethod
    def of(cls, doc: dict, **more: object) -> Self:
        return cls(id=doc["_id"], type=doc["type"], data=doc["data"], created_at=doc["created_at"], **more)


class NotificationPublic(NotificationBody):
    """A notification on the stream: an SSE event's `data`, or an item of a poll."""

    cursor: int = Field(description="Resume after this notification: the stream's `Last-Event-ID`, a poll's `after`")

    @classmethod
    def at(cls, doc: dict, cursor: str) -> Self:
        return cls.of(doc, cursor=int(cursor))


def frame(notification: NotificationPublic) -> str:
    return (f"id: {notification.cursor}\nevent: {notification.type}\n"
            f"data: {notification.model_dump_json()}\n\n")


async def sse(db: Database, pulse: Pulse, org_id: str, last_id: int, heartbeat: float,
              settle: float = 10.0, allowed: Callable[[], Awaitable[bool]] | None = None) -> AsyncIterator[str]:
    """The stream: what the cursor finds, each time the organisation's notifications are woken for (`pulse.py`),
    and at least once a heartbeat. It ends when `allowed` (asked before each read) says the caller may no longer
    read it: its API key was revoked."""
    yield "retry: 2000\n\n"
    cursor = Cursor(db, org_id, last_id, settle)
    clock = asyncio.get_running_loop().time
    quiet_since = clock()
    with pulse.streaming():
        while allowed is None or await allowed():
            batch = await cursor.step()
            for doc, after in batch:
                yield frame(NotificationPublic.at(doc, after))
            if batch:
                quiet_since = clock()
                continue
            await pulse.wait(org_id, max(0.0, quiet_since + heartbeat - clock()))
            if clock() - quiet_since >= heartbeat:
                quiet_since = clock()
                yield ": heartbeat\n\n"
