"""Schemathesis over a service's OpenAPI: a few generated requests per operation, each server error collected."""

import time

import hypothesis
import schemathesis
from hypothesis import HealthCheck, Phase

EXAMPLES_PER_OPERATION = 6


def fuzz(base_url: str, headers: dict[str, str], budget_seconds: float,
         skip_paths: tuple[str, ...] = ()) -> tuple[list[str], int]:
    """(the server errors, as curl commands; how many requests were made) within about `budget_seconds`.
    Operations under `skip_paths` are left out (e.g. a stream that never ends)."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    server_errors: list[str] = []
    calls = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if time.monotonic() - started > budget_seconds:
            break
        if skip_paths and operation.path.startswith(skip_paths):
            continue

        @hypothesis.settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None, derandomize=True,
                             suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        @hypothesis.given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            nonlocal calls
            response = case.call(base_url=base_url, headers=headers, timeout=30)
            calls += 1
            if response.status_code >= 500:
                server_errors.append(f"{case.method} {case.formatted_path} → {response.status_code}: "
                                     f"{case.as_curl_command(headers=headers)}")

        call()
    return server_errors, calls


def bodies_without_example(spec: dict, under: tuple[str, ...] = ("/",)) -> list[str]:
    """The operations under the `under` paths of an OpenAPI document whose request body (multipart aside) has no
    example, neither on its model nor on its media type."""
    schemas = spec["components"]["schemas"]
    missing = []
    for path, operations in spec["paths"].items():
        if not path.startswith(under):
            continue
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {})
            for media in body.values():
                refs = [media["schema"], *media["schema"].get("anyOf", [])]
                ref = next((r["$ref"] for r in refs if "$ref" in r), "")
                model = schemas.get(ref.rsplit("/", 1)[-1], media["schema"])
                if not (model.get("examples") or model.get("example") or media.get("example")
                        or media.get("examples")) and "multipart" not in str(body):
                    missing.append(f"{method.upper()} {path}")
    return missing
