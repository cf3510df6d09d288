"""The rest of a batch's notifications is stored in the background (services/notify/tails.py): tails run one at a
time in the order they were started, a consumer that outruns them waits once `most` are pending, and a drain at
shutdown waits for all of them."""

import asyncio

from services.notify.tails import Tails


async def test_tails_run_one_at_a_time_in_the_order_they_were_started() -> None:
    tails, ran, running = Tails(most=5), [], []
    gates = [asyncio.Event() for _ in range(3)]

    def work(n: int):  # noqa: ANN202
        async def write() -> None:
            running.append(n)
            assert len(running) == 1, "two tails never write at once"
            await gates[n].wait()
            ran.append(n)
            running.remove(n)
        return write

    started = [await tails.start(work(n)) for n in range(3)]
    for gate in reversed(gates):  # released last first: the order still holds
        gate.set()
    await asyncio.gather(*started)
    await asyncio.sleep(0)
    assert ran == [0, 1, 2]
    assert tails.pending == 0


async def test_a_consumer_that_outruns_its_tails_waits_once_most_are_pending() -> None:
    tails, gate = Tails(most=2), asyncio.Event()
    await tails.start(gate.wait)
    await tails.start(gate.wait)
    third = asyncio.create_task(tails.start(gate.wait))
    await asyncio.sleep(0.01)
    assert not third.done() and tails.pending == 2, "a third tail waits for the first to end"
    gate.set()
    await (await third)
    await asyncio.sleep(0)  # the tasks' done callbacks
    assert tails.pending == 0


async def test_a_drain_waits_for_every_tail_even_a_failed_one() -> None:
    tails, done = Tails(), []

    async def fails() -> None:
        raise ConnectionError("database gone")

    async def writes() -> None:
        await asyncio.sleep(0.01)
        done.append("written")

    await tails.start(fails)
    await tails.start(writes)
    await tails.drain()
    assert done == ["written"] and tails.pending == 0
