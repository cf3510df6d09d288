"""Webhook retries against local receivers: the schedule, Retry-After, 410, 3xx, dead letters, by-hand redelivery,
recovery after an outage, secret rotation and the delivery log's filters. The session stack runs the whole retry
schedule in about 10 s."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from standardwebhooks.webhooks import Webhook

from deploy.receiver import Receiver
from deploy.stack import Stack, free_port
from services.notify.notifications import notification_id
from tests.integration.notify.support import (
    HeaderReceiver,
    add_webhook,
    get,
    match_event,
    metric,
    publish,
    read_endpoint,
    read_sse,
    two_orgs,
)
from tests.support.api import bearer, eventually

pytestmark = pytest.mark.integration


async def test_a_receiver_failing_twice_gets_the_message_on_the_third_attempt(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, university = await two_orgs(http, stack, "重试三次")
    receiver = await Receiver(port, responses=[500, 500]).start()
    try:
        hook = await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/hooks")
        event = match_event(firm["id"], university["id"])
        await publish(stack, event)

        await receiver.wait_for(3, within=20)
        await asyncio.sleep(1.0)  # a fourth attempt would arrive by now
        assert len(receiver.received) == 3
        ids = {r.headers["webhook-id"] for r in receiver.received}
        assert ids == {notification_id(event.id, firm["id"])}, "every attempt carries the same webhook-id"
        assert Webhook(hook["secret"]).verify(receiver.received[2].body, receiver.received[2].headers)

        nid = ids.pop()
        records = await eventually(lambda: _records(http, stack, firm["api_key"], 3, notification_id=nid), within=10)
        assert [(r["attempt"], r["status"], r["response_code"]) for r in sorted(records, key=lambda r: r["attempt"])] \
            == [(1, "failed", 500), (2, "failed", 500), (3, "succeeded", 200)]
        assert all(r["latency_ms"] >= 0 and r["channel"] == "webhook" for r in records)
    finally:
        await receiver.stop()


async def _waiting(http: httpx.AsyncClient, endpoint: str, key: str) -> tuple[int, int]:
    """(retrying, dead_letters) as the endpoint's own GET shows them."""
    shown = await read_endpoint(http, endpoint, key)
    return shown["retrying"], shown["dead_letters"]


async def _records(http: httpx.AsyncClient, stack: Stack, key: str, want: int, **filters: str) -> list[dict]:
    """The delivery records matching `filters`, once there are at least `want` of them (else none)."""
    records = await get(http, stack, key, "/v1/deliveries", **filters)
    return records if len(records) >= want else []


async def test_a_receiver_down_for_the_whole_schedule_ends_in_the_dead_letters_and_the_owner_is_told(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, university = await two_orgs(http, stack, "死信")
    robot = await Receiver(port).start()  # the owner's WeCom robot: another channel
    try:
        prefs = await http.put(f"{stack.url('notify')}/v1/preferences", headers=bearer(firm["api_key"]), json={
            "channels": {"wecom": {"enabled": True, "url": f"{robot.url}/cgi-bin/webhook/send?key=k"}}})
        assert prefs.status_code == 200, prefs.text
        down = f"http://127.0.0.1:{free_port()}/hooks"  # nothing listens there
        hook = await add_webhook(http, stack, firm["api_key"], down)
        failed = ("notify_delivery_attempts_total", {"channel": "webhook", "status": "failed"})
        timed = ("notify_delivery_attempt_seconds_count", {"channel": "webhook"})
        dead_lettered = ("notify_messages_dead_lettered_total", {"channel": "webhook"})
        before = [await metric(http, stack, name, **labels) for name, labels in (failed, timed, dead_lettered)]
        event = match_event(firm["id"], university["id"])
        await publish(stack, event)
        endpoint = f"{stack.url('notify')}/v1/webhooks/{hook['id']}"

        async def waiting(retrying: int, dead_letters: int) -> bool:
            return await _waiting(http, endpoint, firm["api_key"]) == (retrying, dead_letters)

        await eventually(lambda: waiting(retrying=1, dead_letters=0), within=5)  # on its retry schedule
        dead = await eventually(lambda: get(http, stack, firm["api_key"], "/v1/dead-letters"), within=40, every=0.5)
        assert [(d["target_id"], d["notification_id"], d["attempts"]) for d in dead] == \
            [(hook["id"], notification_id(event.id, firm["id"]), 8)]
        await eventually(lambda: waiting(retrying=0, dead_letters=1), within=5)
        # An attempt's delivery record is written just after its dispatch's state, so the last one may trail the
        # dead letter by a moment.
        records = await eventually(lambda: _records(http, stack, firm["api_key"], 8, channel="webhook"), within=10)
        assert len(records) == 8 and all(r["status"] == "failed" and r["error"] for r in records)
        after = [await metric(http, stack, name, **labels) for name, labels in (failed, timed, dead_lettered)]
        more = [later - earlier for earlier, later in zip(before, after, strict=True)]
        assert more[0] >= 8 and more[1] >= 8 and more[2] >= 1, f"for operators, on /metrics: {more}"

        streamed = await read_sse(http, stack, firm["api_key"], until="webhook.dead_lettered", within=10)
        told = [e for e in streamed if e["event"] == "webhook.dead_lettered"]
        assert len(told) == 1 and told[0]["data"]["data"]["dead_letter_id"] == dead[0]["id"]

        async def robot_told() -> list:
            return [r for r in robot.received if "dead_letter" in r.body.decode() or "死信" in r.body.decode()]
        warned = await eventually(robot_told, within=10)
        assert warned[0].json()["msgtype"] == "markdown"
    finally:
        await robot.stop()


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_on_429_and_503_is_honoured(
        stack: Stack, http: httpx.AsyncClient, port: int, status: int) -> None:
    firm, university = await two_orgs(http, stack, f"限流{status}")
    # 10000 s × the session's multiplier (0.0001) = 1 s, while the schedule's second interval is 0.5 ms.
    receiver = await HeaderReceiver(port, [(status, {"Retry-After": "10000"})]).start()
    try:
        await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/hooks")
        await publish(stack, match_event(firm["id"], university["id"]))
        received = await receiver.wait_for(2, within=20)
        assert len(received) == 2
        assert received[1].at - received[0].at >= 0.95, "the second attempt waited as long as the receiver asked"
    finally:
        await receiver.stop()


async def test_a_delivery_record_keeps_the_first_500_characters_of_the_answer_and_how_long_it_took(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, university = await two_orgs(http, stack, "投递记录")
    answer = "".join(f"{i:04d}错" for i in range(200))  # 1,000 characters, each one's place readable in it
    receiver = await Receiver(port, responses=[500], reply=answer.encode(), delay=0.1).start()
    try:
        hook = await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/hooks")
        await publish(stack, match_event(firm["id"], university["id"]))
        await receiver.wait_for(2, within=20)
        records = await eventually(lambda: _records(http, stack, firm["api_key"], 2, endpoint_id=hook["id"]),
                                   within=10)
        failed, succeeded = sorted(records, key=lambda r: r["attempt"])
        assert (failed["status"], failed["response_code"], succeeded["status"]) == ("failed", 500, "succeeded")
        assert failed["response_body"] == answer[:500] == succeeded["response_body"]
        assert failed["latency_ms"] >= 100 and succeeded["latency_ms"] >= 100, "the receiver took 100 ms to answer"
    finally:
        await receiver.stop()


async def test_410_disables_the_endpoint_and_3xx_is_a_failure_never_followed(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, university = await two_orgs(http, stack, "停用")
    receiver = await HeaderReceiver(port, [(302, {"Location": "http://127.0.0.1:1/elsewhere"}), (410, {})]).start()
    try:
        hook = await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/hooks")
        await publish(stack, match_event(firm["id"], university["id"]))
        await receiver.wait_for(2, within=20)

        async def disabled() -> list:
            hooks = await get(http, stack, firm["api_key"], "/v1/webhooks")
            return [h for h in hooks if h["id"] == hook["id"] and h["status"] == "disabled"]
        assert (await eventually(disabled, within=10))[0]["disabled_reason"]
        await asyncio.sleep(1.0)
        assert [r.path for r in receiver.received] == ["/hooks", "/hooks"], "no redirect followed, no retry after 410"
        records = await get(http, stack, firm["api_key"], "/v1/deliveries", endpoint_id=hook["id"])
        assert sorted(r["response_code"] for r in records) == [302, 410]

        await publish(stack, match_event(firm["id"], university["id"]))
        await asyncio.sleep(2.0)
        assert len(receiver.received) == 2, "a disabled endpoint gets nothing"
    finally:
        await receiver.stop()


async def test_a_delivery_is_redelivered_by_hand_with_the_same_webhook_id(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, university = await two_orgs(http, stack, "手动重投")
    receiver = await Receiver(port).start()
    try:
        await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/hooks")
        await publish(stack, match_event(firm["id"], university["id"]))
        await receiver.wait_for(1, within=20)
        records = await eventually(lambda: get(http, stack, firm["api_key"], "/v1/deliveries", status="succeeded"))
        retry = await http.post(f"{stack.url('notify')}/v1/deliveries/{records[0]['id']}/retry",
                                headers=bearer(firm["api_key"]))
        assert retry.status_code == 202, retry.text
        await receiver.wait_for(2, within=10)
        assert [r.headers["webhook-id"] for r in receiver.received] == [records[0]["notification_id"]] * 2
        later = await eventually(lambda: _records(http, stack, firm["api_key"], 2,
                                                  notification_id=records[0]["notification_id"]))
        assert sorted(r["attempt"] for r in later) == [1, 2]
        unknown = await http.post(f"{stack.url('notify')}/v1/deliveries/dlv_nope/retry",
                                  headers=bearer(firm["api_key"]))
        assert unknown.status_code == 404
    finally:
        await receiver.stop()


async def test_a_rotated_secret_signs_alongside_the_old_one_during_the_overlap(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, university = await two_orgs(http, stack, "轮换")
    receiver = await Receiver(port).start()
    try:
        hook = await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/hooks")
        rotated = await http.post(f"{stack.url('notify')}/v1/webhooks/{hook['id']}/rotate",
                                  headers=bearer(firm["api_key"]), json={"overlap_seconds": 3600})
        assert rotated.status_code == 200, rotated.text
        new_secret = rotated.json()["secret"]
        assert new_secret != hook["secret"] and rotated.json()["previous_secret_until"]
        await asyncio.sleep(2.5)  # the endpoint cache (2 s) has moved on
        await publish(stack, match_event(firm["id"], university["id"]))
        (message,) = await receiver.wait_for(1, within=20)
        assert len(message.headers["webhook-signature"].split(" ")) == 2
        for secret in (new_secret, hook["secret"]):
            assert Webhook(secret).verify(message.body, message.headers)["type"] == "match.proposed"
    finally:
        await receiver.stop()


async def test_delivery_records_filter_by_status_channel_event_type_and_endpoint(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, university = await two_orgs(http, stack, "筛选")
    receiver = await Receiver(port, responses=[503]).start()
    try:
        hook = await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/hooks")
        await publish(stack, match_event(firm["id"], university["id"]))
        await receiver.wait_for(2, within=20)
        await eventually(lambda: get(http, stack, firm["api_key"], "/v1/deliveries", status="succeeded"))
        key = firm["api_key"]
        failed = await get(http, stack, key, "/v1/deliveries", status="failed", channel="webhook",
                           event_type="match.proposed", endpoint_id=hook["id"])
        assert [r["response_code"] for r in failed] == [503]
        assert await get(http, stack, key, "/v1/deliveries", event_type="deal.signed") == []
        assert await get(http, stack, key, "/v1/deliveries", channel="email") == []
        assert await get(http, stack, university["api_key"], "/v1/deliveries") == [], "only one's own records"
    finally:
        await receiver.stop()


async def test_an_endpoints_dead_letters_are_sent_again_once_its_receiver_is_back(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, university = await two_orgs(http, stack, "恢复")
    owner = bearer(firm["api_key"])
    hook = await add_webhook(http, stack, firm["api_key"], f"http://127.0.0.1:{port}/hooks")  # nothing listens yet
    since = datetime.now(UTC) - timedelta(seconds=1)
    events = [match_event(firm["id"], university["id"]) for _ in range(2)]
    for event in events:
        await publish(stack, event)
    wanted = {notification_id(event.id, firm["id"]) for event in events}

    async def dead_letters(status: str) -> list[dict]:
        found = await get(http, stack, firm["api_key"], "/v1/dead-letters", status=status)
        return found if {d["notification_id"] for d in found} == wanted else []

    await eventually(lambda: dead_letters("dead"), within=60, every=0.5)
    endpoint = f"{stack.url('notify')}/v1/webhooks/{hook['id']}"
    assert await _waiting(http, endpoint, firm["api_key"]) == (0, 2)
    url = f"{endpoint}/recover"
    assert (await http.post(url, json={"since": "2026-01-01T00:00:00"}, headers=owner)).status_code == 422, \
        "a time without its UTC offset is ambiguous"
    assert (await http.post(url, json={"since": since.isoformat()},
                            headers=bearer(university["api_key"]))).status_code == 404
    later = await http.post(url, json={"since": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}, headers=owner)
    assert later.json() == {"redelivering": 0, "more": False}, "none was dead-lettered after that time"

    receiver = await Receiver(port).start()  # the receiver is back
    try:
        recovered = await http.post(url, json={"since": since.isoformat()}, headers=owner)
        assert recovered.status_code == 202 and recovered.json() == {"redelivering": 2, "more": False}
        received = await receiver.wait_for(2, within=15)
        assert {r.headers["webhook-id"] for r in received} == wanted, "the same webhook-ids as before"
        assert all(Webhook(hook["secret"]).verify(r.body, r.headers) for r in received)
        await eventually(lambda: dead_letters("redelivered"), within=10)
        assert await _waiting(http, endpoint, firm["api_key"]) == (0, 0), "none waits any more"
        again = await http.post(url, json={"since": since.isoformat()}, headers=owner)
        assert again.json() == {"redelivering": 0, "more": False}, "nothing is left dead"
        await asyncio.sleep(1.0)
        assert len(receiver.received) == 2
    finally:
        await receiver.stop()
