"""Seeds the demo district through the public API (so every posting travels the real pipeline)."""

import json
from pathlib import Path
from typing import Any

import httpx

from deploy import seed_data


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def register_orgs(client: httpx.AsyncClient, registry: str) -> dict[str, dict[str, Any]]:
    orgs = {}
    for spec in seed_data.ORGS:
        body = {k: v for k, v in spec.items() if k != "key"}
        response = await client.post(f"{registry}/v1/orgs", json=body)
        response.raise_for_status()
        orgs[spec["key"]] = response.json()
    return orgs


async def post(client: httpx.AsyncClient, registry: str, collection: str, key: str, spec: dict) -> httpx.Response:
    body = {k: v for k, v in spec.items() if k != "org"}
    response = await client.post(f"{registry}/v1/{collection}", json=body, headers=_bearer(key))
    response.raise_for_status()
    return response


async def seed_once(registry: str, var: Path) -> Path | None:
    """Seeds the demo district on a fresh data directory; its organisations' API keys go to var/demo_keys.json."""
    keys = var / "demo_keys.json"
    if keys.exists():
        return None
    orgs = await seed(registry)
    keys.write_text(json.dumps({o["name"]: {"id": o["id"], "kind": o["kind"], "api_key": o["api_key"]}
                                for o in orgs.values()}, ensure_ascii=False, indent=2) + "\n")
    keys.chmod(0o600)
    return keys


async def seed(registry: str) -> dict[str, dict[str, Any]]:
    """The whole district: organisations, results, products, then needs (which trigger matches)."""
    async with httpx.AsyncClient(timeout=30.0) as client:
        orgs = await register_orgs(client, registry)
        for collection, specs in (("results", seed_data.RESULTS), ("products", seed_data.PRODUCTS),
                                  ("needs", seed_data.NEEDS)):
            for spec in specs:
                await post(client, registry, collection, orgs[spec["org"]]["api_key"], spec)
        return orgs
