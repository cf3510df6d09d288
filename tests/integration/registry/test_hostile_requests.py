"""Requests no client should send get a 4xx, never a 500, and leave nothing behind that breaks later reads."""

import httpx
import pytest

from tests.support.api import bearer

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("key", [b"dj_\xe9", b"\xff", b"dj_abc_s\xe9cret"])
async def test_a_key_with_a_non_ascii_byte_is_a_401(http: httpx.AsyncClient, registry: str, key: bytes) -> None:
    for path in ("/v1/auth/whoami", "/v1/needs", "/v1/matches"):
        r = await http.get(f"{registry}{path}", headers={"Authorization": b"Bearer " + key})
        assert r.status_code == 401, (path, r.text)


@pytest.mark.parametrize(("path", "field"), [("/v1/needs", "budget_max"), ("/v1/needs", "budget_min"),
                                             ("/v1/results", "price_max"), ("/v1/results", "price_min")])
async def test_a_non_finite_or_huge_amount_is_a_422_and_listings_go_on(
        http: httpx.AsyncClient, registry: str, firm_factory, path: str, field: str) -> None:
    me = {**bearer((await firm_factory("数额测试企业"))["api_key"]), "content-type": "application/json"}
    for number in ("1e400", "Infinity", "-Infinity", "NaN", "2e12"):
        r = await http.post(f"{registry}{path}", headers=me, content=f'{{"title": "x", "{field}": {number}}}')
        assert r.status_code == 422 and r.json()["detail"][0]["field"] == field, (number, r.text)
    other = bearer((await firm_factory("另一企业"))["api_key"])
    assert (await http.get(f"{registry}{path}", headers=other)).status_code == 200
    assert (await http.get(f"{registry}/v1/matches", headers=other)).status_code == 200
