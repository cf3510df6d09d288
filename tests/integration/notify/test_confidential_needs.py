"""A confidential need's owner stays unnamed in what notify sends its counterpart (webhooks and the live stream)
until both sides accepted: from a posting through matching and the registry's answers to the webhooks."""

import uuid

import httpx
import pytest

from deploy.receiver import Receiver
from deploy.stack import Stack, free_port
from tests.integration.notify.support import add_webhook, read_sse, two_orgs
from tests.support.api import bearer, eventually

pytestmark = pytest.mark.integration


def hooks_of(receiver: Receiver, type_: str, need_id: str, match_id: str | None = None) -> list[dict]:
    """What arrived about one need (the results may match other tests' needs too)."""
    bodies = [r.json() for r in receiver.received]
    return [b["data"] for b in bodies if b["type"] == type_ and b["data"]["need_id"] == need_id
            and match_id in (None, b["data"]["match_id"])]


async def arrived(receiver: Receiver, type_: str, need_id: str, match_id: str | None = None,
                  count: int = 1) -> list[dict]:
    async def enough() -> list[dict]:
        found = hooks_of(receiver, type_, need_id, match_id)
        return found if len(found) >= count else []
    return await eventually(enough, within=30)


async def test_the_counterpart_learns_who_posted_a_confidential_need_only_once_both_accepted(
        stack: Stack, http: httpx.AsyncClient) -> None:
    registry = stack.url("registry")
    firm, uni = await two_orgs(http, stack, "保密需求")
    firm_hooks, uni_hooks = await Receiver(free_port()).start(), await Receiver(free_port()).start()
    try:
        await add_webhook(http, stack, firm["api_key"], f"{firm_hooks.url}/hooks")
        await add_webhook(http, stack, uni["api_key"], f"{uni_hooks.url}/hooks")
        word = f"固态电解质{uuid.uuid4().hex[:4]}"
        for n in (1, 2):
            result = await http.post(f"{registry}/v1/results", headers=bearer(uni["api_key"]), json={
                "title": f"{word}锂电池界面改性技术{n}", "abstract": f"{word}锂电池界面稳定性与量产工艺",
                "keywords": [word, "锂电池", "界面"], "trl": 6})
            assert result.status_code == 201, result.text
        need = await http.post(f"{registry}/v1/needs", headers=bearer(firm["api_key"]), json={
            "title": f"{word}锂电池量产工艺", "description": f"寻求{word}锂电池界面稳定性技术",
            "keywords": [word, "锂电池", "界面"], "trl_min": 4, "trl_max": 8, "visibility": "confidential"})
        assert need.status_code == 201, need.text
        need_id = need.json()["id"]

        told = await arrived(uni_hooks, "match.proposed", need_id, count=2)
        assert all(m["need_org_id"] is None and m["need_confidential"] for m in told), "the counterpart: unnamed"
        owned = await arrived(firm_hooks, "match.proposed", need_id, count=2)
        assert all(m["need_org_id"] == firm["id"] for m in owned), "the owner reads its own matches whole"
        stream = [e["data"]["data"] for e in await read_sse(http, stack, uni["api_key"], within=3)]
        assert [e["need_org_id"] for e in stream if e.get("need_id") == need_id] == [None, None]

        first, second = sorted(m["match_id"] for m in told)[:2]
        # The owner answers first: the counterpart hears of the answer but not who gave it.
        await accept(http, registry, firm, first)
        owners = await arrived(uni_hooks, "match.accepted", need_id, first)
        assert owners[0]["org_id"] is None and owners[0]["need_org_id"] is None and not owners[0]["mutual"]
        await accept(http, registry, uni, first)
        await arrived(firm_hooks, "match.accepted", need_id, first)

        # The counterpart answers first; the owner's answer then makes the match mutual, and names the owner.
        await accept(http, registry, uni, second)
        await arrived(firm_hooks, "match.accepted", need_id, second)
        await accept(http, registry, firm, second)
        revealed = await arrived(uni_hooks, "match.accepted", need_id, second)
        assert revealed[0]["mutual"] and revealed[0]["org_id"] == revealed[0]["need_org_id"] == firm["id"]
    finally:
        await firm_hooks.stop()
        await uni_hooks.stop()


async def accept(http: httpx.AsyncClient, registry: str, party: dict, match_id: str) -> None:
    answer = await http.post(f"{registry}/v1/matches/{match_id}/accept", headers=bearer(party["api_key"]))
    assert answer.status_code == 200, answer.text
