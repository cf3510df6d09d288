"""A local HTTP receiver for webhooks and robot messages (demo, benches, tests): records requests, scripted answers."""

import asyncio
import json
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import uvicorn


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """`responses` is consumed in order: a status code, or `(status, extra headers)`; when empty, every request
    gets 200. `reply` replaces the answer's body ("ok" / "nope"); `delay` is how many seconds it waits before
    answering. A request's query string is kept in its path. `on_arrival` is called with each request as it
    arrives; with `keep` false, requests are not kept in `received` (a listener that runs for hours)."""

    port: int
    responses: list[int | tuple[int, dict[str, str]]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    reply: bytes | None = None
    delay: float = 0.0
    on_arrival: Callable[[Received], None] | None = None
    keep: bool = True
    _server: uvicorn.Server | None = None
    _task: asyncio.Task | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def app(self, scope: dict, receive, send) -> None:  # noqa: ANN001 - ASGI
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        query = scope.get("query_string", b"").decode()
        path = f"{scope['path']}?{query}" if query else scope["path"]
        arrived = Received(path, headers, body, time.perf_counter())
        if self.keep:
            self.received.append(arrived)
        self._arrived.set()
        if self.on_arrival is not None:
            self.on_arrival(arrived)
        answer = self.responses.pop(0) if self.responses else 200
        status, extra = answer if isinstance(answer, tuple) else (answer, {})
        if self.delay:
            await asyncio.sleep(self.delay)
        raw = [(b"content-type", b"text/plain"), *((k.encode(), v.encode()) for k, v in extra.items())]
        await send({"type": "http.response.start", "status": status, "headers": raw})
        await send({"type": "http.response.body", "body": self.reply or (b"ok" if status < 300 else b"nope")})

    async def start(self) -> "Receiver":
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                                interface="asgi3")
        self._server = uvicorn.Server(config)
        # Bound here, so that a port in use is an OSError from `start` (uvicorn would exit the process instead)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", self.port))
        except OSError:
            sock.close()
            raise
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
            await asyncio.sleep(0.02)
        return self

    async def stop(self) -> None:
        if self._server:
            self._server.should_exit = True
        if self._task:
            await self._task

    async def wait_for(self, count: int, within: float = 30.0) -> list[Received]:
        deadline = time.monotonic() + within
        while len(self.received) < count and time.monotonic() < deadline:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
        return list(self.received)
