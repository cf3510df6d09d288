"""Deals through the API: drafted by one party, confirmed by the other, registered; bad input and permissions."""

import asyncio
import uuid
from datetime import UTC, datetime

import httpx
import pytest

from deploy.stack import Stack
from services.registry.db import Database
from services.registry.settings import Settings

pytestmark = pytest.mark.integration


async def test_a_deal_goes_from_draft_to_performed_with_every_change_versioned(
        http: httpx.AsyncClient, registry: str, org, matched) -> None:
    firm, university = await org("合同企业", "firm"), await org("合同大学", "university")
    match_id = await matched(firm, university)
    drafted = await http.post(f"{registry}/v1/deals", headers=firm["headers"], json={
        "match_id": match_id, "kind": "licence", "amount": 800000, "signed_on": "2026-03-18"})
    assert drafted.status_code == 201, drafted.text
    deal = drafted.json()
    assert deal["status"] == "draft" and deal["category"] == "technology"
    parties = {(p["org_id"], p["kind"]) for p in deal["parties"]}
    assert parties == {(firm["id"], "firm"), (university["id"], "university")}
    url = f"{registry}/v1/deals/{deal['id']}"

    own = await http.post(f"{url}/confirm", headers=firm["headers"])
    assert own.status_code == 403 and "other party" in own.text
    signed = await http.post(f"{url}/confirm", headers=university["headers"])
    assert signed.status_code == 200 and signed.json()["status"] == "signed"

    amended = await http.patch(url, headers=university["headers"], json={"version": 2, "amount": 950000})
    assert amended.status_code == 200, amended.text
    assert amended.json()["version"] == 3 and amended.json()["history"][-1]["changes"] == {"amount": [800000, 950000]}
    stale = await http.patch(url, headers=firm["headers"], json={"version": 2, "amount": 1})
    assert stale.status_code == 409

    registered = await http.post(f"{url}/register", headers=firm["headers"],
                                 json={"registration_number": "2026430102000123", "registered_on": "2026-04-02"})
    assert registered.status_code == 200, registered.text
    performed = await http.post(f"{url}/perform", headers=university["headers"])
    assert performed.json()["status"] == "performed" and performed.json()["version"] == 5
    assert [h["action"] for h in performed.json()["history"]] == ["draft", "confirm", "amend", "register", "perform"]

    mine = (await http.get(f"{registry}/v1/deals", headers=university["headers"])).json()["items"]
    assert [d["id"] for d in mine] == [deal["id"]]


async def test_bad_deals_get_a_422_that_says_why(http: httpx.AsyncClient, registry: str, org, matched) -> None:
    firm, university, stranger = (await org("坏输入企业", "firm"), await org("坏输入大学", "university"),
                                  await org("陌生企业", "firm"))
    match_id = await matched(firm, university)
    base = {"match_id": match_id, "kind": "development", "amount": 100000, "signed_on": "2026-02-01"}

    negative = await http.post(f"{registry}/v1/deals", headers=firm["headers"], json={**base, "amount": -5})
    assert negative.status_code == 422 and "amount" in negative.json()["message"]
    never = await http.post(f"{registry}/v1/deals", headers=stranger["headers"], json=base)
    assert never.status_code == 422 and "never matched" in never.json()["message"]
    never_met = await http.post(f"{registry}/v1/deals", headers=firm["headers"],
                                json={**base, "match_id": None, "meeting_id": "no-such-meeting"})
    assert never_met.status_code == 422 and "never met" in never_met.json()["message"]
    future = await http.post(f"{registry}/v1/deals", headers=firm["headers"], json={**base, "signed_on": "2099-01-01"})
    assert future.status_code == 422 and "signed_on" in future.json()["message"]

    deal = (await http.post(f"{registry}/v1/deals", headers=firm["headers"], json=base)).json()
    url = f"{registry}/v1/deals/{deal['id']}"
    assert (await http.post(f"{url}/confirm", headers=stranger["headers"])).status_code == 403
    assert (await http.get(url, headers=stranger["headers"])).status_code == 403
    await http.post(f"{url}/confirm", headers=university["headers"])
    malformed = await http.post(f"{url}/register", headers=firm["headers"], json={"registration_number": "2026-43-1"})
    assert malformed.status_code == 422
    assert malformed.json()["field"] == "registration_number" and "技术合同登记号" in malformed.json()["message"]


async def test_a_deal_from_a_summit_meeting_carries_the_summit(
        stack: Stack, http: httpx.AsyncClient, registry: str, org) -> None:
    firm, bank = await org("会谈企业", "firm"), await org("会谈银行", "financier", financier_type="bank")
    product = await http.post(f"{registry}/v1/products", headers=bank["headers"], json={
        "name": "知识产权质押贷", "product_type": "ip_pledge_loan", "amount_max": 5000000})
    assert product.status_code == 201, product.text
    meeting_id = f"meeting_{product.json()['id'][-12:]}"
    db = Database(stack.mongo_url, Settings().registry_db)  # retries while the embedded engine is busy
    try:  # as the summits module stores an accepted meeting
        await db["summit_meetings"].insert_one(
            {"_id": meeting_id, "summit_id": "summit_demo", "org_ids": [firm["id"], bank["id"]],
             "status": "accepted", "at": datetime.now(UTC)})
    finally:
        await db.close()
    loan = await http.post(f"{registry}/v1/deals", headers=bank["headers"], json={
        "meeting_id": meeting_id, "kind": "loan", "amount": 3000000, "signed_on": "2026-06-01",
        "product_id": product.json()["id"]})
    assert loan.status_code == 201, loan.text
    assert (loan.json()["summit_id"], loan.json()["product_type"]) == ("summit_demo", "ip_pledge_loan")
    technology_with_product = await http.post(f"{registry}/v1/deals", headers=bank["headers"], json={
        "meeting_id": meeting_id, "kind": "transfer", "amount": 1, "signed_on": "2026-06-01",
        "product_id": product.json()["id"]})
    assert technology_with_product.status_code == 422
    register = await http.post(f"{registry}/v1/deals/{loan.json()['id']}/register", headers=bank["headers"],
                               json={"registration_number": "2026430102000999"})
    assert register.status_code == 409 and "only technology contracts" in register.text


async def test_a_party_that_amended_the_draft_cannot_confirm_its_own_terms(
        http: httpx.AsyncClient, registry: str, org, matched) -> None:
    firm, university = await org("改稿企业", "firm"), await org("改稿大学", "university")
    match_id = await matched(firm, university)
    deal = (await http.post(f"{registry}/v1/deals", headers=firm["headers"], json={
        "match_id": match_id, "kind": "licence", "amount": 100000, "signed_on": "2026-03-18"})).json()
    url = f"{registry}/v1/deals/{deal['id']}"
    amended = await http.patch(url, headers=university["headers"], json={"amount": 9000000})
    assert amended.status_code == 200, amended.text

    own_terms = await http.post(f"{url}/confirm", headers=university["headers"])
    assert own_terms.status_code == 403 and "other party" in own_terms.text, own_terms.text
    signed = await http.post(f"{url}/confirm", headers=firm["headers"])
    assert signed.status_code == 200 and signed.json()["status"] == "signed", signed.text
    assert signed.json()["amount"] == 9000000 and signed.json()["confirmed_by"] == firm["id"]


async def test_a_confirmation_names_the_terms_it_read_and_is_refused_once_they_changed(
        http: httpx.AsyncClient, registry: str, org, matched) -> None:
    firm, university = await org("读稿企业", "firm"), await org("读稿大学", "university")
    match_id = await matched(firm, university)
    drafted = await http.post(f"{registry}/v1/deals", headers=firm["headers"], json={
        "match_id": match_id, "kind": "licence", "amount": 100000, "signed_on": "2026-03-18"})
    url, read = f"{registry}/v1/deals/{drafted.json()['id']}", drafted.headers["ETag"]
    raised = await http.patch(url, headers=firm["headers"], json={"amount": 9000000})
    assert raised.status_code == 200, raised.text

    stale = await http.post(f"{url}/confirm", headers={**university["headers"], "If-Match": read})
    assert stale.status_code == 409 and "version" in stale.text, stale.text
    assert (await http.get(url, headers=university["headers"])).json()["status"] == "draft"
    signed = await http.post(f"{url}/confirm", headers={**university["headers"], "If-Match": raised.headers["ETag"]})
    assert signed.status_code == 200 and signed.json()["amount"] == 9000000, signed.text
    assert signed.headers["ETag"] == f'"{signed.json()["version"]}"'


async def test_two_deals_registered_at_once_with_one_number_get_it_once(
        http: httpx.AsyncClient, registry: str, org, matched) -> None:
    firm, university = await org("同号企业", "firm"), await org("同号大学", "university")
    urls = []
    for _ in range(2):
        match_id = await matched(firm, university)
        deal = (await http.post(f"{registry}/v1/deals", headers=firm["headers"], json={
            "match_id": match_id, "kind": "licence", "amount": 100000, "signed_on": "2026-03-18"})).json()
        url = f"{registry}/v1/deals/{deal['id']}"
        assert (await http.post(f"{url}/confirm", headers=university["headers"])).status_code == 200
        urls.append(url)
    number = f"2026430102{uuid.uuid4().int % 10**6:06}"
    answers = await asyncio.gather(*(http.post(f"{url}/register", headers=firm["headers"],
                                               json={"registration_number": number}) for url in urls))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    assert "already recorded" in next(a for a in answers if a.status_code == 409).text
