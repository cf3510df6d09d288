"""A developer watches an organisation's webhooks with `python -m deploy.listen --key …`: it registers itself at
notify, prints each message with its signature checked, and removes its endpoint when stopped."""

import asyncio

import httpx
import pytest

from deploy.listen import listen
from deploy.stack import Stack, free_port
from tests.integration.notify.support import get, match_event, publish, two_orgs
from tests.support.api import eventually

pytestmark = pytest.mark.integration


async def test_the_listener_registers_itself_shows_each_message_verified_and_removes_itself(
        stack: Stack, http: httpx.AsyncClient) -> None:
    firm, university = await two_orgs(http, stack, "本机监听")
    lines: list[str] = []
    stop = asyncio.Event()
    listening = asyncio.create_task(listen(free_port(), stack.url("notify"), firm["api_key"], None, stop,
                                           say=lines.append))
    try:
        await eventually(lambda: asyncio.sleep(0, lines), within=10)
        endpoints = await get(http, stack, firm["api_key"], "/v1/webhooks")
        assert [e["description"] for e in endpoints] == ["python -m deploy.listen"]
        assert lines[0].startswith(f"registered {endpoints[0]['id']} -> {endpoints[0]['url']} (secret whsec_")

        event = match_event(firm["id"], university["id"])
        await publish(stack, event)
        shown = await eventually(lambda: asyncio.sleep(0, [line for line in lines[1:] if "match.proposed" in line]))
        assert " verified " in shown[0] and f"match_id={event.data['match_id']}" in shown[0]
    finally:
        stop.set()
        await asyncio.wait_for(listening, 10)
    assert lines[-1] == f"removed {endpoints[0]['id']}"
    assert await get(http, stack, firm["api_key"], "/v1/webhooks") == []
