"""Notification numbers: reserved ahead while notifications keep coming, exactly when they come now and then."""

import asyncio

from services.notify.numbering import Numbers


class Counter:
    """The database's counter: reserves `count` numbers and answers the last; counts round trips."""

    def __init__(self) -> None:
        self.seq, self.trips = 0, []

    async def next_seq(self, name: str, count: int = 1) -> int:
        self.trips.append(count)
        self.seq += count
        return self.seq


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def numbers(spare: int = 512, lifetime: float = 5.0) -> tuple[Numbers, Counter, Clock]:
    counter, clock = Counter(), Clock()
    return Numbers(counter, "notifications", spare=spare, lifetime=lifetime, clock=clock), counter, clock  # type: ignore[arg-type]


def test_a_first_batch_reserves_exactly_its_numbers() -> None:
    taker, counter, _ = numbers()

    assert asyncio.run(taker.take(3)) == [1, 2, 3]
    assert counter.trips == [3]


def test_while_batches_keep_coming_their_numbers_come_without_a_round_trip() -> None:
    taker, counter, clock = numbers()

    async def scenario() -> list[list[int]]:
        taken = [await taker.take(10)]
        for _ in range(20):
            clock.now += 0.05  # 10 numbers every 50 ms: 200 a second
            taken.append(await taker.take(10))
        return taken

    taken = asyncio.run(scenario())

    # the second reservation ran out after 50 ms: ahead at that pace for 2.5 s, at most the spare
    assert counter.trips == [10, 10 + 500]
    flat = [n for batch in taken for n in batch]
    assert flat == list(range(1, 211)), "increasing, none repeated, none skipped"


def test_what_is_held_goes_first_when_a_batch_needs_more() -> None:
    taker, counter, clock = numbers(spare=8)

    async def scenario() -> list[list[int]]:
        first = await taker.take(2)
        clock.now += 0.01
        second = await taker.take(2)  # reserves 2 and 8 ahead: 5..12 held
        clock.now += 0.01
        third = await taker.take(10)  # the 8 held, then 2 of a new reservation
        return [first, second, third]

    assert asyncio.run(scenario()) == [[1, 2], [3, 4], [5, 6, 7, 8, 9, 10, 11, 12, 13, 14]]
    assert counter.trips == [2, 10, 10]


def test_after_a_quiet_moment_held_numbers_are_dropped_and_a_reservation_is_exact_again() -> None:
    taker, counter, clock = numbers(spare=100, lifetime=5.0)

    async def scenario() -> list[int]:
        await taker.take(4)
        clock.now += 0.1
        await taker.take(4)  # 4 and 100 ahead
        clock.now += 5.0
        return await taker.take(3)

    assert asyncio.run(scenario()) == [109, 110, 111], "the 100 held were never handed out; used so late, they " \
        "could be below numbers the stream and the sweep have already passed"
    assert counter.trips == [4, 104, 3]


def test_concurrent_batches_never_share_a_number() -> None:
    taker, _, clock = numbers(spare=16)

    async def scenario() -> list[list[int]]:
        taken = []
        for _ in range(5):
            clock.now += 0.01
            taken += await asyncio.gather(*(taker.take(n) for n in (3, 7, 1, 9)))
        return taken

    flat = [n for batch in asyncio.run(scenario()) for n in batch]
    assert len(flat) == len(set(flat)) == 100
