"""Concurrent loads share queries: loads of one key share one, and loads of different keys asked in the same turn of
the event loop are answered by one query for all of them (a fetch's messages for twenty organisations look their
preferences up in one round trip, not twenty). Answers are kept for `keep_seconds`; `forget` drops a key's."""

import asyncio
import time
from collections.abc import Awaitable, Callable


class SingleFlight[T]:
    def __init__(self, load_many: Callable[[list[str]], Awaitable[dict[str, T]]], keep_seconds: float = 0.0) -> None:
        self._load_many, self.keep_seconds = load_many, keep_seconds
        self._kept: dict[str, tuple[float, T]] = {}  # key → (until when, answer)
        self._inflight: dict[str, asyncio.Future[T]] = {}  # asked, not answered yet
        self._pending: dict[str, asyncio.Future[T]] = {}  # asked this turn, not queried yet
        self._queries: set[asyncio.Task[None]] = set()

    async def load(self, key: str) -> T:
        kept = self._kept.get(key)
        if kept is not None and kept[0] > time.monotonic():
            return kept[1]
        flight = self._inflight.get(key)
        if flight is None:
            loop = asyncio.get_running_loop()
            flight = self._inflight[key] = loop.create_future()
            if not self._pending:
                loop.call_soon(self._query)  # after every load asked in this turn
            self._pending[key] = flight
        return await asyncio.shield(flight)

    def _query(self) -> None:
        asked, self._pending = self._pending, {}
        query = asyncio.ensure_future(self._answer(asked))
        self._queries.add(query)
        query.add_done_callback(self._queries.discard)

    async def _answer(self, asked: dict[str, asyncio.Future[T]]) -> None:
        try:
            answers = await self._load_many(list(asked))
            until = time.monotonic() + self.keep_seconds
            for key, flight in asked.items():
                if self._inflight.get(key) is flight:  # not forgotten meanwhile: the answer is current
                    self._kept[key] = (until, answers[key])
                flight.set_result(answers[key])
        except Exception as error:  # noqa: BLE001 - every waiting load gets the failure
            for flight in asked.values():
                if not flight.done():
                    flight.set_exception(error)
        finally:
            for key, flight in asked.items():
                if self._inflight.get(key) is flight:
                    del self._inflight[key]

    def forget_all(self) -> None:
        """Every kept answer is dropped, as `forget` drops one."""
        for key in [*self._kept, *self._inflight]:
            self.forget(key)

    def forget(self, key: str) -> None:
        """A change was made: its kept answer is dropped, and the next load asks again rather than joining a query
        that started before it (one not started yet will see the change)."""
        self._kept.pop(key, None)
        if key in self._inflight and key not in self._pending:
            del self._inflight[key]
