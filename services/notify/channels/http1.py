"""A small HTTP/1.1 client for the poster: one POST at a time per kept-alive connection, answers parsed by httptools.

It does only what notify's POSTs need: a request written in one piece to an address already checked by the SSRF
guard (TLS verified against the name it is given), the answer's status, headers and body read up to a limit, and
the connection kept for the next POST to the same address and name while the receiver allows it. Redirects are
answers like any other; nothing is retried here.

The header fields are capped as the body is: a receiver that answers `200 OK` and then sends header bytes for as long
as it likes (one endless value, or ever more names) otherwise grew the sender's memory by 130-220 MiB per connection
within the timeout, as httptools holds a field until it is whole.
"""

import asyncio
import ssl
import zlib
from dataclasses import dataclass, field

import httptools

DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
# An answer's header fields (and trailers) in all: at most HEAD_LIMIT bytes and HEAD_FIELDS fields. Webhook receivers
# and robot APIs answer with a dozen fields of well under 4 KiB in all; the caps leave room for a proxy's or CDN's
# additions and match what common stacks refuse beyond (Python's http.client reads at most 100 fields; Node.js
# accepts 16 KiB of header, nginx 4 x 8 KiB buffers by default). 64 KiB is also the body's limit, so a connection
# holds some 128 KiB of an answer at most; the byte cap is checked after each read, which may pass it by one read
# (at most 256 KiB).
HEAD_LIMIT = 64 * 1024
HEAD_FIELDS = 100


class ConnectionClosed(ConnectionError):
    """The receiver closed the connection (or sent something that is not HTTP) before its answer was complete."""


class HeadersTooLarge(ConnectionError):
    """The answer's header fields passed HEAD_LIMIT bytes or HEAD_FIELDS fields; the connection was closed."""


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


@dataclass(eq=False)
class Connection(asyncio.Protocol):
    """One connection; `exchange` writes a request and waits for its answer. Reusable while `reusable`."""
    body_limit: int
    transport: asyncio.Transport | None = None
    reusable: bool = False
    _answer: asyncio.Future | None = None
    _parser: httptools.HttpResponseParser | None = None
    _headers: dict[str, str] = field(default_factory=dict)
    _body: list[bytes] = field(default_factory=list)
    _size: int = 0
    _ended_by_close: bool = False
    _fields: int = 0  # header fields (and trailers) handed over by the parser, over interim answers too
    _fields_size: int = 0  # their bytes
    _held: int = 0  # bytes fed in reads that handed nothing over: a field the parser holds until it is whole
    _handed: bool = False  # the parser handed something over (a field, the head's end, body) in this read

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    @property
    def open(self) -> bool:
        return self.transport is not None and not self.transport.is_closing()

    def exchange(self, request: bytes) -> asyncio.Future:
        assert self.transport is not None and self.open
        self.reusable = False
        self._answer = asyncio.get_running_loop().create_future()
        self._parser = httptools.HttpResponseParser(self)
        self._headers, self._body, self._size, self._ended_by_close = {}, [], 0, False
        self._fields = self._fields_size = self._held = 0
        self.transport.write(request)
        return self._answer

    def data_received(self, data: bytes) -> None:
        if self._parser is None or self._answer is None or self._answer.done():
            self.close()  # bytes nobody asked for: the connection cannot be trusted for another request
            return
        self._handed = False
        try:
            self._parser.feed_data(data)
            self._held = 0 if self._handed else self._held + len(data)
            self._check_head()
        except HeadersTooLarge as error:
            self._fail(error)
        except httptools.HttpParserError as error:  # also what on_header raised, which stopped the parser
            cause = error.__context__
            self._fail(cause if isinstance(cause, HeadersTooLarge) else
                       ConnectionClosed(f"not an HTTP answer: {error}"))

    def _check_head(self) -> None:
        """Raises HeadersTooLarge once the fields handed over and the bytes held pass a cap."""
        if self._fields > HEAD_FIELDS:
            raise HeadersTooLarge(f"the answer has more than {HEAD_FIELDS} header fields")
        if self._fields_size + self._held > HEAD_LIMIT:
            raise HeadersTooLarge(f"the answer's header fields passed {HEAD_LIMIT // 1024} KiB")

    def on_header(self, name: bytes, value: bytes) -> None:
        self._handed = True
        self._fields += 1
        self._fields_size += len(name) + len(value) + 4  # ": " and CRLF
        self._check_head()
        self._headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self._handed = True
        # Without a length or chunks the answer ends when the receiver closes the connection
        self._ended_by_close = "content-length" not in self._headers and "chunked" not in self._headers.get(
            "transfer-encoding", "").lower()

    def on_body(self, body: bytes) -> None:
        self._handed = True
        if self._size >= self.body_limit:
            return
        self._body.append(body)
        self._size += len(body)
        if self._size >= self.body_limit:  # the rest is not read: the connection is closed after this answer
            self._complete(keep_alive=False)

    def on_message_complete(self) -> None:
        assert self._parser is not None
        self._handed = True
        if 100 <= self._parser.get_status_code() < 200:  # an interim answer (100 Continue): the real one follows
            self._headers, self._body, self._size = {}, [], 0
            return
        self._complete(keep_alive=self._parser.should_keep_alive())

    def _complete(self, keep_alive: bool) -> None:
        if self._answer is None or self._answer.done() or self._parser is None:
            return
        self._answer.set_result(Answer(self._parser.get_status_code(), self._headers,
                                       b"".join(self._body)[:self.body_limit]))
        self.reusable = keep_alive and self.open
        if not self.reusable:
            self.close()

    def _fail(self, error: Exception) -> None:
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(error)
        self.close()

    def eof_received(self) -> bool:
        return False  # the transport closes itself; connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        if self._answer is not None and not self._answer.done():
            if self._ended_by_close and exc is None and self._parser is not None and self._parser.get_status_code():
                self._complete(keep_alive=False)
            else:
                self._fail(exc or ConnectionClosed("the receiver closed the connection before answering"))

    def close(self) -> None:
        self.reusable = False
        if self.transport is not None:
            self.transport.close()


def request_bytes(target: str, host_header: str, headers: dict[str, str], content: bytes) -> bytes:
    """A POST's head and body in one piece; header values may not break the head (no CR or LF in them)."""
    lines = [f"POST {target} HTTP/1.1", f"Host: {host_header}", f"Content-Length: {len(content)}"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise ValueError(f"header {name!r} holds a line break")
        lines.append(f"{name}: {value}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + content


def decoded(answer: Answer, limit: int) -> bytes:
    """The body uncompressed if the receiver compressed it anyway (gzip or deflate), at most `limit` bytes."""
    encoding = answer.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in DECODERS:
        return answer.body[:limit]
    try:
        return zlib.decompressobj(DECODERS[encoding]).decompress(answer.body, limit)
    except zlib.error:
        return answer.body[:limit]


# IP, port, TLS context, and the host name the URL named (the TLS server name when there is a context)
Address = tuple[str, int, ssl.SSLContext | None, str | None]


def host_of(address: Address) -> str:
    """Whose turns a POST to `address` takes: its host name, or its IP when it has none."""
    return address[3] or address[0]


class Pool:
    """Kept-alive connections by address; an idle one is closed after `keepalive_seconds`. At most `per_host` POSTs
    are in flight to one host name and `total` in all; the others wait for a turn.

    The turns are counted by host name, not by address: a name resolving to another address on every lookup, or one
    host's endpoints on several ports, otherwise took `per_host` connections for each address and port, and a few
    receivers that never answer could hold all `total`. Connections are still only reused for the same address."""

    def __init__(self, total: int, per_host: int, keepalive_seconds: float, body_limit: int) -> None:
        self.per_host, self.keepalive_seconds, self.body_limit = per_host, keepalive_seconds, body_limit
        self._total = asyncio.Semaphore(total)
        self._turns: dict[str, tuple[asyncio.Semaphore, int]] = {}  # a host's turns, and POSTs using them
        self._idle: dict[Address, list[tuple[Connection, asyncio.TimerHandle]]] = {}
        self._busy: set[Connection] = set()

    async def post(self, address: Address, request: bytes) -> Answer:
        """Sends `request` to `address` and returns the answer; the caller bounds the wait (asyncio.timeout)."""
        host = host_of(address)
        turn, users = self._turns.get(host) or (asyncio.Semaphore(self.per_host), 0)
        self._turns[host] = turn, users + 1
        try:
            async with turn, self._total:
                return await self._exchange(address, request)
        finally:
            turn, users = self._turns[host]
            if users == 1:
                del self._turns[host]
            else:
                self._turns[host] = turn, users - 1

    async def _exchange(self, address: Address, request: bytes) -> Answer:
        connection = self._reused(address) or await self._connect(address)
        self._busy.add(connection)
        try:
            answer = await connection.exchange(request)
        except BaseException:
            connection.close()
            raise
        finally:
            self._busy.discard(connection)
        if connection.reusable:
            self._keep(address, connection)
        return answer

    def _reused(self, address: Address) -> Connection | None:
        idle = self._idle.get(address)
        while idle:
            connection, expiry = idle.pop()
            expiry.cancel()
            if not idle:
                del self._idle[address]  # no address is remembered once nothing of it is kept
            if connection.reusable and connection.open:
                return connection
        return None

    async def _connect(self, address: Address) -> Connection:
        ip, port, context, server_name = address
        loop = asyncio.get_running_loop()
        _, connection = await loop.create_connection(lambda: Connection(self.body_limit), ip, port, ssl=context,
                                                     server_hostname=server_name if context else None)
        return connection

    def _keep(self, address: Address, connection: Connection) -> None:
        idle = self._idle.setdefault(address, [])
        expiry = asyncio.get_running_loop().call_later(self.keepalive_seconds, self._expire, address, connection)
        idle.append((connection, expiry))

    def _expire(self, address: Address, connection: Connection) -> None:
        kept = [(c, e) for c, e in self._idle.get(address, []) if c is not connection]
        if kept:
            self._idle[address] = kept
        else:
            self._idle.pop(address, None)
        connection.close()

    def close(self) -> None:
        for idle in self._idle.values():
            for connection, expiry in idle:
                expiry.cancel()
                connection.close()
        self._idle.clear()
        for connection in self._busy:
            connection.close()
