"""The summit scheduler's entry point: greedy first, then CP-SAT seeded with the best hint.

Pipeline for `prefer="cpsat"`:
1. greedy slot plan (always; it is the fallback);
2. LP relaxation (GLOP): a proven upper bound, and a rounded plan that may beat greedy;
3. CP-SAT on the (meeting, slot) model with the better of the two plans as a complete hint; it
   stops early once a plan reaches the proven bound;
4. CP-SAT's schedule is returned unless it failed or is worse than greedy's, and
   `Schedule.solver` says which one was returned. Both are scored with `model.evaluate`.
The reported bound is the tightest proven one (CP-SAT's or the LP relaxation's).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Literal

from services.matching.schedule.assemble import build_schedule
from services.matching.schedule.cpsat import DEFAULT_TIME_LIMIT_S, DEFAULT_WORKERS, cpsat_slots
from services.matching.schedule.greedy import greedy_slots
from services.matching.schedule.lp import LpRelaxation, solve_lp_relaxation
from services.matching.schedule.model import Schedule, SummitInstance, evaluate
from services.matching.schedule.tables import assign_tables

LP_SHARE_OF_BUDGET = 0.25
"""At most this share of the time budget goes to the LP relaxation."""


def _points(instance: SummitInstance, slot_of: Mapping[str, int]) -> int:
    return evaluate(instance, assign_tables(instance, slot_of)).points


def _rounded(instance: SummitInstance, lp: LpRelaxation) -> dict[str, int]:
    """Greedy completion of the LP solution rounded to each meeting's strongest slot (≥ 0.5)."""
    strongest: dict[str, tuple[float, int]] = {}
    for (meeting_id, slot), value in lp.values.items():
        if value >= 0.5 and value > strongest.get(meeting_id, (0.0, -1))[0]:
            strongest[meeting_id] = (value, slot)
    order = sorted(strongest.items(), key=lambda item: -item[1][0])
    return greedy_slots(instance, seed={meeting_id: slot for meeting_id, (_, slot) in order})


def solve(
    instance: SummitInstance,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    prefer: Literal["cpsat", "greedy"] = "cpsat",
    *,
    workers: int = DEFAULT_WORKERS,
    relative_gap: float = 0.0,
) -> Schedule:
    """Schedule a summit's accepted meetings within about `time_limit_s` seconds of wall time.

    `relative_gap` lets CP-SAT stop once the proven gap is at most that share of the bound.
    """
    started = time.perf_counter()
    greedy = greedy_slots(instance)
    if prefer == "greedy":
        return build_schedule(instance, greedy, solver="greedy", status="FEASIBLE", bound_points=None,
                              wall_seconds=time.perf_counter() - started)
    greedy_points = _points(instance, greedy)
    lp = solve_lp_relaxation(instance, time_limit_s=LP_SHARE_OF_BUDGET * time_limit_s)
    hint, hint_points = greedy, greedy_points
    lp_bound: float | None = None
    stop_at: float | None = None
    if lp is not None:
        lp_bound = lp.bound_points
        rounded = _rounded(instance, lp)
        rounded_points = _points(instance, rounded)
        if rounded_points > hint_points:
            hint, hint_points = rounded, rounded_points
        # GLOP works with tolerances: treat plans within a hair of its bound as optimal.
        stop_at = (1.0 - relative_gap) * lp_bound - 1e-6 * abs(lp_bound) - 1.0
    remaining = time_limit_s - (time.perf_counter() - started)
    try:
        result = cpsat_slots(instance, hint=hint, time_limit_s=remaining, workers=workers,
                             relative_gap=relative_gap, stop_at_points=stop_at)
    except Exception as error:  # the greedy plan must survive any solver failure
        return build_schedule(instance, greedy, solver="greedy", status=f"CPSAT_ERROR: {error}",
                              bound_points=lp_bound, wall_seconds=time.perf_counter() - started)
    bounds = [b for b in (result.bound_points, lp_bound) if b is not None]
    bound = min(bounds) if bounds else None
    if bound is not None:
        bound = math.floor(bound + 0.01)  # objectives are whole points
    if not result.found:
        return build_schedule(instance, greedy, solver="greedy", status=f"CPSAT_{result.status}",
                              bound_points=bound, wall_seconds=time.perf_counter() - started)
    if _points(instance, result.slot_of) < greedy_points:
        return build_schedule(instance, greedy, solver="greedy", status="CPSAT_WORSE_THAN_GREEDY",
                              bound_points=bound, wall_seconds=time.perf_counter() - started)
    schedule = build_schedule(instance, result.slot_of, solver="cpsat", status=result.status,
                              bound_points=bound, wall_seconds=time.perf_counter() - started)
    if schedule.gap == 0.0 and schedule.status != "OPTIMAL":
        schedule = replace(schedule, status="OPTIMAL")  # the LP relaxation proved it
    return schedule
