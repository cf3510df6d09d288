"""Schemathesis over notify's OpenAPI, with a valid key: whatever it sends, no server error (the live stream, which
never ends, left out); and every request body in the OpenAPI carries an example."""

import asyncio

import httpx
import pytest

from deploy.stack import Stack
from tests.integration.notify.support import two_orgs
from tests.support.api import bearer
from tests.support.fuzz import bodies_without_example, fuzz

pytestmark = pytest.mark.integration


async def test_schemathesis_finds_no_server_error(stack: Stack, http: httpx.AsyncClient) -> None:
    firm, _ = await two_orgs(http, stack, "通知模糊测试")
    server_errors, calls = await asyncio.to_thread(fuzz, stack.url("notify"), bearer(firm["api_key"]), 40.0,
                                                   skip_paths=("/v1/stream",))
    assert calls >= 50, "the run exercised the API"
    assert server_errors == []


async def test_every_request_body_has_an_example(stack: Stack, http: httpx.AsyncClient) -> None:
    spec = (await http.get(f"{stack.url('notify')}/openapi.json")).json()
    assert bodies_without_example(spec) == []
