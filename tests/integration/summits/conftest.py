"""Fixtures for summit tests on the shared stack: an organiser, organisations, a summit an hour from now,
a direct line to the registry's database (to seed matches) and a sweep with a clock the test can jump."""

import json
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from deploy.stack import Stack
from services.contracts.envelope import deterministic_id
from services.registry.container import Container
from services.registry.db import Database, retrying
from services.registry.outbox import Relay
from services.registry.settings import Settings
from services.registry.summits.sweep import Swept, sweep
from tests.support.api import bearer, register_org


@pytest.fixture
async def organiser(stack: Stack, http: httpx.AsyncClient, registry: str) -> dict:
    """An organiser organisation (区科技局 desk) with an organiser-role key, granted by the admin."""
    admin = bearer(stack.env()["DUIJIE_ADMIN_KEY"])
    org = await register_org(http, registry, "长沙市岳麓区科学技术局", "organiser")
    granted = await http.post(f"{registry}/v1/orgs/{org['id']}/roles", headers=admin, json={"role": "organiser"})
    assert granted.status_code == 200, granted.text
    key = await http.post(f"{registry}/v1/orgs/{org['id']}/keys", headers=admin,
                          json={"label": "会务台", "role": "organiser"})
    assert key.status_code == 201, key.text
    return {"id": org["id"], "headers": bearer(key.json()["key"])}


def summit_body(start: datetime, **overrides: object) -> dict:
    """Two hours from `start` in 20-minute slots (6 slots), two tables."""
    body = {"title": "岳麓山种业与金融对接会", "venue": "岳麓山大学科技城 3 号楼",
            "sessions": [{"start": start.isoformat(), "end": (start + timedelta(hours=2)).isoformat(),
                          "slot_minutes": 20}],
            "tables": {"count": 2, "names": ["A1", "A2"]},
            "registration_opens": (start - timedelta(days=1)).isoformat(),
            "registration_closes": (start - timedelta(minutes=10)).isoformat(),
            "request_expiry": "PT6H", "max_meetings_per_participant": 3}
    body.update(overrides)
    return body


@pytest.fixture
def soon() -> datetime:
    """The summit starts within the hour (check-in is open), on a whole minute."""
    return (datetime.now(UTC) + timedelta(minutes=40)).replace(second=0, microsecond=0)


@pytest.fixture
async def summit(http: httpx.AsyncClient, registry: str, organiser: dict, soon: datetime) -> dict:
    created = await http.post(f"{registry}/v1/summits", headers=organiser["headers"], json=summit_body(soon))
    assert created.status_code == 201, created.text
    return created.json()


@pytest.fixture
async def registry_db(stack: Stack) -> AsyncIterator[Database]:
    db = Database(stack.mongo_url, Settings().registry_db)
    yield db
    await db.close()


@pytest.fixture
def seed_match(registry_db: Database) -> Callable:
    """A match between two organisations (a's need, b's result), as matching would have proposed it (registry
    `matches`)."""
    async def seed(a: str, b: str, score: float, need_id: str | None = None) -> str:
        match_id = deterministic_id("test-match", a, b, score)
        async def insert() -> None:
            async with registry_db.transaction() as session:
                await registry_db["matches"].insert_one(
                    {"_id": match_id, "org_ids": [a, b], "need_org_id": a, "counterpart_org_id": b, "score": score,
                     "need_id": need_id or f"need_{a}", "counterpart_id": f"result_{b}", "counterpart_kind": "result",
                     "status": "proposed", "proposed_at": datetime.now(UTC)}, session=session)

        await retrying(insert)  # the embedded engine refuses a transaction while the registry's is open
        return match_id
    return seed


@pytest.fixture
def box(stack: Stack, registry_db: Database) -> Container:
    """The registry's services in this process, on the stack's database: their events go into the outbox, which the
    stack's registry relays (this relay is only woken, never run)."""
    settings = Settings(mongo_url=stack.mongo_url, kafka_bootstrap=stack.bootstrap)
    relay = Relay(registry_db, None, "", 1, 1.0)  # type: ignore[arg-type]
    return Container(settings, registry_db, None, relay)  # type: ignore[arg-type]


@pytest.fixture
def jump(box: Container) -> Callable:
    """Runs the summit sweep as if it were `now`; its events go through the outbox the registry relays."""

    async def at(now: datetime) -> Swept:
        return await sweep(box, now)
    return at


async def events_on(stack: Stack, topic: str, predicate: Callable[[dict], bool], want: int = 1,
                    within: float = 30.0) -> list[dict]:
    """Envelopes on `topic` (read from the beginning) that satisfy `predicate`, once `want` of them arrived."""
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=stack.bootstrap, auto_offset_reset="earliest",
                                enable_auto_commit=False, group_id=None)
    await consumer.start()
    found: list[dict] = []
    deadline = time.monotonic() + within
    try:
        while len(found) < want and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                found += [e for e in (json.loads(r.value) for r in records) if predicate(e)]
    finally:
        await consumer.stop()
    assert len(found) >= want, f"{len(found)} of {want} wanted events on {topic} within {within} s"
    return found


async def people(http: httpx.AsyncClient, registry: str, summit_id: str, key: str, *names: str,
                 **fields: object) -> list[dict]:
    out = []
    for name in names:
        r = await http.post(f"{registry}/v1/summits/{summit_id}/participants", headers=bearer(key),
                            json={"name": name, **fields})
        assert r.status_code == 201, r.text
        out.append(r.json())
    return out
