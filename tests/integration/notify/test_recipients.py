"""Who is told: the other party of a match's feedback, both parties of a deal, every participant of a summit
meeting; and a webhook URL failing the SSRF guard is refused at registration with a 422 saying why."""

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest

import services.contracts.deals  # noqa: F401 - registers the deal event types
import services.contracts.summits  # noqa: F401 - registers the summit event types
from deploy.receiver import Receiver
from deploy.stack import Stack, free_port
from services.contracts import topics
from services.contracts.envelope import Envelope, new_event
from services.contracts.wire import encode
from tests.integration.notify.support import add_webhook, match_event, publish, two_orgs
from tests.support.api import bearer, eventually
from tests.support.kafka import publish_raw

pytestmark = pytest.mark.integration


async def send(stack: Stack, topic: str, event: Envelope) -> None:
    await publish_raw(stack.bootstrap, topic, encode(event), key=event.key())


def types_for(receiver: Receiver, subject_key: str, value: str) -> list[str]:
    return [r.json()["type"] for r in receiver.received if r.json()["data"].get(subject_key) == value]


async def test_feedback_tells_the_other_party_deals_both_parties_meetings_every_participant(
        stack: Stack, http: httpx.AsyncClient) -> None:
    firm, university = await two_orgs(http, stack, "收件人")
    firm_hooks, university_hooks = await Receiver(free_port()).start(), await Receiver(free_port()).start()
    try:
        await add_webhook(http, stack, firm["api_key"], f"{firm_hooks.url}/hooks")
        await add_webhook(http, stack, university["api_key"], f"{university_hooks.url}/hooks")
        proposed = match_event(firm["id"], university["id"])
        match_id = proposed.data["match_id"]
        await publish(stack, proposed)
        await eventually(lambda: _has(firm_hooks, "match_id", match_id, "match.proposed"), within=20)

        await send(stack, topics.FEEDBACK, new_event("match.accepted", match_id, {
            "match_id": match_id, "org_id": university["id"], "need_id": proposed.data["need_id"],
            "counterpart_id": proposed.data["counterpart_id"], "counterpart_kind": "result",
            "decision": "accepted", "at": datetime.now(UTC)}, "/tests/notify"))
        await eventually(lambda: _has(firm_hooks, "match_id", match_id, "match.accepted"), within=20)
        # Feedback that names the match's parties reaches the other side without notify having seen the proposal.
        unseen = match_event(firm["id"], university["id"]).data
        await send(stack, topics.FEEDBACK, new_event("match.declined", unseen["match_id"], {
            "match_id": unseen["match_id"], "org_id": firm["id"], "need_id": unseen["need_id"],
            "counterpart_id": unseen["counterpart_id"], "counterpart_kind": "result", "decision": "declined",
            "reason": "too_expensive", "at": datetime.now(UTC), "need_org_id": firm["id"],
            "counterpart_org_id": university["id"]}, "/tests/notify"))
        await eventually(lambda: _has(university_hooks, "match_id", unseen["match_id"], "match.declined"), within=20)

        deal_id = f"dl_{uuid.uuid4().hex[:10]}"
        now = datetime.now(UTC)
        await send(stack, topics.DEALS, new_event("deal.signed", deal_id, {
            "id": deal_id, "version": 2, "status": "signed", "kind": "licence", "category": "technology",
            "amount": 800000, "signed_on": date.today(), "drafted_by": firm["id"], "confirmed_by": university["id"],
            "match_id": match_id, "created_at": now, "updated_at": now,
            "parties": [{"org_id": firm["id"], "kind": "firm"}, {"org_id": university["id"], "kind": "university"}]},
            "/tests/notify"))
        request_id = f"mr_{uuid.uuid4().hex[:10]}"
        await send(stack, topics.SUMMITS, new_event("meeting.requested", request_id, {
            "request_id": request_id, "summit_id": "sm_1", "from_participant": "p1", "to_participant": "p2",
            "from_org_id": firm["id"], "to_org_id": university["id"],
            "participant_org_ids": [firm["id"], university["id"]], "score": 0.7, "source": "match",
            "status": "pending", "expires_at": now + timedelta(days=2), "at": now}, "/tests/notify"))

        for hooks in (firm_hooks, university_hooks):
            await eventually(lambda h=hooks: _has(h, "id", deal_id, "deal.signed"), within=20)
            await eventually(lambda h=hooks: _has(h, "request_id", request_id, "meeting.requested"), within=20)
        assert types_for(university_hooks, "match_id", match_id).count("match.accepted") == 0, \
            "the party that answered is not told its own answer"
    finally:
        await firm_hooks.stop()
        await university_hooks.stop()


async def _has(receiver: Receiver, key: str, value: str, type_: str) -> bool:
    return type_ in types_for(receiver, key, value)


@pytest.mark.parametrize(("url", "why"), [
    ("http://hooks.example.com/duijie", "must use https"),
    ("https://169.254.169.254/latest/meta-data", "link-local"),
    ("https://10.0.0.8/hooks", "private"),
    ("https://[::ffff:127.0.0.1]/hooks", "loopback"),
    ("gopher://127.0.0.1/x", "scheme"),
])
async def test_a_webhook_url_failing_the_guard_is_refused_with_the_reason(
        stack: Stack, http: httpx.AsyncClient, url: str, why: str) -> None:
    firm, _ = await two_orgs(http, stack, f"守卫{uuid.uuid4().hex[:4]}")
    response = await http.post(f"{stack.url('notify')}/v1/webhooks", json={"url": url},
                               headers=bearer(firm["api_key"]))
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "url"] and why in error["msg"]
