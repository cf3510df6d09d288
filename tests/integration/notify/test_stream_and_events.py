"""The live stream (heartbeats, resuming with Last-Event-ID, switched off by preference); a published schedule
reaches every participant, and an unknown event type on a notifying topic is still told, generically."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from deploy.receiver import Receiver
from deploy.stack import Stack
from services.contracts import topics
from services.contracts.envelope import new_event
from services.notify.notifications import notification_id
from tests.integration.notify.support import (
    add_webhook,
    match_event,
    publish,
    put_preferences,
    read_sse,
    two_orgs,
)
from tests.support.api import eventually

pytestmark = pytest.mark.integration


async def test_the_stream_beats_and_a_client_resuming_with_last_event_id_misses_nothing(
        stack: Stack, http: httpx.AsyncClient) -> None:
    firm, university = await two_orgs(http, stack, "断线续传")
    first = match_event(firm["id"], university["id"])
    await publish(stack, first)
    comments: list[str] = []
    (seen,) = await read_sse(http, stack, firm["api_key"], count=1, within=15)
    assert seen["data"]["id"] == notification_id(first.id, firm["id"]) and seen["id"].isdigit()
    await read_sse(http, stack, firm["api_key"], last_event_id=seen["id"], within=2.5, comments=comments)
    assert ": heartbeat" in comments, "the session stack beats every second"

    meanwhile = [match_event(firm["id"], university["id"]) for _ in range(3)]  # sent while the client was away
    for event in meanwhile:
        await publish(stack, event)
    wanted = {notification_id(e.id, firm["id"]) for e in meanwhile}

    async def resumed() -> list[dict]:
        events = await read_sse(http, stack, firm["api_key"], last_event_id=seen["id"], within=3)
        got.append([(e["id"], e["data"]["id"]) for e in events])
        return events if wanted <= {e["data"]["id"] for e in events} else []
    got: list = []
    try:
        events = await eventually(resumed, within=20)
    except AssertionError:
        everything = await read_sse(http, stack, firm["api_key"], within=3)
        raise AssertionError(f"resumed from {seen['id']}: {got[-1]}; wanted {wanted}; "
                             f"whole stream {[(e['id'], e['data']['id']) for e in everything]}") from None
    assert all(int(e["id"]) >= int(seen["id"]) for e in events), "ids never go back"
    assert len(events) == len({e["data"]["id"] for e in events}), "one stream sends each notification once"
    everything = await read_sse(http, stack, firm["api_key"], count=4, within=5)
    assert [e["data"]["id"] for e in everything][:1] == [seen["data"]["id"]]
    assert {e["data"]["id"] for e in everything[1:]} == wanted


async def test_with_the_stream_switched_off_notifications_still_reach_webhooks_but_not_the_stream(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, university = await two_orgs(http, stack, "关闭推送流")
    receiver = await Receiver(port).start()
    try:
        assert (await put_preferences(http, stack, firm["api_key"], {"channels": {"sse": False}})).status_code == 200
        await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/hooks")
        await publish(stack, match_event(firm["id"], university["id"]))
        await receiver.wait_for(1, within=20)
        assert await read_sse(http, stack, firm["api_key"], count=1, within=2) == []
        assert len(await read_sse(http, stack, university["api_key"], count=1, within=5)) == 1, "the other side's on"
    finally:
        await receiver.stop()


async def test_a_published_schedule_reaches_every_participant_and_unknown_types_are_told_generically(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, university = await two_orgs(http, stack, "日程")
    receiver = await Receiver(port).start()
    try:
        await add_webhook(http, stack, university["api_key"], f"{receiver.url}/hooks")
        schedule = {"summit_id": f"sm_{uuid.uuid4().hex[:8]}", "run": 1, "kind": "final", "assignments": [],
                    "unplaced": [], "objective": 0.0, "solver": "greedy", "status": "optimal", "wall_seconds": 0.1,
                    "participant_org_ids": [firm["id"], university["id"]], "published_at": datetime.now(UTC)}
        published = new_event("schedule.published", schedule["summit_id"], schedule, "/tests/notify")
        await publish(stack, published, topics.SCHEDULES)
        novel = new_event("deal.celebrated", "dl_x", {"org_id": university["id"], "note": "庆祝"}, "/tests/notify")
        await publish(stack, novel, topics.DEALS)

        for org in (firm, university):
            told = await read_sse(http, stack, org["api_key"], until="schedule.published", within=15)
            assert told[-1]["data"]["data"]["summit_id"] == schedule["summit_id"]
        await receiver.wait_for(2, within=15)
        assert sorted(r.json()["type"] for r in receiver.received) == ["deal.celebrated", "schedule.published"]
        generic = next(r.json() for r in receiver.received if r.json()["type"] == "deal.celebrated")
        assert generic["data"]["note"] == "庆祝"
    finally:
        await receiver.stop()


async def test_a_client_polling_the_notifications_gets_each_in_order_and_misses_none(
        stack: Stack, http: httpx.AsyncClient) -> None:
    firm, university = await two_orgs(http, stack, "轮询")
    url, key = f"{stack.url('notify')}/v1/notifications", {"Authorization": f"Bearer {firm['api_key']}"}
    events = [match_event(firm["id"], university["id"]) for _ in range(3)]
    for event in events:
        await publish(stack, event)

    async def page(after: int, want: int, limit: int = 100) -> dict:
        response = await http.get(url, params={"after": after, "limit": limit}, headers=key)
        assert response.status_code == 200, response.text
        return response.json() if len(response.json()["items"]) >= want else {}

    first = await eventually(lambda: page(0, 2, limit=2), within=20)
    rest = await eventually(lambda: page(first["next_after"], 1), within=20)
    seen = [item["data"]["match_id"] for item in first["items"] + rest["items"]]
    assert sorted(dict.fromkeys(seen)) == sorted(e.data["match_id"] for e in events), "each one, none missed"
    assert all(item["type"] == "match.proposed" for item in first["items"] + rest["items"])

    later = match_event(firm["id"], university["id"])
    await publish(stack, later)
    news = await eventually(lambda: page(rest["next_after"], 1), within=20)
    assert later.data["match_id"] in [item["data"]["match_id"] for item in news["items"]]
    assert (await http.get(url)).status_code == 401


async def test_a_cursor_past_any_sequence_number_is_refused_or_taken_as_the_end(
        stack: Stack, http: httpx.AsyncClient) -> None:
    firm, _ = await two_orgs(http, stack, "超大游标")
    key = {"Authorization": f"Bearer {firm['api_key']}"}
    too_big = await http.get(f"{stack.url('notify')}/v1/notifications", params={"after": 2**70}, headers=key)
    assert too_big.status_code == 422
    comments: list[str] = []
    events = await read_sse(http, stack, firm["api_key"], last_event_id=str(2**70), within=2.5, comments=comments)
    assert events == [] and comments, "the stream stays open and beats"
