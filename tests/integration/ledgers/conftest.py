"""Fixtures for deals and ledgers on the shared stack: matches published as matching would, organisations."""

import uuid
from datetime import UTC, datetime

import httpx
import pytest

from deploy.stack import Stack
from services.contracts import topics, wire
from services.contracts.envelope import new_event
from services.registry.identifiers import patent_check_character
from tests.support.api import bearer, eventually, register_org
from tests.support.kafka import publish_raw


def patent_number(year: int, type_digit: str) -> str:
    """A well-formed CN application number nobody else in the session uses."""
    digits = f"{year}{type_digit}{uuid.uuid4().int % 10**7:07}"
    return f"CN{digits}.{patent_check_character(digits)}"


@pytest.fixture
def org(http: httpx.AsyncClient, registry: str):
    async def make(name: str, kind: str, **extra) -> dict:
        created = await register_org(http, registry, f"{name}-{uuid.uuid4().hex[:6]}", kind, **extra)
        return {**created, "headers": bearer(created["api_key"])}
    return make


@pytest.fixture
def matched(stack: Stack, http: httpx.AsyncClient, registry: str):
    """Publishes `match.proposed` on matching.matches.v1 as matching would; waits until the registry lists it."""
    async def propose(need_org: dict, counterpart_org: dict, proposed_at: datetime | None = None,
                      counterpart_kind: str = "result") -> str:
        match_id = uuid.uuid4().hex
        data = {"match_id": match_id, "need_id": f"need_{match_id[:8]}", "counterpart_id": f"cp_{match_id[:8]}",
                "counterpart_kind": counterpart_kind, "need_org_id": need_org["id"],
                "counterpart_org_id": counterpart_org["id"], "score": 0.8,
                "proposed_at": (proposed_at or datetime.now(UTC)).isoformat()}
        event = new_event("match.proposed", match_id, data, source="/duijie/matching")
        await publish_raw(stack.bootstrap, topics.MATCHES, wire.encode(event), key=match_id.encode())

        async def listed() -> bool:
            items = (await http.get(f"{registry}/v1/matches", headers=need_org["headers"])).json()["items"]
            return any(m["id"] == match_id for m in items)

        await eventually(listed, within=30)
        return match_id
    return propose


@pytest.fixture
def feedback(stack: Stack):
    async def accept(match_id: str, org_id: str) -> None:
        data = {"match_id": match_id, "org_id": org_id, "need_id": f"need_{match_id[:8]}",
                "counterpart_id": f"cp_{match_id[:8]}", "counterpart_kind": "result", "decision": "accepted",
                "at": datetime.now(UTC).isoformat()}
        event = new_event("match.accepted", match_id, data, source="/duijie/registry")
        await publish_raw(stack.bootstrap, topics.FEEDBACK, wire.encode(event), key=match_id.encode())
    return accept
