"""The LP relaxation of the (meeting, slot) model, solved with GLOP.

Its optimum is a proven upper bound on the objective (in `evaluate` points). On summit instances it
is usually much tighter than the bound CP-SAT proves within a few seconds, and its solution is often
integral or nearly so: rounding it gives CP-SAT a strong hint.
"""

from __future__ import annotations

from dataclasses import dataclass

from ortools.linear_solver import pywraplp

from services.matching.schedule.model import SummitInstance, score_points


@dataclass(frozen=True)
class LpRelaxation:
    bound_points: float
    values: dict[tuple[str, int], float]
    """(meeting id, slot) -> fractional value of "meeting in slot" at the LP optimum."""


def solve_lp_relaxation(instance: SummitInstance, time_limit_s: float = 2.0) -> LpRelaxation | None:
    """None if GLOP is unavailable or does not prove optimality in time (then there is no bound)."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    if solver is None:
        return None
    w = instance.weights
    x: dict[tuple[str, int], pywraplp.Variable] = {}
    by_participant_slot: dict[tuple[str, int], list[pywraplp.Variable]] = {}
    by_slot: dict[int, list[pywraplp.Variable]] = {s: [] for s in instance.slot_ids}
    placed_of: dict[str, list[pywraplp.Variable]] = {p.id: [] for p in instance.participants}
    objective = solver.Objective()
    stays: dict[str, pywraplp.Variable] = {}
    constant = 0.0
    for m in instance.meetings:
        pin = instance.pinned.get(m.id)
        slots = (pin.slot,) if pin is not None else instance.common_slots[m.id]
        if m.previous is not None:
            constant -= w.move_slot_penalty
        if not slots:
            continue
        row = []
        for s in slots:
            var = solver.NumVar(1.0 if pin is not None else 0.0, 1.0, "")
            x[m.id, s] = var
            row.append(var)
            by_slot[s].append(var)
            by_participant_slot.setdefault((m.a, s), []).append(var)
            by_participant_slot.setdefault((m.b, s), []).append(var)
            gain = score_points(m)
            if m.previous is not None and s == m.previous.slot:
                stays[m.id] = var
                refund = w.move_table_penalty if pin is not None else 0  # a pin keeps its table
                gain += w.move_slot_penalty - w.move_table_penalty + refund
            objective.SetCoefficient(var, gain)
        _at_most(solver, row, 1)
        placed_of[m.a].extend(row)
        placed_of[m.b].extend(row)
    for ids in instance.previous_table_claims.values():
        staying = [stays[i] for i in ids if i in stays]
        if staying:  # the first of them to stay gets the table back
            kept = solver.NumVar(0.0, 1.0, "")
            _linked(solver, kept, staying)
            objective.SetCoefficient(kept, w.move_table_penalty)
    for group in by_participant_slot.values():
        _at_most(solver, group, 1)
    for group in by_slot.values():
        _at_most(solver, group, len(instance.tables))
    for pid, placed in placed_of.items():
        if not placed:
            continue
        _at_most(solver, placed, instance.cap(pid))
        has = solver.NumVar(0.0, 1.0, "")
        _linked(solver, has, placed)
        objective.SetCoefficient(has, w.participant_bonus)
    objective.SetMaximization()
    solver.SetTimeLimit(max(1, int(time_limit_s * 1000)))
    if solver.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    values = {key: var.solution_value() for key, var in x.items()}
    return LpRelaxation(objective.Value() + constant, values)


def _at_most(solver: pywraplp.Solver, variables: list[pywraplp.Variable], limit: int) -> None:
    if len(variables) <= limit:
        return
    constraint = solver.Constraint(-solver.infinity(), float(limit))
    for var in variables:
        constraint.SetCoefficient(var, 1.0)


def _linked(solver: pywraplp.Solver, flag: pywraplp.Variable, variables: list[pywraplp.Variable]) -> None:
    """flag <= sum(variables)."""
    link = solver.Constraint(-solver.infinity(), 0.0)
    link.SetCoefficient(flag, 1.0)
    for var in variables:
        link.SetCoefficient(var, -1.0)
