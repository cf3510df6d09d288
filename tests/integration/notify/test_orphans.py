"""A replica that died after claiming a notification's first attempts but before sending them: once its lease has
run out and it has stopped beating, another replica adopts the dispatch and the message is sent, once."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pymongo import AsyncMongoClient, ReturnDocument

from deploy.receiver import Receiver
from deploy.stack import Stack
from services.notify.deliveries import dispatch_id
from services.notify.notifications import notification_id
from tests.integration.notify.support import add_webhook, get, two_orgs
from tests.support.api import eventually

pytestmark = pytest.mark.integration


async def test_a_dead_replicas_claimed_message_is_adopted_and_sent_once(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, _ = await two_orgs(http, stack, "孤儿")
    receiver = await Receiver(port).start()
    client: AsyncMongoClient = AsyncMongoClient(stack.database_url("notify-database"), tz_aware=True)
    try:
        hook = await add_webhook(http, stack, firm["api_key"], f"{receiver.url}/hooks")
        nid = notification_id(f"ev_{uuid.uuid4().hex}", firm["id"])
        past = datetime.now(UTC) - timedelta(minutes=5)
        # A sequence number reserved like any notification's: the shared session's SSE streams resume past it.
        counter = await client["duijie_notify"]["counters"].find_one_and_update(
            {"_id": "notifications"}, {"$inc": {"seq": 1}}, upsert=True, return_document=ReturnDocument.AFTER)
        await client["duijie_notify"]["notifications"].insert_one({
            "_id": nid, "org_id": firm["id"], "type": "match.proposed", "event_id": "ev", "subject": "mt_orphan",
            "data": {"match_id": "mt_orphan", "need_org_id": firm["id"]}, "created_at": past, "seq": counter["seq"],
            "streamed": True, "undispatched": [dispatch_id(nid, "webhook", hook["id"])],
            "claimed_until": past + timedelta(seconds=20), "claimed_by": "rp_dead_replica"})

        (message,) = await receiver.wait_for(1, within=15)
        assert message.headers["webhook-id"] == nid
        await asyncio.sleep(2.5)  # two more sweeps: nothing is adopted twice
        assert len(receiver.received) == 1
        records = await eventually(lambda: get(http, stack, firm["api_key"], "/v1/deliveries", notification_id=nid))
        assert [r["status"] for r in records] == ["succeeded"]
        settled = await client["duijie_notify"]["notifications"].find_one({"_id": nid})
        assert settled is not None and settled["undispatched"] == [] and "claimed_until" not in settled
    finally:
        await client.close()
        await receiver.stop()
