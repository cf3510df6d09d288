"""Helpers for notify's integration tests: match events straight onto the broker, SSE reading, a receiver
that can add response headers (Retry-After), a mailbox for the local SMTP server (the `smtp` fixture)."""

import asyncio
import json
import ssl
import time
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
from aiosmtpd.smtp import AuthResult, LoginPassword
from prometheus_client.parser import text_string_to_metric_families

from deploy.receiver import Receiver
from deploy.stack import Stack
from services.contracts import topics
from services.contracts.envelope import Envelope, new_event
from services.contracts.events import MatchData
from services.contracts.wire import encode
from services.notify.channels import Channel
from services.notify.channels.email import EmailChannel
from services.notify.db import Database
from services.notify.deliveries import DeadLetterHook, Dispatcher, TargetLoader
from services.notify.handlers import NOTIFYING_TOPICS
from services.notify.settings import Settings
from tests.support.api import bearer, register_org
from tests.support.kafka import publish_on_every_partition, publish_raw


def match_event(need_org_id: str, counterpart_org_id: str) -> Envelope:
    suffix = uuid.uuid4().hex[:12]
    data = MatchData(match_id=f"mt_{suffix}", need_id=f"nd_{suffix}", counterpart_id=f"rs_{suffix}",
                     counterpart_kind="result", need_org_id=need_org_id, counterpart_org_id=counterpart_org_id,
                     score=0.8, proposed_at=datetime.now(UTC))
    return new_event("match.proposed", data.match_id, data, "/tests/notify")


async def publish(stack: Stack, event: Envelope, topic: str = topics.MATCHES) -> None:
    await publish_raw(stack.bootstrap, topic, encode(event), key=event.key())


async def publish_everywhere(stack: Stack, event: Envelope) -> dict[tuple[str, int], int]:
    """The same envelope, with its key, on every partition of every topic notify reads (one handler takes them all),
    so the copies reach every consumer of notify's group that holds any partition. Returns the offset each copy
    landed at, by (topic, partition)."""
    return await publish_on_every_partition(stack.bootstrap, NOTIFYING_TOPICS, encode(event), key=event.key())


async def put_preferences(http: httpx.AsyncClient, stack: Stack, key: str, body: dict) -> httpx.Response:
    return await http.put(f"{stack.url('notify')}/v1/preferences", json=body, headers=bearer(key))


async def two_orgs(http: httpx.AsyncClient, stack: Stack, label: str) -> tuple[dict, dict]:
    registry = stack.url("registry")
    firm = await register_org(http, registry, f"{label}企业", "firm")
    university = await register_org(http, registry, f"{label}大学", "university")
    return firm, university


async def add_webhook(http: httpx.AsyncClient, stack: Stack, key: str, url: str) -> dict:
    response = await http.post(f"{stack.url('notify')}/v1/webhooks", json={"url": url}, headers=bearer(key))
    assert response.status_code == 201, response.text
    return response.json()


async def read_endpoint(http: httpx.AsyncClient, url: str, key: str) -> dict:
    """A webhook endpoint as its owner reads it (`GET /v1/webhooks/{id}` at `url`): status, `retrying`, ..."""
    response = await http.get(url, headers=bearer(key))
    assert response.status_code == 200, response.text
    return response.json()


async def get(http: httpx.AsyncClient, stack: Stack, key: str, path: str, **params: str) -> list[dict]:
    """A list from notify: the whole of it, or a page's items (the first page)."""
    response = await http.get(f"{stack.url('notify')}{path}", params=params, headers=bearer(key))
    assert response.status_code == 200, response.text
    body = response.json()
    return body["items"] if isinstance(body, dict) else body


async def read_sse(http: httpx.AsyncClient, stack: Stack, key: str, until: str | None = None, within: float = 10.0,
                   last_event_id: str | None = None, count: int | None = None,
                   comments: list[str] | None = None, ticket: str | None = None) -> list[dict]:
    """Reads the organisation's stream (from the start, or after `last_event_id`) until an event of type `until`
    or `count` events arrived, or time runs out. Comment lines (heartbeats) go to `comments` when given. With a
    `ticket`, the stream is opened as a browser's EventSource would: the ticket in the URL, no API key."""
    events: list[dict] = []
    headers = ({} if ticket else bearer(key)) | ({"Last-Event-ID": last_event_id} if last_event_id else {})
    params = {"ticket": ticket} if ticket else {}

    async def consume() -> None:
        async with http.stream("GET", f"{stack.url('notify')}/v1/stream", headers=headers,
                               params=params) as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            block: dict = {}
            async for line in response.aiter_lines():
                if line.startswith(":") and comments is not None:
                    comments.append(line)
                elif line.startswith("id: "):
                    block["id"] = line[4:]
                elif line.startswith("event: "):
                    block["event"] = line[7:]
                elif line.startswith("data: "):
                    block["data"] = json.loads(line[6:])
                elif line == "" and "data" in block:
                    events.append(block)
                    if block.get("event") == until or (count is not None and len(events) >= count):
                        return
                    block = {}

    try:
        await asyncio.wait_for(consume(), within)
    except TimeoutError:
        pass
    return events


def HeaderReceiver(port: int, answers: list[tuple[int, dict[str, str]]] | None = None) -> Receiver:  # noqa: N802
    """A Receiver whose scripted answers are `(status, headers)` pairs (see deploy.receiver.Receiver)."""
    return Receiver(port, responses=list(answers or []))


async def partitions_fetched(http: httpx.AsyncClient, url: str, group: str = "notify") -> set[tuple[str, int]]:
    """The partitions a notify replica (at `url`) has fetched records from, as (topic, partition): those its
    `consumer_lag_records` gauge names, which each fetch that brought records sets."""
    text = (await http.get(f"{url}/metrics")).text
    return {(s.labels["topic"], int(s.labels["partition"])) for family in text_string_to_metric_families(text)
            for s in family.samples if s.name == "consumer_lag_records" and s.labels.get("group") == group}


async def metric(http: httpx.AsyncClient, stack: Stack, sample: str, **labels: str) -> float:
    """A sample of notify's Prometheus metrics (`GET /metrics`), 0 while it has none."""
    text = (await http.get(f"{stack.url('notify')}/metrics")).text
    return sum(s.value for family in text_string_to_metric_families(text) for s in family.samples
               if s.name == sample and all(s.labels.get(k) == v for k, v in labels.items()))


class Mailbox:
    """What the local SMTP server received: (sender, recipients, raw message) in order of arrival."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001, N802 - aiosmtpd's hook
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"

    async def wait_for(self, count: int, within: float = 10.0) -> list[EmailMessage]:
        """The messages received, parsed, once `count` have arrived or `within` s have passed."""
        deadline = time.monotonic() + within
        # The SMTP server appends from a thread of its own: nothing to await but the list growing.
        while len(self.messages) < count and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        return [message_from_bytes(raw, policy=policy.default) for _, _, raw in self.messages]


def check_login(server, session, envelope, mechanism, auth_data) -> AuthResult:  # noqa: ANN001
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (b"notify", b"s3cret")
    return AuthResult(success=ok)


def email_channel(port: int, cert: Path, password: str = "s3cret", timeout: float = 10) -> EmailChannel:
    """The e-mail channel as notify configures it, sending to the local SMTP server (trusting its certificate)."""
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=True, smtp_username="notify",
                        smtp_password=password, smtp_from="对接平台 <noreply@duijie.test>",
                        smtp_timeout_seconds=timeout)
    return EmailChannel(settings, ssl.create_default_context(cafile=str(cert)))


async def nothing(*_: dict) -> None:
    """A dispatcher's hook that does nothing; as its target loader, one that finds no target."""
    return None


def bare_dispatcher(db: Database, channels: dict[str, Channel], settings: Settings | None = None,
                    load_target: TargetLoader = nothing, on_dead: DeadLetterHook = nothing) -> Dispatcher:
    """A dispatcher on its own, without the notifier: its hooks do nothing unless given."""
    return Dispatcher(db, settings or Settings(), channels, load_target=load_target, on_dead=on_dead,
                      on_gone=nothing)
