"""Exactly-once effect: two notify replicas in one consumer group both receive every event, and receivers fail first
attempts (both replicas' dispatchers compete for the retries): each notification is still sent once to each endpoint.

In a consumer group each partition has one owner, so an envelope published again with the same key lands where it
did before, on the same replica. Every topic notify reads has the same handler, and the group's members share their
partitions out, so the same envelope published on every partition of each of them reaches both replicas: a
redelivery across replicas, at once, as when a partition moves while its last batch is uncommitted."""

import asyncio
from collections import Counter

import httpx
import pytest

from deploy.readiness import http_ready, wait_until
from deploy.receiver import Receiver
from deploy.stack import Child, Stack, free_port
from services.notify.notifications import notification_id
from tests.integration.notify.support import (
    add_webhook,
    get,
    match_event,
    partitions_fetched,
    publish_everywhere,
    two_orgs,
)
from tests.support.api import eventually
from tests.support.kafka import committed

pytestmark = pytest.mark.integration


async def test_two_replicas_that_both_receive_every_event_send_each_notification_once(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    twin_port = free_port()
    twin_url = f"http://127.0.0.1:{twin_port}"
    argv = stack._service_argv("notify")
    argv[argv.index("--port") + 1] = str(twin_port)
    twin = Child("notify-twin", argv, stack.var / "log" / "notify-twin.log", stack.service_env("notify", stack.env()))
    twin.start()
    receiver = await Receiver(port, responses=[500] * 4).start()
    try:
        await wait_until(lambda: http_ready(f"{twin_url}/readyz"), 60, "notify-twin", twin.alive)
        firm, university = await two_orgs(http, stack, "双副本")
        await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/hooks")
        events = [match_event(firm["id"], university["id"]) for _ in range(6)]
        landed: dict[tuple[str, int], int] = {}

        async def twin_took_a_copy() -> set[tuple[str, int]]:
            # The twin may still be joining the group: the first event goes out again until it has taken a copy.
            landed.update(await publish_everywhere(stack, events[0]))
            for _ in range(10):
                if fetched := await partitions_fetched(http, twin_url):
                    return fetched
                await asyncio.sleep(0.1)
            return set()
        await eventually(twin_took_a_copy, within=40, every=0)
        for event in events[1:]:
            landed.update(await publish_everywhere(stack, event))

        await receiver.wait_for(len(events) + 4, within=40)
        await receiver.wait_for(len(events) + 5, within=2.0)  # duplicates would arrive by now
        per_id = Counter(r.headers["webhook-id"] for r in receiver.received)
        assert set(per_id) == {notification_id(e.id, firm["id"]) for e in events}
        assert sum(per_id.values()) == len(events) + 4, "one request per 500 answered, plus one success each"

        async def succeeded() -> list[dict]:
            records = await get(http, stack, firm["api_key"], "/v1/deliveries", status="succeeded")
            return records if len(records) >= len(events) else []
        records = await eventually(succeeded, within=10)
        assert Counter(r["notification_id"] for r in records) == Counter(set(per_id))

        # Both replicas took part: the twin fetched copies from some partitions, and the copies on the others were
        # consumed (committed past) by the group's other members, the first replica's.
        by_twin = await partitions_fetched(http, twin_url) & set(landed)
        by_first = set(landed) - by_twin
        assert by_twin and by_first, f"copies reached both replicas: the twin's {by_twin}, the first's {by_first}"

        async def all_consumed() -> bool:
            offsets = await committed(stack.bootstrap, "notify", list(landed))
            return all(offsets[where] > offset for where, offset in landed.items())
        await eventually(all_consumed, within=10, every=0.5)
    finally:
        await receiver.stop()
        twin.stop()
