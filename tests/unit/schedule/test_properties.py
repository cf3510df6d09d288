"""Property-based: on random small summits both solvers produce valid schedules."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.matching.schedule.cpsat import cpsat_slots
from services.matching.schedule.lp import solve_lp_relaxation
from services.matching.schedule.model import (
    SCORE_POINTS,
    MeetingRequest,
    Participant,
    Placement,
    Slot,
    SummitInstance,
    Table,
    evaluate,
)
from services.matching.schedule.solve import solve
from services.matching.schedule.tables import assign_tables
from services.matching.schedule.validate import violations


@st.composite
def summits(draw: st.DrawFn) -> SummitInstance:
    slots = draw(st.integers(1, 4))
    tables = draw(st.integers(1, 3))
    size = draw(st.integers(2, 8))
    people = tuple(
        Participant(
            f"P{i}",
            f"O{draw(st.integers(0, 3))}",
            frozenset(draw(st.sets(st.integers(0, slots - 1), max_size=slots))),
            draw(st.none() | st.integers(0, 4)),
        )
        for i in range(size)
    )
    pairs = draw(st.lists(st.tuples(st.integers(0, size - 1), st.integers(0, size - 1)), max_size=14))
    meetings = []
    for n, (a, b) in enumerate(pairs):
        previous = draw(st.none() | st.builds(Placement, st.integers(0, slots - 1), st.integers(0, tables)))
        fixed = previous is not None and draw(st.booleans())
        score = draw(st.floats(0.0, 1.0, allow_nan=False))
        meetings.append(MeetingRequest(f"M{n}", f"P{a}", f"P{b}", score, previous, fixed))
    return SummitInstance(
        tuple(Slot(i) for i in range(slots)),
        tuple(Table(i) for i in range(tables)),
        people,
        tuple(meetings),
        draw(st.integers(1, 4)),
    )


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summits())
def test_both_solvers_produce_valid_schedules(instance: SummitInstance) -> None:
    greedy = solve(instance, prefer="greedy")
    best = solve(instance, time_limit_s=0.5)
    assert violations(instance, greedy) == []
    assert violations(instance, best) == []
    assert best.objective >= greedy.objective - 1e-9
    assert best.bound is not None and best.bound >= best.objective - 1e-9
    for schedule in (greedy, best):
        assert len(schedule.assignments) + len(schedule.unplaced) == len(instance.meetings)
        assert all(u.reason for u in schedule.unplaced)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summits())
def test_cpsat_model_objective_is_the_shared_objective(instance: SummitInstance) -> None:
    """CP-SAT alone (no hint) optimises exactly `evaluate`, and the LP relaxation bounds it."""
    result = cpsat_slots(instance, time_limit_s=1.0)
    assert result.found and result.objective_points is not None
    assert result.objective_points == evaluate(instance, assign_tables(instance, result.slot_of)).points
    lp = solve_lp_relaxation(instance)
    if result.status == "OPTIMAL" and lp is not None:
        assert lp.bound_points >= result.objective_points - 1e-3
        assert solve(instance, time_limit_s=1.0).objective * SCORE_POINTS == pytest.approx(
            result.objective_points)
