"""A replica keeps the API keys it has read for a few seconds: a caller's requests read its key once, a key revoked
through this replica stops working at once, and unknown or wrong keys are never let through."""

import asyncio
import time

import pytest

from services.registry.auth import KeyCache, authenticate, key_document
from services.registry.errors import Unauthorized


class FakeKeys:
    """The `api_keys` collection: answers `find_one` by id, counting reads; `pause` holds a read until released."""

    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}
        self.reads = 0
        self.pause: asyncio.Event | None = None

    async def find_one(self, query: dict) -> dict | None:
        self.reads += 1
        doc = self.docs.get(query["_id"])
        found = dict(doc) if doc is not None else None
        if self.pause is not None:
            await self.pause.wait()
        return found


def issued(keys: FakeKeys, org_id: str = "org_a", role: str = "member") -> tuple[dict, str]:
    doc, full_key = key_document(org_id, role)  # type: ignore[arg-type]
    keys.docs[doc["_id"]] = doc
    return doc, f"Bearer {full_key}"


async def auth(keys: FakeKeys, cache: KeyCache, header: str):  # noqa: ANN201
    return await authenticate({"api_keys": keys}, cache, header, None, None)  # type: ignore[arg-type]


async def test_a_callers_requests_read_its_key_once() -> None:
    keys, cache = FakeKeys(), KeyCache(seconds=5)
    doc, header = issued(keys)
    callers = [await auth(keys, cache, header) for _ in range(5)]
    assert {(c.org_id, c.role, c.key_id) for c in callers} == {("org_a", "member", doc["_id"])}
    assert keys.reads == 1


async def test_a_kept_key_still_needs_its_secret() -> None:
    keys, cache = FakeKeys(), KeyCache(seconds=5)
    doc, header = issued(keys)
    await auth(keys, cache, header)
    with pytest.raises(Unauthorized):
        await auth(keys, cache, f"Bearer dj_{doc['_id']}_not-the-secret")


async def test_unknown_and_revoked_keys_are_refused_and_never_kept() -> None:
    keys, cache = FakeKeys(), KeyCache(seconds=5)
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await auth(keys, cache, "Bearer dj_000000000000_guess")
    doc, header = issued(keys)
    keys.docs[doc["_id"]]["revoked_at"] = "2026-12-01T00:00:00Z"
    for _ in range(2):
        with pytest.raises(Unauthorized):
            await auth(keys, cache, header)
    assert keys.reads == 4


async def test_a_key_forgotten_here_is_read_again_and_refused_once_revoked() -> None:
    keys, cache = FakeKeys(), KeyCache(seconds=5)
    doc, header = issued(keys)
    await auth(keys, cache, header)
    keys.docs[doc["_id"]]["revoked_at"] = "2026-12-01T00:00:00Z"
    assert (await auth(keys, cache, header)).key_id == doc["_id"], "kept: another replica's revocation waits"
    cache.forget(doc["_id"])
    with pytest.raises(Unauthorized):
        await auth(keys, cache, header)


async def test_withdrawing_a_role_forgets_every_key_of_the_organisation() -> None:
    keys, cache = FakeKeys(), KeyCache(seconds=5)
    mine, header = issued(keys, "org_a", "organiser")
    other, other_header = issued(keys, "org_b", "organiser")
    await auth(keys, cache, header)
    await auth(keys, cache, other_header)
    cache.forget_org("org_a")
    assert cache.get(mine["_id"]) is None and cache.get(other["_id"]) is not None


async def test_a_read_that_started_before_the_revocation_is_not_kept() -> None:
    keys, cache = FakeKeys(), KeyCache(seconds=5)
    doc, header = issued(keys)
    keys.pause = asyncio.Event()
    reading = asyncio.create_task(auth(keys, cache, header))
    await asyncio.sleep(0)  # the read has the key as it was, not yet revoked
    keys.docs[doc["_id"]]["revoked_at"] = "2026-12-01T00:00:00Z"
    cache.forget(doc["_id"])  # what revoking through this replica does after the write
    keys.pause.set()
    await reading  # that request was already under way: it may pass
    keys.pause = None
    with pytest.raises(Unauthorized):
        await auth(keys, cache, header)


async def test_entries_expire_and_the_least_recently_used_goes_first() -> None:
    keys, cache = FakeKeys(), KeyCache(seconds=0.05, max_keys=2)
    a, b, c = (issued(keys, f"org_{n}")[0] for n in "abc")
    now = time.monotonic() - 1
    cache.put(a, now)
    cache.put(b, now)
    assert cache.get(a["_id"]) is not None  # a is now the most recently used
    cache.put(c, now)
    assert cache.get(b["_id"]) is None and cache.get(a["_id"]) is not None and cache.get(c["_id"]) is not None
    await asyncio.sleep(0.06)
    assert cache.get(a["_id"]) is None and cache.get(c["_id"]) is None


async def test_zero_seconds_keeps_nothing() -> None:
    keys, cache = FakeKeys(), KeyCache(seconds=0)
    _, header = issued(keys)
    for _ in range(3):
        await auth(keys, cache, header)
    assert keys.reads == 3
