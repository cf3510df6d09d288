"""The pipeline bench says where its CPU went: each process's CPU time per need and how busy the machine was, read
from /proc, so a run that misses its latency target shows whether the machine was saturated and by whom."""

import os
from pathlib import Path

from bench import cpu

TICK = cpu.TICKS_PER_SECOND


def fake_proc(root: Path, processes: dict[int, tuple[str, int, int]], user: int, idle: int, iowait: int,
              steal: int) -> Path:
    """A /proc with `processes` (pid → command name, user ticks, system ticks) and the machine's tick counters."""
    for pid, (name, utime, stime) in processes.items():
        (root / str(pid)).mkdir(parents=True, exist_ok=True)
        rest = ["S", "1", "1", "1", "0", "-1", "4194304", "0", "0", "0", "0", str(utime), str(stime), "0", "0"]
        (root / str(pid) / "stat").write_text(f"{pid} ({name}) {' '.join(rest)} 20 0 1 0\n")
    (root / "stat").write_text(f"cpu  {user} 0 0 {idle} {iowait} 0 0 {steal} 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
    return root


def test_a_process_cpu_time_is_its_user_and_system_time_even_when_its_name_holds_spaces_and_parentheses(
        tmp_path: Path) -> None:
    proc = fake_proc(tmp_path, {7: ("tokio-rt (worker) 2", 3 * TICK, TICK)}, 0, 0, 0, 0)
    assert cpu.process_seconds(7, proc) == 4.0
    assert cpu.process_seconds(8, proc) is None  # gone


def test_cpu_per_need_is_each_process_time_between_two_samples_divided_by_the_needs_dearest_first(
        tmp_path: Path) -> None:
    pids = {"broker": 1, "notify": 2, "registry": 3}
    before = cpu.sample(pids, fake_proc(tmp_path / "a", {1: ("broker", 100, 0), 2: ("python", 50, 50),
                                                         3: ("python", 10, 0)}, 1000, 900, 50, 50))
    after = cpu.sample(pids, fake_proc(tmp_path / "b", {1: ("broker", 100 + TICK, 0), 2: ("python", 50 + 3 * TICK, 50),
                                                        3: ("python", 10, 0)}, 1600, 1200, 100, 100))
    spent = cpu.spent(before, after, units=50)
    assert spent.per_unit_ms == {"notify": 60.0, "broker": 20.0, "registry": 0.0}
    assert list(spent.per_unit_ms) == ["notify", "broker", "registry"]
    # 1,000 ticks passed (600 busy, 300 idle, 50 waiting on I/O, 50 stolen): 60 % busy, 5 % stolen
    assert round(spent.busy, 3) == 0.6
    assert round(spent.stolen, 3) == 0.05
    assert spent.line() == "notify 60.0, broker 20.0, registry 0.0; all 80.0 ms; the machine 60 % busy, 5.0 % stolen"


def test_a_process_that_ended_between_samples_is_left_out(tmp_path: Path) -> None:
    pids = {"matching": 1, "notify": 2}
    before = cpu.sample(pids, fake_proc(tmp_path / "a", {1: ("python", 1, 0), 2: ("python", 1, 0)}, 10, 0, 0, 0))
    after = cpu.sample(pids, fake_proc(tmp_path / "b", {2: ("python", 1 + TICK, 0)}, 20, 0, 0, 0))
    assert cpu.spent(before, after, units=1).per_unit_ms == {"notify": 1000.0}


def test_this_machines_own_counters_can_be_read() -> None:
    reading = cpu.sample({"this test": os.getpid()})
    assert reading.processes["this test"] is not None and reading.processes["this test"] > 0
    assert reading.total > reading.idle >= 0


def test_the_interpreter_line_says_whether_python_was_built_with_profile_guided_and_link_time_optimisation() -> None:
    assert cpu.interpreter("'--prefix=/x' '--enable-optimizations' '--with-lto' '--enable-shared'").endswith(
        ", built with PGO and LTO")
    assert cpu.interpreter("'--prefix=/root/.pyenv/versions/3.13.0' '--enable-shared'").endswith(
        ", built without PGO or LTO")
    assert cpu.interpreter("'--enable-optimizations'").endswith(", built with PGO")
    assert cpu.interpreter().startswith("CPython 3.1")
