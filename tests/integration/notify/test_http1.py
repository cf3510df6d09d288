"""The poster's HTTP/1.1 client on loopback: kept-alive connections reused and let go, every form an answer's body
may take read, and receivers that break off or send too much turned into failed attempts."""

import asyncio
import gzip
from collections.abc import AsyncIterator, Callable

import pytest

from deploy.stack import free_port
from services.notify.channels.http1 import Pool, request_bytes
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
    pool = Pool(total=10, per_address=2, keepalive_seconds=0.1, body_limit=1024)
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
    pool = Pool(total=10, per_address=2, keepalive_seconds=5.0, body_limit=1000)
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
    pool = Pool(total=10, per_address=2, keepalive_seconds=0.1, body_limit=1024)
    async with Receiver(lambda n: OK) as receiver:
        address = ("127.0.0.1", receiver.port, None, None)
        request = request_bytes("/hook", "127.0.0.1", {}, b"{}")
        await pool.post(address, request)
        assert address in pool._idle and address not in pool._turns
        await pool.post(address, request)  # reuses the kept connection
        await asyncio.sleep(0.3)
    assert pool._idle == {} and pool._turns == {}
    pool.close()
