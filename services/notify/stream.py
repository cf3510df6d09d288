"""The live SSE stream per organisation; `Last-Event-ID` (the notification's sequence) resumes it."""

import asyncio
import json
from collections.abc import AsyncIterator

from services.notify.db import Database


class Pulse:
    """Wakes every open stream in this process when a notification is stored."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, timeout: float) -> None:
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            pass


async def sse(db: Database, pulse: Pulse, org_id: str, last_seq: int, heartbeat: float,
              poll: float = 0.5) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    idle = 0.0
    while True:
        docs = await db["notifications"].find({"org_id": org_id, "seq": {"$gt": last_seq}}).sort("seq", 1) \
            .limit(100).to_list()
        for doc in docs:
            last_seq = doc["seq"]
            data = json.dumps({"id": doc["_id"], "type": doc["type"], "data": doc["data"],
                               "created_at": doc["created_at"].isoformat()}, ensure_ascii=False, default=str)
            yield f"id: {last_seq}\nevent: {doc['type']}\ndata: {data}\n\n"
        if docs:
            idle = 0.0
            continue
        await pulse.wait(poll)  # other replicas' notifications arrive by polling
        idle += poll
        if idle >= heartbeat:
            idle = 0.0
            yield ": heartbeat\n\n"
