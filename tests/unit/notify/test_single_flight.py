"""A batch of messages for one organisation looks its preferences and endpoints up once, not once per message."""

import asyncio

from services.notify.single_flight import SingleFlight


async def test_concurrent_loads_of_one_key_share_a_single_query_and_later_loads_ask_again() -> None:
    asked: list[str] = []

    async def load(key: str) -> str:
        asked.append(key)
        await asyncio.sleep(0.01)
        return key.upper()

    flights = SingleFlight(load)
    assert await asyncio.gather(*(flights.load("org_a") for _ in range(20)), flights.load("org_b")) == \
        ["ORG_A"] * 20 + ["ORG_B"]
    assert sorted(asked) == ["org_a", "org_b"]
    assert await flights.load("org_a") == "ORG_A" and asked.count("org_a") == 2


async def test_a_change_made_during_a_load_is_not_joined_by_the_next_load() -> None:
    answers = iter(["before", "after"])

    async def load(key: str) -> str:
        answer = next(answers)
        await asyncio.sleep(0.01)
        return answer

    flights = SingleFlight(load)
    first = asyncio.ensure_future(flights.load("org"))
    await asyncio.sleep(0)
    flights.forget("org")
    assert await flights.load("org") == "after"
    assert await first == "before"
