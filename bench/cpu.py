"""Where a bench run's CPU went: each process's CPU time and the machine's, read from /proc (Linux).

Near saturation, latency is set by queueing rather than by any one hop, so a run that misses its target should
say how busy the machine was and which process used what. `sample` reads the counters; `spent` turns two samples
into milliseconds of CPU per unit of work (a posting, say) and the machine's busy and stolen shares.
"""

import json
import os
import platform
import sysconfig
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def process_seconds(pid: int, proc: Path = PROC) -> float | None:
    """CPU seconds (user and system, all threads) a process has used; None once it is gone."""
    try:
        stat = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # the command name may hold spaces and parentheses
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND  # utime and stime, fields 14 and 15


def machine_ticks(proc: Path = PROC) -> tuple[int, int, int]:
    """All CPUs' clock ticks since boot: (total, idle including I/O wait, stolen by the hypervisor)."""
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in
                                                             (proc / "stat").read_text().split("\n")[0].split()[1:9])
    return user + nice + system + idle + iowait + irq + softirq + steal, idle + iowait, steal


@dataclass(frozen=True)
class Sample:
    processes: dict[str, float | None]  # name → CPU seconds used so far
    total: int
    idle: int
    steal: int


@dataclass(frozen=True)
class Spent:
    per_unit_ms: dict[str, float]  # name → ms of CPU per unit, dearest first
    busy: float  # share of the machine's CPU time spent running anything
    stolen: float  # share taken by the hypervisor

    def line(self) -> str:
        each = ", ".join(f"{name} {ms:.1f}" for name, ms in self.per_unit_ms.items())
        return (f"{each}; all {sum(self.per_unit_ms.values()):.1f} ms; the machine {100 * self.busy:.0f} % busy, "
                f"{100 * self.stolen:.1f} % stolen")


def sample(pids: dict[str, int], proc: Path = PROC) -> Sample:
    total, idle, steal = machine_ticks(proc)
    return Sample({name: process_seconds(pid, proc) for name, pid in pids.items()}, total, idle, steal)


def spent(before: Sample, after: Sample, units: int) -> Spent:
    """What was used between two samples, per unit of work; a process missing from either is left out."""
    used = {name: (after.processes[name] - start) * 1000 / max(units, 1)  # type: ignore[operator]
            for name, start in before.processes.items()
            if start is not None and after.processes.get(name) is not None}
    total = max(after.total - before.total, 1)
    stolen = (after.steal - before.steal) / total
    busy = 1 - (after.idle - before.idle) / total - stolen
    return Spent(dict(sorted(used.items(), key=lambda item: -item[1])), busy, stolen)


def calibration(rounds: int = 20_000, repeats: int = 5) -> float:
    """Milliseconds a fixed pure-Python workload takes on one core (the best of `repeats`): the same code on the
    same machine runs measurably slower in some hours, so runs compare only at similar values."""
    doc = {"title": "基于深度学习的图像识别方法研究", "keywords": ["图像识别", "深度学习"], "score": 0.5, "n": 0}
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        for n in range(rounds):
            copy = dict(doc, n=n)
            json.dumps(copy, ensure_ascii=False)
            sorted(copy)
        best = min(best, time.perf_counter() - started)
    return best * 1000


def interpreter(config_args: str | None = None) -> str:
    """The Python running the bench (and the stack it starts) and whether it was built with profile-guided and
    link-time optimisation, as the python:3.13 images are: without them the same code uses noticeably more CPU."""
    args = sysconfig.get_config_var("CONFIG_ARGS") if config_args is None else config_args
    optimised = [name for flag, name in (("--enable-optimizations", "PGO"), ("--with-lto", "LTO"))
                 if flag in (args or "")]
    build = f"built with {' and '.join(optimised)}" if optimised else "built without PGO or LTO"
    return f"{platform.python_implementation()} {platform.python_version()}, {build}"
