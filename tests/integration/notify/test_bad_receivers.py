"""Receivers that hang, reset the connection or present a certificate nobody trusts: each attempt is its own task
with its own timeout, so they hold up no other endpoint, and their messages are retried to the dead letters,
never lost."""

import asyncio
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from deploy.receiver import Receiver
from deploy.stack import Stack, free_port
from services.notify.notifications import notification_id
from tests.integration.notify.support import add_webhook, get, match_event, publish, read_endpoint, two_orgs
from tests.support.api import eventually

pytestmark = pytest.mark.integration


class RawServer:
    """A TCP (optionally TLS) server on loopback that either never answers or closes at once."""

    def __init__(self, behaviour: str, tls: ssl.SSLContext | None = None) -> None:
        self.behaviour, self.tls, self.port = behaviour, tls, free_port()
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.behaviour == "reset":
            writer.transport.abort()
            return
        if self.behaviour == "ok":  # with TLS, reached only after a successful handshake
            await reader.read(65536)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            await writer.drain()
        self._writers.append(writer)  # "hang": read nothing, answer nothing, keep the connection open

    async def __aenter__(self) -> "RawServer":
        self._server = await asyncio.start_server(self.handle, "127.0.0.1", self.port, ssl=self.tls)
        return self

    async def __aexit__(self, *_: object) -> None:
        for writer in self._writers:
            writer.transport.abort()
        assert self._server is not None
        self._server.close()


@pytest.fixture(scope="module")
def untrusted_tls(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[ssl.SSLContext]:
    folder: Path = tmp_path_factory.mktemp("untrusted")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=30)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_a_receiver_that_never_answers_holds_up_no_other_endpoint_and_its_messages_wait_for_their_retries(
        stack: Stack, http: httpx.AsyncClient, port: int) -> None:
    firm, university = await two_orgs(http, stack, "挂起")
    fast = await Receiver(port).start()
    try:
        async with RawServer("hang") as hanging:
            hung = await add_webhook(http, stack, firm["api_key"], f"http://127.0.0.1:{hanging.port}/hooks")
            await add_webhook(http, stack, firm["api_key"], f"{fast.url}/hooks")
            events = [match_event(firm["id"], university["id"]) for _ in range(3)]
            for event in events:
                await publish(stack, event)
            received = await fast.wait_for(3, within=15)
            ids = {notification_id(e.id, firm["id"]) for e in events}
            assert {r.headers["webhook-id"] for r in received} == ids
            assert hanging.connections >= 1, "the hanging endpoint was tried too, and is still waiting"

            # Each message's first attempt to the hanging endpoint fails when the timeout (15 s) runs out ...
            async def timed_out() -> list[dict]:
                records = await get(http, stack, firm["api_key"], "/v1/deliveries", endpoint_id=hung["id"])
                return records if len(records) >= len(events) else []
            records = await eventually(timed_out, within=30, every=0.5)
            assert {r["notification_id"] for r in records} == ids and {r["attempt"] for r in records} == {1}
            assert all(r["status"] == "failed" and r["response_code"] is None for r in records)
            assert {r["error"] for r in records} == {"TimeoutError: no answer within 15 s"}
            assert all(r["latency_ms"] > 14_900 for r in records), "waited out (the clocks differ by a little)"
            # ... and the messages stay on their retry schedule: due again (the test's schedule is short), not lost.
            endpoint = await read_endpoint(http, f"{stack.url('notify')}/v1/webhooks/{hung['id']}", firm["api_key"])
            assert (endpoint["retrying"], endpoint["dead_letters"]) == (len(events), 0)

            async def tried_again() -> bool:
                return hanging.connections >= 2 * len(events)
            await eventually(tried_again, within=5)
    finally:
        await fast.stop()


async def test_resets_and_untrusted_certificates_are_failed_attempts_that_end_in_the_dead_letters(
        stack: Stack, http: httpx.AsyncClient, untrusted_tls: ssl.SSLContext) -> None:
    firm, university = await two_orgs(http, stack, "坏接收方")
    async with RawServer("reset") as resetting, RawServer("ok", untrusted_tls) as impostor:
        reset_hook = await add_webhook(http, stack, firm["api_key"], f"http://127.0.0.1:{resetting.port}/hooks")
        tls_hook = await add_webhook(http, stack, firm["api_key"], f"https://127.0.0.1:{impostor.port}/hooks")
        event = match_event(firm["id"], university["id"])
        await publish(stack, event)

        async def both_dead() -> list[dict]:
            dead = await get(http, stack, firm["api_key"], "/v1/dead-letters")
            return dead if len(dead) == 2 else []
        dead = await eventually(both_dead, within=45, every=0.5)
        assert {d["target_id"] for d in dead} == {reset_hook["id"], tls_hook["id"]}
        assert all(d["notification_id"] == notification_id(event.id, firm["id"]) and d["attempts"] == 8 for d in dead)

        async def eight_records(endpoint_id: str) -> list[dict]:
            # An attempt's record is written just after its dispatch's state, so the last one may trail the dead
            # letter by a moment (deliveries share their inserts).
            records = await get(http, stack, firm["api_key"], "/v1/deliveries", endpoint_id=endpoint_id)
            return records if len(records) >= 8 else []

        records = await eventually(lambda: eight_records(tls_hook["id"]), within=5)
        assert len(records) == 8 and all(r["status"] == "failed" and r["response_code"] is None for r in records)
        assert "CERTIFICATE_VERIFY_FAILED" in records[0]["error"]
        resets = await eventually(lambda: eight_records(reset_hook["id"]), within=5)
        assert len(resets) == 8 and all(r["error"] for r in resets)
        assert resetting.connections == 8
        assert impostor.connections == 0, "no handshake with the impostor ever succeeded, so nothing was sent to it"
