"""Needs, results, products and experts through one generic machinery: CRUD, concurrency, filters, search."""

import httpx
import pytest

from services.registry.identifiers import patent_check_character
from tests.support.api import bearer, register_org

pytestmark = pytest.mark.integration

NEED = {"title": "锂电池极片涂布缺陷在线检测", "description": "需要机器视觉在线检测极片涂布缺陷",
        "keywords": ["机器视觉", "锂电池", "缺陷检测"], "industry_codes": ["C3841"], "trl_min": 5, "trl_max": 8,
        "budget_max": 1500000, "cooperation_modes": ["joint_development"], "region": "430121"}


def patent(digits: str) -> str:
    return f"CN{digits}.{patent_check_character(digits)}"


async def test_a_need_lives_from_draft_to_closed(http: httpx.AsyncClient, registry: str, firm_factory) -> None:
    firm = await firm_factory("宁乡电池材料有限公司")
    me = bearer(firm["api_key"])
    created = await http.post(f"{registry}/v1/needs", headers=me, json={**NEED, "status": "draft"})
    assert created.status_code == 201, created.text
    need = created.json()
    url = f"{registry}/v1/needs/{need['id']}"
    assert need["version"] == 1 and need["status"] == "draft"

    other = bearer((await firm_factory("同行企业"))["api_key"])
    assert (await http.get(url, headers=other)).status_code == 404, "someone else's draft is not shown"

    opened = await http.patch(url, headers={**me, "If-Match": '"1"'}, json={"status": "open", "budget_max": 1800000})
    assert opened.status_code == 200, opened.text
    assert opened.json()["version"] == 2 and opened.json()["budget_max"] == 1800000
    assert (await http.get(url, headers=other)).status_code == 200
    assert (await http.patch(url, headers=other, json={"title": "抢占"})).status_code == 403
    assert (await http.delete(url, headers=other)).status_code == 403

    stale = await http.patch(url, headers=me, json={"version": 1, "title": "旧版本上的修改"})
    assert stale.status_code == 409
    broken = await http.patch(url, headers=me, json={"budget_min": 9000000})
    assert broken.status_code == 422 and "budget_min must not exceed budget_max" in broken.json()["message"]
    back = await http.patch(url, headers=me, json={"status": "draft"})
    assert back.status_code == 422 and back.json()["field"] == "status"

    closed = await http.patch(url, headers=me, json={"status": "closed", "version": 2})
    assert closed.status_code == 200 and closed.json()["status"] == "closed" and closed.json()["version"] == 3
    assert (await http.patch(url, headers=me, json={"title": "再改"})).status_code == 409
    assert (await http.delete(url, headers={**me, "If-Match": '"2"'})).status_code == 409
    assert (await http.delete(url, headers=me)).status_code == 204
    assert (await http.get(url, headers=me)).status_code == 404


async def test_results_validate_patent_numbers(http: httpx.AsyncClient, registry: str) -> None:
    uni = await register_org(http, registry, "中南大学", "university")
    me = bearer(uni["api_key"])
    good = await http.post(f"{registry}/v1/results", headers=me, json={
        "title": "高镍正极材料包覆改性", "keywords": ["高镍", "正极材料"], "trl": 5,
        "patents": [{"number": "zl" + patent("202310456789")[2:], "type": "invention"},
                    {"number": patent("202320456789"), "type": "utility_model"}]})
    assert good.status_code == 201, good.text
    assert good.json()["patents"][0]["number"] == patent("202310456789")
    wrong_check = patent("202310456789")[:-1] + ("0" if patent("202310456789")[-1] != "0" else "1")
    bad = await http.post(f"{registry}/v1/results", headers=me, json={
        "title": "某成果", "patents": [{"number": wrong_check, "type": "invention"}]})
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "patents[0].number"
    assert "check digit is wrong" in bad.json()["detail"][0]["msg"]
    mistyped = await http.post(f"{registry}/v1/results", headers=me, json={
        "title": "某成果", "patents": [{"number": patent("202330456789"), "type": "invention"}]})
    assert mistyped.status_code == 422 and mistyped.json()["detail"][0]["field"] == "patents[0].type"
    withdrawn = await http.patch(f"{registry}/v1/results/{good.json()['id']}", headers=me,
                                 json={"status": "withdrawn"})
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"


async def test_products_are_for_financiers_only(http: httpx.AsyncClient, registry: str, firm_factory) -> None:
    bank = await register_org(http, registry, "长沙银行科技支行", "financier", financier_type="bank")
    product = {"name": "知识产权质押贷", "product_type": "ip_pledge_loan", "amount_max": 5000000, "min_patents": 1,
               "regions": ["430121"]}
    listed = await http.post(f"{registry}/v1/products", headers=bearer(bank["api_key"]), json=product)
    assert listed.status_code == 201, listed.text
    firm = await firm_factory("想放贷的企业")
    assert (await http.post(f"{registry}/v1/products", headers=bearer(firm["api_key"]),
                            json=product)).status_code == 403
    found = await http.get(f"{registry}/v1/products", headers=bearer(firm["api_key"]),
                           params={"kind": "ip_pledge_loan", "region": "430121", "q": "质押"})
    assert listed.json()["id"] in [p["id"] for p in found.json()["items"]]


async def test_experts_default_to_their_organisation(http: httpx.AsyncClient, registry: str) -> None:
    uni = await register_org(http, registry, "湖南大学", "university")
    expert = await http.post(f"{registry}/v1/experts", headers=bearer(uni["api_key"]), json={
        "name": "王研究员", "fields": ["电力电子"], "keywords": ["逆变器"], "is_tech_commissioner": True})
    assert expert.status_code == 201, expert.text
    assert expert.json()["affiliation_org_id"] == uni["id"]


async def test_filters_search_and_cursor_pages(http: httpx.AsyncClient, registry: str, firm_factory) -> None:
    firm = await firm_factory("分页测试企业")
    me = bearer(firm["api_key"])
    marker = "分页标记甲乙丙"
    ids = []
    for i in range(5):
        r = await http.post(f"{registry}/v1/needs", headers=me, json={
            "title": f"{marker} 第{i}号需求", "keywords": ["分页"], "industry_codes": ["C3841" if i % 2 else "A0111"],
            "region": "430121" if i < 3 else "430104"})
        assert r.status_code == 201
        ids.append(r.json()["id"])
    seen, cursor = [], None
    while True:
        params = {"q": marker, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await http.get(f"{registry}/v1/needs", headers=me, params=params)).json()
        seen += [n["id"] for n in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(ids)), "newest first, every one exactly once"
    by_code = (await http.get(f"{registry}/v1/needs", headers=me, params={"q": marker, "industry_code": "C38"})).json()
    assert {n["id"] for n in by_code["items"]} == {ids[1], ids[3]}
    by_region = (await http.get(f"{registry}/v1/needs", headers=me, params={"q": marker, "region": "430104"})).json()
    assert {n["id"] for n in by_region["items"]} == {ids[3], ids[4]}
    by_kind = (await http.get(f"{registry}/v1/needs", headers=me, params={"q": marker, "kind": "university"})).json()
    assert by_kind["items"] == []
    case = (await http.get(f"{registry}/v1/needs", headers=me, params={"q": "第3号需求", "status": "open"})).json()
    assert ids[3] in [n["id"] for n in case["items"]]
    assert (await http.get(f"{registry}/v1/needs", headers=me, params={"industry_code": "ZZ"})).status_code == 422
