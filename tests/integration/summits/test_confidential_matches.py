"""A match with a confidential need does not lead its counterpart to the need's owner (no summit suggestion, no
meeting request or deal through the match) until both sides accepted, even once the need is deleted; the owner may
use it from the start."""

import httpx
import pytest

from tests.integration.summits.conftest import people
from tests.support.api import bearer, register_org

pytestmark = pytest.mark.integration


async def test_a_confidential_needs_counterpart_is_led_to_its_owner_only_once_both_accepted(
        http: httpx.AsyncClient, registry: str, summit: dict, seed_match) -> None:
    sid = summit["id"]
    firm = await register_org(http, registry, "保密需求参会企业", "firm")
    university = await register_org(http, registry, "参会大学", "university")
    need = await http.post(f"{registry}/v1/needs", headers=bearer(firm["api_key"]), json={
        "title": "盐碱地水稻耐盐品种选育", "keywords": ["耐盐", "水稻"], "visibility": "confidential"})
    assert need.status_code == 201, need.text
    [li] = await people(http, registry, sid, firm["api_key"], "李明")
    [wang] = await people(http, registry, sid, university["api_key"], "王教授")
    match_id = await seed_match(firm["id"], university["id"], 0.8, need_id=need.json()["id"])

    assert university["id"] in await suggested(http, registry, sid, firm), "the owner may reveal itself"
    await nothing_leads_to_the_owner(http, registry, sid, (firm, li), (university, wang), match_id)
    deal = {"match_id": match_id, "kind": "licence", "amount": 300000, "signed_on": "2026-11-30"}

    for party in (firm, university):
        answer = await http.post(f"{registry}/v1/matches/{match_id}/accept", headers=bearer(party["api_key"]))
        assert answer.status_code == 200, answer.text
    assert firm["id"] in await suggested(http, registry, sid, university), "once both accepted, the owner is known"
    asked = await http.post(f"{registry}/v1/summits/{sid}/requests", headers=bearer(university["api_key"]),
                            json={"from_participant": wang["id"], "to_participant": li["id"], "match_id": match_id})
    assert asked.status_code == 201 and asked.json()["source"] == "match", asked.text
    drafted = await http.post(f"{registry}/v1/deals", headers=bearer(university["api_key"]), json=deal)
    assert drafted.status_code == 201, drafted.text


async def test_a_deleted_confidential_need_still_leads_no_counterpart_to_its_owner(
        http: httpx.AsyncClient, registry: str, summit: dict, seed_match) -> None:
    sid = summit["id"]
    firm = await register_org(http, registry, "已删保密需求企业", "firm")
    university = await register_org(http, registry, "已删需求对方大学", "university")
    need = await http.post(f"{registry}/v1/needs", headers=bearer(firm["api_key"]), json={
        "title": "设施农业智能灌溉控制", "keywords": ["灌溉"], "visibility": "confidential"})
    [li] = await people(http, registry, sid, firm["api_key"], "李明")
    [wang] = await people(http, registry, sid, university["api_key"], "王教授")
    match_id = await seed_match(firm["id"], university["id"], 0.8, need_id=need.json()["id"])  # no retraction
    deleted = await http.delete(f"{registry}/v1/needs/{need.json()['id']}", headers=bearer(firm["api_key"]))
    assert deleted.status_code == 204, deleted.text

    await nothing_leads_to_the_owner(http, registry, sid, (firm, li), (university, wang), match_id)


async def suggested(http: httpx.AsyncClient, registry: str, sid: str, party: dict) -> list[str]:
    page = await http.get(f"{registry}/v1/summits/{sid}/suggestions", headers=bearer(party["api_key"]))
    return [s["counterpart_org_id"] for s in page.json()["items"]]


async def nothing_leads_to_the_owner(http: httpx.AsyncClient, registry: str, sid: str, owner: tuple[dict, dict],
                                     counterpart: tuple[dict, dict], match_id: str) -> None:
    """The counterpart (an organisation and its participant) is not suggested the owner, and can neither ask the
    owner's participant for a meeting nor draft a deal through the match."""
    (firm, li), (university, wang) = owner, counterpart
    assert firm["id"] not in await suggested(http, registry, sid, university), "not told who the owner is"
    through_match = await http.post(f"{registry}/v1/summits/{sid}/requests", headers=bearer(university["api_key"]),
                                    json={"from_participant": wang["id"], "to_participant": li["id"],
                                          "match_id": match_id})
    assert through_match.status_code == 422 and through_match.json()["field"] == "match_id"
    deal = {"match_id": match_id, "kind": "licence", "amount": 300000, "signed_on": "2026-11-30"}
    early = await http.post(f"{registry}/v1/deals", headers=bearer(university["api_key"]), json=deal)
    assert early.status_code == 422 and early.json()["field"] == "match_id", "a draft would name the owner"
