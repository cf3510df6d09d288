"""Readiness probes the supervisor waits on: Kafka metadata, a Mongo ping, an HTTP /readyz."""

import asyncio
import time
from collections.abc import Awaitable, Callable

import httpx
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient


async def accepts(host: str, port: int) -> bool:
    """Whether something listens there yet: a plain connect, which logs nothing when refused."""
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), 2.0)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


def first_server(bootstrap: str) -> tuple[str, int]:
    """The host and port of a bootstrap list's first server (`host:port`, `[v6]:port`)."""
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    return host.strip("[]"), int(port)


async def kafka_ready(bootstrap: str) -> bool:
    """The broker answers metadata. The first server's port is tried first: aiokafka logs an error for a refused
    connection, which a broker still starting is not."""
    if not await accepts(*first_server(bootstrap)):
        return False
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=False, request_timeout_ms=2000)
    try:
        await producer.start()
        await producer.client.fetch_all_metadata()
        return True
    except Exception:
        return False
    finally:
        await producer.stop()


async def mongo_ready(url: str) -> bool:
    client: AsyncMongoClient = AsyncMongoClient(url, serverSelectionTimeoutMS=1000)
    try:
        await client.admin.command("ping")
        return True
    except Exception:
        return False
    finally:
        await client.close()


async def http_ready(url: str) -> bool:
    try:
        async with httpx.AsyncClient(timeout=2.0) as client:
            return (await client.get(url)).status_code == 200
    except httpx.HTTPError:
        return False


async def wait_until(
    probe: Callable[[], Awaitable[bool]], within: float, what: str, alive: Callable[[], bool] = lambda: True
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"{what} exited before it became ready")
        if await probe():
            return
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{what} was not ready within {within:.0f} s")
