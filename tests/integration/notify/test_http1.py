"""The poster's HTTP/1.1 client on loopback: kept-alive connections reused and let go, every form an answer's body
may take read, and receivers that break off or send too much turned into failed attempts."""

import asyncio
import gzip
from collections.abc import AsyncIterator, Callable

import pytest

from deploy.stack import free_port
from services.notify.channels.http1 import HEAD_FIELDS, HEAD_LIMIT, Pool, request_bytes
from services.notify.channels.poster import Poster

pytestmark = pytest.mark.integration

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


class Receiver:
    """Answers the n-th request it reads (counting from 0, over all connections) with `answer(n)`, keeping the
    connection open unless `close_after` is true; records each request's connection number, head and body."""

    def __init__(self, answer: Callable[[int], bytes], close_after: bool = False) -> None:
        self.answer, self.close_after, self.port = answer, close_after, free_port()
        self.requests: list[tuple[int, str, bytes]] = []
        self.connections = 0
        self.closed_by_client = 0
        self._server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = self.connections
        self.connections += 1
        try:
            while True:
                try:
                    head = (await reader.readuntil(b"\r\n\r\n")).decode()
                except asyncio.IncompleteReadError:
                    self.closed_by_client += 1
                    return
                length = next(int(line.split(":", 1)[1]) for line in head.split("\r\n")
                              if line.lower().startswith("content-length:"))
                body = await reader.readexactly(length)
                self.requests.append((number, head, body))
                writer.write(self.answer(len(self.requests) - 1))
                await writer.drain()
                if self.close_after:
                    return
        finally:
            writer.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def __aenter__(self) -> "Receiver":
        self._server = await asyncio.start_server(self.handle, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()


@pytest.fixture
async def poster() -> AsyncIterator[Poster]:
    poster = Poster({"127.0.0.1"}, 5.0)
    yield poster
    await poster.close()


async def test_posts_to_one_receiver_go_one_after_another_on_one_kept_alive_connection(poster: Poster) -> None:
    async with Receiver(lambda n: OK) as receiver:
        outcomes = [await poster.post(receiver.url, f'{{"n": {n}}}'.encode(), {"webhook-id": f"msg_{n}"})
                    for n in range(5)]
    assert [o.ok for o in outcomes] == [True] * 5 and {o.body for o in outcomes} == {"ok"}
    assert receiver.connections == 1
    _, head, body = receiver.requests[3]
    assert head.startswith("POST /hook HTTP/1.1\r\n") and body == b'{"n": 3}'
    assert f"Host: 127.0.0.1:{receiver.port}\r\n" in head and "webhook-id: msg_3\r\n" in head
    assert "Content-Length: 8\r\n" in head and "Accept-Encoding: identity\r\n" in head


async def test_posts_at_once_to_one_receiver_each_get_their_own_connection(poster: Poster) -> None:
    async with Receiver(lambda n: OK) as receiver:
        outcomes = await asyncio.gather(*(poster.post(receiver.url, b"{}", {}) for _ in range(4)))
        assert all(o.ok for o in outcomes)
        await asyncio.gather(*(poster.post(receiver.url, b"{}", {}) for _ in range(4)))
    assert receiver.connections == 4  # the second round reused the first round's connections


async def test_an_idle_connection_is_let_go_after_the_keep_alive_and_the_next_post_opens_another() -> None:
    pool = Pool(total=10, per_host=2, keepalive_seconds=0.1, body_limit=1024)
    async with Receiver(lambda n: OK) as receiver:
        request = request_bytes("/hook", "127.0.0.1", {}, b"{}")
        await pool.post(("127.0.0.1", receiver.port, None, None), request)
        await asyncio.sleep(0.3)
        assert receiver.closed_by_client == 1
        assert (await pool.post(("127.0.0.1", receiver.port, None, None), request)).status == 200
    pool.close()
    assert receiver.connections == 2


async def test_a_connection_the_receiver_closed_while_idle_is_not_used_again(poster: Poster) -> None:
    async with Receiver(lambda n: OK, close_after=True) as receiver:
        first = await poster.post(receiver.url, b"{}", {})
        await asyncio.sleep(0.1)
        second = await poster.post(receiver.url, b"{}", {})
    assert first.ok and second.ok
    assert receiver.connections == 2


@pytest.mark.parametrize("answer", [
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nacc\r\n5\r\nepted\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\naccepted",  # no length: the answer ends when the receiver closes
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\naccepted",
    b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 28\r\n\r\n" + gzip.compress(b"accepted", mtime=0),
], ids=["chunked", "ended-by-close", "after-100-continue", "gzip"])
async def test_every_form_of_an_answer_is_read_whole(poster: Poster, answer: bytes) -> None:
    assert answer.count(b"\r\n\r\n") >= 1
    async with Receiver(lambda n: answer, close_after=True) as receiver:
        outcome = await poster.post(receiver.url, b"{}", {})
    assert (outcome.ok, outcome.code, outcome.body) == (True, 200, "accepted")


async def test_an_answer_over_the_limit_is_cut_and_its_connection_not_used_again() -> None:
    pool = Pool(total=10, per_host=2, keepalive_seconds=5.0, body_limit=1000)
    big = b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n" + b"x" * 100_000
    async with Receiver(lambda n: big if n == 0 else OK) as receiver:
        request = request_bytes("/hook", "127.0.0.1", {}, b"{}")
        first = await pool.post(("127.0.0.1", receiver.port, None, None), request)
        second = await pool.post(("127.0.0.1", receiver.port, None, None), request)
    pool.close()
    assert first.status == 200 and len(first.body) == 1000
    assert second.body == b"ok" and receiver.connections == 2


@pytest.mark.parametrize("answer", [b"", b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nok", b"SMTP ready\r\n\r\n"],
                         ids=["nothing", "cut-short", "not-http"])
async def test_a_receiver_breaking_off_or_not_speaking_http_is_a_failed_attempt(poster: Poster,
                                                                                answer: bytes) -> None:
    async with Receiver(lambda n: answer, close_after=True) as receiver:
        outcome = await poster.post(receiver.url, b"{}", {})
    assert not outcome.ok and outcome.code is None
    assert outcome.error is not None and outcome.error.startswith("ConnectionClosed")


async def test_a_header_value_with_a_line_break_is_refused_before_anything_is_sent(poster: Poster) -> None:
    async with Receiver(lambda n: OK) as receiver:
        outcome = await poster.post(receiver.url, b"{}", {"webhook-id": "msg_1\r\nX-Injected: yes"})
    assert not outcome.ok and outcome.error is not None and "line break" in outcome.error
    assert receiver.requests == []


async def test_the_pool_forgets_an_address_once_nothing_of_it_is_in_flight_or_kept() -> None:
    pool = Pool(total=10, per_host=2, keepalive_seconds=0.1, body_limit=1024)
    async with Receiver(lambda n: OK) as receiver:
        address = ("127.0.0.1", receiver.port, None, None)
        request = request_bytes("/hook", "127.0.0.1", {}, b"{}")
        await pool.post(address, request)
        assert address in pool._idle and "127.0.0.1" not in pool._turns
        await pool.post(address, request)  # reuses the kept connection
        await asyncio.sleep(0.3)
    assert pool._idle == {} and pool._turns == {}
    pool.close()


class Streamer:
    """Answers every request on 127.0.0.1 with `start`, then with `more(n)` for n = 0, 1, ... until it returns
    nothing or the client closes the connection; records how many bytes it sent and whether the client closed."""

    def __init__(self, start: bytes, more: Callable[[int], bytes]) -> None:
        self.start, self.more, self.port = start, more, free_port()
        self.sent = 0
        self.closed_by_client = False
        self._server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(self.start)
            n = 0
            while piece := self.more(n):
                writer.write(piece)
                await writer.drain()
                self.sent += len(piece)
                n += 1
            await reader.read()  # the answer is whole: wait for the client to let the connection go
            self.closed_by_client = True
        except ConnectionError:
            self.closed_by_client = True
        finally:
            writer.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def __aenter__(self) -> "Streamer":
        self._server = await asyncio.start_server(self.handle, "127.0.0.1", self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()


def fields(count: int, size: int = 20) -> bytes:
    """`count` header fields of distinct names, each some `size` bytes long."""
    return b"".join(b"x-field-%05d: " % n + b"v" * (size - 20) + b"\r\n" for n in range(count))


ENDLESS = {
    "one-endless-value": (b"HTTP/1.1 200 OK\r\nx-filler: ", lambda n: b"a" * 16_384),
    "endless-distinct-names": (b"HTTP/1.1 200 OK\r\n", lambda n: fields(50, 20).replace(b"x-", b"x-%d-" % n)),
    "endless-big-fields": (b"HTTP/1.1 200 OK\r\n", lambda n: b"x-name-%d: %s\r\n" % (n, b"a" * 4000)),
    "endless-trailer": (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nx-trailer: ",
                        lambda n: b"a" * 16_384),
}


@pytest.mark.parametrize("start,more", ENDLESS.values(), ids=ENDLESS.keys())
async def test_an_answer_whose_header_fields_never_end_fails_at_the_cap_long_before_the_timeout(
        start: bytes, more: Callable[[int], bytes]) -> None:
    poster = Poster({"127.0.0.1"}, 3.0)
    loop = asyncio.get_running_loop()
    try:
        async with Streamer(start, more) as receiver:
            started = loop.time()
            outcome = await poster.post(receiver.url, b"{}", {})
            waited = loop.time() - started
            await asyncio.sleep(0.1)
    finally:
        await poster.close()
    assert not outcome.ok and outcome.code is None
    assert outcome.error in (f"HeadersTooLarge: the answer's header fields passed {HEAD_LIMIT // 1024} KiB",
                             f"HeadersTooLarge: the answer has more than {HEAD_FIELDS} header fields")
    assert waited < 1.5, "the attempt failed as the cap was passed, not at the timeout"
    assert receiver.closed_by_client, "the connection was let go"


@pytest.mark.parametrize("head,error", [
    (fields(HEAD_FIELDS + 1), f"more than {HEAD_FIELDS} header fields"),
    (fields(60, 1200), f"passed {HEAD_LIMIT // 1024} KiB"),
], ids=["too-many-fields", "too-many-bytes"])
async def test_an_answer_with_too_many_header_fields_or_bytes_of_them_is_a_failed_attempt(
        poster: Poster, head: bytes, error: str) -> None:
    answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n" + head + b"\r\nok"
    async with Receiver(lambda n: answer) as receiver:
        outcome = await poster.post(receiver.url, b"{}", {})
        second = await poster.post(receiver.url, b"{}", {})
    assert not outcome.ok and outcome.code is None and error in (outcome.error or "")
    assert outcome.error is not None and outcome.error.startswith("HeadersTooLarge: ")
    assert not second.ok and receiver.connections == 2, "the connection was closed, not used again"


async def test_an_answer_within_the_header_caps_is_read(poster: Poster) -> None:
    head = fields(HEAD_FIELDS - 1, (HEAD_LIMIT - 1024) // HEAD_FIELDS)
    answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n" + head + b"\r\nok"
    async with Receiver(lambda n: answer) as receiver:
        outcome = await poster.post(receiver.url, b"{}", {})
    assert len(head) > HEAD_LIMIT - 2048
    assert (outcome.ok, outcome.body) == (True, "ok"), outcome.error


class Silent:
    """Reads requests on `ip` and never answers; counts the connections made to it."""

    def __init__(self, ip: str) -> None:
        self.ip, self.port, self.connections = ip, free_port(), 0
        self._server: asyncio.Server | None = None

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await reader.read()
        writer.close()

    async def __aenter__(self) -> "Silent":
        self._server = await asyncio.start_server(self.handle, self.ip, self.port)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()


async def test_one_host_name_holds_only_its_share_of_the_connections_over_all_its_addresses_and_ports() -> None:
    """A name that resolves to another address on every lookup, and one host's endpoints on several ports, share
    the host's turns: they cannot take the whole pool, and another host's POST goes through at once."""
    pool = Pool(total=4, per_host=2, keepalive_seconds=5.0, body_limit=1024)
    request = request_bytes("/hook", "stuck.test", {}, b"{}")
    async with Silent("127.0.0.2") as a, Silent("127.0.0.3") as b, Silent("127.0.0.1") as c, Silent("127.0.0.1") as d:
        stuck = [asyncio.create_task(asyncio.wait_for(pool.post((s.ip, s.port, None, "stuck.test"), request), 1.5))
                 for s in (a, b, c, d) for _ in range(3)]
        await asyncio.sleep(0.2)
        assert a.connections + b.connections + c.connections + d.connections == 2
        async with Receiver(lambda n: OK) as healthy:
            answer = await asyncio.wait_for(pool.post(("127.0.0.1", healthy.port, None, "healthy.test"),
                                                      request_bytes("/hook", "healthy.test", {}, b"{}")), 0.5)
        assert answer.status == 200
        given_up = await asyncio.gather(*stuck, return_exceptions=True)
    pool.close()
    assert all(isinstance(e, TimeoutError) for e in given_up)
    assert pool._turns == {}


async def test_connections_are_reused_only_for_the_same_address_and_host_name() -> None:
    pool = Pool(total=10, per_host=2, keepalive_seconds=5.0, body_limit=1024)
    async with Receiver(lambda n: OK) as receiver:
        for name in ("a.test", "b.test", "a.test", "b.test"):
            await pool.post(("127.0.0.1", receiver.port, None, name), request_bytes("/hook", name, {}, b"{}"))
    pool.close()
    assert receiver.connections == 2
