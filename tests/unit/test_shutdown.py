"""A bounded shutdown step: waited for when it answers, given up (and said so) when it does not."""

import asyncio
import logging

import pytest

from services.contracts.shutdown import within


async def test_a_step_that_answers_is_waited_for() -> None:
    done = []

    async def close() -> None:
        await asyncio.sleep(0.01)
        done.append(True)

    assert await within(1.0, close(), "closing") is True
    assert done == [True]


async def test_a_step_that_never_answers_is_given_up_after_its_time(caplog: pytest.LogCaptureFixture) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    with caplog.at_level(logging.WARNING, logger="duijie.shutdown"):
        assert await within(0.05, asyncio.Event().wait(), "closing the database client") is False
    assert loop.time() - started < 1.0
    assert "closing the database client: no answer within 0.05 s" in caplog.text
