"""Over-subscribed or infeasible summits return the best partial schedule with reasons."""

from __future__ import annotations

import pytest

from services.matching.schedule.solve import solve
from services.matching.schedule.validate import violations
from tests.unit.schedule._summits import summit


@pytest.mark.parametrize("solver", ["greedy", "cpsat"])
def test_partial_schedule_lists_reasons(solver: str) -> None:
    instance = summit(
        [
            ("A", "B", 0.9),  # M0: no common free slot
            ("C", "D", 0.8),  # M1: C is never available
            ("E", "F", 0.9),  # M2..M4 compete for the single table of slot 1
            ("G", "H", 0.7),
            ("I", "J", 0.6),
        ],
        slots=2,
        tables=1,
        unavailable={"A": {0}, "B": {1}, "C": {0, 1}, "E": {0}, "F": {0}, "G": {0}, "H": {0},
                     "I": {0}, "J": {0}},
    )
    schedule = solve(instance, time_limit_s=1.0, prefer=solver)
    assert violations(instance, schedule) == []
    assert list(schedule.assignments) == ["M2"]
    reasons = {u.meeting_id: u.reason for u in schedule.unplaced}
    assert reasons == {
        "M0": "participant A has no common free slot with B",
        "M1": "participant C is unavailable in every slot",
        "M3": "no table free in any common slot",
        "M4": "no table free in any common slot",
    }


@pytest.mark.parametrize("solver", ["greedy", "cpsat"])
def test_cap_reason(solver: str) -> None:
    instance = summit([("A", "B", 0.9), ("A", "C", 0.8), ("A", "D", 0.7), ("A", "E", 0.6)], cap=2, slots=4)
    schedule = solve(instance, time_limit_s=1.0, prefer=solver)
    assert schedule.scheduled == 2
    assert {u.reason for u in schedule.unplaced} == {"cap of 2 meetings reached for A"}


def test_empty_summit() -> None:
    instance = summit([], slots=2, tables=2)
    schedule = solve(instance, time_limit_s=1.0)
    assert schedule.scheduled == 0 and schedule.unplaced == ()
    assert violations(instance, schedule) == []
