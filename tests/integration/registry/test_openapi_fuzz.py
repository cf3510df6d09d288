"""Schemathesis over the registry's OpenAPI, with a valid key: whatever it sends, no server error; and every
request body in the OpenAPI carries an example."""

import asyncio

import httpx
import pytest

from tests.support.api import bearer
from tests.support.fuzz import bodies_without_example, fuzz

pytestmark = pytest.mark.integration

BUDGET_SECONDS = 60.0
MINE = ("/v1/orgs", "/v1/needs", "/v1/results", "/v1/products", "/v1/experts", "/v1/matches", "/v1/imports",
        "/v1/auth", "/v1/catalogue")


async def test_schemathesis_finds_no_server_error(http: httpx.AsyncClient, registry: str, firm_factory) -> None:
    firm = await firm_factory("模糊测试企业")
    server_errors, calls = await asyncio.to_thread(fuzz, registry, bearer(firm["api_key"]), BUDGET_SECONDS)
    assert calls >= 50, "the run exercised the API"
    assert server_errors == []


async def test_every_request_body_has_an_example(http: httpx.AsyncClient, registry: str) -> None:
    spec = (await http.get(f"{registry}/openapi.json")).json()
    assert bodies_without_example(spec, under=MINE) == []  # summits, deals, ledgers, reports: their own tests
