"""A stream opened with an API key ends once the key is revoked: notify asks the registry about the key again when
its answer expires (`DUIJIE_AUTH_CACHE_SECONDS`), also for a stream that is open."""

import asyncio

import httpx
import pytest

from deploy.stack import Stack
from services.notify.settings import Settings
from tests.integration.notify.support import two_orgs
from tests.support.api import bearer

pytestmark = pytest.mark.integration


async def watch(http: httpx.AsyncClient, stack: Stack, key: str) -> None:
    async with http.stream("GET", f"{stack.url('notify')}/v1/stream", headers=bearer(key)) as response:
        assert response.status_code == 200
        async for _ in response.aiter_lines():
            pass


async def test_a_stream_opened_with_a_key_ends_once_the_key_is_revoked(stack: Stack, http: httpx.AsyncClient) -> None:
    firm, _ = await two_orgs(http, stack, "撤销密钥流")
    keys_url = f"{stack.url('registry')}/v1/orgs/{firm['id']}/keys"
    issued = await http.post(keys_url, headers=bearer(firm["api_key"]), json={"label": "大屏看板"})
    assert issued.status_code == 201, issued.text
    key = issued.json()
    revoked_stream = asyncio.create_task(watch(http, stack, key["key"]))
    kept_stream = asyncio.create_task(watch(http, stack, firm["api_key"]))
    try:
        await asyncio.sleep(1.0)
        assert not revoked_stream.done() and not kept_stream.done()
        assert (await http.delete(f"{keys_url}/{key['id']}", headers=bearer(firm["api_key"]))).status_code == 200
        await asyncio.wait_for(revoked_stream, Settings().auth_cache_seconds + 10)  # the window, and a heartbeat
        assert not kept_stream.done(), "the organisation's other key still streams"
    finally:
        for task in (revoked_stream, kept_stream):
            task.cancel()
        await asyncio.gather(revoked_stream, kept_stream, return_exceptions=True)
