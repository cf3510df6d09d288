"""Open streams wait by organisation: a notification wakes its organisation's streams, all of them, and no
other's."""

import asyncio

from services.notify.pulse import Pulse


async def test_a_notification_wakes_every_stream_of_its_organisation_and_no_other() -> None:
    pulse = Pulse()
    loop = asyncio.get_running_loop()
    started = loop.time()
    firm = [asyncio.create_task(pulse.wait("firm", 5.0)) for _ in range(2)]
    other = asyncio.create_task(pulse.wait("university", 0.3))
    await asyncio.sleep(0.05)
    pulse.fire(["firm", "nobody"])
    await asyncio.gather(*firm)
    assert loop.time() - started < 1.0, "woken at once, not after their 5 s"
    await other
    assert loop.time() - started >= 0.3, "the university's stream waited its whole timeout"


async def test_a_stream_that_times_out_leaves_the_others_of_its_organisation_waiting_to_be_woken() -> None:
    pulse = Pulse()
    short = asyncio.create_task(pulse.wait("firm", 0.05))
    long = asyncio.create_task(pulse.wait("firm", 5.0))
    await short
    pulse.fire(["firm"])
    await asyncio.wait_for(long, 0.5)
    assert not pulse._events and not pulse._waiters, "nothing kept for organisations nobody waits for"


def test_the_open_streams_are_counted_while_they_last() -> None:
    pulse = Pulse()
    with pulse.streaming():
        with pulse.streaming():
            assert pulse.open_streams == 2
        assert pulse.open_streams == 1
    assert pulse.open_streams == 0
