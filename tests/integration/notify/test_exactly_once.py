"""Exactly-once effect: two notify replicas in one consumer group, the same event published again (a forced
redelivery) and receivers failing first attempts (both replicas' dispatchers compete for the retries) still
send each notification once to each endpoint."""

import asyncio
from collections import Counter

import httpx
import pytest

from deploy.readiness import http_ready, wait_until
from deploy.receiver import Receiver
from deploy.stack import Child, Stack, free_port
from services.notify.notifications import notification_id
from tests.integration.notify.support import add_webhook, get, match_event, publish, two_orgs
from tests.support.api import eventually

pytestmark = pytest.mark.integration


async def test_two_replicas_and_a_redelivery_send_each_notification_once(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    twin_port = free_port()
    argv = stack._service_argv("notify")
    argv[argv.index("--port") + 1] = str(twin_port)
    twin = Child("notify-twin", argv, stack.var / "log" / "notify-twin.log", stack.service_env("notify", stack.env()))
    twin.start()
    receiver = await Receiver(port, responses=[500] * 4).start()
    try:
        await wait_until(lambda: http_ready(f"http://127.0.0.1:{twin_port}/readyz"), 60, "notify-twin", twin.alive)
        firm, university = await two_orgs(http, stack, "双副本")
        await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/hooks")
        events = [match_event(firm["id"], university["id"]) for _ in range(6)]
        for event in events:
            await publish(stack, event)
        await asyncio.sleep(0.5)
        for event in events:  # the same envelopes again: a redelivery
            await publish(stack, event)

        await receiver.wait_for(len(events) + 4, within=40)
        await asyncio.sleep(2.0)  # duplicates would arrive by now
        per_id = Counter(r.headers["webhook-id"] for r in receiver.received)
        assert set(per_id) == {notification_id(e.id, firm["id"]) for e in events}
        assert sum(per_id.values()) == len(events) + 4, "one request per 500 answered, plus one success each"

        async def succeeded() -> list[dict]:
            records = await get(http, stack, firm["api_key"], "/v1/deliveries", status="succeeded")
            return records if len(records) >= len(events) else []
        records = await eventually(succeeded, within=10)
        assert Counter(r["notification_id"] for r in records) == Counter(set(per_id))
    finally:
        await receiver.stop()
        twin.stop()
