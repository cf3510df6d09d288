"""The pipeline bench runs end to end at a low rate: it starts its own stack, and every need it POSTs comes back
as exactly one correctly signed webhook."""

import pytest

from bench._common import DATA
from bench.pipeline import run


@pytest.mark.skipif(not (DATA / "corpus.jsonl").exists(), reason="CSL data folder missing")
async def test_every_need_posted_arrives_once_as_a_signed_webhook() -> None:
    result = await run(rate=2.0, seconds=3.0, results=40, firms=2, drain=30.0)
    assert result["sent"] == result["delivered"] == 6
    assert result["duplicates"] == 0
    assert 0 < result["p50_ms"] <= result["p99_ms"] < 30_000
