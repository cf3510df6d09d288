"""The outbox loses nothing: with the broker down, 200 changes are all answered 2xx; once a broker is back
(Tansu keeps its log in memory, so the new one starts empty), every event arrives, in order per aggregate."""

import json
import time
from collections import defaultdict

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from deploy.stack import Stack, ports_from_env
from tests.support.api import bearer, eventually, register_org

pytestmark = pytest.mark.integration

NEEDS, EDITS = 20, 9  # 20 needs posted + 20 × 9 edits = 200 changes


async def backlog(http: httpx.AsyncClient, registry: str) -> int | None:
    return (await http.get(f"{registry}/readyz")).json().get("outbox_backlog")


async def consume_all(bootstrap: str, topic: str, want: set[str], within: float) -> list[dict]:
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    events: list[dict] = []
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and not want <= {e["id"] for e in events}:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                events += [json.loads(r.value) for r in records]
    finally:
        await consumer.stop()
    return events


async def test_nothing_is_lost_while_the_broker_is_down(tmp_path) -> None:
    # The topics are left to the broker, which creates each when a client first names it. Had they been created up
    # front, the registry's producer would know the first broker's partitions of the needs topic, and the restarted
    # (empty) embedded broker accepts records sent to a topic it has never listed but no consumer ever gets them
    # (Tansu 0.6.0; Kafka keeps its topics across a restart). Named first after the restart, the topic is whole.
    stack = Stack(var=tmp_path / "var", ports=ports_from_env(use_free_ports=True), services=("registry",),
                  topic_partitions=None)
    await stack.start()
    try:
        registry = stack.url("registry")
        async with httpx.AsyncClient(timeout=30.0) as http:
            firm = await register_org(http, registry, "断网测试企业", "firm")
            me = bearer(firm["api_key"])
            await eventually(lambda: _drained(http, registry), within=30)

            stack.stop_child("broker")
            statuses, need_ids = [], []
            for i in range(NEEDS):
                r = await http.post(f"{registry}/v1/needs", headers=me, json={"title": f"断网期间的需求 {i}"})
                statuses.append(r.status_code)
                need_ids.append(r.json()["id"])
            for round_ in range(EDITS):
                for need_id in need_ids:
                    r = await http.patch(f"{registry}/v1/needs/{need_id}", json={"budget_max": 1000 * (round_ + 1)},
                                         headers={**me, "If-Match": f'"{round_ + 1}"'})
                    statuses.append(r.status_code)
            assert len(statuses) == 200 and all(200 <= s < 300 for s in statuses), statuses
            assert await backlog(http, registry) >= 200, "nothing could be published while the broker was down"

            await stack.restart("broker")
            await eventually(lambda: _drained(http, registry), within=120, every=0.5)

        expected = {need_id: list(range(1, EDITS + 2)) for need_id in need_ids}
        events = await consume_all(stack.bootstrap, "registry.needs.v1", _ids_wanted(stack, need_ids), within=60)
        seen: dict[str, list[int]] = defaultdict(list)
        first_time: set[str] = set()
        for event in events:
            if event["id"] in first_time:
                continue  # at least once: a record published twice counts once
            first_time.add(event["id"])
            seen[event["subject"]].append(event["data"]["version"])
        assert {k: seen[k] for k in need_ids} == expected, "every event, in version order per need"
    finally:
        stack.stop()


async def _drained(http: httpx.AsyncClient, registry: str) -> bool:
    return await backlog(http, registry) == 0


def _ids_wanted(stack: Stack, need_ids: list[str]) -> set[str]:
    """Event ids the outbox recorded for these needs: what the consumer must see."""
    from pymongo import MongoClient

    with MongoClient(stack.mongo_url) as client:
        ids = {row["event_id"] for collection in ("outbox", "outbox_sent")  # still to send, and sent
               for row in client["duijie_registry"][collection].find({"key": {"$in": need_ids}},
                                                                    projection={"event_id": 1})}
    assert len(ids) == NEEDS * (EDITS + 1)
    return ids


