"""One posting travelling from the registry through matching to a signed webhook and the SSE stream."""

import asyncio

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from deploy.receiver import Receiver
from deploy.stack import Stack
from tests.integration.notify.support import read_sse
from tests.support.api import bearer, eventually, register_org

pytestmark = pytest.mark.integration


async def test_a_need_and_a_matching_result_reach_both_sides(stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    registry, notify = stack.url("registry"), stack.url("notify")
    firm = await register_org(http, registry, "隆平高科种业示范企业", "firm", region="430121")
    university = await register_org(http, registry, "湖南农业大学", "university", region="430102")

    receiver = await Receiver(port).start()
    try:
        hook = await http.post(f"{notify}/v1/webhooks", json={"url": f"{receiver.url}/hooks"},
                               headers=bearer(firm["api_key"]))
        assert hook.status_code == 201, hook.text
        secret = hook.json()["secret"]
        assert secret.startswith("whsec_")

        need = await http.post(f"{registry}/v1/needs", headers=bearer(firm["api_key"]), json={
            "title": "杂交水稻耐高温品种选育", "description": "寻求耐高温高产杂交水稻育种技术，用于长江流域双季稻区",
            "keywords": ["杂交水稻", "耐高温", "育种"], "trl_min": 4, "trl_max": 8,
            "budget_max": 2000000, "cooperation_modes": ["licence", "joint_development"]})
        assert need.status_code == 201, need.text
        result = await http.post(f"{registry}/v1/results", headers=bearer(university["api_key"]), json={
            "title": "耐高温杂交水稻新品种选育技术",
            "abstract": "利用分子标记辅助选择，选育耐高温、高产的杂交水稻新品种",
            "keywords": ["杂交水稻", "耐高温", "分子标记辅助选择"], "trl": 6, "price_max": 1500000,
            "transfer_modes": ["licence"]})
        assert result.status_code == 201, result.text

        pair = {need.json()["id"], result.json()["id"]}

        async def our_match(key: str) -> list[dict]:
            items = (await http.get(f"{registry}/v1/matches", headers=bearer(key))).json()["items"]
            return [m for m in items if {m["need_id"], m["counterpart_id"]} == pair]

        firm_matches = await eventually(lambda: our_match(firm["api_key"]), within=30)
        university_matches = await eventually(lambda: our_match(university["api_key"]), within=30)
        assert [m["id"] for m in firm_matches] == [m["id"] for m in university_matches], "one match, both sides"
        match = firm_matches[0]
        assert 0 < match["score"] <= 1 and match["components"], "a match explains its score"

        await receiver.wait_for(1, within=30)
        await asyncio.sleep(2.0)  # anything duplicated would arrive by now
        ours = [r for r in receiver.received if r.json()["data"].get("match_id") == match["id"]]
        assert len(ours) == 1, "the webhook arrives exactly once"
        verified = Webhook(secret).verify(ours[0].body, ours[0].headers)
        assert verified["type"] == "match.proposed"

        streamed = await read_sse(http, stack, firm["api_key"], count=len(receiver.received), within=10)
        ours_streamed = [e for e in streamed if e["data"]["data"].get("match_id") == match["id"]]
        assert [e["event"] for e in ours_streamed] == ["match.proposed"]
    finally:
        await receiver.stop()


async def test_missing_or_wrong_keys_are_refused(stack: Stack, http: httpx.AsyncClient) -> None:
    registry, notify = stack.url("registry"), stack.url("notify")
    assert (await http.post(f"{registry}/v1/needs", json={"title": "x"})).status_code == 401
    wrong = bearer("dj_nope_nope")
    assert (await http.post(f"{registry}/v1/needs", json={"title": "x"}, headers=wrong)).status_code == 401
    assert (await http.post(f"{notify}/v1/webhooks", json={"url": "https://example.com/h"},
                            headers=bearer("dj_nope_nope"))).status_code == 401


async def test_a_body_that_fails_validation_names_the_field(stack: Stack, http: httpx.AsyncClient) -> None:
    registry = stack.url("registry")
    firm = await register_org(http, registry, "校验测试企业", "firm")
    response = await http.post(f"{registry}/v1/needs", headers=bearer(firm["api_key"]),
                               json={"title": "需求", "trl_min": 12})
    assert response.status_code == 422
    assert any(err["loc"][-1] == "trl_min" for err in response.json()["detail"])
