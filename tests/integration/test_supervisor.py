"""`make run`'s supervisor: serves the registry's OpenAPI, stops cleanly on SIGINT, keeps data across restarts."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from deploy.stack import free_port

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]


def start_supervisor(var: Path, ports: dict[str, int]) -> tuple[subprocess.Popen, list[str]]:
    env = dict(os.environ)
    env.pop("DUIJIE_ADMIN_KEY", None)
    env.update({f"DUIJIE_{name.upper()}_PORT": str(p) for name, p in ports.items()})
    proc = subprocess.Popen([sys.executable, "-m", "deploy.supervisor", "run", "--var", str(var)], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 90
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if line.startswith("Press Ctrl-C"):
            return proc, lines
    proc.kill()
    raise AssertionError("the supervisor did not come up:\n" + "".join(lines))


def children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-eo", "pid,ppid"], capture_output=True, text=True).stdout.split("\n")[1:]
    return [int(p) for p, pp in (line.split() for line in out if line.strip()) if int(pp) == pid]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True).stdout.strip()
    return bool(state) and not state.startswith("Z")


def stop(proc: subprocess.Popen) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    return out


def test_make_run_serves_openapi_stops_cleanly_and_keeps_data(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("registry", "matching", "notify", "broker", "database", "notify_database")}
    proc, banner = start_supervisor(tmp_path, ports)
    children = children_of(proc.pid)
    try:
        text = "".join(banner)
        assert f"http://127.0.0.1:{ports['registry']}" in text and "admin key dj_admin_" in text
        assert (tmp_path / "admin_key").read_text().strip() in text
        openapi = httpx.get(f"http://127.0.0.1:{ports['registry']}/openapi.json", timeout=10).json()
        assert "/v1/needs" in openapi["paths"]
        org = httpx.post(f"http://127.0.0.1:{ports['registry']}/v1/orgs", json={"name": "湖南省农业科学院",
                                                                                "kind": "institute"}, timeout=10)
        assert org.status_code == 201
        assert len(children) == 6
        seeded = json.loads((tmp_path / "demo_keys.json").read_text())
        assert {"湖南农业大学", "湖南省农业科学院", "长沙银行科技支行"} <= set(seeded), "a fresh var/ is seeded"
    finally:
        out = stop(proc)
    assert proc.returncode == 0, out
    assert "stopped." in out
    time.sleep(0.5)
    assert [pid for pid in children if alive(pid)] == [], "no child is left running"

    proc, _ = start_supervisor(tmp_path, ports)
    try:
        key = org.json()["api_key"]
        again = httpx.get(f"http://127.0.0.1:{ports['registry']}/v1/orgs/{org.json()['id']}",
                          headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert again.status_code == 200 and again.json()["name"] == "湖南省农业科学院", "data in var/ survives"
    finally:
        stop(proc)


def test_a_child_that_dies_stops_the_stack_with_a_clear_message(tmp_path: Path) -> None:
    ports = {name: free_port() for name in ("registry", "matching", "notify", "broker", "database", "notify_database")}
    proc, _ = start_supervisor(tmp_path, ports)
    victim = next(pid for pid in children_of(proc.pid)
                  if "services.matching" in Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " "))
    os.kill(victim, signal.SIGKILL)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    assert "error: matching exited" in out
