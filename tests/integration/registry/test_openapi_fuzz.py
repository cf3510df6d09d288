"""Schemathesis over the registry's OpenAPI, with a valid key: whatever it sends, no server error; and every
request body in the OpenAPI carries an example."""

import asyncio
import time

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase

from tests.support.api import bearer

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 6
BUDGET_SECONDS = 60.0
MINE = ("/v1/orgs", "/v1/needs", "/v1/results", "/v1/products", "/v1/experts", "/v1/matches", "/v1/imports",
        "/v1/auth", "/v1/catalogue")


def fuzz(registry: str, headers: dict[str, str]) -> tuple[list[str], int]:
    schema = schemathesis.openapi.from_url(f"{registry}/openapi.json")
    server_errors: list[str] = []
    calls = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if time.monotonic() - started > BUDGET_SECONDS:
            break

        @hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                             suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        @hypothesis.given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            nonlocal calls
            response = case.call(base_url=registry, headers=headers, timeout=30)
            calls += 1
            if response.status_code >= 500:
                server_errors.append(f"{case.method} {case.formatted_path} → {response.status_code}: "
                                     f"{case.as_curl_command(headers=headers)}")

        call()
    return server_errors, calls


async def test_schemathesis_finds_no_server_error(http: httpx.AsyncClient, registry: str, firm_factory) -> None:
    firm = await firm_factory("模糊测试企业")
    server_errors, calls = await asyncio.to_thread(fuzz, registry, bearer(firm["api_key"]))
    assert calls >= 50, "the run exercised the API"
    assert server_errors == []


async def test_every_request_body_has_an_example(http: httpx.AsyncClient, registry: str) -> None:
    spec = (await http.get(f"{registry}/openapi.json")).json()
    schemas = spec["components"]["schemas"]
    missing = []
    for path, operations in spec["paths"].items():
        if not path.startswith(MINE):
            continue  # summits, deals, ledgers and reports are checked by their own tests
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                refs = [media["schema"], *media["schema"].get("anyOf", [])]
                ref = next((r["$ref"] for r in refs if "$ref" in r), "")
                model = schemas.get(ref.rsplit("/", 1)[-1], media["schema"])
                if not (model.get("examples") or model.get("example") or media.get("example")
                        or media.get("examples")) and "multipart" not in str(body):
                    missing.append(f"{method.upper()} {path}")
    assert missing == []
