"""The supervisor's broker probe: a broker still starting is not ready, and that is not an error to show anyone."""

import asyncio
import logging

import pytest

from deploy.readiness import accepts, first_server, kafka_ready
from deploy.stack import free_port


async def test_a_broker_not_listening_yet_is_not_ready_and_nothing_is_logged_as_an_error(
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assert await kafka_ready(f"127.0.0.1:{free_port()}") is False
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_port_counts_as_listening_once_something_accepts_there() -> None:
    port = free_port()
    assert await accepts("127.0.0.1", port) is False
    server = await asyncio.start_server(lambda _r, w: w.close(), "127.0.0.1", port)
    async with server:
        assert await accepts("127.0.0.1", port) is True


def test_the_probe_tries_the_first_server_of_a_bootstrap_list() -> None:
    assert first_server("127.0.0.1:9092,10.0.0.2:9093") == ("127.0.0.1", 9092)
    assert first_server(" kafka:29092") == ("kafka", 29092)
    assert first_server("[::1]:9092") == ("::1", 9092)
