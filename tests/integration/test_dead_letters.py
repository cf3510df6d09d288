"""A malformed event goes to the consumer's `.dlq` topic with the reason, and the consumer carries on."""

import json

import httpx
import pytest

from deploy.stack import Stack
from services.contracts import topics
from services.contracts.envelope import new_event
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
