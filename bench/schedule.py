"""Summit scheduler bench: CP-SAT (via `solve`) against the greedy fallback on a synthetic summit.

    python -m bench.schedule --participants 500 --requests 2000 --slots 12 --tables 100 --seed 1

Progress goes to stderr; stdout ends with one JSON line:
{"cpsat_objective", "cpsat_bound", "greedy_objective", "cpsat_seconds", "scheduled",
 "participants_with_meeting", ...}.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from bench._schedule_instance import synthetic_summit
from services.matching.schedule.model import Schedule, SummitInstance
from services.matching.schedule.solve import solve
from services.matching.schedule.validate import violations


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def describe(name: str, instance: SummitInstance, schedule: Schedule) -> None:
    bound = "n/a" if schedule.bound is None else f"{schedule.bound:.3f}"
    gap = "n/a" if schedule.gap is None else f"{100 * schedule.gap:.3f}%"
    print(f"{name:>7}: objective {schedule.objective:.3f}  bound {bound}  gap {gap}  "
          f"scheduled {schedule.scheduled}/{len(instance.meetings)}  "
          f"participants with a meeting {schedule.participants_with_meeting}  "
          f"wall {schedule.wall_seconds:.2f}s  solver {schedule.solver}  status {schedule.status}",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.schedule", description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=500)
    parser.add_argument("--requests", type=int, default=2000, help="accepted meeting requests")
    parser.add_argument("--slots", type=int, default=12)
    parser.add_argument("--tables", type=int, default=100)
    parser.add_argument("--cap", type=int, default=8, help="summit-wide max meetings per participant")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--time-limit", type=float, default=8.0, help="solver budget in seconds")
    args = parser.parse_args(argv)

    log(f"building summit: {args.participants} participants, {args.requests} requests, "
        f"{args.slots} slots x {args.tables} tables, seed {args.seed}")
    started = time.perf_counter()
    instance = synthetic_summit(args.participants, args.requests, args.slots, args.tables, args.seed,
                                cap=args.cap)
    pairs = sum(len(slots) for slots in instance.common_slots.values())
    log(f"built in {time.perf_counter() - started:.2f}s: {len(instance.meetings)} meetings, "
        f"{pairs} (meeting, slot) pairs with both participants free")

    log("greedy ...")
    greedy = solve(instance, prefer="greedy")
    describe("greedy", instance, greedy)
    log(f"CP-SAT (greedy hint, LP bound, time limit {args.time_limit:.1f}s) ...")
    best = solve(instance, time_limit_s=args.time_limit, prefer="cpsat")
    describe("cpsat", instance, best)

    problems = violations(instance, greedy) + violations(instance, best)
    for problem in problems[:20]:
        log(f"VIOLATION: {problem}")
    reasons: dict[str, int] = {}
    for item in best.unplaced:
        kind = item.reason.split(" for ")[0] if item.reason.startswith("cap of") else item.reason
        kind = "participant ... " + kind.split(" ", 2)[2] if kind.startswith("participant") else kind
        reasons[kind] = reasons.get(kind, 0) + 1
    for reason, n in sorted(reasons.items(), key=lambda item: -item[1])[:6]:
        log(f"  unplaced x{n}: {reason}")

    print(json.dumps({
        "cpsat_objective": round(best.objective, 3),
        "cpsat_bound": None if best.bound is None else round(best.bound, 3),
        "greedy_objective": round(greedy.objective, 3),
        "cpsat_seconds": round(best.wall_seconds, 2),
        "scheduled": best.scheduled,
        "participants_with_meeting": best.participants_with_meeting,
        "gap": None if best.gap is None else round(best.gap, 6),
        "solver": best.solver,
        "status": best.status,
        "greedy_seconds": round(greedy.wall_seconds, 3),
        "violations": len(problems),
    }))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
