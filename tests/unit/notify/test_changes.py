"""A change is written before it is announced: an announcement that fails does not fail the change (a client would
retry a change already made)."""

import pytest

from services.notify.changes import Changes


class Unreachable:
    def __getitem__(self, collection: str) -> "Unreachable":
        return self

    async def update_one(self, *args: object, **kwargs: object) -> None:
        raise ConnectionError("database down")


async def test_an_announcement_that_fails_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    await Changes(Unreachable(), check_seconds=1.0).announce()  # type: ignore[arg-type]
    assert "not announced" in caplog.text
