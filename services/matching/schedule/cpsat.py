"""Exact summit scheduler on OR-Tools CP-SAT.

Tables are interchangeable apart from pinned meetings, so the model decides (meeting, slot) only,
with "at most T meetings per slot"; concrete tables are given afterwards (`tables.assign_tables`),
keeping previous tables where possible. The model's objective equals `model.evaluate` in points.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from ortools.sat.python import cp_model

from services.matching.schedule.assemble import build_schedule
from services.matching.schedule.model import Schedule, SummitInstance, score_points

DEFAULT_TIME_LIMIT_S = 8.0
DEFAULT_WORKERS = 2


@dataclass(frozen=True)
class CpsatResult:
    slot_of: dict[str, int]
    status: str
    objective_points: int | None
    """CP-SAT's own objective value; equals `evaluate(...).points` of the schedule built from slot_of."""
    bound_points: float | None
    """CP-SAT's best objective bound, in `evaluate` points; None if the solve failed."""
    found: bool


class _StopAtTarget(cp_model.CpSolverSolutionCallback):
    """Stops the search once a solution reaches a target known to be (near) optimal."""

    def __init__(self, target_points: float) -> None:
        super().__init__()
        self.target_points = target_points
        self.reached = False

    def on_solution_callback(self) -> None:
        if self.objective_value >= self.target_points:
            self.reached = True
            self.stop_search()


class _SummitModel:
    def __init__(self, instance: SummitInstance) -> None:
        self.instance = instance
        self.model = cp_model.CpModel()
        self.x: dict[tuple[str, int], cp_model.IntVar] = {}
        self.has: dict[str, cp_model.IntVar] = {}
        self.kept: dict[tuple[int, int], cp_model.IntVar] = {}
        self._build()

    def _build(self) -> None:
        inst, model = self.instance, self.model
        w = inst.weights
        by_participant_slot: dict[tuple[str, int], list[cp_model.IntVar]] = {}
        by_slot: dict[int, list[cp_model.IntVar]] = {s: [] for s in inst.slot_ids}
        placed_of: dict[str, list[cp_model.IntVar]] = {p.id: [] for p in inst.participants}
        objective: list[cp_model.LinearExprT] = []
        stays: dict[str, cp_model.IntVar] = {}
        constant = 0
        for m in inst.meetings:
            pin = inst.pinned.get(m.id)
            slots = (pin.slot,) if pin is not None else inst.common_slots[m.id]
            if not slots:
                if m.previous is not None:
                    constant -= w.move_slot_penalty
                continue
            row = {s: model.new_bool_var(f"x[{m.id},{s}]") for s in slots}
            for s, var in row.items():
                self.x[m.id, s] = var
                by_slot[s].append(var)
                by_participant_slot.setdefault((m.a, s), []).append(var)
                by_participant_slot.setdefault((m.b, s), []).append(var)
            if pin is not None:
                model.add(row[pin.slot] == 1)
            else:
                model.add_at_most_one(row.values())
            placed = sum(row.values())
            placed_of[m.a].append(placed)
            placed_of[m.b].append(placed)
            objective.append(score_points(m) * placed)
            if m.previous is not None:
                stay = row.get(m.previous.slot)
                constant -= w.move_slot_penalty  # as if moved; staying refunds it, less a table change
                if stay is not None:
                    stays[m.id] = stay
                    refund = w.move_table_penalty if pin is not None else 0  # a pin keeps its table
                    objective.append((w.move_slot_penalty - w.move_table_penalty + refund) * stay)
        for claim, ids in inst.previous_table_claims.items():
            staying = [stays[i] for i in ids if i in stays]
            if len(staying) == 1:
                objective.append(w.move_table_penalty * staying[0])
            elif staying:  # the first of them to stay gets the table back
                kept = model.new_bool_var(f"kept[{claim}]")
                model.add(kept <= sum(staying))
                self.kept[claim] = kept
                objective.append(w.move_table_penalty * kept)
        for group in by_participant_slot.values():
            if len(group) > 1:
                model.add_at_most_one(group)
        for group in by_slot.values():
            if len(group) > len(inst.tables):
                model.add(sum(group) <= len(inst.tables))
        for pid, placed in placed_of.items():
            if not placed:
                continue
            if len(placed) > inst.cap(pid):
                model.add(sum(placed) <= inst.cap(pid))
            has = model.new_bool_var(f"has[{pid}]")
            model.add(has <= sum(placed))
            self.has[pid] = has
            objective.append(w.participant_bonus * has)
        model.maximize(sum(objective) + constant)

    def hint(self, slot_of: Mapping[str, int]) -> None:
        met: set[str] = set()
        for (meeting_id, slot), var in self.x.items():
            chosen = slot_of.get(meeting_id) == slot
            self.model.add_hint(var, chosen)
            if chosen:
                m = self.instance.meeting_by_id[meeting_id]
                met.update((m.a, m.b))
        for pid, var in self.has.items():
            self.model.add_hint(var, pid in met)
        for claim, var in self.kept.items():
            ids = self.instance.previous_table_claims[claim]
            self.model.add_hint(var, any(slot_of.get(i) == claim[0] for i in ids))

    def solve(
        self, time_limit_s: float, workers: int, relative_gap: float, stop_at_points: float | None
    ) -> CpsatResult:
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.05, time_limit_s)
        solver.parameters.num_workers = workers
        solver.parameters.relative_gap_limit = relative_gap
        callback = None if stop_at_points is None else _StopAtTarget(stop_at_points)
        status = solver.solve(self.model, callback)
        found = status in (cp_model.OPTIMAL, cp_model.FEASIBLE)
        slot_of: dict[str, int] = {}
        if found:
            for (meeting_id, slot), var in self.x.items():
                if solver.boolean_value(var):
                    slot_of[meeting_id] = slot
        bound = solver.best_objective_bound if found else None
        value = round(solver.objective_value) if found else None  # the objective is integral
        name = solver.status_name(status)
        if callback is not None and callback.reached and status == cp_model.FEASIBLE:
            name = "FEASIBLE (target reached)"
        return CpsatResult(slot_of, name, value, bound, found)


def cpsat_slots(
    instance: SummitInstance,
    *,
    hint: Mapping[str, int] | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
    workers: int = DEFAULT_WORKERS,
    relative_gap: float = 0.0,
    stop_at_points: float | None = None,
) -> CpsatResult:
    """Solve the (meeting, slot) model; `hint` is a feasible slot choice such as greedy's.

    The search stops early at a solution worth `stop_at_points` (e.g. a proven bound's value).
    """
    started = time.perf_counter()
    summit_model = _SummitModel(instance)
    if hint is not None:
        summit_model.hint(hint)
    remaining = time_limit_s - (time.perf_counter() - started)
    return summit_model.solve(remaining, max(1, min(workers, DEFAULT_WORKERS)), relative_gap, stop_at_points)


def solve_cpsat(
    instance: SummitInstance,
    *,
    hint: Mapping[str, int] | None = None,
    time_limit_s: float = DEFAULT_TIME_LIMIT_S,
) -> Schedule:
    """CP-SAT alone. Raises RuntimeError if no solution is found in time."""
    started = time.perf_counter()
    result = cpsat_slots(instance, hint=hint, time_limit_s=time_limit_s)
    if not result.found:
        raise RuntimeError(f"CP-SAT found no schedule ({result.status})")
    return build_schedule(instance, result.slot_of, solver="cpsat", status=result.status,
                          bound_points=result.bound_points, wall_seconds=time.perf_counter() - started)
