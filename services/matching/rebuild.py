"""Start-up: rebuild the index from the registry's catalogue snapshot, so a lost broker log loses nothing."""

import asyncio
import json
import logging
import time

import httpx

from services.matching.service import MatchingService
from services.matching.settings import Settings

log = logging.getLogger("duijie.matching.rebuild")


async def rebuild_from_registry(settings: Settings, service: MatchingService, wait_seconds: float = 60.0) -> int:
    """Streams `GET /v1/catalogue/snapshot` (NDJSON) into the engine; returns how many records were applied."""
    deadline = time.monotonic() + wait_seconds
    headers = {"Authorization": f"Bearer {settings.internal_key}"} if settings.internal_key else {}
    while True:
        try:
            return await _load(settings, service, headers)
        except httpx.HTTPError as error:
            if time.monotonic() > deadline:
                raise RuntimeError(f"cannot read the registry's catalogue snapshot: {error}") from error
            log.warning("registry snapshot not available yet (%s); retrying", error)
            await asyncio.sleep(1.0)


async def _load(settings: Settings, service: MatchingService, headers: dict[str, str]) -> int:
    applied = 0
    url = f"{settings.registry_url}/v1/catalogue/snapshot"
    async with httpx.AsyncClient(timeout=60.0) as client, client.stream("GET", url, headers=headers) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if not line.strip():
                continue
            record = json.loads(line)
            aggregate, data = record["aggregate"], record["data"]
            if aggregate == "org":
                service.on_org(data)
            elif aggregate == "match":
                service.restore_match(data)
            elif aggregate == "decline":
                service.on_feedback(data)
            else:
                service.on_posting(aggregate, f"{aggregate}.snapshot", data, index_only=True)
            applied += 1
    log.info("rebuilt the index from %d snapshot records", applied)
    return applied
