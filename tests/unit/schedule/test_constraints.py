"""Hard rules: no double-booking, availability, one meeting per table and slot, caps, pins."""

from __future__ import annotations

from collections import Counter

import pytest

from bench._schedule_instance import synthetic_summit
from services.matching.schedule.model import Placement, Schedule, SummitInstance
from services.matching.schedule.solve import solve
from services.matching.schedule.validate import violations
from tests.unit.schedule._summits import pin, summit

SOLVERS = ["greedy", "cpsat"]


@pytest.fixture(scope="module")
def busy_summit() -> SummitInstance:
    return synthetic_summit(80, 320, 6, 15, seed=7, cap=5)


@pytest.fixture(scope="module")
def schedules(busy_summit: SummitInstance) -> dict[str, Schedule]:
    return {name: solve(busy_summit, time_limit_s=1.5, prefer=name) for name in SOLVERS}


@pytest.mark.parametrize("solver", SOLVERS)
def test_schedule_has_no_violation(busy_summit: SummitInstance, schedules: dict[str, Schedule],
                                   solver: str) -> None:
    schedule = schedules[solver]
    assert violations(busy_summit, schedule) == []
    assert schedule.solver in SOLVERS
    assert schedule.scheduled > 0


@pytest.mark.parametrize("solver", SOLVERS)
def test_nobody_is_double_booked_and_availability_holds(busy_summit: SummitInstance,
                                                        schedules: dict[str, Schedule], solver: str) -> None:
    seen: set[tuple[str, int]] = set()
    for meeting_id, where in schedules[solver].assignments.items():
        m = busy_summit.meeting_by_id[meeting_id]
        for pid in (m.a, m.b):
            assert (pid, where.slot) not in seen
            seen.add((pid, where.slot))
            assert where.slot not in busy_summit.participant_by_id[pid].unavailable


@pytest.mark.parametrize("solver", SOLVERS)
def test_one_meeting_per_table_and_caps(busy_summit: SummitInstance, schedules: dict[str, Schedule],
                                        solver: str) -> None:
    placements = list(schedules[solver].assignments.values())
    assert len(set(placements)) == len(placements)
    assert all(p.table in busy_summit.table_ids for p in placements)
    count: Counter[str] = Counter()
    for meeting_id in schedules[solver].assignments:
        m = busy_summit.meeting_by_id[meeting_id]
        count.update((m.a, m.b))
    assert max(count.values()) <= busy_summit.max_meetings_per_participant


def test_cpsat_is_never_below_greedy(schedules: dict[str, Schedule]) -> None:
    assert schedules["cpsat"].objective >= schedules["greedy"].objective
    assert schedules["cpsat"].bound is not None
    assert schedules["cpsat"].objective <= schedules["cpsat"].bound + 1e-9


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cpsat_at_least_greedy_on_several_summits(seed: int) -> None:
    instance = synthetic_summit(60, 240, 5, 10, seed=seed, cap=6)
    greedy = solve(instance, prefer="greedy")
    best = solve(instance, time_limit_s=1.0)
    assert best.objective >= greedy.objective
    assert best.gap is not None and best.gap <= 0.01


@pytest.mark.parametrize("solver", SOLVERS)
def test_participant_cap_below_summit_cap(solver: str) -> None:
    instance = summit([("A", "B", 0.9), ("A", "C", 0.8), ("A", "D", 0.7)], caps={"A": 1})
    schedule = solve(instance, time_limit_s=1.0, prefer=solver)
    assert violations(instance, schedule) == []
    assert list(schedule.assignments) == ["M0"]
    assert {u.reason for u in schedule.unplaced} == {"cap of 1 meetings reached for A"}


@pytest.mark.parametrize("solver", SOLVERS)
def test_pinned_meeting_stays(solver: str) -> None:
    instance = pin(summit([("A", "B", 0.2), ("A", "C", 0.9)], slots=2, tables=2), "M0", Placement(1, 1))
    schedule = solve(instance, time_limit_s=1.0, prefer=solver)
    assert schedule.assignments["M0"] == Placement(1, 1)
    assert schedule.assignments["M1"].slot == 0
    assert violations(instance, schedule) == []


def test_validate_reports_broken_rules() -> None:
    instance = summit([("A", "B", 0.5), ("A", "C", 0.5), ("D", "E", 0.5)], slots=2, tables=1,
                      unavailable={"E": {0}}, caps={"A": 1})
    broken = Schedule(
        assignments={"M0": Placement(0, 0), "M1": Placement(0, 0), "M2": Placement(0, 7)},
        unplaced=(), objective=0.0, bound=None, gap=None, solver="greedy", status="FEASIBLE",
        wall_seconds=0.0, moved=0,
    )
    text = "\n".join(violations(instance, broken))
    assert "double-booked" in text
    assert "already holds" in text
    assert "unavailable in slot 0" in text
    assert "unknown table 7" in text
    assert "above the cap of 1" in text
