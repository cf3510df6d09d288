"""Callers authenticate with their registry API key; notify asks the registry who it is, and caches the answer."""

import time
from dataclasses import dataclass

import httpx
from fastapi import HTTPException


@dataclass(frozen=True)
class Caller:
    org_id: str
    role: str


class KeyIntrospection:
    def __init__(self, registry_url: str, cache_seconds: float) -> None:
        self.registry_url = registry_url
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, Caller]] = {}
        self._client = httpx.AsyncClient(timeout=5.0)

    async def caller(self, authorization: str | None) -> Caller:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise HTTPException(401, "missing API key: send `Authorization: Bearer <key>`",
                                headers={"WWW-Authenticate": "Bearer"})
        hit = self._cache.get(authorization)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        try:
            response = await self._client.get(f"{self.registry_url}/v1/auth/whoami",
                                              headers={"Authorization": authorization})
        except httpx.HTTPError as error:
            raise HTTPException(503, f"cannot verify the API key: registry unreachable ({error})") from error
        if response.status_code == 401:
            raise HTTPException(401, "invalid or revoked API key", headers={"WWW-Authenticate": "Bearer"})
        response.raise_for_status()
        body = response.json()
        caller = Caller(body["org_id"], body["role"])
        self._cache[authorization] = (time.monotonic() + self.cache_seconds, caller)
        return caller

    async def close(self) -> None:
        await self._client.aclose()
