"""A malformed event goes to the consumer's `.dlq` topic with the reason, and the consumer carries on."""

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from deploy.receiver import Receiver
from deploy.stack import Stack, free_port
from services.contracts import topics
from services.contracts.envelope import new_event
from services.contracts.events import MatchData
from services.contracts.wire import encode
from tests.support.api import bearer, eventually, register_org
from tests.support.kafka import publish_raw, read_topic

pytestmark = pytest.mark.integration


async def test_garbage_on_a_catalogue_topic_is_dead_lettered_and_matching_carries_on(
        stack: Stack, http: httpx.AsyncClient) -> None:
    await publish_raw(stack.bootstrap, topics.NEEDS, b"{not json", key=b"garbage-1")
    wrong_schema = new_event("need.posted", "need_bad", {"id": "need_bad", "org_id": "o", "version": 1,
                                                          "status": "open", "title": "x"}, source="/test")
    raw = json.loads(encode(wrong_schema))
    raw["data"]["version"] = "zero"
    await publish_raw(stack.bootstrap, topics.NEEDS, json.dumps(raw).encode(), key=b"need_bad")

    dead = await read_topic(stack.bootstrap, topics.dlq(topics.NEEDS), want=2, within=30)
    reasons = {r.key: dict(r.headers)["dlq_reason"].decode() for r in dead}
    assert reasons[b"garbage-1"].startswith("invalid event")
    assert "version" in reasons[b"need_bad"]

    registry = stack.url("registry")
    firm = await register_org(http, registry, "长沙智能农机有限公司", "firm")
    institute = await register_org(http, registry, "湖南省农业科学院", "institute")
    await http.post(f"{registry}/v1/results", headers=bearer(institute["api_key"]), json={
        "title": "丘陵山区智能插秧机关键技术", "abstract": "面向丘陵山区小田块的轻简化智能插秧机设计与北斗导航控制",
        "keywords": ["插秧机", "北斗导航", "丘陵山区"]})
    await http.post(f"{registry}/v1/needs", headers=bearer(firm["api_key"]), json={
        "title": "丘陵山区插秧机导航技术", "keywords": ["插秧机", "北斗导航"]})

    async def matched() -> list:
        return (await http.get(f"{registry}/v1/matches", headers=bearer(firm["api_key"]))).json()["items"]

    assert await eventually(matched, within=30), "matching still processes events after the poison records"


async def test_a_poison_record_among_match_events_is_dead_lettered_and_the_rest_of_the_batch_lands(
        stack: Stack, http: httpx.AsyncClient) -> None:
    """Registry and notify take match events in batches: the garbage record goes to the `.dlq` (once per
    consuming service) and the valid proposal sent with it is stored and notified all the same."""
    registry = stack.url("registry")
    firm = await register_org(http, registry, "株洲轨道传感器有限公司", "firm")
    institute = await register_org(http, registry, "中南大学交通学院", "university")
    match = MatchData(match_id="m_batch_1", need_id="need_batch_1", counterpart_id="res_batch_1",
                      counterpart_kind="result", need_org_id=firm["id"], counterpart_org_id=institute["id"],
                      score=0.8, proposed_at=datetime.now(UTC))
    valid = encode(new_event("match.proposed", match.match_id, match, source="/test"))
    receiver = await Receiver(free_port()).start()
    hook = await http.post(f"{stack.url('notify')}/v1/webhooks", headers=bearer(firm["api_key"]),
                           json={"url": f"{receiver.url}/hooks", "event_types": ["match.proposed"]})
    assert hook.status_code == 201, hook.text
    producer = AIOKafkaProducer(bootstrap_servers=stack.bootstrap, enable_idempotence=False, linger_ms=50)
    await producer.start()
    try:
        sent = [await producer.send(topics.MATCHES, value, key=key)
                for key, value in ((b"m_garbage", b"\x00 not an event"), (b"m_batch_1", valid))]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()

    dead = await read_topic(stack.bootstrap, topics.dlq(topics.MATCHES), want=2, within=30)
    assert sorted(r.key for r in dead) == [b"m_garbage", b"m_garbage"]
    assert all(dict(r.headers)["dlq_reason"].startswith(b"invalid event") for r in dead)

    async def stored() -> list:
        items = (await http.get(f"{registry}/v1/matches", headers=bearer(firm["api_key"]))).json()["items"]
        return [m for m in items if m["id"] == "m_batch_1"]

    assert await eventually(stored, within=30), "the valid proposal of the same batch is stored"

    async def notified() -> list:
        return [m for m in receiver.received if m.json()["data"].get("match_id") == "m_batch_1"]

    try:
        assert await eventually(notified, within=30), "and notified"
    finally:
        await receiver.stop()
