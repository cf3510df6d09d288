"""The poster behind webhooks and robots: it sends to the address the SSRF guard checked (a host name is resolved
once per POST, so a DNS answer that changes cannot redirect it), verifies https certificates against the URL's host
name, never follows redirects, and bounds what it reads and waits for."""

import asyncio
import gzip
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from deploy.stack import free_port
from services.notify.channels.poster import Poster

pytestmark = pytest.mark.integration


class TinyServer:
    """An HTTP/1.1 server on 127.0.0.1 (TLS optional) that records each request's server name (SNI) and head,
    and answers every request with `answer`; `answer` None never answers."""

    def __init__(self, answer: bytes | None, tls: ssl.SSLContext | None = None) -> None:
        self.answer, self.tls, self.port = answer, tls, free_port()
        self.server_names: list[str | None] = []
        self.heads: list[str] = []
        self._server: asyncio.Server | None = None
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _context: self.server_names.append(name)  # type: ignore[assignment]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        self.heads.append(head)
        length = next((int(line.split(":", 1)[1]) for line in head.split("\r\n")
                       if line.lower().startswith("content-length:")), 0)
        await reader.readexactly(length)
        if self.answer is None:
            await asyncio.sleep(3600)
        writer.write(self.answer)
        await writer.drain()
        writer.close()

    async def __aenter__(self) -> "TinyServer":
        self._server = await asyncio.start_server(self.handle, "127.0.0.1", self.port, ssl=self.tls)
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()


def certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for the DNS name `name` only (no IP address in it)."""
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    return cert, key


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, tuple[Path, Path]]]:
    folder = tmp_path_factory.mktemp("poster-tls")
    yield {name: certificate(folder, name) for name in ("localhost", "elsewhere.test")}


def serving(cert: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*cert)
    return context


@pytest.fixture
async def trusting(certificates: dict[str, tuple[Path, Path]]) -> AsyncIterator[Poster]:
    """A poster that trusts both test certificates and allow-lists localhost."""
    context = ssl.create_default_context()
    for cert, _ in certificates.values():
        context.load_verify_locations(cafile=str(cert))
    poster = Poster({"localhost", "127.0.0.1"}, 5.0, ssl_context=context)
    yield poster
    await poster.close()


OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"


class Dns:
    """DNS for one name, as the test scripts it: each lookup of `name` is counted and answered with the next of
    `answers` (the last one repeats). It stands in for `socket.getaddrinfo`, which every lookup in the process goes
    through (the event loop's `getaddrinfo`, and `create_connection` given a name); other names resolve as usual."""

    def __init__(self, name: str, answers: list[str]) -> None:
        self.name, self.answers, self.lookups = name, answers, 0
        self._real = socket.getaddrinfo

    def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host not in (self.name, self.name.encode()):
            return self._real(host, port, *args, **kwargs)
        address = self.answers[min(self.lookups, len(self.answers) - 1)]
        self.lookups += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port or 0)))]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, list[str]], Dns]:
    """`dns(name, answers)` makes `name` resolve as scripted for the rest of the test."""
    def scripted(name: str, answers: list[str]) -> Dns:
        resolver = Dns(name, answers)
        monkeypatch.setattr(socket, "getaddrinfo", resolver.getaddrinfo)
        return resolver
    return scripted


async def test_a_host_name_is_resolved_once_per_post_and_the_post_goes_to_the_address_that_was_checked(
        dns: Callable[[str, list[str]], Dns]) -> None:
    """DNS rebinding: the name first resolves to the receiver (127.0.0.1), then to an address where nothing listens
    (127.0.0.2). A poster that resolved the name again to connect would go there and fail."""
    rebinding = dns("rebind.test", ["127.0.0.1", "127.0.0.2"])
    poster = Poster({"rebind.test"}, 2.0)
    try:
        async with TinyServer(OK) as server:  # listens on 127.0.0.1 only
            url = f"http://rebind.test:{server.port}/hooks"
            first = await poster.post(url, b"{}", {})
            assert first.ok, first.error
            assert rebinding.lookups == 1, "the name was resolved once, for the check, and not again to connect"
            request_line, *headers = server.heads[0].split("\r\n")
            assert request_line == "POST /hooks HTTP/1.1"
            assert f"host: rebind.test:{server.port}" in [h.lower() for h in headers], "the original Host"

            second = await poster.post(url, b"{}", {})  # the name now resolves elsewhere
    finally:
        await poster.close()
    assert rebinding.lookups == 2, "every POST checks the name again, once"
    assert not second.ok and second.code is None and "127.0.0.2" in (second.error or ""), \
        f"the second POST went to the address its own lookup gave: {second.error}"
    assert len(server.heads) == 1


async def test_a_name_first_resolving_to_a_private_address_is_refused_without_connecting_whatever_it_resolves_to_next(
        dns: Callable[[str, list[str]], Dns], monkeypatch: pytest.MonkeyPatch) -> None:
    rebinding = dns("rebind.test", ["10.0.0.5", "8.8.8.8"])  # private first, public on any later lookup
    dialled: list[object] = []

    async def dial(_protocol_factory: object, host: object = None, port: object = None, **_: object) -> None:
        dialled.append((host, port))
        raise ConnectionRefusedError(f"this test opens no connection ({host})")

    monkeypatch.setattr(asyncio.get_running_loop(), "create_connection", dial)
    poster = Poster({"127.0.0.1", "localhost"}, 2.0)  # rebind.test is not allow-listed
    try:
        outcome = await poster.post("https://rebind.test/hooks", b"{}", {})
    finally:
        await poster.close()
    assert not outcome.ok and outcome.code is None
    assert outcome.error == "refused: rebind.test resolves to 10.0.0.5, a private address; only public addresses " \
                            "are allowed"
    assert rebinding.lookups == 1, "the refusal stands on the one lookup: the name is not asked again"
    assert dialled == [], "no connection was attempted"


async def test_https_goes_to_the_checked_address_and_verifies_the_certificate_against_the_host_name(
        certificates: dict[str, tuple[Path, Path]], trusting: Poster) -> None:
    async with TinyServer(OK, serving(certificates["localhost"])) as server:
        outcome = await trusting.post(f"https://localhost:{server.port}/hooks?x=1", b"{}", {"webhook-id": "w1"})
    assert outcome.ok, outcome.error
    assert server.server_names == ["localhost"]  # the IP was dialled, the name was presented and verified
    request_line, *headers = server.heads[0].split("\r\n")
    assert request_line == "POST /hooks?x=1 HTTP/1.1"
    assert f"host: localhost:{server.port}" in [h.lower() for h in headers]


async def test_a_certificate_for_another_name_is_a_failed_attempt(
        certificates: dict[str, tuple[Path, Path]], trusting: Poster) -> None:
    async with TinyServer(OK, serving(certificates["elsewhere.test"])) as server:
        outcome = await trusting.post(f"https://localhost:{server.port}/hooks", b"{}", {})
    assert not outcome.ok and outcome.code is None and "certificate" in (outcome.error or "").lower()
    assert server.heads == []


async def test_a_redirect_is_a_failed_attempt_and_is_not_followed(trusting: Poster) -> None:
    redirect = b"HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:1/x\r\ncontent-length: 0\r\n\r\n"
    async with TinyServer(redirect) as server:
        outcome = await trusting.post(f"http://127.0.0.1:{server.port}/hooks", b"{}", {})
    assert (outcome.ok, outcome.code, len(server.heads)) == (False, 307, 1)


async def test_a_long_answer_is_kept_to_500_characters(trusting: Poster) -> None:
    body = "答" * 100_000
    answer = f"HTTP/1.1 500 Oops\r\ncontent-length: {len(body.encode())}\r\n\r\n{body}".encode()
    async with TinyServer(answer) as server:
        outcome = await trusting.post(f"http://127.0.0.1:{server.port}/hooks", b"{}", {})
    assert (outcome.ok, outcome.code, outcome.body) == (False, 500, "答" * 500)


async def test_a_receiver_that_never_answers_is_given_up_on_after_the_timeout() -> None:
    poster = Poster({"127.0.0.1"}, 0.5)
    try:
        async with TinyServer(None) as server:
            started = asyncio.get_running_loop().time()
            outcome = await poster.post(f"http://127.0.0.1:{server.port}/hooks", b"{}", {})
            waited = asyncio.get_running_loop().time() - started
    finally:
        await poster.close()
    assert not outcome.ok and outcome.code is None and "TimeoutError" in (outcome.error or "")
    assert 0.4 < waited < 3


async def test_an_answer_compressed_anyway_is_read_uncompressed(trusting: Poster) -> None:
    """Compression is not asked for, but a robot's answer says in its body whether the message went through."""
    body = gzip.compress(b'{"errcode": 310000, "errmsg": "sign not match"}')
    answer = (b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n"
              b"content-length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    async with TinyServer(answer) as server:
        outcome = await trusting.post(f"http://127.0.0.1:{server.port}/robot", b"{}", {})
    assert (outcome.ok, outcome.body) == (True, '{"errcode": 310000, "errmsg": "sign not match"}')
    assert "accept-encoding: identity" in server.heads[0].lower()


async def test_a_path_and_query_in_chinese_are_sent_percent_encoded(trusting: Poster) -> None:
    async with TinyServer(OK) as server:
        outcome = await trusting.post(f"http://127.0.0.1:{server.port}/回调/hooks?组=甲%2F乙", b"{}", {}, {"t": "a b"})
    assert outcome.ok, outcome.error
    assert server.heads[0].split("\r\n")[0] == \
        "POST /%E5%9B%9E%E8%B0%83/hooks?%E7%BB%84=%E7%94%B2%2F%E4%B9%99&t=a+b HTTP/1.1"


async def test_a_receiver_that_never_answers_holds_only_its_share_of_the_connections(
        dns: Callable[[str, list[str]], Dns]) -> None:
    dns("stuck.test", ["127.0.0.1"])
    poster = Poster({"127.0.0.1", "stuck.test"}, 2.0, max_connections=8, per_receiver=3)
    loop = asyncio.get_running_loop()
    try:
        async with TinyServer(None) as stuck, TinyServer(OK) as other:
            hanging = [asyncio.create_task(poster.post(f"http://stuck.test:{stuck.port}/hooks", b"{}", {}))
                       for _ in range(20)]
            await asyncio.sleep(0.3)
            started = loop.time()
            outcome = await poster.post(f"http://127.0.0.1:{other.port}/hooks", b"{}", {})
            assert outcome.ok and loop.time() - started < 1.0, "another receiver is not held up by a stuck one"
            assert 1 <= len(stuck.heads) <= 3, "the stuck receiver has its share of the connections, no more"
            given_up = await asyncio.gather(*hanging)
    finally:
        await poster.close()
    assert all(not o.ok and "TimeoutError" in (o.error or "") for o in given_up), "failed attempts, retried later"


async def test_endpoints_of_one_host_on_several_ports_share_its_share_of_the_connections(
        dns: Callable[[str, list[str]], Dns]) -> None:
    """The share is the host name's (what the URLs name), not each port's: a host with stuck endpoints on three
    ports holds three connections in all, and the rest of the pool stays free for other receivers."""
    dns("stuck.test", ["127.0.0.1"])
    poster = Poster({"127.0.0.1", "stuck.test"}, 2.0, max_connections=4, per_receiver=3)
    loop = asyncio.get_running_loop()
    try:
        async with TinyServer(None) as a, TinyServer(None) as b, TinyServer(None) as c, TinyServer(OK) as other:
            hanging = [asyncio.create_task(poster.post(f"http://stuck.test:{stuck.port}/hooks", b"{}", {}))
                       for stuck in (a, b, c) for _ in range(3)]
            await asyncio.sleep(0.3)
            started = loop.time()
            outcome = await poster.post(f"http://127.0.0.1:{other.port}/hooks", b"{}", {})
            assert outcome.ok and loop.time() - started < 1.0, "another receiver is not held up by the stuck host"
            assert len(a.heads) + len(b.heads) + len(c.heads) == 3, "the stuck host has its share, over all ports"
            given_up = await asyncio.gather(*hanging)
    finally:
        await poster.close()
    assert all(not o.ok and "TimeoutError" in (o.error or "") for o in given_up)
