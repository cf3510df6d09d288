"""A match can be announced before the registry has stored it: notify and the registry take the same events, and the
registry takes them in batches. A request about a match not stored yet waits for it before answering 404."""

import time

import pytest
from pydantic import ValidationError

from services.registry.matches.service import arrived
from services.registry.settings import Settings


class FakeMatches:
    """A repository whose match is stored only after `misses` lookups."""

    def __init__(self, misses: int | None) -> None:
        self.misses, self.lookups = misses, 0

    async def get(self, match_id: str) -> dict | None:
        self.lookups += 1
        if self.misses is None or self.lookups <= self.misses:
            return None
        return {"_id": match_id}


async def test_a_match_stored_while_the_request_waits_is_answered() -> None:
    matches = FakeMatches(misses=3)
    assert await arrived(matches, "mt_1", wait_seconds=1.0) == {"_id": "mt_1"}  # type: ignore[arg-type]
    assert matches.lookups == 4


async def test_a_stored_match_is_answered_without_waiting() -> None:
    matches = FakeMatches(misses=0)
    started = time.monotonic()
    assert await arrived(matches, "mt_1", wait_seconds=1.0) == {"_id": "mt_1"}  # type: ignore[arg-type]
    assert matches.lookups == 1 and time.monotonic() - started < 0.05


async def test_a_match_that_never_arrives_is_missing_once_the_wait_is_over() -> None:
    started = time.monotonic()
    assert await arrived(FakeMatches(misses=None), "mt_unknown", wait_seconds=0.2) is None  # type: ignore[arg-type]
    assert 0.2 <= time.monotonic() - started < 0.6


def test_requests_must_wait_longer_than_the_registry_lingers_over_its_batches() -> None:
    assert Settings().match_wait_seconds > Settings().consume_linger_seconds
    with pytest.raises(ValidationError, match="match_wait_seconds must exceed consume_linger_seconds"):
        Settings(consume_linger_seconds=0.5, match_wait_seconds=0.5)
    assert Settings(consume_linger_seconds=0, match_wait_seconds=0).match_wait_seconds == 0  # no batching, no wait
