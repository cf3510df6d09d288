"""The rest of a batch's notifications, stored while notify's consumer takes the next batch.

A batch of match events is recorded in groups (`fanout.groups`): first each recipient's first message, sent as
soon as that small insert is stored, then the rest. The consumer used to wait for the rest before it fetched again,
and events that arrived meanwhile waited with it: at 50 postings/s its lane spent p50 32 ms on a batch of about 19
events, the first group stored after 6.6. Now the rest of each batch is a tail: written in the background, one
tail after another in the order the batches came, while the next batch's first group goes ahead of it. The
consumer commits a batch's offsets only once its tail is done (`services.contracts.consumer`), and hands the
batch over again if the tail failed. At most `most` tails are pending: a consumer that outruns them waits.

In eight alternating pairs of 60 s runs of the pipeline bench at 50/s, the hop from a match proposed to its
notification stored had p50 17.3–57.8 ms against 18.3–95.5 before (lower in seven pairs), for about 0.3 ms more of
notify's CPU per need (smaller batches).
"""

import asyncio
from collections.abc import Awaitable, Callable


class Tails:
    def __init__(self, most: int = 2) -> None:
        self.most = most
        self._order = asyncio.Lock()  # FIFO: tails run one at a time, in the order they were started
        self._pending: list[asyncio.Task] = []

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def start(self, work: Callable[[], Awaitable[None]]) -> asyncio.Task:
        """Starts `work` after the tails before it; waits first while `most` tails are pending."""
        while len(self._pending) >= self.most:
            await asyncio.wait(self._pending[:1])

        async def in_turn() -> None:
            async with self._order:
                await work()

        task = asyncio.create_task(in_turn(), name="notification-tail")
        self._pending.append(task)
        task.add_done_callback(self._pending.remove)
        return task

    async def drain(self) -> None:
        """Waits for every pending tail (at shutdown); their failures are the consumer's to handle."""
        await asyncio.gather(*self._pending, return_exceptions=True)
