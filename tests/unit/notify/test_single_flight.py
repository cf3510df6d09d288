"""A fetch's messages look their organisations' preferences and endpoints up together: one query for every key asked
in the same turn, one for all loads of a key in flight, and a fresh one after a change."""

import asyncio

from services.notify.single_flight import SingleFlight


class Recorder:
    def __init__(self, answers: dict[str, list[str]] | None = None) -> None:
        self.queries: list[list[str]] = []
        self.answers = answers or {}

    async def load_many(self, keys: list[str]) -> dict[str, str]:
        self.queries.append(sorted(keys))
        await asyncio.sleep(0.01)
        return {k: self.answers[k].pop(0) if k in self.answers else k.upper() for k in keys}


async def test_loads_asked_together_share_one_query_and_later_loads_ask_again() -> None:
    recorder = Recorder()
    flights = SingleFlight(recorder.load_many)
    assert await asyncio.gather(*(flights.load("org_a") for _ in range(20)), flights.load("org_b")) == \
        ["ORG_A"] * 20 + ["ORG_B"]
    assert recorder.queries == [["org_a", "org_b"]]
    assert await flights.load("org_a") == "ORG_A" and recorder.queries[-1] == ["org_a"]


async def test_a_load_asked_while_a_query_runs_joins_it_for_its_key_and_starts_another_for_a_new_key() -> None:
    recorder = Recorder()
    flights = SingleFlight(recorder.load_many)
    first = asyncio.ensure_future(flights.load("org_a"))
    await asyncio.sleep(0.001)  # the query for org_a is running
    assert await asyncio.gather(flights.load("org_a"), flights.load("org_c"), first) == ["ORG_A", "ORG_C", "ORG_A"]
    assert recorder.queries == [["org_a"], ["org_c"]]


async def test_a_change_made_during_a_query_is_not_joined_by_the_next_load() -> None:
    recorder = Recorder({"org": ["before", "after"]})
    flights = SingleFlight(recorder.load_many)
    first = asyncio.ensure_future(flights.load("org"))
    await asyncio.sleep(0.001)
    flights.forget("org")
    assert await flights.load("org") == "after"
    assert await first == "before"


async def test_a_failed_query_fails_every_load_waiting_for_it_and_the_next_load_asks_again() -> None:
    calls = []

    async def load_many(keys: list[str]) -> dict[str, str]:
        calls.append(keys)
        if len(calls) == 1:
            raise ConnectionError("database down")
        return {k: "ok" for k in keys}

    flights = SingleFlight(load_many)
    results = await asyncio.gather(flights.load("a"), flights.load("b"), return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    assert await flights.load("a") == "ok"
    assert calls == [["a", "b"], ["a"]]


async def test_answers_are_kept_for_a_while_and_a_change_drops_them() -> None:
    recorder = Recorder({"org": ["first", "second", "third"]})
    flights = SingleFlight(recorder.load_many, keep_seconds=60)
    assert await flights.load("org") == "first"
    assert await flights.load("org") == "first" and len(recorder.queries) == 1  # kept
    flights.forget("org")
    assert await flights.load("org") == "second" and len(recorder.queries) == 2


async def test_an_answer_to_a_query_started_before_a_change_is_not_kept() -> None:
    recorder = Recorder({"org": ["before", "after"]})
    flights = SingleFlight(recorder.load_many, keep_seconds=60)
    first = asyncio.ensure_future(flights.load("org"))
    await asyncio.sleep(0.001)
    flights.forget("org")
    assert await first == "before"
    assert await flights.load("org") == "after"


async def test_forgetting_everything_drops_every_kept_answer_and_every_query_in_flight() -> None:
    recorder = Recorder({"org_a": ["a1", "a2"], "org_b": ["b1", "b2", "b3"]})
    flights = SingleFlight(recorder.load_many, keep_seconds=60)
    assert await asyncio.gather(flights.load("org_a"), flights.load("org_b")) == ["a1", "b1"]
    flights.forget("org_b")
    in_flight = asyncio.ensure_future(flights.load("org_b"))
    await asyncio.sleep(0.001)  # its query is running
    flights.forget_all()
    assert await asyncio.gather(flights.load("org_a"), flights.load("org_b")) == ["a2", "b3"]
    assert await in_flight == "b2"
