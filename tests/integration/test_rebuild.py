"""Losing the broker's log loses no catalogue: matching rebuilds its index from the registry's snapshot."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from deploy.stack import Stack, ports_from_env
from tests.support.api import bearer, eventually, register_org

pytestmark = pytest.mark.integration


@pytest.fixture
async def own_stack(tmp_path: Path) -> AsyncIterator[Stack]:
    stack = Stack(var=tmp_path, ports=ports_from_env(use_free_ports=True))
    await stack.start()
    try:
        yield stack
    finally:
        stack.stop()


async def test_after_the_broker_loses_its_log_matching_still_knows_the_catalogue(
        own_stack: Stack, http: httpx.AsyncClient) -> None:
    registry, matching = own_stack.url("registry"), own_stack.url("matching")
    university = await register_org(http, registry, "湖南农业大学", "university")
    firm = await register_org(http, registry, "隆平现代产业园示范种业有限公司", "firm")
    posted = await http.post(f"{registry}/v1/results", headers=bearer(university["api_key"]), json={
        "title": "水稻种子活力快速检测与包衣技术",
        "abstract": "基于电导率与图像识别的水稻种子活力快速检测方法，配套种子包衣配方",
        "keywords": ["种子活力", "种子包衣", "检测"]})
    assert posted.status_code == 201

    async def indexed() -> bool:
        return (await http.get(f"{matching}/readyz")).json().get("indexed", 0) >= 1

    await eventually(indexed, within=30)

    # What `make run` does after a broker loss: the supervisor stops the stack; started again, the
    # memory-only broker comes back empty while the database in var/ keeps the catalogue.
    for name in ("notify", "matching", "registry"):
        own_stack.stop_child(name)
    await own_stack.restart("broker")
    for name in ("registry", "matching", "notify"):
        await own_stack.restart(name)
    ready = (await http.get(f"{matching}/readyz")).json()
    assert ready["rebuilt"] >= 3, "two organisations and one result came back from the snapshot"
    assert ready["indexed"] >= 1

    need = await http.post(f"{registry}/v1/needs", headers=bearer(firm["api_key"]), json={
        "title": "种子活力检测技术", "keywords": ["种子活力", "检测"]})
    assert need.status_code == 201

    async def matched() -> list[dict]:
        return (await http.get(f"{registry}/v1/matches", headers=bearer(firm["api_key"]))).json()["items"]

    matches = await eventually(matched, within=60)
    assert matches[0]["counterpart_id"] == posted.json()["id"]
