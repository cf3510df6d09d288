"""The schedule bench runs end to end on a small summit and ends with its JSON line."""

from __future__ import annotations

import json

import pytest

from bench import schedule as bench


def test_bench_prints_json_summary(capsys: pytest.CaptureFixture[str]) -> None:
    code = bench.main(["--participants", "40", "--requests", "120", "--slots", "5", "--tables", "8",
                       "--seed", "3", "--time-limit", "1"])
    assert code == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    summary = json.loads(last)
    for key in ("cpsat_objective", "cpsat_bound", "greedy_objective", "cpsat_seconds", "scheduled",
                "participants_with_meeting"):
        assert key in summary
    assert summary["cpsat_objective"] >= summary["greedy_objective"]
    assert summary["cpsat_objective"] <= summary["cpsat_bound"] + 1e-9
    assert summary["violations"] == 0


def test_bench_is_reproducible() -> None:
    from bench._schedule_instance import synthetic_summit

    assert synthetic_summit(30, 80, 4, 5, seed=9) == synthetic_summit(30, 80, 4, 5, seed=9)
