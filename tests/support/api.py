"""Small helpers for talking to a running stack in tests, benches and the demo."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def register_org(client: httpx.AsyncClient, registry: str, name: str, kind: str, **extra: Any) -> dict:
    response = await client.post(f"{registry}/v1/orgs", json={"name": name, "kind": kind, **extra})
    response.raise_for_status()
    return response.json()


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 30.0, every: float = 0.1) -> Any:
    """Polls `check` until it returns something truthy; returns that value or raises after `within` s."""
    deadline = time.monotonic() + within
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(every)
    raise AssertionError(f"condition not met within {within} s (last value: {last!r})")
