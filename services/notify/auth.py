"""Callers authenticate with their registry API key; notify asks the registry who it is, and caches the answer.

The cache is keyed by the key itself (its hash), however the header spells it, holds at most CACHE_KEYS keys and
keeps each answer `cache_seconds`.
"""

import hashlib
import time
from collections import OrderedDict
from dataclasses import dataclass

import httpx
from fastapi import HTTPException

CACHE_KEYS = 10_000
ASK_FOR_KEY = {"WWW-Authenticate": "Bearer"}


@dataclass(frozen=True)
class Caller:
    org_id: str
    role: str


def presented_key(authorization: str | None) -> str:
    """The API key of an `Authorization: Bearer <key>` header, read as the registry reads it; 401 when there is
    none, or when it holds a character no key has (nor could be passed on: a non-ASCII one)."""
    if not authorization or not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
        raise HTTPException(401, "missing API key: send `Authorization: Bearer <key>`", headers=ASK_FOR_KEY)
    key = authorization[7:].strip()
    if not (key.isascii() and key.isprintable()):
        raise HTTPException(401, "invalid or revoked API key", headers=ASK_FOR_KEY)
    return key


class KeyIntrospection:
    def __init__(self, registry_url: str, cache_seconds: float, max_keys: int = CACHE_KEYS) -> None:
        self.registry_url = registry_url
        self.cache_seconds, self.max_keys = cache_seconds, max_keys
        # the key's hash → (until when, its caller), oldest first: every answer is kept as long, so that is also the
        # order they expire in
        self._cache: OrderedDict[str, tuple[float, Caller]] = OrderedDict()
        self._client = httpx.AsyncClient(timeout=5.0)

    async def caller(self, authorization: str | None) -> Caller:
        key = presented_key(authorization)
        hashed = hashlib.sha256(key.encode()).hexdigest()
        hit = self._cache.get(hashed)
        if hit and hit[0] > time.monotonic():
            return hit[1]
        caller = await self._ask(key)
        self._keep(hashed, caller)
        return caller

    async def still_valid(self, authorization: str | None) -> bool:
        """Whether the key is still good, as `caller` tells it now (the cached answer until it expires); True when
        the registry cannot tell now, so an outage of the registry does not end what is open."""
        try:
            await self.caller(authorization)
        except HTTPException as refused:
            return refused.status_code != 401
        return True

    async def _ask(self, key: str) -> Caller:
        """Who the registry says `key` is; 401 if it knows no such key, 503 if it cannot tell now."""
        try:
            response = await self._client.get(f"{self.registry_url}/v1/auth/whoami",
                                              headers={"Authorization": f"Bearer {key}"})
        except httpx.HTTPError as error:
            raise HTTPException(503, f"cannot verify the API key: registry unreachable ({error})") from error
        if response.status_code == 401:
            raise HTTPException(401, "invalid or revoked API key", headers=ASK_FOR_KEY)
        if response.status_code != 200:
            raise HTTPException(503, f"cannot verify the API key: the registry answered {response.status_code}")
        try:
            body = response.json()
            return Caller(str(body["org_id"]), str(body["role"]))
        except (ValueError, KeyError, TypeError) as error:
            raise HTTPException(503, "cannot verify the API key: the registry's answer names no caller") from error

    def _keep(self, hashed: str, caller: Caller) -> None:
        """Keeps an answer, dropping the expired ones and, past `max_keys`, the oldest."""
        now = time.monotonic()
        self._cache[hashed] = (now + self.cache_seconds, caller)
        self._cache.move_to_end(hashed)
        while self._cache and (len(self._cache) > self.max_keys or next(iter(self._cache.values()))[0] <= now):
            self._cache.popitem(last=False)

    async def close(self) -> None:
        await self._client.aclose()
