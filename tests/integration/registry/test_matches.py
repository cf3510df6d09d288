"""Matches as users answer them, and confidential needs seen only by those they were matched with."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from deploy.stack import Stack
from services.contracts.wire import decode
from services.registry.db import Database
from services.registry.matches.repository import MatchRepository
from services.registry.settings import Settings
from tests.support.api import bearer, eventually, register_org

pytestmark = pytest.mark.integration


async def matched_pair(http: httpx.AsyncClient, registry: str, firm_factory, visibility: str) -> tuple:
    """A firm's need and a university's result about the same rare technology, and the match between them."""
    word = f"钙钛矿叠层{uuid.uuid4().hex[:4]}"
    firm = await firm_factory("光伏组件制造企业")
    uni = await register_org(http, registry, "新能源研究院", "institute")
    need = await http.post(f"{registry}/v1/needs", headers=bearer(firm["api_key"]), json={
        "title": f"{word}太阳能电池量产工艺", "description": f"寻求{word}电池稳定性与量产工艺技术",
        "keywords": [word, "光伏", "稳定性"], "trl_min": 4, "trl_max": 8, "visibility": visibility})
    result = await http.post(f"{registry}/v1/results", headers=bearer(uni["api_key"]), json={
        "title": f"{word}太阳能电池稳定性提升技术", "abstract": f"{word}电池封装与量产工艺，稳定性显著提升",
        "keywords": [word, "光伏", "稳定性"], "trl": 6})
    assert need.status_code == 201 and result.status_code == 201, (need.text, result.text)

    async def the_match() -> dict | None:
        items = (await http.get(f"{registry}/v1/matches", headers=bearer(uni["api_key"]))).json()["items"]
        return next((m for m in items if m["need_id"] == need.json()["id"]), None)

    match = await eventually(the_match, within=30)
    return firm, uni, need.json(), match


async def outbox_events(stack: Stack, subject: str) -> list[dict]:
    db = Database(stack.mongo_url, Settings().registry_db)  # retries while the embedded engine is busy
    try:
        rows = {row["_id"]: row for collection in ("outbox", "outbox_sent")  # still to send, then sent (a row
                for row in await db[collection].find({"key": subject}).to_list()}  # moving between is seen once)
        return sorted(rows.values(), key=lambda row: row["_id"])
    finally:
        await db.close()


async def test_both_sides_accept_and_the_match_becomes_mutual(stack: Stack, http: httpx.AsyncClient, registry: str,
                                                              firm_factory) -> None:
    firm, uni, _, match = await matched_pair(http, registry, firm_factory, "public")
    url = f"{registry}/v1/matches/{match['id']}"
    assert match["components"] and all(c["explanation"] for c in match["components"])
    stranger = await firm_factory("无关企业")
    assert (await http.post(f"{url}/accept", headers=bearer(stranger["api_key"]))).status_code == 404
    assert (await http.get(url, headers=bearer(stranger["api_key"]))).status_code == 404

    one = await http.post(f"{url}/accept", headers=bearer(firm["api_key"]))
    assert one.status_code == 200 and one.json()["my_decision"] == "accepted" and not one.json()["mutual"]
    seen_by_uni = (await http.get(url, headers=bearer(uni["api_key"]))).json()
    assert seen_by_uni["their_decision"] == "accepted" and seen_by_uni["status"] == "proposed"
    both = await http.post(f"{url}/accept", headers=bearer(uni["api_key"]), json={"text": "欢迎洽谈"})
    assert both.json()["mutual"] and both.json()["status"] == "accepted"

    events = await outbox_events(stack, match["id"])
    assert [e["type"] for e in events] == ["match.accepted", "match.accepted"]
    assert all(e["topic"] == "registry.feedback.v1" for e in events)
    answered = [decode(e["value"]).data for e in events]
    assert [(a["org_id"], a["need_org_id"], a["counterpart_org_id"]) for a in answered] == \
        [(firm["id"], firm["id"], uni["id"]), (uni["id"], firm["id"], uni["id"])], "the event names both parties"
    await eventually(lambda: _all_sent(stack, match["id"]), within=15)


async def _all_sent(stack: Stack, subject: str) -> bool:
    return all(e["sent"] for e in await outbox_events(stack, subject))


async def test_a_decline_carries_its_reason_and_is_final(stack: Stack, http: httpx.AsyncClient, registry: str,
                                                         firm_factory) -> None:
    firm, uni, _, match = await matched_pair(http, registry, firm_factory, "public")
    url = f"{registry}/v1/matches/{match['id']}"
    bad = await http.post(f"{url}/decline", headers=bearer(firm["api_key"]), json={"reason": "boring"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "reason"
    declined = await http.post(f"{url}/decline", headers=bearer(firm["api_key"]),
                               json={"reason": "too_early_stage", "text": "成熟度不够"})
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert (await http.post(f"{url}/accept", headers=bearer(uni["api_key"]))).status_code == 409

    snapshot = await http.get(f"{registry}/v1/catalogue/snapshot", headers=bearer(stack.env()["DUIJIE_INTERNAL_KEY"]))
    declines = [line for line in snapshot.text.splitlines() if match["id"] in line and '"decline"' in line]
    assert len(declines) == 1 and '"too_early_stage"' in declines[0]
    events = await outbox_events(stack, match["id"])
    assert [e["type"] for e in events] == ["match.declined"]


async def test_a_confidential_need_is_anonymised_until_both_accept(stack: Stack, http: httpx.AsyncClient,
                                                                   registry: str, firm_factory) -> None:
    firm, uni, need, match = await matched_pair(http, registry, firm_factory, "confidential")
    need_url = f"{registry}/v1/needs/{need['id']}"
    assert match["need_org_id"] is None, "the counterpart does not learn who posted a confidential need"
    seen = await http.get(need_url, headers=bearer(uni["api_key"]))
    assert seen.status_code == 200 and seen.json()["org_id"] is None and seen.json()["title"] == need["title"]

    stranger = await firm_factory("好奇企业")
    assert (await http.get(need_url, headers=bearer(stranger["api_key"]))).status_code == 404
    assert (await http.patch(need_url, headers=bearer(stranger["api_key"]), json={"title": "x"})).status_code == 404
    assert (await http.patch(need_url, headers=bearer(uni["api_key"]), json={"title": "x"})).status_code == 403
    listed = (await http.get(f"{registry}/v1/needs", headers=bearer(stranger["api_key"]),
                             params={"q": need["title"]})).json()["items"]
    assert listed == []

    for party in (firm, uni):
        assert (await http.post(f"{registry}/v1/matches/{match['id']}/accept",
                                headers=bearer(party["api_key"]))).status_code == 200
    assert (await http.get(need_url, headers=bearer(uni["api_key"]))).json()["org_id"] == firm["id"]
    mutual = (await http.get(f"{registry}/v1/matches/{match['id']}", headers=bearer(uni["api_key"]))).json()
    assert mutual["need_org_id"] == firm["id"]

    answers = [decode(e["value"]).data for e in await outbox_events(stack, match["id"])]
    assert [(a["org_id"], a["need_confidential"], a["mutual"]) for a in answers] == \
        [(firm["id"], True, False), (uni["id"], True, True)], "answers say what notify may reveal, and when"


async def test_a_confidential_needs_owner_stays_hidden_once_the_need_is_deleted(
        http: httpx.AsyncClient, registry: str, firm_factory) -> None:
    firm, uni, need, match = await matched_pair(http, registry, firm_factory, "confidential")
    url = f"{registry}/v1/matches/{match['id']}"
    deleted = await http.delete(f"{registry}/v1/needs/{need['id']}", headers=bearer(firm["api_key"]))
    assert deleted.status_code == 204, deleted.text

    async def retracted() -> dict | None:
        seen = (await http.get(url, headers=bearer(uni["api_key"]))).json()
        return seen if seen["status"] == "retracted" else None

    assert (await eventually(retracted, within=30))["need_org_id"] is None
    listed = (await http.get(f"{registry}/v1/matches", headers=bearer(uni["api_key"]))).json()["items"]
    assert [m["need_org_id"] for m in listed if m["id"] == match["id"]] == [None], "nor in the list"
    assert (await http.get(url, headers=bearer(firm["api_key"]))).json()["need_org_id"] == firm["id"]


async def test_a_match_stored_before_matching_flagged_confidentiality_hides_a_deleted_needs_owner(
        http: httpx.AsyncClient, registry: str, registry_db: Database, firm_factory) -> None:
    firm = await firm_factory("早期保密需求企业")
    uni = await register_org(http, registry, "早期匹配大学", "university")
    older = {"match_id": uuid.uuid4().hex, "need_id": "need_deleted_long_ago", "counterpart_id": "result_x",
             "counterpart_kind": "result", "need_org_id": firm["id"], "counterpart_org_id": uni["id"], "score": 0.7,
             "proposed_at": datetime.now(UTC).isoformat()}  # no need_confidential: nothing tells it was public
    await MatchRepository(registry_db).record_events([("match.proposed", older, "ev-older", datetime.now(UTC))])
    seen = await http.get(f"{registry}/v1/matches/{older['match_id']}", headers=bearer(uni["api_key"]))
    assert seen.status_code == 200 and seen.json()["need_org_id"] is None, "taken as confidential: fail closed"


async def test_matches_proposed_at_one_time_are_each_paged_exactly_once(
        http: httpx.AsyncClient, registry: str, registry_db: Database, firm_factory) -> None:
    firm = await firm_factory("同时匹配企业")
    uni = await register_org(http, registry, "同时匹配大学", "university")
    at = datetime.now(UTC).replace(microsecond=0).isoformat()  # one need's matches share their proposal time
    proposed = [{"match_id": uuid.uuid4().hex, "need_id": f"need_{i}", "counterpart_id": f"result_{i}",
                 "counterpart_kind": "result", "need_org_id": firm["id"], "counterpart_org_id": uni["id"],
                 "score": 0.5, "proposed_at": at, "need_confidential": False} for i in range(5)]
    await MatchRepository(registry_db).record_events(
        [("match.proposed", data, f"ev-{data['match_id']}", datetime.now(UTC)) for data in proposed])
    me, url = bearer(firm["api_key"]), f"{registry}/v1/matches"
    for limit in (1, 2, 3):
        seen, cursor = [], None
        while True:
            page = await http.get(url, headers=me, params={"limit": limit, **({"cursor": cursor} if cursor else {})})
            assert page.status_code == 200, page.text
            seen += [m["id"] for m in page.json()["items"]]
            if not (cursor := page.json()["next_cursor"]):
                break
        assert sorted(seen) == sorted(d["match_id"] for d in proposed) and len(seen) == len(proposed), limit
    older_cursor = await http.get(url, headers=me, params={"cursor": "2199-12-31T00:00:00+00:00"})
    assert len(older_cursor.json()["items"]) == 5, "a cursor of a time alone, as pages gave before, still works"
    for cursor in ("9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+23:59", "２０２６-01-01T00:00:00+00:00"):
        refused = await http.get(url, headers=me, params={"cursor": cursor})
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["field"] == "query parameter cursor"
