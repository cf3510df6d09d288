"""A caller's API key is checked with the registry and the answer kept a while: a key is a key however the header
spells it, a header no key could be in is refused before the registry is asked, a registry that cannot answer makes
a 503, and the answers kept are bounded in number and time."""

from types import SimpleNamespace

import httpx
import pytest
from fastapi import HTTPException

from services.notify import auth
from services.notify.auth import Caller, KeyIntrospection

GOOD = "dj_k1_secret"


class Registry:
    """The registry's `whoami`: knows GOOD and a few more `dj_*` keys, is overloaded for "busy"; counts the asks."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.asked.append(request.headers["authorization"])
        key = request.headers["authorization"][7:]
        if key == "busy":
            return httpx.Response(503, json={"detail": "overloaded"})
        if key.startswith("dj_"):
            return httpx.Response(200, json={"org_id": f"org_{key}", "role": "member", "key_id": "k1"})
        return httpx.Response(401, json={"detail": "invalid or revoked API key"})


def introspection(registry: Registry, cache_seconds: float = 30.0, max_keys: int = 100) -> KeyIntrospection:
    keys = KeyIntrospection("http://registry", cache_seconds, max_keys=max_keys)
    keys._client = httpx.AsyncClient(transport=httpx.MockTransport(registry))
    return keys


async def status_of(keys: KeyIntrospection, header: str | None) -> int:
    with pytest.raises(HTTPException) as refused:
        await keys.caller(header)
    return refused.value.status_code


async def test_one_key_written_many_ways_is_one_key_asked_for_once() -> None:
    registry = Registry()
    keys = introspection(registry)
    for header in [f"Bearer {GOOD}", f"bearer {GOOD}", f"BEARER   {GOOD}  ",
                   *(f"Bearer{' ' * n}{GOOD}" for n in range(1, 2000))]:
        assert await keys.caller(header) == Caller(f"org_{GOOD}", "member")
    assert registry.asked == [f"Bearer {GOOD}"], "the registry is given the key alone, once"
    assert len(keys._cache) == 1


@pytest.mark.parametrize("header", ["Bearer dj_\xe9", "Bearer dj_k1_s\u00e9cret", "Bearer dj_\U0001f511",
                                    "Bearer dj_k1\x7fsecret"])
async def test_a_key_with_a_character_no_key_has_is_refused_without_asking_the_registry(header: str) -> None:
    registry = Registry()
    assert await status_of(introspection(registry), header) == 401
    assert registry.asked == []


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer", "Bearer    "])
async def test_a_missing_key_is_a_401(header: str | None) -> None:
    assert await status_of(introspection(Registry()), header) == 401


async def test_a_registry_that_cannot_answer_now_makes_a_503_not_a_500() -> None:
    assert await status_of(introspection(Registry()), "Bearer busy") == 503
    assert await status_of(introspection(Registry()), "Bearer wrong") == 401

    def garbled(_: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>proxy error</html>")
    keys = KeyIntrospection("http://registry", 30.0)
    keys._client = httpx.AsyncClient(transport=httpx.MockTransport(garbled))
    assert await status_of(keys, f"Bearer {GOOD}") == 503


async def test_the_answers_kept_are_bounded_in_number_the_oldest_going_first() -> None:
    registry = Registry()
    keys = introspection(registry, max_keys=3)
    for n in range(1, 6):
        await keys.caller(f"Bearer dj_{n}")
    assert len(keys._cache) == 3
    await keys.caller("Bearer dj_5")
    await keys.caller("Bearer dj_1")
    assert registry.asked[-1] == "Bearer dj_1" and len(registry.asked) == 6, "dj_5 kept, dj_1 asked for again"


async def test_an_answer_is_kept_for_its_time_then_asked_for_again_and_expired_ones_are_dropped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(auth, "time", SimpleNamespace(monotonic=lambda: now[0]))
    registry = Registry()
    keys = introspection(registry, cache_seconds=30.0)
    for n in range(50):
        await keys.caller(f"Bearer dj_{n}")
    now[0] += 29.0
    await keys.caller("Bearer dj_0")
    assert len(registry.asked) == 50, "still kept"
    now[0] += 2.0
    await keys.caller("Bearer dj_0")
    assert registry.asked[-1] == "Bearer dj_0" and len(registry.asked) == 51, "asked again once its time is up"
    assert len(keys._cache) == 1, "the other answers, expired, are no longer kept"
