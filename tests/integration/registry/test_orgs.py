"""Organisations: firm fields validated, roles granted only by admins, keys hashed and shown once."""

import httpx
import pytest

from tests.integration.registry.conftest import new_credit_code
from tests.support.api import bearer

pytestmark = pytest.mark.integration


async def test_a_firm_registers_with_its_credit_code_and_qualifications(http: httpx.AsyncClient,
                                                                         registry: str) -> None:
    code = new_credit_code()
    response = await http.post(f"{registry}/v1/orgs", json={
        "name": "星沙智能装备有限公司", "kind": "firm", "credit_code": code.lower(), "region": "430121",
        "industry_codes": ["c3911"], "founded_year": 2012, "revenue_band": 3, "patents_held": 14,
        "qualifications": [{"code": "high_tech_enterprise", "certificate_no": "GR202343000123",
                            "expires_on": "2099-12-31"}, {"code": "tech_little_giant"}]})
    assert response.status_code == 201, response.text
    org = response.json()
    assert org["credit_code"] == code and org["industry_codes"] == ["C3911"]
    assert org["api_key"].startswith("dj_") and org["roles"] == ["member"]
    again = await http.post(f"{registry}/v1/orgs", json={"name": "冒名企业", "kind": "firm", "credit_code": code})
    assert again.status_code == 409 and again.json()["field"] == "credit_code"


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"credit_code": "914403001922038217"}, "credit_code", "check character is wrong"),
    ({"industry_codes": ["C05"]}, "industry_codes[0]", "does not belong to section C"),
    ({"qualifications": [{"code": "high_tech_enterprise"}]}, "qualifications[0]", "needs certificate_no"),
    ({"qualifications": [{"code": "tech_sme", "expires_on": "2001-01-01"}]}, "qualifications[0]", "in the past"),
    ({"revenue_band": 9}, "revenue_band", "at most 5"),
    ({"financier_type": "bank"}, "request body", "only for organisations of kind financier"),
    ({"founded_year": 3000}, "request body", "in the future"),
    ({"nickname": "x"}, "nickname", "not a known field"),
])
async def test_bad_firm_fields_are_422_naming_the_field(http: httpx.AsyncClient, registry: str, body: dict,
                                                         field: str, words: str) -> None:
    response = await http.post(f"{registry}/v1/orgs", json={"name": "有误企业", "kind": "firm", **body})
    assert response.status_code == 422, response.text
    errors = response.json()["detail"]
    assert any(e["field"] == field and words in e["msg"] for e in errors), errors
    assert field in response.json()["message"]


async def test_a_financier_carries_its_type(http: httpx.AsyncClient, registry: str) -> None:
    response = await http.post(f"{registry}/v1/orgs", json={"name": "长沙科技银行", "kind": "financier",
                                                             "financier_type": "bank"})
    assert response.status_code == 201 and response.json()["financier_type"] == "bank"
    bad = await http.post(f"{registry}/v1/orgs", json={"name": "某基金", "kind": "financier",
                                                       "financier_type": "hedge_fund"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "financier_type"


async def test_patch_changes_the_org_with_optimistic_concurrency(http: httpx.AsyncClient, registry: str,
                                                                 firm_factory) -> None:
    firm = await firm_factory("专利大户企业")
    url, me = f"{registry}/v1/orgs/{firm['id']}", bearer(firm["api_key"])
    changed = await http.patch(url, headers={**me, "If-Match": '"1"'}, json={"patents_held": 20})
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and changed.json()["patents_held"] == 20
    assert changed.headers["ETag"] == '"2"'
    stale = await http.patch(url, headers=me, json={"version": 1, "patents_held": 1})
    assert stale.status_code == 409
    assert (await http.get(url, headers=me)).json()["patents_held"] == 20
    invalid = await http.patch(url, headers=me, json={"industry_codes": ["Q9"]})
    assert invalid.status_code == 422 and invalid.json()["detail"][0]["field"] == "industry_codes[0]"
    other = await firm_factory("别家企业")
    assert (await http.patch(url, headers=bearer(other["api_key"]), json={"name": "x"})).status_code == 403


async def test_only_an_admin_grants_roles_and_keys_follow_roles(http: httpx.AsyncClient, registry: str,
                                                                admin: dict, firm_factory) -> None:
    org = await firm_factory("会务公司")
    me = bearer(org["api_key"])
    keys_url = f"{registry}/v1/orgs/{org['id']}/keys"
    assert (await http.post(keys_url, headers=me, json={"role": "organiser"})).status_code == 403
    assert (await http.post(f"{registry}/v1/orgs/{org['id']}/roles", headers=me,
                            json={"role": "organiser"})).status_code == 403
    granted = await http.post(f"{registry}/v1/orgs/{org['id']}/roles", headers=admin, json={"role": "organiser"})
    assert granted.status_code == 200 and set(granted.json()["roles"]) == {"member", "organiser"}

    issued = await http.post(keys_url, headers=admin, json={"label": "会务台", "role": "organiser"})
    assert issued.status_code == 201, issued.text
    key = issued.json()
    whoami = await http.get(f"{registry}/v1/auth/whoami", headers=bearer(key["key"]))
    assert whoami.json() == {"org_id": org["id"], "role": "organiser", "key_id": key["id"]}

    listed = (await http.get(keys_url, headers=me)).json()["items"]
    assert {k["id"] for k in listed} >= {key["id"]}
    assert all("key" not in k and "hash" not in k for k in listed), "secrets are shown once, never listed"

    revoked = await http.delete(f"{keys_url}/{key['id']}", headers=bearer(key["key"]))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    assert (await http.get(f"{registry}/v1/auth/whoami", headers=bearer(key["key"]))).status_code == 401
    other = await firm_factory("旁观企业")
    assert (await http.get(keys_url, headers=bearer(other["api_key"]))).status_code == 403


async def test_a_key_creates_and_revokes_keys_of_its_own_role_or_below(http: httpx.AsyncClient, registry: str,
                                                                       admin: dict, firm_factory) -> None:
    """An organisation granted admin (the bureau): its member keys (a CI pipeline's, the first key) must not make
    themselves admin or organiser keys, nor revoke those."""
    org = await firm_factory("科技局信息中心")
    me, keys_url = bearer(org["api_key"]), f"{registry}/v1/orgs/{org['id']}/keys"
    for role in ("organiser", "admin"):
        assert (await http.post(f"{registry}/v1/orgs/{org['id']}/roles", headers=admin,
                                json={"role": role})).status_code == 200
    for role in ("organiser", "admin"):
        refused = await http.post(keys_url, headers=me, json={"role": role})
        assert refused.status_code == 403 and refused.json()["field"] == "role", refused.text
    organiser = (await http.post(keys_url, headers=admin, json={"role": "organiser"})).json()
    assert (await http.post(keys_url, headers=bearer(organiser["key"]), json={"role": "admin"})).status_code == 403
    more = await http.post(keys_url, headers=bearer(organiser["key"]), json={"role": "organiser"})
    assert more.status_code == 201 and more.json()["role"] == "organiser"
    member = await http.post(keys_url, headers=bearer(organiser["key"]), json={"role": "member"})
    assert member.status_code == 201

    assert (await http.delete(f"{keys_url}/{organiser['id']}", headers=me)).status_code == 403
    assert (await http.get(f"{registry}/v1/auth/whoami", headers=bearer(organiser["key"]))).status_code == 200
    assert (await http.delete(f"{keys_url}/{member.json()['id']}", headers=me)).status_code == 200
    assert (await http.delete(f"{keys_url}/{organiser['id']}", headers=bearer(more.json()["key"]))).status_code == 200


async def test_orgs_are_listed_with_filters(http: httpx.AsyncClient, registry: str, firm_factory) -> None:
    firm = await firm_factory("岳麓精密仪器有限公司", region="430104", industry_codes=["C4011"])
    me = bearer(firm["api_key"])
    found = (await http.get(f"{registry}/v1/orgs", headers=me,
                            params={"q": "精密仪器", "industry_code": "C40", "region": "430104"})).json()["items"]
    assert firm["id"] in [o["id"] for o in found]
    none = (await http.get(f"{registry}/v1/orgs", headers=me, params={"q": "精密仪器", "kind": "university"}))
    assert firm["id"] not in [o["id"] for o in none.json()["items"]]
