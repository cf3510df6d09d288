"""An organisation changes its webhook endpoints: which events go to one, to which URL, and deletes it; nobody
else can touch them."""

import httpx
import pytest

from deploy.receiver import Receiver
from deploy.stack import Stack, free_port
from services.contracts.envelope import Envelope
from tests.integration.notify.support import add_webhook, match_event, publish, read_sse, two_orgs
from tests.support.api import bearer

pytestmark = pytest.mark.integration


async def handled(http: httpx.AsyncClient, stack: Stack, key: str, event: Envelope) -> None:
    """Waits until notify has turned `event` into the organisation's notification (seen on its stream)."""
    for _ in range(20):
        stream = await read_sse(http, stack, key, within=1)
        if any(e["data"]["data"].get("match_id") == event.data["match_id"] for e in stream):
            return
    raise AssertionError(f"no notification for {event.data['match_id']}")


async def test_an_endpoint_is_changed_and_deleted_by_its_owner_and_by_nobody_else(
        stack: Stack, http: httpx.AsyncClient) -> None:
    firm, university = await two_orgs(http, stack, "端点管理")
    owner, stranger = bearer(firm["api_key"]), bearer(university["api_key"])
    first, second = await Receiver(free_port()).start(), await Receiver(free_port()).start()
    try:
        hook = await add_webhook(http, stack, firm["api_key"], f"{first.url}/hooks")
        url = f"{stack.url('notify')}/v1/webhooks/{hook['id']}"

        narrowed = await http.patch(url, json={"event_types": ["match.retracted"]}, headers=owner)
        assert narrowed.status_code == 200, narrowed.text
        assert (narrowed.json()["event_types"], narrowed.json()["url"]) == (["match.retracted"], hook["url"])
        skipped = match_event(firm["id"], university["id"])
        await publish(stack, skipped)
        await handled(http, stack, firm["api_key"], skipped)

        moved = await http.patch(url, json={"url": f"{second.url}/hooks", "event_types": []}, headers=owner)
        assert moved.status_code == 200 and moved.json()["url"] == f"{second.url}/hooks"
        sent = match_event(firm["id"], university["id"])
        await publish(stack, sent)
        await second.wait_for(1, within=20)
        assert [r.json()["data"]["match_id"] for r in second.received] == [sent.data["match_id"]]
        assert first.received == [], "a proposal was not among the endpoint's types, and then it moved"

        refused = await http.patch(url, json={"url": "http://10.0.0.1/hooks"}, headers=owner)
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "url"]
        assert (await http.patch(url, json={"event_types": []}, headers=stranger)).status_code == 404
        assert (await http.delete(url, headers=stranger)).status_code == 404

        assert (await http.delete(url, headers=owner)).status_code == 204
        listed = await http.get(f"{stack.url('notify')}/v1/webhooks", headers=owner)
        assert listed.json() == []
        after = match_event(firm["id"], university["id"])
        await publish(stack, after)
        await handled(http, stack, firm["api_key"], after)
        assert len(second.received) == 1, "nothing is sent to a deleted endpoint"
        assert (await http.delete(url, headers=owner)).status_code == 404
    finally:
        await first.stop()
        await second.stop()
