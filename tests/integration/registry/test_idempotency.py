"""`Idempotency-Key` on POST: a retry returns the first response and creates nothing new."""

import asyncio
import uuid

import httpx
import pytest

from tests.support.api import bearer

pytestmark = pytest.mark.integration


async def test_a_retried_post_returns_the_first_response(http: httpx.AsyncClient, registry: str,
                                                         firm_factory) -> None:
    firm = await firm_factory("重试企业")
    me, key = bearer(firm["api_key"]), str(uuid.uuid4())
    body = {"title": "幂等性测试需求 " + key, "keywords": ["幂等"]}
    first = await http.post(f"{registry}/v1/needs", headers={**me, "Idempotency-Key": key}, json=body)
    again = await http.post(f"{registry}/v1/needs", headers={**me, "Idempotency-Key": key}, json=body)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    listed = (await http.get(f"{registry}/v1/needs", headers=me, params={"q": key})).json()["items"]
    assert [n["id"] for n in listed] == [first.json()["id"]], "the retry created nothing"

    other = await http.post(f"{registry}/v1/needs", headers={**me, "Idempotency-Key": key},
                            json={**body, "title": "另一个需求"})
    assert other.status_code == 422 and other.json()["field"] == "header Idempotency-Key"


async def test_concurrent_retries_create_one_thing(http: httpx.AsyncClient, registry: str) -> None:
    key = str(uuid.uuid4())
    body = {"name": "并发注册大学 " + key, "kind": "university"}
    responses = await asyncio.gather(*[http.post(f"{registry}/v1/orgs", headers={"Idempotency-Key": key}, json=body)
                                       for _ in range(5)])
    created = [r for r in responses if r.status_code == 201]
    assert created and all(r.status_code in (201, 409) for r in responses)
    assert len({r.json()["id"] for r in created}) == 1, "every success names the same organisation"
    replay = await http.post(f"{registry}/v1/orgs", headers={"Idempotency-Key": key}, json=body)
    assert replay.status_code == 201 and replay.json()["id"] == created[0].json()["id"]


async def test_keys_are_per_caller_and_errors_are_replayed_too(http: httpx.AsyncClient, registry: str,
                                                               firm_factory) -> None:
    a, b = await firm_factory("甲企业"), await firm_factory("乙企业")
    key = str(uuid.uuid4())
    body = {"title": "同一个键 " + key}
    ra = await http.post(f"{registry}/v1/needs", headers={**bearer(a["api_key"]), "Idempotency-Key": key}, json=body)
    rb = await http.post(f"{registry}/v1/needs", headers={**bearer(b["api_key"]), "Idempotency-Key": key}, json=body)
    assert ra.status_code == rb.status_code == 201 and ra.json()["id"] != rb.json()["id"]
    bad = {"title": "x", "trl_min": 10}
    first = await http.post(f"{registry}/v1/needs", headers={**bearer(a["api_key"]), "Idempotency-Key": key + "b"},
                            json=bad)
    second = await http.post(f"{registry}/v1/needs", headers={**bearer(a["api_key"]), "Idempotency-Key": key + "b"},
                             json=bad)
    assert first.status_code == second.status_code == 422 and first.json() == second.json()


async def test_a_key_shown_once_is_not_kept_in_the_clear(http: httpx.AsyncClient, registry: str, registry_db,
                                                         firm_factory) -> None:
    """A retried key creation gets the same key again, but the database keeps only a sealed copy of the answer."""
    firm = await firm_factory("密钥重试企业")
    headers = {**bearer(firm["api_key"]), "Idempotency-Key": str(uuid.uuid4())}
    url = f"{registry}/v1/orgs/{firm['id']}/keys"
    first = await http.post(url, headers=headers, json={"label": "流水线"})
    again = await http.post(url, headers=headers, json={"label": "流水线"})
    assert first.status_code == again.status_code == 201 and again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    secret = first.json()["key"].split("_", 2)[2].encode()  # dj_<id>_<secret>: the secret may hold "_" itself
    stored = await registry_db["idempotency"].find({"state": "done"}).to_list()
    assert stored and not [r for r in stored if secret in bytes(r["body"])], "only the key's hash is kept"
    registration = {"name": "幂等注册企业", "kind": "firm"}
    org = await http.post(f"{registry}/v1/orgs", headers={"Idempotency-Key": str(uuid.uuid4())}, json=registration)
    first_key = org.json()["api_key"].split("_", 2)[2].encode()
    stored = await registry_db["idempotency"].find({"state": "done"}).to_list()
    assert not [r for r in stored if first_key in bytes(r["body"])]
