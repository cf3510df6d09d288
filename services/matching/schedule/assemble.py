"""Turn a solver's slot choice into a full `Schedule` (tables, objective, unplaced reasons)."""

from __future__ import annotations

from collections.abc import Mapping

from services.matching.schedule.model import (
    SCORE_POINTS,
    Schedule,
    SolverName,
    SummitInstance,
    evaluate,
    relative_gap,
)
from services.matching.schedule.reasons import explain_unplaced
from services.matching.schedule.tables import assign_tables


def build_schedule(
    instance: SummitInstance,
    slot_of: Mapping[str, int],
    *,
    solver: SolverName,
    status: str,
    bound_points: int | float | None,
    wall_seconds: float,
) -> Schedule:
    assignments = assign_tables(instance, slot_of)
    value = evaluate(instance, assignments)
    bound = None if bound_points is None else max(bound_points / SCORE_POINTS, value.objective)
    return Schedule(
        assignments=assignments,
        unplaced=explain_unplaced(instance, assignments),
        objective=value.objective,
        bound=bound,
        gap=relative_gap(value.objective, bound),
        solver=solver,
        status=status,
        wall_seconds=wall_seconds,
        moved=value.moved,
        participants_with_meeting=value.participants_with_meeting,
    )
