"""The pipeline bench runs end to end at a low rate: it starts its own stack, and every need it POSTs comes back
as exactly one correctly signed webhook. It also says how much CPU each of the stack's processes used per need."""

import re

import pytest

from bench._common import DATA
from bench.pipeline import run


@pytest.mark.skipif(not (DATA / "corpus.jsonl").exists(), reason="CSL data folder missing")
async def test_every_need_posted_arrives_once_as_a_signed_webhook(capsys: pytest.CaptureFixture[str]) -> None:
    result = await run(rate=2.0, seconds=3.0, results=40, firms=2, drain=30.0)
    assert result["sent"] == result["delivered"] == 6
    assert result["duplicates"] == 0
    assert 0 < result["p50_ms"] <= result["p99_ms"] < 30_000
    report = capsys.readouterr().err
    cpu = next(line for line in report.splitlines() if line.startswith("CPU per need POSTed (ms): "))
    per_need = {name: float(ms) for name, ms in re.findall(r"([a-z-]+) (\d+\.\d)(?=[,;])", cpu)}
    assert set(per_need) == {"broker", "database", "notify-database", "registry", "matching", "notify", "bench"}
    assert all(ms > 0 for ms in per_need.values()), cpu
    assert re.search(r"the machine \d+ % busy, \d+\.\d % stolen$", cpu)
    assert re.search(r"^calibration: [1-9]\d* ms for a fixed pure-Python workload", report, re.MULTILINE)
    assert re.search(r"^POST answered \(registry[^)]*\): p50 \d+\.\d ms, p99 \d+\.\d ms$", report, re.MULTILINE)
