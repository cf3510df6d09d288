"""A browser's EventSource cannot send the API key: it opens the stream with a ticket in the URL instead, which opens
that organisation's stream and nothing else, until it expires or is revoked."""

import asyncio

import httpx
import pytest
from pymongo import AsyncMongoClient

from deploy.stack import Stack
from services.notify.notifications import notification_id
from tests.integration.notify.support import match_event, publish, read_sse, two_orgs
from tests.support.api import bearer

pytestmark = pytest.mark.integration


async def ticket_for(http: httpx.AsyncClient, stack: Stack, key: str, **body: float) -> dict:
    response = await http.post(f"{stack.url('notify')}/v1/stream/tickets", headers=bearer(key), json=body or None)
    assert response.status_code == 201, response.text
    return response.json()


async def opened(http: httpx.AsyncClient, stack: Stack, ticket: str) -> int:
    async with http.stream("GET", f"{stack.url('notify')}/v1/stream", params={"ticket": ticket}) as response:
        return response.status_code


async def test_a_ticket_opens_its_organisations_stream_without_the_api_key(
        stack: Stack, http: httpx.AsyncClient) -> None:
    firm, university = await two_orgs(http, stack, "流票据")
    issued = await ticket_for(http, stack, firm["api_key"])
    assert issued["ticket"].startswith("stk_") and issued["stream_url"] == f"/v1/stream?ticket={issued['ticket']}"
    event = match_event(firm["id"], university["id"])
    await publish(stack, event)

    events = await read_sse(http, stack, "", until="match.proposed", ticket=issued["ticket"])
    assert [e["data"]["id"] for e in events if e["event"] == "match.proposed"] == \
        [notification_id(event.id, firm["id"])], "the firm's own notification, and only the firm's"
    assert await opened(http, stack, issued["ticket"]) == 200, "it opens the stream again (a reconnection)"
    client: AsyncMongoClient = AsyncMongoClient(stack.database_url("notify-database"))
    try:
        assert await client["duijie_notify"]["stream_tickets"].find_one({"_id": issued["ticket"]}) is None, \
            "only its hash is stored"
    finally:
        await client.close()


async def test_a_ticket_expires_and_can_be_revoked_and_a_made_up_one_opens_nothing(
        stack: Stack, http: httpx.AsyncClient) -> None:
    firm, _ = await two_orgs(http, stack, "票据失效")
    assert await opened(http, stack, "stk_made_up") == 401
    assert await opened(http, stack, "") == 401, "neither a ticket nor a key"
    brief = await ticket_for(http, stack, firm["api_key"], lifetime_seconds=1)
    await asyncio.sleep(1.5)
    assert await opened(http, stack, brief["ticket"]) == 401, "expired"

    kept = await ticket_for(http, stack, firm["api_key"])
    assert await opened(http, stack, kept["ticket"]) == 200
    revoked = await http.delete(f"{stack.url('notify')}/v1/stream/tickets", headers=bearer(firm["api_key"]))
    assert revoked.status_code == 204
    assert await opened(http, stack, kept["ticket"]) == 401, "revoked"
    too_long = await http.post(f"{stack.url('notify')}/v1/stream/tickets", headers=bearer(firm["api_key"]),
                               json={"lifetime_seconds": 30 * 86400})
    assert too_long.status_code == 422
