"""Concurrent loads of the same key share one query (a batch of messages for one organisation asks once)."""

import asyncio
from collections.abc import Awaitable, Callable


class SingleFlight[T]:
    def __init__(self, load: Callable[[str], Awaitable[T]]) -> None:
        self._load = load
        self._inflight: dict[str, asyncio.Future[T]] = {}

    async def load(self, key: str) -> T:
        flight = self._inflight.get(key)
        if flight is None:
            flight = asyncio.ensure_future(self._load(key))
            self._inflight[key] = flight

            def landed(done: asyncio.Future[T]) -> None:
                if self._inflight.get(key) is done:
                    del self._inflight[key]

            flight.add_done_callback(landed)
        return await asyncio.shield(flight)

    def forget(self, key: str) -> None:
        """A change was made: the next load asks again rather than joining one that started before it."""
        self._inflight.pop(key, None)
