"""Delivery records and dead letters are read newest first, in pages that a cursor continues: every record once;
the message a record names can be read too."""

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from deploy.receiver import Receiver
from deploy.stack import Stack
from services.notify.db import Database
from services.notify.records import Records
from tests.integration.notify.support import add_webhook, match_event, publish, two_orgs
from tests.support.api import bearer, eventually

pytestmark = pytest.mark.integration


async def pages(http: httpx.AsyncClient, url: str, key: str, limit: int) -> list[list[dict]]:
    found, cursor = [], None
    while True:
        params = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = await http.get(url, params=params, headers=bearer(key))
        assert response.status_code == 200, response.text
        found.append(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return found


async def test_an_organisations_delivery_records_come_in_pages_newest_first_each_once(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, university = await two_orgs(http, stack, "投递分页")
    receiver = await Receiver(port).start()
    try:
        await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/hooks")
        for _ in range(5):
            await publish(stack, match_event(firm["id"], university["id"]))
        await receiver.wait_for(5, within=20)
        url = f"{stack.url('notify')}/v1/deliveries"

        async def all_five() -> list[list[dict]] | None:
            found = await pages(http, url, firm["api_key"], limit=2)
            return found if sum(map(len, found)) == 5 else None

        found = await eventually(all_five)
        assert [len(page) for page in found] == [2, 2, 1]
        records = [record for page in found for record in page]
        assert {r["notification_id"] for r in records} == {m.headers["webhook-id"] for m in receiver.received}
        times = [datetime.fromisoformat(r["at"]) for r in records]
        assert times == sorted(times, reverse=True)
        assert all(r["status"] == "succeeded" and r["attempt"] == 1 and r["response_code"] == 200 for r in records)

        refused = await http.get(url, params={"cursor": "yesterday"}, headers=bearer(firm["api_key"]))
        assert refused.status_code == 422

        sent = receiver.received[0]
        message = await http.get(f"{stack.url('notify')}/v1/notifications/{sent.headers['webhook-id']}",
                                 headers=bearer(firm["api_key"]))
        assert message.status_code == 200, message.text
        read = message.json()
        assert read["id"] == sent.headers["webhook-id"] and read["type"] == sent.json()["type"]
        assert {**read["data"], "notification_id": read["id"]} == sent.json()["data"], "a webhook adds its id"
        elsewhere = await http.get(f"{stack.url('notify')}/v1/notifications/{sent.headers['webhook-id']}",
                                   headers=bearer(university["api_key"]))
        assert elsewhere.status_code == 404, "another organisation's copy is its own"
    finally:
        await receiver.stop()


async def test_records_of_the_same_time_are_split_across_pages_without_a_gap_or_a_repeat(stack: Stack) -> None:
    db = Database(stack.database_url("notify-database"), "duijie_notify")
    org_id = f"org_pages_{uuid.uuid4().hex[:8]}"
    now = datetime.now(UTC).replace(microsecond=0)
    times = [now] * 5 + [now - timedelta(seconds=1)] * 2
    try:
        await db["deliveries"].insert_many([
            {"_id": f"dlv_{i}_{uuid.uuid4().hex[:6]}", "dispatch_id": f"d{i}", "notification_id": f"ntf_{i}",
             "org_id": org_id, "channel": "webhook", "target_id": "ep_1", "event_type": "match.proposed",
             "attempt": 1, "status": "failed", "response_code": 500, "response_body": "", "error": None,
             "latency_ms": 3.0, "at": at} for i, at in enumerate(times)])
        await db["dead_letters"].insert_many([
            {"_id": f"ntf_{i}:webhook:ep_1", "notification_id": f"ntf_{i}", "org_id": org_id, "channel": "webhook",
             "target_id": "ep_1", "event_type": "match.proposed", "attempts": 8, "last_response_code": 500,
             "last_error": None, "status": "dead", "at": at} for i, at in enumerate(times)])
        records = Records(db)
        for read in (records.deliveries, records.dead_letters):
            seen, cursor = [], None
            while True:
                page = await read(org_id, {}, 2, cursor)
                seen += [(item.at, item.id) for item in page.items]
                if (cursor := page.next_cursor) is None:
                    break
            assert len(seen) == 7 and len(set(seen)) == 7, read.__name__
            assert seen == sorted(seen, reverse=True), read.__name__
        failed = await records.deliveries(org_id, {"status": "failed", "notification_id": "ntf_6"}, 10, None)
        assert [item.notification_id for item in failed.items] == ["ntf_6"] and failed.next_cursor is None
    finally:
        await db.close()
