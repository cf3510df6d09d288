"""An organisation manages its webhook endpoints: which events go to one, to which URL, a test message to one,
deleting one; nobody else can touch them."""

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from deploy.receiver import Receiver
from deploy.stack import Stack, free_port
from services.contracts.envelope import Envelope
from tests.integration.notify.support import (
    add_webhook,
    get,
    match_event,
    publish,
    read_endpoint,
    read_sse,
    two_orgs,
)
from tests.support.api import bearer, eventually

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

        assert hook["description"] == "" and hook["created_at"]
        narrowed = await http.patch(url, json={"event_types": ["match.retracted"], "description": "ERP 对接"},
                                    headers=owner)
        assert narrowed.status_code == 200, narrowed.text
        assert (narrowed.json()["event_types"], narrowed.json()["url"]) == (["match.retracted"], hook["url"])
        shown = (await http.get(f"{stack.url('notify')}/v1/webhooks", headers=owner)).json()
        assert [(e["description"], e["created_at"]) for e in shown] == [("ERP 对接", hook["created_at"])]
        read = await http.get(url, headers=owner)
        assert read.status_code == 200 and read.json() == {**shown[0], "retrying": 0, "dead_letters": 0}
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
        for bad_name in ("https://a..b.example.com/hook", f"https://{'a' * 64}.example.com/hook"):
            malformed = await http.patch(url, json={"url": bad_name}, headers=owner)
            assert malformed.status_code == 422 and "URL refused" in malformed.text, bad_name
        typo = await http.patch(url, json={"event_types": ["match.acepted"]}, headers=owner)
        assert typo.status_code == 422 and "match.acepted" in typo.text
        unknown = await http.post(f"{stack.url('notify')}/v1/webhooks", headers=owner,
                                  json={"url": f"{first.url}/hooks", "event_types": ["need.posted"]})
        assert unknown.status_code == 422 and "unknown event type" in unknown.text, "notify never tells of it"
        assert (await http.get(url, headers=stranger)).status_code == 404
        assert (await http.patch(url, json={"event_types": []}, headers=stranger)).status_code == 404
        assert (await http.delete(url, headers=stranger)).status_code == 404
        for action in ("rotate", "enable", "test"):
            assert (await http.post(f"{url}/{action}", headers=stranger)).status_code == 404, action

        assert (await http.delete(url, headers=owner)).status_code == 204
        listed = await http.get(f"{stack.url('notify')}/v1/webhooks", headers=owner)
        assert listed.json() == []
        after = match_event(firm["id"], university["id"])
        await publish(stack, after)
        await handled(http, stack, firm["api_key"], after)
        assert len(second.received) == 1, "nothing is sent to a deleted endpoint"
        assert (await http.delete(url, headers=owner)).status_code == 404
        assert (await http.get(url, headers=owner)).status_code == 404, "gone once deleted"
    finally:
        await first.stop()
        await second.stop()


async def test_a_test_message_reaches_that_endpoint_alone_signed_and_is_in_its_delivery_records(
        stack: Stack, http: httpx.AsyncClient) -> None:
    firm, university = await two_orgs(http, stack, "测试消息")
    owner = bearer(firm["api_key"])
    tested, other = await Receiver(free_port()).start(), await Receiver(free_port()).start()
    try:
        hook = await add_webhook(http, stack, firm["api_key"], f"{tested.url}/hooks")
        await add_webhook(http, stack, firm["api_key"], f"{other.url}/hooks")
        narrowed = await http.patch(f"{stack.url('notify')}/v1/webhooks/{hook['id']}",
                                    json={"event_types": ["match.retracted"]}, headers=owner)
        assert narrowed.status_code == 200
        url = f"{stack.url('notify')}/v1/webhooks/{hook['id']}/test"

        sent = await http.post(url, headers=owner)
        assert sent.status_code == 202, sent.text
        await tested.wait_for(1, within=20)
        body = Webhook(hook["secret"]).verify(tested.received[0].body, tested.received[0].headers)
        assert body["type"] == "webhook.test" and body["data"]["endpoint_id"] == hook["id"], \
            "sent whatever the endpoint's event types"
        assert tested.received[0].headers["webhook-id"] == sent.json()["notification_id"]
        records = await eventually(lambda: get(http, stack, firm["api_key"], "/v1/deliveries",
                                               notification_id=sent.json()["notification_id"]), within=10)
        assert [(r["status"], r["response_code"]) for r in records] == [("succeeded", 200)]
        stream = await read_sse(http, stack, firm["api_key"], within=1)
        assert other.received == [] and stream == [], "the endpoint alone: not the others, not the stream"

        assert (await http.post(url, headers=bearer(university["api_key"]))).status_code == 404
    finally:
        await tested.stop()
        await other.stop()


async def test_a_paused_endpoint_gets_nothing_and_once_enabled_gets_what_waited_once(
        stack: Stack, http: httpx.AsyncClient) -> None:
    firm, university = await two_orgs(http, stack, "暂停端点")
    owner, stranger = bearer(firm["api_key"]), bearer(university["api_key"])
    receiver = await Receiver(free_port()).start()
    try:
        hook = await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/hooks")
        url = f"{stack.url('notify')}/v1/webhooks/{hook['id']}"
        assert (await http.post(f"{url}/pause", headers=stranger)).status_code == 404

        paused = await http.post(f"{url}/pause", json={"reason": "系统升级"}, headers=owner)
        assert paused.status_code == 200, paused.text
        assert (paused.json()["status"], paused.json()["disabled_reason"]) == ("paused", "系统升级")
        assert (await http.post(f"{url}/test", headers=owner)).status_code == 409, "nothing is sent to it"
        waiting = match_event(firm["id"], university["id"])
        await publish(stack, waiting)
        await handled(http, stack, firm["api_key"], waiting)
        read = await eventually(lambda: _waiting_for(http, url, firm["api_key"], 1), within=10)
        assert (read["status"], read["disabled_reason"], read["dead_letters"]) == ("paused", "系统升级", 0)
        assert receiver.received == [], "paused: the message waits"

        enabled = await http.post(f"{url}/enable", headers=owner)
        assert enabled.status_code == 200 and enabled.json()["status"] == "active"
        assert enabled.json()["disabled_reason"] is None
        await receiver.wait_for(1, within=20)
        body = Webhook(hook["secret"]).verify(receiver.received[0].body, receiver.received[0].headers)
        assert body["data"]["match_id"] == waiting.data["match_id"], "what waited goes once it is enabled"
        sent = match_event(firm["id"], university["id"])
        await publish(stack, sent)
        await receiver.wait_for(2, within=20)
        records = await eventually(lambda: get(http, stack, firm["api_key"], "/v1/deliveries",
                                               notification_id=receiver.received[0].headers["webhook-id"]), within=10)
        assert [(r["attempt"], r["status"]) for r in records] == [(1, "succeeded")], "no attempt spent while paused"
        await eventually(lambda: _waiting_for(http, url, firm["api_key"], 0), within=10)
        assert len(receiver.received) == 2, "each message once"

        default = await http.post(f"{url}/pause", headers=owner)
        assert default.json()["disabled_reason"] == "paused by its owner"
    finally:
        await receiver.stop()


async def _waiting_for(http: httpx.AsyncClient, url: str, key: str, retrying: int) -> dict | None:
    """The endpoint as its owner reads it, once `retrying` messages wait for it."""
    read = await read_endpoint(http, url, key)
    return read if read["retrying"] == retrying else None
