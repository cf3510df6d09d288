"""Rescheduling after late changes moves few already published meetings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bench._schedule_instance import synthetic_summit
from services.matching.schedule.model import (
    MeetingRequest,
    ObjectiveWeights,
    Schedule,
    SummitInstance,
    evaluate,
)
from services.matching.schedule.solve import solve
from services.matching.schedule.validate import violations
from tests.unit.schedule._summits import add_meeting, make_unavailable, summit, with_previous

SOLVERS = ["greedy", "cpsat"]


@pytest.fixture(scope="module")
def published() -> tuple[SummitInstance, Schedule]:
    instance = synthetic_summit(60, 200, 6, 14, seed=11, cap=6)
    schedule = solve(instance, time_limit_s=1.5)
    assert violations(instance, schedule) == []
    return with_previous(instance, schedule), schedule


def _late_pair(instance: SummitInstance, schedule: Schedule) -> tuple[str, str]:
    """Two participants without a request between them who are both free in some slot."""
    busy: set[tuple[str, int]] = set()
    for meeting_id, where in schedule.assignments.items():
        m = instance.meeting_by_id[meeting_id]
        busy |= {(m.a, where.slot), (m.b, where.slot)}
    asked = {frozenset((m.a, m.b)) for m in instance.meetings}
    people = [p.id for p in instance.participants]
    for i, a in enumerate(people):
        for b in people[i + 1:]:
            common = instance.free_slots(a) & instance.free_slots(b)
            if frozenset((a, b)) not in asked and any((a, s) not in busy and (b, s) not in busy
                                                       for s in common):
                return a, b
    raise AssertionError("no late pair found")


@pytest.mark.parametrize("solver", SOLVERS)
def test_unchanged_summit_moves_nothing(published: tuple[SummitInstance, Schedule], solver: str) -> None:
    instance, _ = published
    again = solve(instance, time_limit_s=1.0, prefer=solver)
    assert violations(instance, again) == []
    assert again.moved == 0


@pytest.mark.parametrize("solver", SOLVERS)
def test_late_meeting_moves_few(published: tuple[SummitInstance, Schedule], solver: str) -> None:
    instance, before = published
    a, b = _late_pair(instance, before)
    changed = add_meeting(instance, MeetingRequest("LATE", a, b, 0.95))
    after = solve(changed, time_limit_s=1.5, prefer=solver)
    assert violations(changed, after) == []
    assert "LATE" in after.assignments
    assert after.moved <= 2
    assert after.objective >= before.objective  # nothing lost, one meeting gained


@pytest.mark.parametrize("solver", SOLVERS)
def test_new_unavailability_moves_few(published: tuple[SummitInstance, Schedule], solver: str) -> None:
    instance, before = published
    meeting_id, where = next(iter(sorted(before.assignments.items())))
    m = instance.meeting_by_id[meeting_id]
    changed = make_unavailable(instance, m.a, where.slot)
    after = solve(changed, time_limit_s=1.5, prefer=solver)
    assert violations(changed, after) == []
    assert after.assignments.get(meeting_id, None) != where
    # Only meetings of m.a in that slot are forced to move; allow a short chain of follow-ups.
    assert 1 <= after.moved <= 3


@pytest.mark.parametrize("solver", SOLVERS)
def test_lost_table_keeps_slot(solver: str) -> None:
    """Changing table is cheaper than changing slot: when a table is withdrawn, keep the slot."""
    weights = ObjectiveWeights()
    assert weights.move_table_penalty < weights.move_slot_penalty
    instance = summit([("A", "B", 0.5)], slots=2, tables=2)
    first = solve(instance, time_limit_s=1.0, prefer=solver)
    previous = with_previous(instance, first)
    lost = first.assignments["M0"].table
    fewer = replace(previous, tables=tuple(t for t in previous.tables if t.id != lost))
    again = solve(fewer, time_limit_s=1.0, prefer=solver)
    assert violations(fewer, again) == []
    assert again.assignments["M0"].slot == first.assignments["M0"].slot
    value = evaluate(fewer, again.assignments)
    assert value.moved_slot == 0
    assert again.moved == value.moved_table >= 1
