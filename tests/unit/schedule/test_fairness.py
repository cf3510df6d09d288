"""Fairness: everyone with an accepted request gets a meeting when that is feasible."""

from __future__ import annotations

import pytest

from services.matching.schedule.solve import solve
from services.matching.schedule.validate import violations
from tests.unit.schedule._summits import summit


@pytest.mark.parametrize("solver", ["greedy", "cpsat"])
def test_single_request_participant_gets_a_meeting(solver: str) -> None:
    # A is popular and capped at 2; P's only request is a low-scored one with A. The best pure-score
    # plan (A-B, A-C, B-C = 2.3) leaves P out; the fair plan meets P and still scores 1.5.
    instance = summit([("A", "B", 0.9), ("A", "C", 0.9), ("A", "P", 0.1), ("B", "C", 0.5)], caps={"A": 2})
    schedule = solve(instance, time_limit_s=1.0, prefer=solver)
    assert violations(instance, schedule) == []
    assert "M2" in schedule.assignments
    assert schedule.participants_with_meeting == 4


@pytest.mark.parametrize("solver", ["greedy", "cpsat"])
def test_fairness_under_table_shortage(solver: str) -> None:
    # One table in each of three slots: the A-B-C triangle could fill all three (score 3.0), but
    # Q's only meeting (score 0.05) must take one of the tables so that Q and R meet someone.
    instance = summit([("A", "B", 1.0), ("A", "C", 1.0), ("B", "C", 1.0), ("Q", "R", 0.05)],
                      slots=3, tables=1)
    schedule = solve(instance, time_limit_s=1.0, prefer=solver)
    assert violations(instance, schedule) == []
    assert "M3" in schedule.assignments
    assert schedule.participants_with_meeting == 5
